"""Django Oscar (django-oscar-api admin API) as a sales channel: see client.py."""

from __future__ import annotations

from syncwright.connectors.base import CallGate, SystemSpec
from syncwright.connectors.oscar.client import OscarShop

__all__ = ["OscarShop", "build"]


def build(spec: SystemSpec, gate: CallGate) -> OscarShop:
    return OscarShop(spec, gate)
