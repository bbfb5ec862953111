"""The bigcommerce kind in config: its commented example in config.toml loads, as a channel
and as a source, and its settings refuse unknown keys."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from harness import ROOT

from syncwright.daemon.config.errors import ConfigError
from syncwright.daemon.config.load import load_config

TOML_LINE = re.compile(r"^# (\[[a-z0-9_.]+\]|[a-z_.]+ = .*)$")


def example_lines() -> list[str]:
    shipped = (ROOT / "config.toml").read_text()
    block = shipped[shipped.index("# --- BigCommerce") :]
    return [m.group(1) for m in map(TOML_LINE.match, block.splitlines()) if m]


def shipped_with(tmp_path: Path, extra: str) -> Path:
    shipped = (ROOT / "config.toml").read_text()
    path = tmp_path / "config.toml"
    path.write_text(
        shipped.replace('state_file = "var/state.db"', f'state_file = "{tmp_path}/s.db"')
        + "\n"
        + extra
        + "\n"
    )
    return path


def test_the_commented_example_loads_with_the_plan_limits(tmp_path: Path) -> None:
    lines = example_lines()
    config = load_config(shipped_with(tmp_path, "\n".join(lines)))
    system = config.systems["bigcommerce"]
    assert system.kind == "bigcommerce"
    windows = {name: w.limit for name, w in system.budget.windows.items()}
    assert windows == {"30s": 150}  # the store quota of Standard and Plus plans
    assert config.connections["bigcommerce"].channel == "bigcommerce"


def test_the_kind_serves_as_a_source_too(tmp_path: Path) -> None:
    lines = [
        line.replace('source = "erp"', 'source = "bigcommerce"')
        .replace('channel = "bigcommerce"', 'channel = "shop"')
        .replace('"customers", "orders"', '"customers"')
        for line in example_lines()
    ]
    config = load_config(shipped_with(tmp_path, "\n".join(lines)))
    assert config.connections["bigcommerce"].source == "bigcommerce"


def test_an_unknown_setting_is_an_error(tmp_path: Path) -> None:
    lines = [*example_lines(), 'store_hash = "abc"']
    with pytest.raises(ConfigError, match="store_hash"):
        load_config(shipped_with(tmp_path, "\n".join(lines)))
