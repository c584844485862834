"""A throwaway PostgreSQL server for the tests, from the machine's own `initdb` and `pg_ctl`.

The cluster lives in a fresh temporary directory, listens on a free port of 127.0.0.1 only (no
Unix socket), trusts local connections, and is created with `--locale=C -E UTF8` so that text
sorts by bytes, as on DuckDB. PostgreSQL refuses to run as root, so as root the server runs as
the `postgres` system user (created by Debian's packages), or else as `nobody`.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

# Debian/Ubuntu; on macOS `brew install postgresql`. Looked for on PATH and in /usr/lib/postgresql/*/bin.
INSTALL_COMMAND = "sudo apt-get install -y postgresql"
SUPERUSER = "postgres"


def find_bin_dir() -> Path | None:
    """The folder holding initdb, pg_ctl and postgres: from PATH, else Debian's versioned folders."""
    candidates = []
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).resolve().parent)

    def version(path: Path) -> tuple[int, ...]:
        return tuple(int(part) for part in re.findall(r"\d+", path.parent.name))

    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=version, reverse=True)
    for folder in candidates:
        if all((folder / name).is_file() for name in ("initdb", "pg_ctl", "postgres")):
            return folder
    return None


def require_bin_dir(
    env: Mapping[str, str] = os.environ, finder: Callable[[], Path | None] = find_bin_dir
) -> Path:
    """The PostgreSQL binaries; without them the test is skipped with how to install them, or,
    in CI (CI=true), fails: there the PostgreSQL tests must run."""
    from system_deps import require

    bin_dir = finder()
    require("PostgreSQL server binaries (initdb, pg_ctl)", bin_dir is not None, INSTALL_COMMAND, env)
    return bin_dir


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class PostgresServer:
    """A running server: how to reach it, with the libpq variables the loader and dbt read."""

    bin_dir: Path
    data_dir: Path
    port: int
    host: str = "127.0.0.1"
    user: str = SUPERUSER

    def env(self, database: str = "postgres") -> dict[str, str]:
        return {
            "PGHOST": self.host,
            "PGPORT": str(self.port),
            "PGUSER": self.user,
            "PGPASSWORD": "",
            "PGDATABASE": database,
            # As the README asks of users: the YAML unit tests' zone-less text timestamps are UTC.
            "PGTZ": "UTC",
        }

    def connect(self, database: str = "postgres"):
        import psycopg2

        return psycopg2.connect(host=self.host, port=self.port, user=self.user, dbname=database)

    def create_database(self, name: str) -> str:
        connection = self.connect()
        try:
            connection.autocommit = True
            with connection.cursor() as cursor:
                cursor.execute(f'drop database if exists "{name}"')
                cursor.execute(f'create database "{name}"')
        finally:
            connection.close()
        return name

    def query(self, database: str, sql: str) -> list[dict]:
        connection = self.connect(database)
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql)
                names = [column.name for column in cursor.description]
                return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        finally:
            connection.close()


class _Runner:
    """Runs the server's programs as a user PostgreSQL accepts: ourselves, or a system user when root."""

    def __init__(self) -> None:
        self.account = None
        if os.geteuid() == 0:
            for name in ("postgres", "nobody"):
                with contextlib.suppress(KeyError):
                    self.account = pwd.getpwnam(name)
                    break
            if self.account is None:
                raise RuntimeError(
                    "running as root and there is no postgres or nobody user to run PostgreSQL as"
                )

    def own(self, path: Path) -> None:
        if self.account is not None:
            os.chown(path, self.account.pw_uid, self.account.pw_gid)

    def run(self, command: list[str], cwd: Path) -> subprocess.CompletedProcess:
        extra = {}
        if self.account is not None:
            extra = dict(user=self.account.pw_uid, group=self.account.pw_gid, extra_groups=[])
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "TZ": "UTC"}
        return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False, **extra)


def _check(result: subprocess.CompletedProcess, what: str, log: Path | None = None) -> None:
    if result.returncode != 0:
        details = result.stdout + result.stderr
        if log is not None and log.exists():
            details += "\n--- server log ---\n" + log.read_text(errors="replace")[-4000:]
        raise RuntimeError(f"{what} failed ({result.returncode}):\n{details}")


@contextlib.contextmanager
def running_server(bin_dir: Path, attempts: int = 3) -> Iterator[PostgresServer]:
    """Create a cluster, start it on a free port, yield it, then stop it and delete it."""
    runner = _Runner()
    # Directly under the temporary folder: the server's user must reach it, and pytest's own
    # temporary folders are private to the user running the tests.
    root = Path(tempfile.mkdtemp(prefix="customer-mart-postgres-"))
    data_dir, log = root / "data", root / "server.log"
    server = None
    try:
        runner.own(root)
        initdb = [str(bin_dir / "initdb"), "-D", str(data_dir), "-U", SUPERUSER, "--auth=trust"]
        _check(runner.run([*initdb, "-E", "UTF8", "--locale=C", "--no-sync"], cwd=root), "initdb")
        with (data_dir / "postgresql.conf").open("a") as conf:
            conf.write(
                "\n# customer-mart tests: local TCP only, UTC, durability traded for speed\n"
                "listen_addresses = '127.0.0.1'\n"
                "unix_socket_directories = ''\n"
                "timezone = 'UTC'\n"
                "fsync = off\n"
                "synchronous_commit = off\n"
                "full_page_writes = off\n"
            )
        for attempt in range(attempts):
            port = _free_port()
            start = [str(bin_dir / "pg_ctl"), "-D", str(data_dir), "-l", str(log), "-w", "-t", "60"]
            result = runner.run([*start, "-o", f"-p {port}", "start"], cwd=root)
            if result.returncode == 0:
                server = PostgresServer(bin_dir=bin_dir, data_dir=data_dir, port=port)
                break
            if attempt == attempts - 1:
                _check(result, "pg_ctl start", log)
        yield server
    finally:
        if server is not None:
            runner.run([str(bin_dir / "pg_ctl"), "-D", str(data_dir), "-m", "fast", "-w", "stop"], cwd=root)
        shutil.rmtree(root, ignore_errors=True)
