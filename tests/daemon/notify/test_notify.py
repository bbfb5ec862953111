"""E-mail digests against a real SMTP server on loopback (aiosmtpd): one mail per batch of
notifications, marked sent only once the server took it, nothing lost while it is down."""

from __future__ import annotations

import email
import io
import threading
from collections.abc import Iterator
from email.message import Message
from pathlib import Path
from typing import Any

import anyio
import pytest
from aiosmtpd.controller import Controller
from harness import async_wait_until, free_port
from structlog.testing import capture_logs

from syncwright.daemon.clock import FakeClock, SystemClock
from syncwright.daemon.config.notify import NotifyConfig
from syncwright.daemon.logs import structured as logs
from syncwright.daemon.notify import outbox as notify
from syncwright.daemon.store.db import Store


class Inbox:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self) -> None:
        self.envelopes: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    @property
    def messages(self) -> list[Message]:
        return [email.message_from_bytes(e.content) for e in self.envelopes]


def start_smtp(port: int) -> tuple[Controller, Inbox]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    return controller, inbox


@pytest.fixture
def smtp() -> Iterator[tuple[int, Inbox]]:
    port = free_port()
    controller, inbox = start_smtp(port)
    try:
        yield port, inbox
    finally:
        controller.stop()


def settings(port: int, **extra: Any) -> NotifyConfig:
    return NotifyConfig.model_validate(
        {
            "enabled": True,
            "from": "syncwright@example.com",
            "to": ["ops@example.com", "shop-owner@example.com"],
            "digest_interval": extra.pop("digest_interval", 900),
            "smtp": {"host": "127.0.0.1", "port": port, "security": "none", "timeout": 5},
            **extra,
        }
    )


async def add_rows(store: Store, clock: FakeClock, count: int) -> None:
    def write(conn: Any) -> None:
        for n in range(count):
            connection = "shop-eu" if n % 2 else "demo"
            notify.add(
                conn,
                connection,
                "order_failed",
                f"order so_{n} was not posted: customer 7 is unknown (HTTP 422)",
                f"details of order so_{n}\nsecond line",
                clock.now(),
            )
            clock.advance(1)

    await store.write(write)


async def rows(store: Store) -> list[dict[str, Any]]:
    return [dict(r) for r in await store.fetchall("SELECT * FROM notifications ORDER BY id")]


def run_with_store(tmp_path: Path, body: Any) -> None:
    async def main() -> None:
        store = await Store.open(tmp_path / "state.db")
        try:
            async with anyio.create_task_group() as tg:
                await tg.start(store.serve)
                await body(store)
                tg.cancel_scope.cancel()
        finally:
            await store.aclose()

    anyio.run(main)


def test_a_digest_groups_many_problems_into_one_mail(
    tmp_path: Path, smtp: tuple[int, Inbox]
) -> None:
    port, inbox = smtp
    clock = FakeClock()

    async def body(store: Store) -> None:
        await add_rows(store, clock, 7)
        notifier = notify.Notifier(store, clock, lambda: settings(port))
        assert await notifier.send_due() == 7
        assert all(r["sent_at"] == clock.now() for r in await rows(store))
        # Nothing left: the next round sends nothing.
        assert await notifier.send_due() == 0

    run_with_store(tmp_path, body)
    assert len(inbox.envelopes) == 1
    envelope = inbox.envelopes[0]
    assert envelope.rcpt_tos == ["ops@example.com", "shop-owner@example.com"]
    assert envelope.mail_from == "syncwright@example.com"
    (message,) = inbox.messages
    assert message["Subject"] == "[Syncwright] 7 problems need attention (demo, shop-eu)"
    text = message.get_payload(decode=True).decode()
    for n in range(7):
        assert f"order so_{n} was not posted" in text
        assert f"details of order so_{n}" in text
    assert text.index("so_0 ") < text.index("so_6 ")  # oldest first


def test_smtp_down_then_up_loses_nothing(tmp_path: Path) -> None:
    port = free_port()  # nothing listens here yet
    clock = FakeClock()
    holder: dict[str, Any] = {}

    async def body(store: Store) -> None:
        notifier = notify.Notifier(store, clock, lambda: settings(port))
        await add_rows(store, clock, 3)
        with capture_logs() as logs:
            assert await notifier.send_due() == 0
        failed = [e for e in logs if e["event"] == "notify.failed"]
        assert failed and failed[0]["unsent"] == 3
        assert f"127.0.0.1:{port}" == failed[0]["server"]
        down = await rows(store)
        assert all(r["sent_at"] is None and r["attempts"] == 1 for r in down)
        assert all("Connection" in r["last_error"] or "refused" in r["last_error"] for r in down)
        # More problems arrive while the server is down; a second round fails too.
        await add_rows(store, clock, 2)
        assert await notifier.send_due() == 0
        assert [r["attempts"] for r in await rows(store)] == [2, 2, 2, 1, 1]

        controller, inbox = await anyio.to_thread.run_sync(start_smtp, port)
        holder["inbox"] = inbox
        try:
            assert await notifier.send_due() == 5
        finally:
            await anyio.to_thread.run_sync(controller.stop)
        assert all(r["sent_at"] is not None for r in await rows(store))

    run_with_store(tmp_path, body)
    inbox: Inbox = holder["inbox"]
    assert len(inbox.envelopes) == 1
    text = inbox.messages[0].get_payload(decode=True).decode()
    assert all(f"order so_{n} was not posted" in text for n in range(2))


