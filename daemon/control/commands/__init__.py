"""The control commands, one module each (its docstring is the wire documentation), and the
registry the server dispatches on."""

from __future__ import annotations

from types import ModuleType

from syncwright.daemon.control.commands import (
    budgets,
    connections,
    errors,
    forget,
    item,
    link,
    pause,
    plan,
    queue,
    resume,
    resync,
    retry,
    smart_sync,
    status,
    subscribe,
    sync_item,
    unsubscribe,
)
from syncwright.daemon.control.commands.base import Call, Command


def _command(name: str, module: ModuleType) -> Command:
    return Command(name, module.Args, module.run, (module.__doc__ or "").strip())


COMMANDS: dict[str, Command] = {
    name: _command(name, module)
    for name, module in {
        "status": status,
        "connections": connections,
        "queue": queue,
        "budgets": budgets,
        "errors": errors,
        "item": item,
        "sync_item": sync_item,
        "smart_sync": smart_sync,
        "resync": resync,
        "pause": pause,
        "resume": resume,
        "retry": retry,
        "forget": forget,
        "link": link,
        "plan": plan,
        "subscribe": subscribe,
        "unsubscribe": unsubscribe,
    }.items()
}

__all__ = ["COMMANDS", "Call", "Command"]
