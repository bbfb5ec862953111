"""Real Tryton and Django Oscar servers for the tests (scripts/realservers).

Each server is installed and initialised once (cached outside the tree), started once per
test session on a free loopback port, and reset before every test that asks for it: stopped,
its pristine database copied back, started again.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts" / "realservers"))

import databases as database_servers  # noqa: E402
import oscar as oscar_server  # noqa: E402
import tryton as tryton_server  # noqa: E402


@pytest.fixture(scope="session")
def tryton_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    pristine = tryton_server.prepare()
    server = tryton_server.TrytonServer(tmp_path_factory.mktemp("tryton"), pristine=pristine)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def oscar_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    pristine = oscar_server.prepare()
    server = oscar_server.OscarServer(tmp_path_factory.mktemp("oscar"), pristine=pristine)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def tryton(tryton_session: Any) -> Any:
    """The session's Tryton, with the pristine database put back first."""
    tryton_session.reset()
    return tryton_session


@pytest.fixture
def oscar(oscar_session: Any) -> Any:
    oscar_session.reset()
    return oscar_session


def _database(kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    why = database_servers.install(kind)
    if why is not None:
        pytest.skip(f"no real {kind} server: {why}")
    cls = (
        database_servers.PostgresServer if kind == "postgresql" else database_servers.MariaDbServer
    )
    server = cls(tmp_path_factory.mktemp(kind))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def postgresql_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from _database("postgresql", tmp_path_factory)


@pytest.fixture(scope="session")
def mariadb_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from _database("mariadb", tmp_path_factory)


@pytest.fixture(params=["postgresql", "mariadb"])
def database(request: pytest.FixtureRequest) -> Any:
    """A real PostgreSQL or MariaDB server with an empty ``erp`` database (dropped and made
    again before every test)."""
    server = request.getfixturevalue(f"{request.param}_session")
    server.reset()
    return server
