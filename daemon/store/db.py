"""The state file: one SQLite database in WAL mode, one batching writer, non-blocking readers.

Every write goes through :meth:`Store.write` as a plain function of a sqlite3 connection. The
writer task collects whatever writes are waiting, runs them in one ``BEGIN IMMEDIATE``
transaction (each in its own savepoint, so one failing write does not undo the others),
commits once, and only then wakes the callers: when ``write`` returns, the change is durable.

Reads go through a separate aiosqlite connection opened read-only; in WAL mode they see the
last committed state and never wait for the writer.

Events a write announces (the sync log's errors) are staged in the daemon's event hub, which
the store was given at open and which its write connection carries (``conn.hub``, see
:func:`daemon.events_bus.hub_of`); they are published once the transaction commits.
"""

from __future__ import annotations

import contextlib
import math
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, NoReturn, TypeVar

import aiosqlite
import anyio
import structlog
from anyio.abc import TaskStatus

from syncwright.daemon.events_bus import EventHub
from syncwright.daemon.ops.backup import before_migration
from syncwright.daemon.store.migrations import SCHEMA_VERSION, migrate
from syncwright.daemon.store.usable import unusable

T = TypeVar("T")
log = structlog.get_logger("syncwright.store")

#: Writes per transaction at most; more wait for the next one.
MAX_BATCH = 512


class StoreClosed(RuntimeError):
    """A write arrived after the store stopped accepting them."""


class StoreFailed(RuntimeError):
    """The write connection failed underneath a transaction (disk full, I/O error): the
    transaction was rolled back, nothing of it was applied, and the store accepts no more
    writes. :meth:`Store.serve` raises it, which stops the daemon."""


@dataclass(eq=False)
class _Op(Generic[T]):
    fn: Callable[[sqlite3.Connection], T]
    done: anyio.Event = field(default_factory=anyio.Event)
    result: Any = None
    error: BaseException | None = None
    #: Committed (set by the writer right after COMMIT).
    committed: bool = False
    #: Synced to disk at COMMIT (``synchronous=FULL``): survives a power loss, not only a crash.
    durable: bool = False


class StateConnection(sqlite3.Connection):
    """A write connection to the state file. ``hub`` is the event hub of the store that owns
    it (None: an offline command's connection, whose writes announce nothing)."""

    hub: EventHub | None = None


def connect_sync(
    path: str | Path, *, factory: type[StateConnection] = StateConnection
) -> StateConnection:
    """A writable connection with the pragmas every writer uses (``factory``: tests wrap it)."""
    conn = sqlite3.connect(
        str(path),
        isolation_level=None,
        check_same_thread=False,
        timeout=30,
        factory=factory,
    )
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA busy_timeout=30000")
    conn.execute("PRAGMA foreign_keys=ON")
    return conn


def open_migrated(path: Path) -> StateConnection:
    """A writable connection to the state file, its schema brought up to date; an existing
    file is copied first when its schema is about to change (daemon/ops/backup.py). Used by the
    daemon and by the commands that change the state file offline."""
    conn = connect_sync(path)
    try:
        before_migration(conn, path, SCHEMA_VERSION)
        before, after = migrate(conn, str(path))
    except BaseException:
        conn.close()
        raise
    if before != after:
        log.info("store.migrated", path=str(path), from_version=before, to_version=after)
    return conn


