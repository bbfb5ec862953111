"""Real PostgreSQL and MariaDB servers for the sql kind's tests, from the distribution's packages.

Each server gets a fresh data directory under a temporary folder, listens on loopback on a
free port, and is stopped whole at the end. ``reset()`` drops and recreates the test database,
which is much faster than a new data directory and leaves nothing of the previous test.

The packages are ``postgresql`` and ``mariadb-server`` (Debian). ``install()`` asks apt for
them when they are missing and apt is there; ``missing()`` says, in words, what is still
missing, so a test can skip with that message.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

from proc import Server, free_port, log

DATABASE = "erp"
#: The connector's user: reads only, plus the write side's staging tables (granted by tests).
USER = "syncwright"
PASSWORD = "sync-test-pw"
PACKAGES = {"postgresql": "postgresql", "mariadb": "mariadb-server"}


def _pg_bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


def _maria_bin(*names: str) -> str | None:
    for name in names:
        for where in (shutil.which(name), f"/usr/sbin/{name}", f"/usr/bin/{name}"):
            if where and os.access(where, os.X_OK):
                return where
    return None


def missing(kind: str) -> str | None:
    """None when ``kind``'s server binaries are here, else what is missing."""
    if kind == "postgresql":
        ok = _pg_bin("initdb") and _pg_bin("postgres")
    else:
        ok = _maria_bin("mariadb-install-db", "mysql_install_db") and _maria_bin(
            "mariadbd", "mysqld"
        )
    return None if ok else f"the {PACKAGES[kind]} package is not installed"


def install(kind: str) -> str | None:
    """Install ``kind``'s package with apt when missing; None when it is there afterwards."""
    if missing(kind) is None:
        return None
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        return f"{missing(kind)} and cannot be installed here (needs apt-get as root)"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    argv = ["apt-get", "install", "-y", "-q", "--no-install-recommends", PACKAGES[kind]]
    log(f"installing {PACKAGES[kind]}")
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True, timeout=600)
        done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        return f"{PACKAGES[kind]} could not be installed: {done.stderr.strip()[-300:]}"
    return missing(kind)


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _as_owner(argv: list[str], owner: str | None) -> list[str]:
    """PostgreSQL refuses to run as root: run it as ``owner`` then."""
    return ["runuser", "-u", owner, "--", *argv] if owner else argv


class PostgresServer:
    kind = "postgresql"

    def __init__(self, root: Path) -> None:
        self.owner = "postgres" if os.geteuid() == 0 else None
        if self.owner:
            # The postgres user must reach its data directory: pytest's folders are private.
            root = Path(tempfile.mkdtemp(prefix="syncwright-pg-"))
            root.chmod(0o755)
        self.root = root
        self.data = root / "pgdata"
        self.port = free_port()
        self.server: Server | None = None

    @property
    def admin_url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{DATABASE}"

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://{USER}@127.0.0.1:{self.port}/{DATABASE}"

    def _psql(self, sql: str, database: str = "postgres") -> None:
        psql = _pg_bin("psql") or "psql"
        argv = [psql, "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", database]
        subprocess.run(
            [*argv, "-v", "ON_ERROR_STOP=1", "-q", "-c", sql],
            check=True,
            capture_output=True,
        )

    def start(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        if self.owner:
            shutil.chown(self.root, self.owner)
        initdb = [str(_pg_bin("initdb")), "-D", str(self.data), "-U", "postgres"]
        initdb += ["--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"]
        subprocess.run(_as_owner(initdb, self.owner), check=True, capture_output=True)
        argv = [str(_pg_bin("postgres")), "-D", str(self.data), "-p", str(self.port)]
        argv += ["-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={self.root}"]
        argv += ["-c", "fsync=off", "-c", "full_page_writes=off", "-c", "timezone=UTC"]
        self.server = Server(
            "postgresql",
            _as_owner(argv, self.owner),
            cwd=self.root,
            env=dict(os.environ),
            log_path=self.root / "postgres.log",
        )
        self.server.start(lambda: _port_open(self.port))
        self._psql(f"CREATE ROLE {USER} LOGIN PASSWORD '{PASSWORD}'")
        self.reset()

    def reset(self) -> None:
        self._psql(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        self._psql(f"CREATE DATABASE {DATABASE}")
        self._psql(
            f"REVOKE CREATE ON SCHEMA public FROM PUBLIC; GRANT USAGE ON SCHEMA public TO {USER}",
            DATABASE,
        )

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
        if self.owner:
            shutil.rmtree(self.root, ignore_errors=True)


class MariaDbServer:
    kind = "mariadb"

    def __init__(self, root: Path) -> None:
        self.root = root
        self.data = root / "mariadb"
        self.socket = root / "mariadb.sock"
        self.port = free_port()
        self.server: Server | None = None

    @property
    def admin_url(self) -> str:
        return f"mysql+aiomysql://root@localhost/{DATABASE}?unix_socket={self.socket}"

    @property
    def url(self) -> str:
        return f"mysql+aiomysql://{USER}@127.0.0.1:{self.port}/{DATABASE}"

    def _sql(self, sql: str) -> None:
        client = _maria_bin("mariadb", "mysql") or "mariadb"
        argv = [client, f"--socket={self.socket}", "-uroot", "-e", sql]
        subprocess.run(argv, check=True, capture_output=True)

    def start(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        user = ["--user=root"] if os.geteuid() == 0 else []
        install = [str(_maria_bin("mariadb-install-db", "mysql_install_db"))]
        install += [
            "--no-defaults",
            f"--datadir={self.data}",
            "--auth-root-authentication-method=normal",
        ]
        install += ["--skip-test-db", *user]
        subprocess.run(install, check=True, capture_output=True)
        argv = [str(_maria_bin("mariadbd", "mysqld")), "--no-defaults", f"--datadir={self.data}"]
        argv += [f"--socket={self.socket}", f"--port={self.port}", "--bind-address=127.0.0.1"]
        argv += [f"--pid-file={self.root / 'mariadb.pid'}", "--skip-log-bin", *user]
        argv += ["--innodb-flush-log-at-trx-commit=0", "--default-time-zone=+00:00"]
        self.server = Server(
            "mariadb", argv, cwd=self.root, env=dict(os.environ), log_path=self.root / "maria.log"
        )
        self.server.start(lambda: self.socket.exists() and _port_open(self.port))
        self._sql(f"CREATE USER '{USER}'@'%' IDENTIFIED BY '{PASSWORD}'")
        self.reset()

    def reset(self) -> None:
        self._sql(f"DROP DATABASE IF EXISTS {DATABASE}; CREATE DATABASE {DATABASE}")

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
