"""The ``sql`` kind's database access: the engine, the wrapped paging queries, error mapping.

Every statement the connector sends is built here from the configured queries: the user's
``SELECT`` becomes a derived table ``q`` and the connector adds its own bound conditions.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import (
    DBAPIError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    SQLAlchemyError,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from syncwright.connectors.base import CallGate, SystemSpec
from syncwright.connectors.errors import (
    AuthError,
    ConnectorError,
    PayloadError,
    PermanentError,
    TransientError,
)
from syncwright.connectors.sql.settings import OrderStatements, Query, SqlSettings

Row = Mapping[str, Any]
#: The database's own clock (the daemon's may be skewed; the rows are stamped by this one).
_NOW = {"postgresql": "SELECT clock_timestamp()", "mysql": "SELECT UTC_TIMESTAMP(6)"}


def wrap(query: Query, where: Sequence[str], order: str, limit: bool = True) -> Any:
    """``SELECT * FROM (query) AS q WHERE ... ORDER BY ... [LIMIT :limit]``."""
    sql = f"SELECT * FROM ({query.query}) AS q"
    if where:
        sql += " WHERE " + " AND ".join(f"({w})" for w in where)
    sql += f" ORDER BY {order}"
    if limit:
        sql += " LIMIT :limit"
    return text(sql)


def expanding(statement: Any, *names: str) -> Any:
    return statement.bindparams(*(bindparam(n, expanding=True) for n in names))


class Database:
    """One engine per system; every statement passes the budget's gate first."""

    def __init__(self, spec: SystemSpec[SqlSettings], gate: CallGate) -> None:
        self.system = spec.name
        self.settings = spec.settings
        url = make_url(spec.url)
        if spec.secrets.get("password"):
            url = url.set(password=spec.secrets["password"])
        self.dialect = (
            "mysql" if url.get_backend_name() in ("mysql", "mariadb") else url.get_backend_name()
        )
        naive = spec.settings.naive_times
        self.naive = self.dialect == "mysql" if naive is None else naive
        self.zone = ZoneInfo(spec.settings.timezone)
        # A database that does not answer is a transient error after the system's timeout.
        timeout = {"mysql": "connect_timeout"}.get(self.dialect, "timeout")
        self.engine: AsyncEngine = create_async_engine(
            url,
            pool_size=2,
            max_overflow=2,
            pool_pre_ping=True,
            pool_recycle=1800,
            connect_args={timeout: spec.timeout},
        )
        self.gate = gate
        #: The database clock; tests replace it to move time without waiting.
        self.clock: Callable[[AsyncConnection], Awaitable[datetime]] = self._db_now

    async def aclose(self) -> None:
        await self.engine.dispose()

    @asynccontextmanager
    async def connect(self, *, write: bool = False) -> AsyncIterator[AsyncConnection]:
        """A connection (in a transaction when ``write``), its errors as connector errors."""
        await self.gate.acquire()
        try:
            if write:
                async with self.engine.begin() as conn:
                    yield conn
            else:
                async with self.engine.connect() as conn:
                    yield conn
        except (IntegrityError, ConnectorError):
            raise
        except DBAPIError as exc:
            error = classify(exc)
            what = _WHAT[error]
            raise error(f"{what}: {_reason(exc)}", system=self.system) from None
        except SQLAlchemyError as exc:
            raise PermanentError(f"database error: {_reason(exc)}", system=self.system) from None
        except (OSError, TimeoutError) as exc:
            raise TransientError(f"database unreachable: {exc}", system=self.system) from None

    async def rows(self, conn: AsyncConnection, statement: Any, **params: Any) -> list[Row]:
        result = await conn.execute(statement, params)
        return [dict(row) for row in result.mappings().all()]

    async def _db_now(self, conn: AsyncConnection) -> datetime:
        value = (
            await conn.execute(text(_NOW.get(self.dialect, "SELECT CURRENT_TIMESTAMP")))
        ).scalar()
        if not isinstance(value, datetime):
            raise PayloadError("the database clock answered no time", system=self.system)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    async def until(self, conn: AsyncConnection) -> datetime:
        """The newest change time a pass may read now: the database clock less the settle."""
        return await self.clock(conn) - timedelta(seconds=self.settings.settle_seconds)

    # -- change values: tokens, bound values ------------------------------------------------

    def changed(self, value: Any) -> datetime | int:
        if self.settings.cursor == "version":
            return int(value)
        if not isinstance(value, datetime):
            raise PayloadError(f"the change column holds {value!r}, not a time", system=self.system)
        return (
            value.replace(tzinfo=self.zone).astimezone(UTC)
            if value.tzinfo is None
            else value.astimezone(UTC)
        )

    def token(self, value: Any) -> str:
        found = self.changed(value)
        if isinstance(found, int):
            return str(found)
        return found.strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    def bound(self, token: str) -> datetime | int:
        """A change token as the value bound against the change column."""
        try:
            if self.settings.cursor == "version":
                return int(token)
            moment = datetime.fromisoformat(token)
        except ValueError:
            raise PayloadError(
                f"not a change token of this system: {token!r}", system=self.system
            ) from None
        moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
        return self.at(moment)

    def at(self, moment: datetime) -> datetime:
        return moment.astimezone(self.zone).replace(tzinfo=None) if self.naive else moment

    def key(self, query: Query | OrderStatements, value: str) -> int | str:
        if query.key == "text":
            return value
        try:
            return int(value)
        except ValueError:
            raise PayloadError(f"not a key of this system: {value!r}", system=self.system) from None


_WHAT: dict[type[ConnectorError], str] = {
    AuthError: "login refused",
    TransientError: "database unavailable",
    PermanentError: "statement refused",
}
#: MySQL/MariaDB server errors worth a retry (too many connections, lock wait, deadlock,
#: query interrupted, shutdown); the 2000s are the client's own (connection) errors.
_MYSQL_TRANSIENT = frozenset({1040, 1053, 1205, 1213, 1317, 3024})


def classify(exc: DBAPIError) -> type[ConnectorError]:
    """The contract's class of a driver error: by SQLSTATE (PostgreSQL) or error number
    (MySQL/MariaDB, whose driver calls a missing grant an OperationalError)."""
    orig = getattr(exc, "orig", None)
    state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if isinstance(state, str) and len(state) == 5:
        if state.startswith("28"):
            return AuthError
        if state.startswith(("08", "40", "53", "57P")):
            return TransientError
        return PermanentError
    args = getattr(orig, "args", ())
    if args and isinstance(args[0], int):
        number = args[0]
        if number in (1044, 1045, 1698):
            return AuthError
        if number >= 2000 or number in _MYSQL_TRANSIENT:
            return TransientError
        return PermanentError
    if exc.connection_invalidated or isinstance(exc, OperationalError | InterfaceError):
        return TransientError
    return PermanentError


def _reason(exc: BaseException) -> str:
    """The driver's message, one line, without the statement (it may be long)."""
    inner = getattr(exc, "orig", None) or exc
    return str(inner).splitlines()[0][:300] if str(inner) else type(inner).__name__
