"""The typed messages the link worker posts; widgets react to these only."""

from __future__ import annotations

from textual.message import Message

from syncwright.daemon.control.protocol import EventMessage, Snapshot


class SnapshotArrived(Message):
    """A new snapshot; an unprocessed older one is replaced, never queued behind it."""

    def __init__(self, snapshot: Snapshot) -> None:
        super().__init__()
        self.snapshot = snapshot

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, SnapshotArrived)


class EventArrived(Message):
    def __init__(self, event: EventMessage) -> None:
        super().__init__()
        self.event = event


class LinkUp(Message):
    def __init__(self, daemon: str, pid: int) -> None:
        super().__init__()
        self.daemon = daemon
        self.pid = pid


class LinkDown(Message):
    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason
