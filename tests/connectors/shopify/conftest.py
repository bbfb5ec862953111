"""Shopify tests: the published Admin schema is fetched (npm pack, cached outside git) first."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def _fetch_script() -> object:
    spec = importlib.util.spec_from_file_location(
        "fetch_shopify_schema", ROOT / "scripts" / "fetch_shopify_schema.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session", autouse=True)
def shopify_schema() -> Path:
    """Make sure the schemas are in the cache (runs ``npm pack`` the first time)."""
    module = _fetch_script()
    try:
        folder: Path = module.ensure_schemas()  # type: ignore[attr-defined]
    except SystemExit as exc:  # the script's clear message, as a test failure
        pytest.fail(f"cannot fetch the Shopify schema: {exc}")
    return folder
