"""The control protocol's messages: newline-delimited JSON over the daemon's Unix socket.

The daemon speaks first with a :class:`Hello` naming its protocol version; a client that does
not speak that version hangs up. Then the client sends :class:`Request` lines, each with an id
that the :class:`Reply` echoes; a reply is ``ok`` with a result, or an error with a stable
numeric :class:`ErrorCode` and a reason. After ``subscribe`` the daemon also sends
:class:`SnapshotMessage` and :class:`EventMessage` lines. docs/control-protocol.md is the
reference; this module is the one both sides (daemon, CLI, TUI) import.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from enum import IntEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, TypeAdapter

PROTOCOL_VERSION = 1
#: The versions this build's clients accept.
SUPPORTED_VERSIONS = frozenset({1})
#: The longest request line the daemon reads; a longer one closes the connection.
MAX_REQUEST_LINE = 64 * 1024
#: The longest line a client reads (snapshots of 1,000 connections stay well under this).
MAX_REPLY_LINE = 8 * 1024 * 1024
#: Job classes by number, as the snapshot's per-class lists are ordered.
CLASS_NAMES = ("sale", "manual", "recent", "ghost", "full")
#: Queue views in the snapshot and queue results.
JOB_VIEWS = ("ready", "scheduled", "retrying", "leased", "dead")


class ErrorCode(IntEnum):
    """Stable error codes: 1xxx the request itself, 2xxx what it asked for, 5xxx the daemon."""

    BAD_JSON = 1001
    BAD_REQUEST = 1002
    UNKNOWN_COMMAND = 1003
    LINE_TOO_LONG = 1004
    TOO_MANY_CLIENTS = 1005
    UNKNOWN_CONNECTION = 2001
    NOT_FOUND = 2002
    CONFLICT = 2003
    UNAVAILABLE = 2004
    #: The connection is paused or its authentication failed: work asked of it would not run.
    PAUSED = 2005
    INTERNAL = 5000


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- envelopes ---------------------------------------------------------------------------------

RequestId = StrictInt | Annotated[StrictStr, Field(max_length=128)]


class Hello(_Message):
    type: Literal["hello"] = "hello"
    protocol: int
    daemon: str
    pid: int


class Request(_Message):
    id: RequestId
    cmd: Annotated[StrictStr, Field(max_length=64)]
    args: dict[str, Any] = Field(default_factory=dict)


class ErrorInfo(_Message):
    code: int
    reason: str


class Reply(_Message):
    type: Literal["reply"] = "reply"
    id: RequestId | None
    ok: bool
    result: dict[str, Any] | None = None
    error: ErrorInfo | None = None


class WindowRow(_Message):
    name: str
    used: float
    limit: float
    resets_at: float | None


class BudgetRow(_Message):
    system: str
    blocked_until: float | None
    block_reason: str | None
    allowed_classes: list[int]
    windows: list[WindowRow]


class ProgressRow(_Message):
    """A long piece of work in progress (daemon/ops/progress.py, work.py): kind "full" (a full
    sync's items and pages), "first_pass" (a flow's first change pass: items and pages, no
    total) or "backlog" (queued jobs: done, total = done + left); the total when known, the
    rate, and the time left at the budgets' pace."""

    kind: str
    run: int
    flows: list[str]
    started_at: float
    items_done: int
    pages_done: int
    items_total: int | None = None
    total_from: str | None = None
    rate_per_minute: float
    budget_calls_per_minute: float | None = None
    eta_seconds: float | None = None
    #: What items_done counts: "items", or "jobs" for a backlog (kind "backlog").
    unit: str = "items"


class ConnectionRow(_Message):
    """One connection in a snapshot: small, so 1,000 of them stay far below a megabyte."""

    name: str
    source: str
    channel: str
    #: starting, running, paused, auth_failed, backing_off, stopping, stopped
    state: str
    pause_reason: str | None = None
    #: view (JOB_VIEWS) -> jobs per class, five numbers ordered as CLASS_NAMES.
    jobs: dict[str, list[int]]
    running: int
    oldest_ready_age: float | None
    last_full_sync: float | None
    last_partial_sync: float | None
    full_running: bool
    open_errors: int
    jobs_done: int
    jobs_failed: int
    restarts: int
    last_error: str | None = None
    #: Seconds for the ghost sweep to re-verify every linked item once (None: no links yet).
    ghost_rotation: float | None = None
    #: Worst-case seconds to notice a product deleted by absence (None: nothing would), and
    #: by what (daemon/flows/deletions.py).
    deletion_bound: float | None = None
    deletion_check: str = ""
    #: A full sync in progress (None: none running).
    progress: ProgressRow | None = None
    #: Every long piece of work in progress: the full sync (as ``progress``), first change
    #: passes and a backlog (empty: none).
    work: list[ProgressRow] = Field(default_factory=list)


class Snapshot(_Message):
    at: float
    daemon: str
    pid: int
    started_at: float
    connections: list[ConnectionRow]
    budgets: list[BudgetRow]
    #: When the last config reload was refused and why (None: the last reload worked, or
    #: none was asked); the daemon still runs on the config it loaded before.
    reload_rejected_at: float | None = None
    reload_rejected: str | None = None
    #: Ways the schedules cannot be served by the budgets (the planner's warnings at start-up
    #: or the last reload; empty: they fit).
    plan_warnings: list[str] = Field(default_factory=list)


class SnapshotMessage(_Message):
    type: Literal["snapshot"] = "snapshot"
    seq: int
    data: Snapshot


class EventMessage(_Message):
    """Something happened in the daemon: one detailed event, or (``count`` > 1) a summarised
    burst. The fields after ``detail`` are sent only to clients that subscribed with
    ``detail: true`` (protocol 1 clients that do not know them never see them); unknown fields
    are ignored so later additions do not break a client."""

    model_config = ConfigDict(extra="ignore")

    type: Literal["event"] = "event"
    #: job.done, job.failed, job.waiting (a budget wait, not a failure: detail names the
    #: window, until says when it frees), error.added, error.resolved, budget.blocked,
    #: budget.unblocked, connection.paused, connection.resumed, connection.state, events.dropped
    event: str
    at: float
    connection: str | None = None
    system: str | None = None
    count: int = 1
    #: The error text of a failed job or an item's error, a block's or pause's reason, a state.
    detail: str | None = None
    job: int | None = None
    kind: str | None = None
    cls: int | None = None
    flow: str | None = None
    #: The item's external id (sync-log errors).
    item: str | None = None
    #: A block's end; when a failed job runs again (None: never, or not known).
    until: float | None = None
    #: What happens to a failed job: retry, pause or dead; wait for a job.waiting.
    action: str | None = None
    #: True for the count of a burst's events beyond the per-client limit (no details).
    summary: bool = False


