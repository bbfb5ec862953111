"""Flows: what each kind of job does. ``HANDLERS`` maps a job kind to its handler."""

from __future__ import annotations

from daemon.flows.context import FlowContext, FlowSettings, Handler
from daemon.flows.pull import pull_page, pull_spec, stock_waiting

HANDLERS: dict[str, Handler] = {
    "pull": pull_page,
    "stock_waiting": stock_waiting,
}

__all__ = ["HANDLERS", "FlowContext", "FlowSettings", "Handler", "pull_spec"]
