"""The shopify system kind and the [webhooks] section in config.toml."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from harness import ROOT

from syncwright.connectors.base import OpenGate, SystemSpec
from syncwright.connectors.shopify.connector import ShopifyChannel
from syncwright.connectors.shopify.settings import ShopifySettings
from syncwright.connectors.shopify.versions import UnsupportedVersion
from syncwright.daemon.config.errors import ConfigError
from syncwright.daemon.config.load import load_config

SYSTEM = """
[systems.shop]
kind = "shopify"
url = "https://example.myshopify.com"
credentials.access_token = {{ env = "T" }}
credentials.client_secret = {{ env = "S" }}
[systems.shop.settings]
api_version = "{version}"
"""


def test_an_unsupported_api_version_is_a_clear_config_error(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(SYSTEM.format(version="2024-01"))
    with pytest.raises(ConfigError) as info:
        load_config(path)
    text = str(info.value)
    assert "systems.shop.settings.api_version" in text
    assert "'2024-01' is not supported" in text and "2025-10, 2026-01, 2026-04" in text
    path.write_text(SYSTEM.format(version="2026-04"))
    assert load_config(path).systems["shop"].kind == "shopify"


def test_missing_credentials_are_named(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        SYSTEM.format(version="2026-01").replace('credentials.client_secret = { env = "S" }\n', "")
    )
    with pytest.raises(ConfigError, match="missing credential 'client_secret'"):
        load_config(path)


def test_the_connector_refuses_an_unsupported_version_too() -> None:
    # Settings built without validation (the model would refuse the version first).
    settings = ShopifySettings.model_construct(api_version="2023-07")
    spec = SystemSpec("s", "shopify", "http://127.0.0.1:9", settings, {"access_token": "t"})
    with pytest.raises(UnsupportedVersion, match="2023-07"):
        ShopifyChannel(spec, OpenGate())


def test_the_commented_example_in_config_toml_is_valid(tmp_path: Path) -> None:
    shipped = (ROOT / "config.toml").read_text()
    start = shipped.index("# --- Shopify and webhooks")
    end = shipped.find("\n# --- ", start + 1)  # the next kind's example, if any
    block = shipped[start : end if end > 0 else None]
    toml = re.compile(r"^# (\[[a-z_.]+\]|[a-z_.]+ = .*)$")
    lines = [m.group(1) for m in map(toml.match, block.splitlines()) if m]
    assert any(line == "[webhooks]" for line in lines) and any("kind = " in line for line in lines)
    path = tmp_path / "config.toml"
    path.write_text(
        shipped.replace('state_file = "var/state.db"', f'state_file = "{tmp_path}/s.db"')
        + "\n"
        + "\n".join(lines)
        + "\n"
    )
    config = load_config(path)
    assert config.systems["shopify"].kind == "shopify"
    assert config.webhooks.enabled and config.webhooks.listen == "127.0.0.1:8703"
    assert config.connections["shopify"].channel == "shopify"
