"""The Syncwright terminal UI. One long worker keeps the link to the daemon (connect,
subscribe, reconnect after a restart) and posts typed messages; the screens only react to
those messages and send requests through :meth:`SyncwrightApp.request`."""

from __future__ import annotations

import asyncio
from collections import deque
from pathlib import Path
from typing import Any, ClassVar, Protocol

from textual.app import App
from textual.binding import Binding, BindingType

from syncwright.daemon.control.protocol import EventMessage, Snapshot
from syncwright.tui.budgets import BudgetsScreen
from syncwright.tui.client import CommandError, ControlClient, LinkError
from syncwright.tui.connection import ConnectionScreen
from syncwright.tui.deadjobs import DeadJobsScreen
from syncwright.tui.errors import ErrorsScreen
from syncwright.tui.messages import EventArrived, LinkDown, LinkUp, SnapshotArrived
from syncwright.tui.modals import ConfirmModal, HelpModal, SyncItemModal
from syncwright.tui.overview import OverviewScreen

#: Reconnect backoff: from the first to the longest wait between attempts.
RETRY_FIRST, RETRY_MAX = 0.5, 5.0
#: How long an item sync waits for its outcome before saying it is queued.
SYNC_WAIT = 15.0
#: Detailed events the UI keeps for the connection screens.
RECENT_EVENTS = 500


class Link(Protocol):
    async def call(self, cmd: str, **args: Any) -> dict[str, Any]: ...


