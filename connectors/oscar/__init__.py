"""Django Oscar (django-oscar-api admin API) as a sales channel: see client.py."""

from __future__ import annotations

from connectors.base import CallGate, SystemSpec
from connectors.oscar.client import OscarShop

__all__ = ["OscarShop", "build"]


def build(spec: SystemSpec, gate: CallGate) -> OscarShop:
    return OscarShop(spec, gate)
