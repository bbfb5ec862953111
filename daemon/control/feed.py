"""Detailed events from the daemon's hub (daemon/events_bus.py) as protocol lines.

Each subscriber holds a hub :class:`~daemon.events_bus.Subscription` that limits and
summarises bursts; the publisher drains it once per snapshot interval. A client that subscribed
with ``detail: true`` gets every field; one that did not gets the first protocol 1 shape (event,
at, connection, system, count, detail), which the first CLI and TUI builds parse.
"""

from __future__ import annotations

from syncwright.daemon.control.protocol import PLAIN_EVENT_FIELDS, EventMessage
from syncwright.daemon.events_bus import Event


def message(event: Event) -> EventMessage:
    return EventMessage(
        event=event.event,
        at=event.at,
        connection=event.connection,
        system=event.system,
        count=event.count,
        detail=event.detail,
        job=event.job,
        kind=event.kind,
        cls=event.cls,
        flow=event.flow,
        item=event.item,
        until=event.until,
        action=event.action,
        summary=event.summary,
    )


def encode_event(event: EventMessage, *, detailed: bool) -> bytes:
    """One event line: detailed (unset fields left out), or in the plain shape."""
    if detailed:
        return event.model_dump_json(exclude_none=True, exclude_defaults=False).encode() + b"\n"
    return event.model_dump_json(include=set(PLAIN_EVENT_FIELDS)).encode() + b"\n"


class LineCache:
    """Encodes each hub event once per shape, however many clients receive it (the hub hands
    the same event object to every subscription)."""

    def __init__(self) -> None:
        self._lines: dict[tuple[Event, bool], bytes] = {}

    def line(self, event: Event, *, detailed: bool) -> bytes:
        key = (event, detailed)
        found = self._lines.get(key)
        if found is None:
            found = self._lines[key] = encode_event(message(event), detailed=detailed)
        return found