def test_a_large_backlog_goes_out_in_batches(tmp_path: Path, smtp: tuple[int, Inbox]) -> None:
    port, inbox = smtp
    clock = FakeClock()

    async def body(store: Store) -> None:
        await add_rows(store, clock, notify.MAX_PER_MAIL + 5)
        notifier = notify.Notifier(store, clock, lambda: settings(port))
        assert await notifier.send_due() == notify.MAX_PER_MAIL + 5

    run_with_store(tmp_path, body)
    assert len(inbox.envelopes) == 2
    assert inbox.messages[1]["Subject"].startswith("[Syncwright] 5 problems")


def test_the_task_mails_every_interval_and_flushes_when_stopped(
    tmp_path: Path, smtp: tuple[int, Inbox]
) -> None:
    port, inbox = smtp
    clock = FakeClock()

    async def body(store: Store) -> None:
        # Interval: sent by the running task (waits until the rows are recorded as sent,
        # not merely until the server has the mail).
        notifier = notify.Notifier(
            store, SystemClock(), lambda: settings(port, digest_interval=0.05)
        )
        async with anyio.create_task_group() as tg:
            await tg.start(notifier.run)
            await add_rows(store, clock, 2)
            await async_wait_until(
                lambda: notifier.sent == 2,
                timeout=10,
                interval=0.02,
                message="the running task sent no digest",
            )
            tg.cancel_scope.cancel()
        # A long interval: a stopping task still sends what is waiting.
        slow = notify.Notifier(store, SystemClock(), lambda: settings(port))
        async with anyio.create_task_group() as tg:
            await tg.start(slow.run)
            await add_rows(store, clock, 1)
            tg.cancel_scope.cancel()
        assert all(r["sent_at"] is not None for r in await rows(store))

    run_with_store(tmp_path, body)
    assert len(inbox.envelopes) == 2


def test_a_stop_during_a_send_does_not_mail_the_rows_twice(tmp_path: Path) -> None:
    """The daemon stops while the SMTP server is taking a digest: the final flush must not
    mail the same rows again (the send and its record are one unit)."""
    clock = FakeClock()
    mails: list[Any] = []
    sending = threading.Event()
    release = threading.Event()

    def slow_send(smtp_config: Any, password: str | None, message: Any) -> list[str]:
        mails.append(message)
        if len(mails) == 1:
            sending.set()
            release.wait(10)
        return []

    async def body(store: Store) -> None:
        await add_rows(store, clock, 2)
        notifier = notify.Notifier(
            store, clock, lambda: settings(1, digest_interval=1), send=slow_send
        )
        async with anyio.create_task_group() as tg:
            await tg.start(notifier.run)
            clock.advance(1)
            await async_wait_until(sending.is_set, timeout=10, message="no send started")
            tg.cancel_scope.cancel()
            release.set()
        assert all(r["sent_at"] is not None for r in await rows(store))

    run_with_store(tmp_path, body)
    assert len(mails) == 1


def test_a_disabled_notifier_sends_nothing_and_keeps_the_rows(
    tmp_path: Path, smtp: tuple[int, Inbox]
) -> None:
    port, inbox = smtp
    clock = FakeClock()
    off = settings(port).model_copy(update={"enabled": False})

    async def body(store: Store) -> None:
        await add_rows(store, clock, 2)
        assert await notify.Notifier(store, clock, lambda: off).send_due() == 0
        assert all(r["sent_at"] is None and r["attempts"] == 0 for r in await rows(store))

    run_with_store(tmp_path, body)
    assert inbox.envelopes == []


def test_login_password_comes_from_its_reference_and_is_never_logged(
    tmp_path: Path, smtp: tuple[int, Inbox], monkeypatch: pytest.MonkeyPatch
) -> None:
    port, _ = smtp
    clock = FakeClock()
    monkeypatch.setenv("SW_TEST_SMTP_PASSWORD", "smtp-pa55word-xyz")
    config = NotifyConfig.model_validate(
        {
            "enabled": True,
            "from": "syncwright@example.com",
            "to": ["ops@example.com"],
            "smtp": {
                "host": "127.0.0.1",
                "port": port,
                "security": "none",
                "username": "syncwright",
                "password": {"env": "SW_TEST_SMTP_PASSWORD"},
            },
        }
    )
    seen: list[tuple[str | None, str | None]] = []

    def fake_send(smtp_config: Any, password: str | None, message: Any) -> list[str]:
        seen.append((smtp_config.username, password))
        raise OSError(f"login as {smtp_config.username} with {password} failed")

    redactor = logs.Redactor()  # the daemon's (Supervisor.redactor)

    async def body(store: Store) -> None:
        await add_rows(store, clock, 1)
        notifier = notify.Notifier(store, clock, lambda: config, send=fake_send, redactor=redactor)
        assert await notifier.send_due() == 0

    out = io.StringIO()
    logs.configure("info", "json", stream=out, redactor=redactor)
    run_with_store(tmp_path, body)
    assert seen == [("syncwright", "smtp-pa55word-xyz")]
    assert '"notify.failed"' in out.getvalue()
    assert "smtp-pa55word-xyz" not in out.getvalue()