class Store:
    """Owns the state file. Create with :meth:`open`, run :meth:`serve` in a task group."""

    def __init__(
        self,
        path: Path,
        writer: StateConnection,
        reader: aiosqlite.Connection,
        hub: EventHub | None = None,
    ):
        self.path = path
        #: Where the events of committed writes go: the daemon's hub (supervisor.hub).
        self.hub = hub if hub is not None else EventHub()
        writer.hub = self.hub
        self._writer = writer
        self._reader = reader
        self._send, self._receive = anyio.create_memory_object_stream[_Op[Any]](math.inf)
        self._thread = anyio.CapacityLimiter(1)
        self._closed = False
        self.commits = 0
        self.writes = 0

    @classmethod
    async def open(cls, path: str | Path, *, hub: EventHub | None = None) -> Store:
        """Open (creating if needed) and migrate the state file. Raises SchemaTooNew, and
        StateUnusable naming the problem when the path cannot hold it (a read-only file or
        directory, not a database). ``hub`` receives the events of committed writes (None: a
        hub of the store's own)."""
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            writer = await anyio.to_thread.run_sync(open_migrated, path)
        except (OSError, sqlite3.Error) as exc:
            raise unusable(path, exc) from exc
        reader = await aiosqlite.connect(f"file:{path}?mode=ro", uri=True)
        reader.row_factory = sqlite3.Row
        await reader.execute("PRAGMA query_only=1")
        return cls(path, writer, reader, hub)

    async def serve(self, *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        """The writer loop. Runs until :meth:`close`; finishes the writes already queued.

        Raises :class:`StoreFailed` when the write connection fails underneath a transaction;
        every write queued then, or later, fails with it instead of waiting for ever."""
        task_status.started()
        async with self._receive:
            try:
                async for first in self._receive:
                    batch = [first]
                    while len(batch) < MAX_BATCH:
                        try:
                            batch.append(self._receive.receive_nowait())
                        except (anyio.WouldBlock, anyio.EndOfStream):
                            break
                    try:
                        await anyio.to_thread.run_sync(self._run_batch, batch, limiter=self._thread)
                    finally:
                        for op in batch:  # waiters are released whatever happened
                            if op.error is None and not op.committed:  # it never ran
                                op.error = StoreClosed("the state store's writer stopped")
                            op.done.set()
            except StoreFailed as exc:
                log.error(
                    "store.failed",
                    path=str(self.path),
                    error=str(exc.__cause__ or exc),
                    detail="nothing of the failed transaction was applied; the daemon stops."
                    " Free space on the state file's disk (or fix it), then start it again",
                )
                self._fail_queued(exc)
                raise
            except BaseException:
                self._fail_queued(StoreClosed("the state store's writer stopped"))
                raise

    def _fail_queued(self, error: BaseException) -> None:
        """Accept no more writes and fail the ones still queued with ``error``."""
        self.stop_writes()
        while True:
            try:
                op = self._receive.receive_nowait()
            except (anyio.WouldBlock, anyio.EndOfStream, anyio.ClosedResourceError):
                return
            op.error = error
            op.done.set()

    def _run_batch(self, batch: Sequence[_Op[Any]]) -> None:
        if not any(op.durable for op in batch):
            self._run_transaction(batch)
            return
        # A write that records a remote side effect: this transaction's COMMIT syncs the WAL.
        try:
            self._writer.execute("PRAGMA synchronous=FULL")
        except sqlite3.Error as exc:
            self._abandon(batch, exc)
        try:
            self._run_transaction(batch)
        finally:
            with contextlib.suppress(sqlite3.Error):
                self._writer.execute("PRAGMA synchronous=NORMAL")

    def _run_transaction(self, batch: Sequence[_Op[Any]]) -> None:
        conn = self._writer
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:  # busy or unreadable: nothing began, the batch fails alone
            for op in batch:
                op.error = exc
            return
        try:
            for op in batch:
                conn.execute("SAVEPOINT op")
                mark = self.hub.staged_mark()
                try:
                    op.result = op.fn(conn)
                except BaseException as exc:  # the caller gets it; the rest carries on
                    op.error = exc
                    conn.execute("ROLLBACK TO op")
                    self.hub.discard_staged(mark)
                conn.execute("RELEASE op")
        except sqlite3.Error as exc:
            # The transaction's own statements failed (disk full, I/O error): what the batch
            # did so far cannot be trusted to be whole, so none of it is kept.
            self._abandon(batch, exc)
        try:
            conn.execute("COMMIT")
        except sqlite3.IntegrityError as exc:  # a deferred constraint: the data, not the file
            try:
                conn.execute("ROLLBACK")
            except sqlite3.Error:
                self._abandon(batch, exc)
            self.hub.discard_staged()
            for op in batch:
                if op.error is None:
                    op.error = exc
            return
        except sqlite3.Error as exc:  # disk full, I/O error: nothing was committed
            self._abandon(batch, exc)
        for op in batch:
            op.committed = op.error is None
        self.hub.release_staged()  # the sync log's events, now that they are true
        self.commits += 1
        self.writes += len(batch)

    def _abandon(self, batch: Sequence[_Op[Any]], cause: sqlite3.Error) -> NoReturn:
        """Roll the open transaction back (as far as the connection still can), fail every
        write of the batch, and raise StoreFailed naming ``cause``."""
        with contextlib.suppress(sqlite3.Error):
            if self._writer.in_transaction:
                self._writer.execute("ROLLBACK")
        self.hub.discard_staged()
        error = StoreFailed(f"{self.path}: the state file cannot be written: {cause}")
        error.__cause__ = cause
        for op in batch:
            op.result, op.error = None, error
        raise error

    async def write(self, fn: Callable[[sqlite3.Connection], T], *, durable: bool = False) -> T:
        """Run ``fn`` in the next write transaction; return once it is committed.

        Committed means it survives a crash of the daemon (WAL, ``synchronous=NORMAL``), but
        the last commits before a power loss or OS crash may be lost. With ``durable`` the
        transaction's COMMIT also syncs the WAL to disk (``synchronous=FULL``), so it survives
        those too: for the writes that record a remote side effect (an order or shipment
        posted, a customer or product created at sale time)."""
        if self._closed:
            raise StoreClosed("the state store is closed")
        op: _Op[T] = _Op(fn, durable=durable)
        self._send.send_nowait(op)
        with anyio.CancelScope(shield=True):
            # Once queued the write will happen; wait for its outcome even when cancelled, so
            # callers never mistake a committed write for a lost one.
            await op.done.wait()
        if op.error is not None:
            raise op.error
        return op.result  # type: ignore[no-any-return]

    async def fetchall(
        self, sql: str, params: Sequence[Any] | dict[str, Any] = ()
    ) -> list[sqlite3.Row]:
        """Run a read-only query on the reader connection."""
        async with self._reader.execute(sql, params) as cursor:
            return list(await cursor.fetchall())

    async def fetchone(
        self, sql: str, params: Sequence[Any] | dict[str, Any] = ()
    ) -> sqlite3.Row | None:
        async with self._reader.execute(sql, params) as cursor:
            row = await cursor.fetchone()
        return row

    def stop_writes(self) -> None:
        """Accept no more writes; :meth:`serve` returns once the queued ones are committed."""
        if not self._closed:
            self._closed = True
            self._send.close()

    async def aclose(self) -> None:
        self.stop_writes()
        self._receive.close()  # when serve() never ran, nobody else closes it
        await self._reader.close()
        await anyio.to_thread.run_sync(self._writer.close, limiter=self._thread)


def executemany(conn: sqlite3.Connection, sql: str, rows: Iterable[Sequence[Any]]) -> int:
    return conn.executemany(sql, rows).rowcount
