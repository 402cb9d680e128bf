#!/usr/bin/env bash
# Workers of one rnn-tui study as a Slurm array job: each array task is one worker that runs
# trials until the study has its trials, with its task's CPUs as torch threads.
#
# Create the study first (anywhere that sees the store), without running a trial there:
#   RNN_TUI_STORE=postgresql://me@db.lab/rnn rnn-tui train --sweep NAME ... --workers 0
# then submit, for example eight workers of four cores each:
#   SWEEP=NAME RNN_TUI_STORE=postgresql://me@db.lab/rnn \
#     sbatch --array=0-7 --cpus-per-task=4 scripts/slurm_sweep.sh
# The password comes from PGPASSWORD or ~/.pgpass on the compute nodes, not from the URL.
#SBATCH --job-name=rnn-tui-sweep
#SBATCH --array=0-3
#SBATCH --cpus-per-task=2
#SBATCH --time=04:00:00
#SBATCH --output=rnn-tui-sweep-%A_%a.log
set -euo pipefail

: "${SWEEP:?set SWEEP to the name of the study (rnn-tui sweep list shows them)}"
: "${RNN_TUI_STORE:?set RNN_TUI_STORE to the store every worker shares (a PostgreSQL URL across machines; a SQLite path on one node)}"
export RNN_TUI_STORE

RNN_TUI=${RNN_TUI:-rnn-tui}  # or the path of a virtual environment's rnn-tui
echo "worker ${SLURM_ARRAY_TASK_ID:-0} of study ${SWEEP} on $(hostname)"
exec "${RNN_TUI}" sweep work "${SWEEP}" --threads "${SLURM_CPUS_PER_TASK:-1}"
