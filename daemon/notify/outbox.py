"""E-mail digests: an outbox of notifications, and the task that mails what is unsent.

A notification row is written in the transaction that records its cause (an order job gone
dead, a customer that matches two accounts), so it exists exactly when the problem does, even
across a crash. Every digest interval the :class:`Notifier` gathers the unsent rows and sends
them as ONE mail per batch of up to ``MAX_PER_MAIL`` to the configured recipients. Rows are
marked sent only after the SMTP server accepted the mail; when the server is down they stay
unsent (``attempts`` and ``last_error`` record why) and go out with the next digest. Nothing is
lost; at worst a mail whose acceptance never reached us is sent twice.
"""

from __future__ import annotations

import socket
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from functools import partial

import anyio
import structlog
from anyio.abc import TaskStatus

from syncwright.daemon.clock import Clock, iso
from syncwright.daemon.config.notify import NotifyConfig, SmtpConfig
from syncwright.daemon.config.secrets import resolve_credential
from syncwright.daemon.logs.structured import Redactor
from syncwright.daemon.notify import smtp as notify_smtp
from syncwright.daemon.store.db import Store

log = structlog.get_logger("syncwright.notify")

MAX_PER_MAIL = 200
#: Mails per digest round at most; a bigger backlog goes out over the next rounds.
MAX_MAILS_PER_ROUND = 10
#: How long a stopping daemon tries to send what is still unsent.
FINAL_FLUSH = 10.0

Send = Callable[[SmtpConfig, str | None, EmailMessage], list[str]]


def add(
    conn: sqlite3.Connection,
    connection: str,
    kind: str,
    subject: str,
    body: str,
    now: float,
) -> int:
    """Put a notification in the outbox, inside the caller's transaction; returns its id."""
    cur = conn.execute(
        "INSERT INTO notifications (connection, kind, subject, body, created_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (connection, kind, subject[:300], body[:10_000], now),
    )
    return cur.lastrowid or 0


@dataclass(frozen=True, slots=True)
class Notification:
    id: int
    connection: str
    kind: str
    subject: str
    body: str
    created_at: float


async def unsent(store: Store, limit: int = MAX_PER_MAIL) -> list[Notification]:
    rows = await store.fetchall(
        "SELECT id, connection, kind, subject, body, created_at FROM notifications"
        " WHERE sent_at IS NULL ORDER BY created_at, id LIMIT ?",
        (limit,),
    )
    return [Notification(**dict(row)) for row in rows]


def compose(config: NotifyConfig, items: Sequence[Notification]) -> EmailMessage:
    """One digest mail listing ``items``, oldest first."""
    connections = sorted({n.connection for n in items})
    what = "problem needs" if len(items) == 1 else "problems need"
    message = EmailMessage()
    message["Subject"] = (
        f"{config.subject_prefix} {len(items)} {what} attention ({', '.join(connections)})"
    ).strip()
    message["From"] = config.sender or ""
    message["To"] = ", ".join(config.to)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=socket.getfqdn() or None)
    lines = [
        f"Syncwright on {socket.gethostname()} found {len(items)} {what} a person's attention.",
        "The daemon has stopped retrying these by itself.",
        "",
    ]
    for number, item in enumerate(items, 1):
        lines += [
            f"{number}. [{item.connection}] {item.subject}",
            f"   at {iso(item.created_at)} ({item.kind})",
            *(f"   {line}" for line in item.body.splitlines()),
            "",
        ]
    lines += [
        "-- ",
        "Dead jobs keep their error history and can be retried once the cause is fixed",
        "(syncwright retry, or the terminal UI).",
    ]
    message.set_content("\n".join(lines))
    return message


class Notifier:
    """The supervisor-owned digest task. ``settings`` is read every round, so a reloaded
    config (new recipients, another server) applies without a restart."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        settings: Callable[[], NotifyConfig],
        *,
        send: Send = notify_smtp.send,
        redactor: Redactor | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.settings = settings
        self._send = send
        #: The daemon's redactor, told the SMTP password when it is read (None: nobody).
        self.redactor = redactor
        self.sent = 0
        self.failures = 0

    async def run(self, *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        """Every digest interval, mail what is unsent. Cancelled (the daemon stops), it tries
        once more for a few seconds, so a stop does not hold back an alert for a whole
        interval; what still cannot go out waits in the outbox for the next start."""
        task_status.started()
        try:
            while True:
                await self.clock.sleep(self.settings().digest_interval)
                await self.send_due()
        except anyio.get_cancelled_exc_class():
            with anyio.CancelScope(shield=True) as scope:
                scope.deadline = anyio.current_time() + FINAL_FLUSH
                await self.send_due()
            raise

    async def send_due(self) -> int:
        """Send the unsent notifications as digests; returns how many went out. Never raises
        for a mail problem: the rows stay unsent and the next round tries again."""
        config = self.settings()
        if not config.enabled:
            return 0
        total = 0
        for _ in range(MAX_MAILS_PER_ROUND):
            items = await unsent(self.store)
            if not items:
                break
            if not await self._deliver(config, items):
                break
            total += len(items)
            if len(items) < MAX_PER_MAIL:
                break
        return total

    async def _deliver(self, config: NotifyConfig, items: Sequence[Notification]) -> bool:
        ids = [n.id for n in items]
        try:
            password = self._password(config.smtp)
            message = compose(config, items)
            # A mail handed to the server must be recorded as sent, or the final flush of a
            # stopping daemon mails the same rows again: the send and its record are one
            # unit that a stop waits for (the SMTP timeout bounds the wait).
            with anyio.CancelScope(shield=True):
                refused = await anyio.to_thread.run_sync(
                    partial(self._send, config.smtp, password, message)
                )
                now = self.clock.now()
                await self.store.write(partial(_sent, ids, now))
        except Exception as exc:  # a mail problem must never stop the daemon
            error = f"{type(exc).__name__}: {exc}"
            self.failures += 1
            await self.store.write(partial(_failed, ids, error))
            log.warning(
                "notify.failed",
                error=error,
                unsent=len(ids),
                server=f"{config.smtp.host}:{config.smtp.effective_port}",
                retry_in=config.digest_interval,
            )
            return False
        self.sent += len(ids)
        if refused:
            log.warning("notify.refused", recipients=refused, notifications=len(ids))
        log.info("notify.sent", notifications=len(ids), to=list(config.to))
        return True

    def _password(self, smtp: SmtpConfig) -> str | None:
        if smtp.password is None:
            return None
        secret = resolve_credential(smtp.password, "notify.smtp.password")
        if self.redactor is not None:
            self.redactor.add(secret)
        return secret


def _sent(ids: Sequence[int], now: float, conn: sqlite3.Connection) -> None:
    conn.executemany(
        "UPDATE notifications SET sent_at = ?, attempts = attempts + 1 WHERE id = ?",
        [(now, i) for i in ids],
    )


def _failed(ids: Sequence[int], error: str, conn: sqlite3.Connection) -> None:
    conn.executemany(
        "UPDATE notifications SET attempts = attempts + 1, last_error = ? WHERE id = ?",
        [(error[:2000], i) for i in ids],
    )
