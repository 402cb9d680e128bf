"""A throwaway PostgreSQL cluster for the tests: initdb in a temporary folder, a free port on
127.0.0.1 with password login, a private socket folder, stopped (and removed) at the end.

initdb refuses to run as root, so as root every PostgreSQL program runs as the `postgres`
user (`runuser`). Absent binaries fail the tests that need the server, with what to install:
the store's tests run on both backends, never on one by accident.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

SUPERUSER = "postgres"
PASSWORD = "s3cret-pw"  # the tests check that this never shows
MISSING = (
    "PostgreSQL server binaries (initdb, pg_ctl) not found in /usr/lib/postgresql/*/bin: "
    "install Debian's postgresql package (apt-get install -y postgresql) to run the store tests"
)


def find_bin_dir() -> Path | None:
    """The newest /usr/lib/postgresql/<version>/bin with initdb and pg_ctl (or $PG_BIN)."""
    candidates = [os.environ.get("PG_BIN", "")] + sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name), reverse=True
    )
    for folder in candidates:
        if folder and all(Path(folder, name).is_file() for name in ("initdb", "pg_ctl")):
            return Path(folder)
    found = shutil.which("initdb")
    return Path(found).parent if found and shutil.which("pg_ctl") else None


def free_port() -> int:
    with contextlib.closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PgServer:
    """One cluster; `url(db)` names a database on it with the password in the URL."""

    def __init__(self, bin_dir: Path):
        self.bin_dir = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="rnn-tui-pg-"))
        self.data = self.root / "data"
        self.sockets = self.root / "sockets"
        self.log = self.root / "server.log"
        self.port = free_port()
        self._as_postgres = os.geteuid() == 0
        self._databases = 0

    def _run(self, *argv: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        command = [str(self.bin_dir / argv[0]), *argv[1:]]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        if result.returncode != 0:
            raise RuntimeError(
                f"{argv[0]} failed ({result.returncode}): {result.stderr.strip()[-800:]}"
                f"\n{self.log_tail()}"
            )
        return result

    def log_tail(self) -> str:
        with contextlib.suppress(OSError):
            return "server log: " + self.log.read_text()[-1500:]
        return ""

    def init(self) -> PgServer:
        self.sockets.mkdir()
        pwfile = self.root / "pw"
        pwfile.write_text(PASSWORD + "\n")
        if self._as_postgres:
            shutil.chown(self.root, "postgres")
            shutil.chown(self.sockets, "postgres")
            shutil.chown(pwfile, "postgres")
        self._run(
            "initdb", "-D", str(self.data), "-U", SUPERUSER, f"--pwfile={pwfile}",
            "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--no-sync",
        )  # fmt: skip
        pwfile.unlink()
        return self.start()

    def start(self) -> PgServer:
        options = (
            f"-p {self.port} -k {self.sockets} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.log), "-w", "start")
        return self

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def is_running(self) -> bool:
        command = [str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "status"]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, capture_output=True).returncode == 0

    def url(self, database: str, *, password: str | None = PASSWORD, user: str = SUPERUSER) -> str:
        secret = f":{password}" if password is not None else ""
        return f"postgresql://{user}{secret}@127.0.0.1:{self.port}/{database}"

    def admin(self, *statements: str, database: str = "postgres") -> None:
        import psycopg

        with psycopg.connect(
            host=str(self.sockets), port=self.port, user=SUPERUSER, dbname=database,
            autocommit=True,
        ) as conn:  # fmt: skip
            for statement in statements:
                conn.execute(statement)

    def new_database(self, prefix: str = "t") -> str:
        self._databases += 1
        name = f"{prefix}_{os.getpid()}_{self._databases}"
        self.admin(f'CREATE DATABASE "{name}"')
        return name

    def destroy(self) -> None:
        with contextlib.suppress(Exception):
            if self.is_running():
                self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)
