"""One connection: its queues per class and state, running jobs, retries, cursors, its live
events (which job failed and why, which item's error came or went) and the latest finished
jobs."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Footer, Header, ProgressBar, Static

from syncwright.daemon.control.protocol import (
    CLASS_NAMES,
    JOB_VIEWS,
    JobRow,
    ProgressRow,
    QueueView,
    event_text,
)
from syncwright.tui.format import ago, clock, duration
from syncwright.tui.live import LiveScreen

#: Live events shown for the connection (the app keeps the latest few hundred of all).
LIVE_ROWS = 15


class ConnectionScreen(LiveScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("d", "plan", "Dry run"),
        Binding("i", "item", "Item"),
    ]

    def __init__(self, name: str) -> None:
        super().__init__(id="connection")
        self.connection = name

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(f"Connection {self.connection}", classes="title")
        yield Static(self.summary(), id="summary")
        yield ProgressBar(id="progress", show_eta=False)
        yield Static("", id="progress-text", markup=False)
        yield Static("", id="problem")
        with VerticalScroll():
            yield Static("Queues", classes="section")
            yield DataTable(id="queues", cursor_type="none")
            yield Static("Live events (newest first)", classes="section")
            yield DataTable(id="live", cursor_type="none")
            yield Static("Running and retrying", classes="section")
            yield DataTable(id="jobs", cursor_type="row")
            yield Static("Cursors", classes="section")
            yield DataTable(id="cursors", cursor_type="none")
            yield Static("Recent activity", classes="section")
            yield DataTable(id="recent", cursor_type="none")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.sw.selected = self.connection
        queues = self.query_one("#queues", DataTable)
        queues.add_columns("State", *(n.capitalize() for n in CLASS_NAMES))
        self.query_one("#jobs", DataTable).add_columns(
            "Job", "Kind", "Class", "State", "Flow", "Attempts", "Next run", "Last error"
        )
        self.query_one("#cursors", DataTable).add_columns("Flow", "Cursor", "Pass", "Updated")
        self.query_one("#recent", DataTable).add_columns("Job", "Kind", "Flow", "Finished")
        self.query_one("#live", DataTable).add_columns("Time", "Event", "What")
        super().on_mount()

    def action_plan(self) -> None:
        from syncwright.tui.plan import PlanScreen

        self.app.push_screen(PlanScreen(self.connection))

    def action_item(self) -> None:
        from syncwright.tui.item import AskItemModal, ItemScreen

        def chosen(item: str | None) -> None:
            if item is not None:
                self.app.push_screen(ItemScreen(self.connection, item))

        self.app.push_screen(AskItemModal(self.connection), chosen)

    def summary(self) -> str:
        """What the latest snapshot says of this connection."""
        snap = self.sw.snapshot
        row = (
            next((c for c in snap.connections if c.name == self.connection), None) if snap else None
        )
        if snap is None or row is None:
            return ""
        parts = [f"{row.state.replace('_', ' ')}"]
        if row.pause_reason:
            parts[0] += f" ({row.pause_reason})"
        parts.append(f"{row.source} -> {row.channel}")
        full = f"last full sync {ago(row.last_full_sync, snap.at)}"
        if row.full_running:  # a full sync of a paused connection waits: say so, and why
            stuck = row.state in ("paused", "auth_failed")
            full += f" (blocked: {row.state.replace('_', ' ')})" if stuck else " (running)"
        parts.append(full)
        parts.append(f"last partial {ago(row.last_partial_sync, snap.at)}")
        rotation = duration(row.ghost_rotation) if row.ghost_rotation else "n/a"
        parts.append(f"ghost sweep rotation {rotation}")
        parts.append(f"{row.open_errors} open errors")
        if row.last_error:
            parts.append(f"last error: {row.last_error}")
        return " · ".join(parts)

    def request(self) -> tuple[str, dict[str, Any]]:
        return "queue", {"connection": self.connection, "limit": 50}

    def show(self, result: dict[str, Any]) -> None:
        view = QueueView.model_validate(result)
        self.query_one("#summary", Static).update(self.summary())
        self.show_progress()
        queues = self.query_one("#queues", DataTable)
        queues.clear()
        for state in JOB_VIEWS:
            counts = view.jobs.get(state, [0] * len(CLASS_NAMES))
            queues.add_row(state, *(str(n) for n in counts))
        ages = [duration(a) if a is not None else "-" for a in view.oldest_ready_age]
        queues.add_row(Text("oldest ready", style="dim"), *ages)
        jobs = self.query_one("#jobs", DataTable)
        jobs.clear()
        for job in [*view.executing, *view.retrying]:
            jobs.add_row(*_job_cells(job, view.at))
        cursors = self.query_one("#cursors", DataTable)
        cursors.clear()
        for cur in view.cursors:
            cursors.add_row(
                cur.flow,
                cur.value or "-",
                f"in pass to {cur.pass_high or '-'}" if cur.in_pass else "idle",
                clock(cur.updated_at),
            )
        self.show_events()
        recent = self.query_one("#recent", DataTable)
        recent.clear()
        for job in view.recent[:20]:
            recent.add_row(str(job.id), job.kind, job.flow or "-", clock(job.finished_at))

    def show_progress(self) -> None:
        """Long work in progress (a full sync, a first change pass, a backlog): a bar for the
        first that knows its total (else indeterminate) and a line for each."""
        snap = self.sw.snapshot
        row = (
            next((c for c in snap.connections if c.name == self.connection), None) if snap else None
        )
        works: list[ProgressRow] = []
        if row is not None:
            works = list(row.work) or ([row.progress] if row.progress is not None else [])
        bar = self.query_one("#progress", ProgressBar)
        text = self.query_one("#progress-text", Static)
        bar.display = text.display = bool(works)
        if works:
            main = next((w for w in works if w.items_total), works[0])
            bar.update(total=main.items_total, progress=main.items_done)
            text.update("\n".join(progress_text(w) for w in works))

    def show_events(self) -> None:
        live = self.query_one("#live", DataTable)
        live.clear()
        mine = [e for e in reversed(self.sw.events) if e.connection == self.connection]
        for event in mine[:LIVE_ROWS]:
            what = event_text(event).split(" ", 2)[2:]  # without the connection and the name
            style = "red" if event.event in ("job.failed", "error.added") else ""
            name = Text(event.event, style=style)
            live.add_row(clock(event.at), name, (what[0] if what else "")[:160])


def progress_text(p: ProgressRow) -> str:
    """E.g. "Full sync 3 (products): 1200 of ~5000 items, 15 pages, 300/min, about 12m left
    (the budgets allow 60 calls/min)"; "First change pass (products): 800 items, 8 pages,
    200/min, total not known (the source does not say)"; "Backlog: 120 of 460 jobs done, 340
    left, 30/min, about 11m left"."""
    if p.kind == "backlog":
        left = (p.items_total or p.items_done) - p.items_done
        text = f"Backlog: {p.items_done} of {p.items_total} jobs done, {left} left"
        text += f", {p.rate_per_minute:.0f}/min"
    else:
        what = "First change pass" if p.kind == "first_pass" else f"Full sync {p.run}"
        of = f" of ~{p.items_total}" if p.items_total else ""
        text = f"{what} ({', '.join(p.flows)}): {p.items_done}{of} items"
        text += f", {p.pages_done} pages, {p.rate_per_minute:.0f}/min"
    if p.eta_seconds is not None:
        text += f", about {duration(p.eta_seconds)} left"
    elif not p.items_total:
        text += ", total not known (the source does not say)"
    if p.budget_calls_per_minute is not None:
        text += f" (the budgets allow {p.budget_calls_per_minute:g} calls/min)"
    return text


def _job_cells(job: JobRow, now: float) -> tuple[str | Text, ...]:
    progress = ""
    if job.progress:
        progress = " " + ", ".join(f"{k}={v}" for k, v in list(job.progress.items())[:3])
    when = "now" if job.view == "leased" else f"in {duration(job.run_at - now)}"
    return (
        str(job.id),
        job.kind,
        CLASS_NAMES[job.cls],
        job.view + progress,
        job.flow or "-",
        str(job.attempts),
        when,
        Text((job.last_error or "")[:80], style="red"),
    )
