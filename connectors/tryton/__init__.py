"""Tryton ERP (8.x JSON-RPC) as a back office: see client.py for its settings."""

from __future__ import annotations

from syncwright.connectors.base import CallGate, SystemSpec
from syncwright.connectors.tryton.client import TrytonErp

__all__ = ["TrytonErp", "build"]


def build(spec: SystemSpec, gate: CallGate) -> TrytonErp:
    return TrytonErp(spec, gate)
