#!/usr/bin/env bash
# A throwaway single-node Slurm cluster on this machine, from Debian's slurm-wlm, that runs
# two workers of one small rnn-tui study as an array job (scripts/slurm_sweep.sh), prints the
# study's leaderboard and takes everything down again. Not part of the test suite: it shows
# that the array script, `rnn-tui sweep work` and a shared store work under a real Slurm.
#
#   sudo scripts/slurm_single_node.sh            # as root (slurmd starts job steps)
#
# Everything it writes lives in one temp dir (the Slurm and munge config, state, sockets,
# logs, the SQLite run store); the daemons listen on free ports near 16817, so a real Slurm on
# the same machine is not touched. Installs slurm-wlm and munge with apt-get when absent.
# On exit, also on failure or Ctrl-C, it cancels the job, stops the daemons it started (by
# pid) and any process still using its temp dir, and removes the dir (kept on failure).
#
# Environment: RNN_TUI (the rnn-tui to run; default: this checkout's .venv, else PATH),
# TRIALS (default 4: two per worker), TIMEOUT_S (for the array job, default 900),
# KEEP_WORK=1 (keep the temp dir).
set -euo pipefail

say() { printf '[slurm-single-node] %s\n' "$*"; }
refuse() { printf 'slurm_single_node.sh: %s\n' "$*" >&2; exit 2; }

[[ $(uname -s) == Linux ]] || refuse "needs Linux (Debian's slurm-wlm)"
[[ $(id -u) -eq 0 ]] || refuse "run it as root (sudo): slurmd and munged start as root"

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ARRAY_SCRIPT=$REPO/scripts/slurm_sweep.sh
if [[ -z ${RNN_TUI:-} ]]; then
    if [[ -x $REPO/.venv/bin/rnn-tui ]]; then RNN_TUI=$REPO/.venv/bin/rnn-tui
    else RNN_TUI=$(command -v rnn-tui || true); fi
fi
[[ -n $RNN_TUI && -x $RNN_TUI ]] ||
    refuse "no rnn-tui found: install it (pip install -e .) or set RNN_TUI to its path"
TRIALS=${TRIALS:-4}
TIMEOUT_S=${TIMEOUT_S:-900}

if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null ||
    ! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
    command -v apt-get >/dev/null ||
        refuse "slurm-wlm and munge are not installed and there is no apt-get to install them"
    say "installing slurm-wlm and munge with apt-get"
    apt_install() {
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
            slurm-wlm munge >/dev/null
    }
    apt_install || { apt-get update -q >/dev/null && apt_install; } ||
        refuse "apt-get install slurm-wlm munge failed (see the lines above)"
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/rnn-tui-slurm.XXXXXX")
chmod 700 "$WORK"
mkdir -m 700 "$WORK"/{munge,state,spool,logs,store,data,config}
JOBID=""
PIDS=()   # the daemons this script started, in start order
OK=0

stop_pid() {  # TERM, then KILL after 10 s, one pid
    local pid=$1 i
    kill -TERM "$pid" 2>/dev/null || return 0
    for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
}

