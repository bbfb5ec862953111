"""The connector registry: one entry per kind, and what the rest of the code finds through it."""

from __future__ import annotations

import importlib
import inspect

import pytest

from syncwright.connectors.base import KindSettings, OpenGate, SystemSpec
from syncwright.connectors.registry import (
    KINDS,
    ROLES,
    UnknownKind,
    build,
    embedded_server,
    kind,
    kinds_for,
    webhook_format,
)


@pytest.mark.parametrize("name", list(KINDS))
def test_every_entry_is_complete_and_its_targets_exist(name: str) -> None:
    entry = KINDS[name]
    assert entry.name == name
    assert entry.roles and entry.roles <= set(ROLES)
    assert issubclass(entry.settings, KindSettings) and entry.credentials
    # "module:attribute" targets are imported lazily: a typo would only show when first used.
    for target in (entry.factory, entry.embedded):
        if target is not None:
            module, _, attribute = target.partition(":")
            assert callable(getattr(importlib.import_module(module), attribute)), target
    if entry.embedded is not None:
        assert inspect.iscoroutinefunction(embedded_server(name))
    if entry.webhooks is not None:
        assert callable(getattr(webhook_format(name), "verify", None))


def test_an_unknown_kind_names_every_registered_one() -> None:
    with pytest.raises(UnknownKind) as info:
        kind("erpnext")
    message = str(info.value)
    assert "'erpnext'" in message
    assert all(name in message for name in KINDS)
    spec = SystemSpec("x", "erpnext", "http://127.0.0.1:9", KindSettings())
    with pytest.raises(UnknownKind, match="registered kinds: sandbox-erp, sandbox-shop"):
        build(spec, OpenGate())


def test_roles_use_one_vocabulary() -> None:
    assert kinds_for("source") == [
        "bigcommerce",
        "lightspeed-x",
        "rest",
        "sandbox-erp",
        "sql",
        "tryton",
        "unleashed",
        "xero",
    ]
    assert kinds_for("channel") == ["bigcommerce", "oscar", "sandbox-shop", "shopify", "sparklayer"]


def test_optional_parts_are_found_by_kind() -> None:
    assert webhook_format("shopify") is not None
    assert webhook_format("tryton") is None and webhook_format("nope") is None
    with pytest.raises(UnknownKind, match="'tryton' has no embedded server"):
        embedded_server("tryton")


def test_a_spec_refuses_a_bad_url_or_timeout() -> None:
    with pytest.raises(ValueError, match="system 'x': url must be an http"):
        SystemSpec("x", "tryton", "ftp://host", KindSettings())
    with pytest.raises(ValueError, match="system 'x': timeout must be a positive number"):
        SystemSpec("x", "tryton", "http://host", KindSettings(), timeout=0)
