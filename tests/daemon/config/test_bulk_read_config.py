"""The connection's bulk_read_threshold: its default, its check, and how it reaches the flows."""

from __future__ import annotations

from pathlib import Path

import pytest

from syncwright.daemon.config.errors import ConfigError
from syncwright.daemon.config.load import load_config
from syncwright.daemon.runtime import actor_settings

CONFIG = """\
[daemon]
state_file = "{state}"

[sandbox]
enabled = false

[systems.erp]
kind = "sandbox-erp"
url = "http://127.0.0.1:9"
credentials = {{ api_key = {{ env = "SW_TEST_KEY" }} }}

[systems.shop]
kind = "sandbox-shop"
url = "http://127.0.0.1:9"
credentials = {{ api_key = {{ env = "SW_TEST_KEY" }} }}

[connections.demo]
source = "erp"
channel = "shop"
flows = ["products"]
{extra}
"""


def write(tmp_path: Path, extra: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(CONFIG.format(state=tmp_path / "s.db", extra=extra))
    return path


def test_default_and_explicit_threshold_reach_the_flow_settings(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, ""))
    assert config.connections["demo"].bulk_read_threshold == 2000
    config = load_config(write(tmp_path, "bulk_read_threshold = 0"))
    settings = actor_settings(config, "demo", {"erp": {"api_key": "k"}, "shop": {"api_key": "k"}})
    assert settings.flow.bulk_read_threshold == 0


def test_a_negative_threshold_is_a_clear_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="bulk_read_threshold"):
        load_config(write(tmp_path, "bulk_read_threshold = -5"))