def event_text(event: EventMessage) -> str:
    """One line for an operator, without the time: ``demo job.failed #12 sync_item ...``."""
    parts = [event.connection or event.system or "daemon", event.event]
    if event.summary or event.count > 1:
        parts.append(f"x{event.count}" + (" more (summarised)" if event.summary else ""))
    if event.job is not None:
        parts.append(f"job {event.job}")
    if event.kind:
        known = event.cls is not None and 0 <= event.cls < len(CLASS_NAMES)
        cls = CLASS_NAMES[event.cls] if known and event.cls is not None else None
        parts.append(event.kind + (f" ({cls})" if cls else ""))
    if event.flow:
        parts.append(event.flow + (f" {event.item}" if event.item else ""))
    elif event.item:
        parts.append(event.item)
    if event.action:
        parts.append(f"[{event.action}]")
    if event.detail:
        parts.append(f"- {' '.join(event.detail.split())[:300]}")
    if event.until is not None:
        stamp = datetime.fromtimestamp(event.until, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        parts.append(f"until {stamp}")
    return " ".join(parts)


#: The fields a subscriber without ``detail`` receives (the first protocol 1 shape).
PLAIN_EVENT_FIELDS = frozenset({"type", "event", "at", "connection", "system", "count", "detail"})


ServerMessage = Annotated[
    Hello | Reply | SnapshotMessage | EventMessage, Field(discriminator="type")
]
_SERVER = TypeAdapter(ServerMessage)


# -- results -----------------------------------------------------------------------------------


class JobRow(_Message):
    id: int
    kind: str
    cls: int
    view: str
    flow: str | None
    run_at: float
    enqueued_at: float
    attempts: int
    last_error: str | None
    progress: dict[str, Any] | None = None
    finished_at: float | None = None


class CursorRow(_Message):
    flow: str
    value: str | None
    in_pass: bool
    pass_high: str | None
    updated_at: float


class QueueView(_Message):
    connection: str
    at: float
    jobs: dict[str, list[int]]
    oldest_ready_age: list[float | None]
    executing: list[JobRow]
    retrying: list[JobRow]
    dead: list[JobRow]
    recent: list[JobRow]
    cursors: list[CursorRow]


class WindowDetail(WindowRow):
    mode: str
    timezone: str
    remaining: float
    #: class name -> share of the limit the class must leave unspent.
    reserve: dict[str, float]
    #: When the window runs out at the current burn rate (None: it lasts until it resets).
    runs_out_at: float | None


class BudgetDetail(_Message):
    system: str
    blocked_until: float | None
    block_reason: str | None
    last_headers: dict[str, str]
    allowed_classes: list[int]
    connections: list[str]
    windows: list[WindowDetail]


class LinkRow(_Message):
    """An item's id in the back office and in the channel."""

    entity: str
    source_id: str
    channel_id: str


class LinkChoiceRow(_Message):
    back_office_ids: list[str]
    channel_id: str | None = None


class ErrorRow(_Message):
    connection: str
    flow: str
    external_id: str
    message: str
    first_seen: float
    last_seen: float
    #: The links whose back-office or channel id is this item's id (empty: none yet).
    links: list[LinkRow] = Field(default_factory=list)
    #: A customer ambiguity a person may settle (daemon/flows/link_choice.py): the back-office
    #: customers to pick from and the channel customer (null: not named; ask for it).
    link_choice: LinkChoiceRow | None = None


class ErrorsPage(_Message):
    total: int
    offset: int
    limit: int
    rows: list[ErrorRow]


# -- encoding ----------------------------------------------------------------------------------


def encode(message: BaseModel) -> bytes:
    """One protocol line."""
    return message.model_dump_json(exclude_none=False).encode() + b"\n"


def request_line(request_id: int | str, cmd: str, args: dict[str, Any] | None = None) -> bytes:
    return Request(id=request_id, cmd=cmd, args=args or {}).model_dump_json().encode() + b"\n"


def parse_server_line(line: bytes | str) -> Hello | Reply | SnapshotMessage | EventMessage:
    """A line from the daemon; raises ValueError when it is not one."""
    try:
        return _SERVER.validate_python(json.loads(line))
    except ValueError as exc:  # json.JSONDecodeError and ValidationError are ValueErrors
        raise ValueError(f"not a control protocol message: {exc}") from exc


def error_reply(request_id: int | str | None, code: ErrorCode, reason: str) -> Reply:
    return Reply(id=request_id, ok=False, error=ErrorInfo(code=int(code), reason=reason))


def ok_reply(request_id: int | str | None, result: dict[str, Any]) -> Reply:
    return Reply(id=request_id, ok=True, result=result)


class ControlError(Exception):
    """A command refused: becomes an error reply with ``code``."""

    def __init__(self, code: ErrorCode, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason
