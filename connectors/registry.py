"""Which connector serves which system kind, and in which role; builds connectors lazily.

Imports are lazy so that a daemon configured only for the sandbox never imports, say, the
Shopify client and its dependencies.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Literal

from syncwright.connectors.base import CallGate, Connector, SystemSpec

Role = Literal["source", "channel"]


@dataclass(frozen=True, slots=True)
class Kind:
    name: str
    role: Role
    factory: str  # "module:function"


KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind("sandbox-erp", "source", "syncwright.connectors.sandbox.clients.build:build_erp"),
        Kind("sandbox-shop", "channel", "syncwright.connectors.sandbox.clients.build:build_shop"),
        Kind("tryton", "source", "syncwright.connectors.tryton:build"),
        Kind("oscar", "channel", "syncwright.connectors.oscar:build"),
        Kind("shopify", "channel", "syncwright.connectors.shopify.connector:build"),
    )
}


class UnknownKind(ValueError):
    pass


def role_of(kind: str) -> Role:
    try:
        return KINDS[kind].role
    except KeyError:
        raise UnknownKind(
            f"unknown system kind {kind!r}; known: {', '.join(sorted(KINDS))}"
        ) from None


def build(spec: SystemSpec, gate: CallGate) -> Connector:
    """Create the connector for ``spec.kind``, spending through ``gate``."""
    try:
        kind = KINDS[spec.kind]
    except KeyError:
        raise UnknownKind(f"unknown system kind {spec.kind!r}") from None
    module_name, _, func_name = kind.factory.partition(":")
    factory = getattr(importlib.import_module(module_name), func_name)
    connector: Connector = factory(spec, gate)
    return connector
