"""The commented Unleashed example of config.toml, uncommented, is a valid config; unknown
settings and missing credentials are config errors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from syncwright.connectors.unleashed.settings import UnleashedSettings

ROOT = Path(__file__).resolve().parents[3]


def example() -> str:
    text = (ROOT / "config.toml").read_text()
    start = text.index("# [systems.unleashed]")
    end = text.index("# --- Shopify and webhooks")
    lines = []
    for line in text[start:end].splitlines():
        if line.startswith("# # ") or not line.startswith("# "):
            continue
        lines.append(line[2:])
    return "\n".join(lines)


def test_the_commented_example_is_a_valid_config(tmp_path: Path) -> None:
    from syncwright.daemon.config.load import load_config

    shop = (
        '[systems.shop]\nkind = "sandbox-shop"\nurl = "http://127.0.0.1:8702"\n'
        'credentials = { api_key = { env = "K" } }\n'
    )
    path = tmp_path / "config.toml"
    path.write_text(shop + example())
    config = load_config(path)
    system = config.systems["unleashed"]
    window = system.budget.windows["month"]
    assert (window.mode, window.timezone) == ("calendar", "UTC")
    assert system.budget.reserve.sale == 0.0 < system.budget.reserve.full
    assert config.connections["unleashed-shop"].source == "unleashed"


def test_settings_refuse_unknown_keys_and_bad_values() -> None:
    with pytest.raises(ValueError, match="extra"):
        UnleashedSettings(warehouse="MAIN")  # type: ignore[call-arg]
    with pytest.raises(ValueError):
        UnleashedSettings(client_type="Has Spaces")
    with pytest.raises(ValueError):
        UnleashedSettings(page_size=1001)
    assert re.match(r"^[a-z/]+$", UnleashedSettings().client_type)