leftovers() {  # processes whose environment or working dir names the temp dir, but not us
    local p
    for p in /proc/[0-9]*; do
        p=${p#/proc/}
        [[ $p == "$$" || $p == "$BASHPID" ]] && continue
        if grep -qzF "$WORK" "/proc/$p/environ" 2>/dev/null ||
            [[ $(readlink "/proc/$p/cwd" 2>/dev/null) == "$WORK"* ]]; then
            echo "$p"
        fi
    done
}

teardown() {
    local code=$? i p cmd
    trap - EXIT INT TERM
    set +e
    say "tearing down"
    if [[ -n $JOBID ]] && [[ -n $(squeue -h -j "$JOBID" 2>/dev/null) ]]; then
        say "cancelling job $JOBID"
        scancel "$JOBID"
        for i in $(seq 60); do [[ -z $(squeue -h -j "$JOBID" 2>/dev/null) ]] && break; sleep 0.5; done
    fi
    for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do stop_pid "${PIDS[i]}"; done
    for p in $(leftovers); do
        cmd=$({ tr '\0' ' ' <"/proc/$p/cmdline"; } 2>/dev/null) || continue  # gone meanwhile
        say "stopping leftover process $p: ${cmd:0:80}"
        stop_pid "$p"
    done
    p=$(leftovers)  # no pipe here: a pipe's other end would inherit our env and be listed
    [[ -z $p ]] || say "WARNING: processes still running: ${p//$'\n'/ }"
    if [[ $OK == 1 && ${KEEP_WORK:-0} != 1 ]]; then
        rm -rf "$WORK"
        say "removed $WORK"
    else
        say "kept $WORK (logs in $WORK/logs)"
    fi
    [[ $OK == 1 ]] && code=0
    [[ $code == 0 ]] || say "FAILED (exit $code)"
    exit "$code"
}
trap teardown EXIT
trap 'exit 130' INT TERM

fail() { say "ERROR: $*"; exit 1; }

wait_for() {  # wait_for SECONDS WHAT COMMAND...: poll COMMAND every half second
    local limit=$1 what=$2 start=$SECONDS
    shift 2
    until "$@" >/dev/null 2>&1; do
        ((SECONDS - start < limit)) || fail "$what did not happen within ${limit}s"
        sleep 0.5
    done
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() {  # the first free port from $1 up
    local p=$1
    while ! port_free "$p"; do p=$((p + 1)); done
    echo "$p"
}

# The daemons run in their own sessions (setsid, which keeps the pid), so a Ctrl-C in the
# terminal reaches this script alone and the teardown cancels the job before stopping them.

# --- munge: its own key, socket and logs under the temp dir --------------------------------
MUNGE_SOCKET=$WORK/munge/munge.socket.2
dd if=/dev/urandom of="$WORK/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$WORK/munge/munge.key"
say "starting munged (socket $MUNGE_SOCKET)"
# --force: munged otherwise refuses a socket below a world-writable dir such as /tmp
setsid munged --foreground --force --socket="$MUNGE_SOCKET" --key-file="$WORK/munge/munge.key" \
    --pid-file="$WORK/munge/munged.pid" --seed-file="$WORK/munge/munged.seed" \
    --log-file="$WORK/logs/munged.log" >>"$WORK/logs/munged.out" 2>&1 &
PIDS+=($!)
wait_for 20 "munged's socket" test -S "$MUNGE_SOCKET"

# --- slurm.conf for this one host -------------------------------------------------------------
NODE=$(hostname -s)
# slurmd -C prints this node's real CPUs, sockets, cores, threads and memory
HW=$(slurmd -C | head -1 | sed -e "s/^NodeName=[^ ]* //")
CTLD_PORT=$(free_port 16817)
SLURMD_PORT=$(free_port $((CTLD_PORT + 1)))
export SLURM_CONF=$WORK/slurm.conf
cat >"$SLURM_CONF" <<EOF
# written by rnn-tui's scripts/slurm_single_node.sh; thrown away at its end
ClusterName=rnntui
SlurmctldHost=$NODE(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$MUNGE_SOCKET
StateSaveLocation=$WORK/state
SlurmdSpoolDir=$WORK/spool/slurmd-%n
SlurmctldPidFile=$WORK/state/slurmctld.pid
SlurmdPidFile=$WORK/spool/slurmd.pid
SlurmctldLogFile=$WORK/logs/slurmctld.log
SlurmdLogFile=$WORK/logs/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
# no cgroups: works in containers and leaves the host's cgroup tree alone
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MinJobAge=600
NodeName=$NODE NodeAddr=127.0.0.1 $HW State=UNKNOWN
PartitionName=local Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF
say "slurm.conf: node $NODE ($HW), partition local, ports $CTLD_PORT/$SLURMD_PORT"

say "starting slurmctld and slurmd"
setsid slurmctld -D -i -f "$SLURM_CONF" >>"$WORK/logs/slurmctld.out" 2>&1 &
PIDS+=($!)
wait_for 30 "slurmctld answering" scontrol ping
setsid slurmd -D -N "$NODE" -f "$SLURM_CONF" >>"$WORK/logs/slurmd.out" 2>&1 &
PIDS+=($!)
node_idle() { [[ $(sinfo -h -n "$NODE" -o %T) == idle ]]; }
wait_for 60 "node $NODE idle" node_idle
sinfo

# --- the study, in a SQLite store on this disk (one node: no PostgreSQL needed) ---------------
export RNN_TUI_STORE=$WORK/store/runs.db RNN_TUI_DATA_DIR=$WORK/data
export RNN_TUI_CONFIG_DIR=$WORK/config
SWEEP=slurm-demo
say "creating study $SWEEP ($TRIALS tiny trials) with $RNN_TUI"
"$RNN_TUI" train --sweep "$SWEEP" --sampler random --pruner none --trials "$TRIALS" \
    --cell gru --hidden 32..64 --lr 1e-3..1e-2:log --epochs 1 --epoch-steps 20 \
    --batch-size 16 --num-steps 32 --sample-length 20 --workers 0 --quiet

# --- two workers as an array job --------------------------------------------------------------
say "submitting $ARRAY_SCRIPT as an array of 2 tasks"
JOBID=$(SWEEP=$SWEEP RNN_TUI=$RNN_TUI sbatch --parsable --array=0-1 --cpus-per-task=1 \
    --time=00:30:00 --chdir="$WORK" --output="$WORK/logs/worker-%A_%a.log" \
    --export=ALL "$ARRAY_SCRIPT")
JOBID=${JOBID%%;*}
say "job $JOBID submitted"
start=$SECONDS
while [[ -n $(squeue -h -j "$JOBID" 2>/dev/null) ]]; do
    ((SECONDS - start < TIMEOUT_S)) || fail "array job $JOBID still running after ${TIMEOUT_S}s"
    sleep 2
done
say "array job $JOBID left the queue after $((SECONDS - start))s"
# no accounting (sacct): the controller keeps finished jobs for MinJobAge
STATES=$(scontrol -o show job "$JOBID" | grep -o 'JobId=[0-9]* ArrayJobId=[0-9]* ArrayTaskId=[0-9]*\|JobState=[A-Z_]*\|ExitCode=[0-9:]*' |
    paste -d' ' - - - | sed 's/JobId=[0-9]* //')
echo "$STATES"
for log in "$WORK"/logs/worker-*.log; do
    say "--- $(basename "$log") (last lines)"
    tail -n 8 "$log"
done
[[ $(grep -c 'JobState=COMPLETED ExitCode=0:0' <<<"$STATES") == 2 ]] ||
    fail "the array's two tasks did not both complete with exit code 0"

say "rnn-tui sweep show $SWEEP"
"$RNN_TUI" sweep show "$SWEEP"
OK=1