class SyncwrightApp(App[None]):
    TITLE = "Syncwright"
    CSS_PATH = "app.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        # Short labels: the whole footer fits an 80-column terminal.
        Binding("s", "sync_item", "Sync"),
        Binding("F", "full_resync", "Resync"),
        Binding("p", "toggle_pause", "Pause"),
        Binding("r", "dead_jobs", "Dead"),
        Binding("e", "errors", "Errors"),
        Binding("b", "budgets", "Budgets"),
        Binding("slash", "filter", "Find"),
        Binding("question_mark", "help", "Help"),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(self, socket_path: Path | None) -> None:
        super().__init__()
        self.socket_path = socket_path
        self.link: Link | None = None
        self.snapshot: Snapshot | None = None
        self.selected: str | None = None
        self.overview = OverviewScreen()
        #: The latest detailed events, newest last (the connection screen's live events).
        self.events: deque[EventMessage] = deque(maxlen=RECENT_EVENTS)

    def on_mount(self) -> None:
        self.push_screen(self.overview)
        if self.socket_path is not None:
            self.run_worker(self._keep_link(self.socket_path), group="link", exclusive=True)

    # -- the link --------------------------------------------------------------------------

    async def _keep_link(self, path: Path) -> None:
        wait = RETRY_FIRST
        while True:
            try:
                client = await ControlClient.connect(path)
            except LinkError as exc:
                self.post_message(LinkDown(str(exc)))
                await asyncio.sleep(wait)
                wait = min(wait * 2, RETRY_MAX)
                continue
            wait = RETRY_FIRST
            try:
                await client.call("subscribe", detail=True)
                assert client.hello is not None
                self.link = client
                self.post_message(LinkUp(client.hello.daemon, client.hello.pid))
                async for message in client.stream():
                    if message.type == "snapshot":
                        self.post_message(SnapshotArrived(message.data))
                    else:
                        self.post_message(EventArrived(message))
            except (LinkError, CommandError) as exc:
                self.post_message(LinkDown(str(exc)))
            except Exception as exc:  # never let the link worker die: say so, then reconnect
                self.post_message(LinkDown(f"unexpected {type(exc).__name__}: {exc}"))
            finally:
                self.link = None
                await client.close()
            await asyncio.sleep(wait)

    async def request(self, cmd: str, **args: Any) -> dict[str, Any]:
        if self.link is None:
            raise LinkError("disconnected from the daemon; reconnecting")
        return await self.link.call(cmd, **args)

    def on_snapshot_arrived(self, message: SnapshotArrived) -> None:
        self.snapshot = message.snapshot
        self.overview.show(message.snapshot)

    def on_link_up(self, message: LinkUp) -> None:
        self.sub_title = f"daemon {message.daemon}, pid {message.pid}"
        self.overview.set_link_status(
            f"connected to the daemon (version {message.daemon}, pid {message.pid})", down=False
        )

    def on_link_down(self, message: LinkDown) -> None:
        self.sub_title = "disconnected"
        self.overview.set_link_status(
            f"DISCONNECTED: {message.reason}. Reconnecting by itself…", down=True
        )

    def on_event_arrived(self, message: EventArrived) -> None:
        event = message.event
        self.events.append(event)
        if event.event == "budget.blocked":
            self.notify(f"budget {event.system} blocked: {event.detail}", severity="warning")
        elif event.event == "budget.unblocked":
            self.notify(f"budget {event.system} unblocked")
        elif event.event == "connection.state":
            self.notify(f"{event.connection}: {event.detail}")

    # -- actions ---------------------------------------------------------------------------

    def selected_connection(self) -> str | None:
        screen = self.screen
        if isinstance(screen, ConnectionScreen | DeadJobsScreen):
            return screen.connection
        if isinstance(screen, OverviewScreen):
            self.selected = screen.selected()
        return self.selected

    def _need_connection(self) -> str | None:
        name = self.selected_connection()
        if name is None:
            self.notify("no connection selected", severity="warning")
        return name

    def send(self, cmd: str, **args: Any) -> None:
        """Run a request in a worker (the UI never waits on the daemon); notify the outcome."""

        async def go() -> None:
            try:
                result = await self.request(cmd, **args)
            except (LinkError, CommandError) as exc:
                self.notify(str(exc), severity="error", timeout=8)
                return
            failed = result.get("state") in ("dead", "not_found")
            self.notify(
                result.get("message", "done"), severity="error" if failed else "information"
            )

        self.run_worker(go(), group="actions")

    def action_sync_item(self) -> None:
        name = self._need_connection()
        if name is None:
            return

        def chosen(answer: tuple[str, str] | None) -> None:
            if answer is not None:
                flow, item = answer
                self.notify(f"syncing {flow} {item!r} of {name}…")
                self.send("sync_item", connection=name, flow=flow, id=item, wait=SYNC_WAIT)

        self.push_screen(SyncItemModal(name), chosen)

    def action_full_resync(self) -> None:
        name = self._need_connection()
        if name is None:
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.send("resync", connection=name)

        question = f"Start a full resync of {name}? Every item is listed and compared again."
        self.push_screen(ConfirmModal(question), confirmed)

    def action_toggle_pause(self) -> None:
        name = self._need_connection()
        if name is None:
            return
        rows = {c.name: c for c in self.snapshot.connections} if self.snapshot else {}
        row = rows.get(name)
        paused = row is not None and row.state in ("paused", "auth_failed")
        self.send("resume" if paused else "pause", connection=name)

    def action_dead_jobs(self) -> None:
        name = self._need_connection()
        if name is not None and not isinstance(self.screen, DeadJobsScreen):
            self.push_screen(DeadJobsScreen(name))

    def action_errors(self) -> None:
        if not isinstance(self.screen, ErrorsScreen):
            self.push_screen(ErrorsScreen(self.selected_connection()))

    def action_budgets(self) -> None:
        if not isinstance(self.screen, BudgetsScreen):
            self.push_screen(BudgetsScreen())

    def action_filter(self) -> None:
        screen = self.screen
        if isinstance(screen, OverviewScreen):
            screen.start_filter()
        elif isinstance(screen, ErrorsScreen):
            screen.action_search()

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpModal):
            self.push_screen(HelpModal())


def run_app(socket_path: Path) -> None:
    SyncwrightApp(socket_path).run()
