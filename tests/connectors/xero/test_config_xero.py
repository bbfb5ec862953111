"""config.toml's commented Xero example loads as written, its budget is Xero's published
limits, and the planner prices a 1,000-item catalogue on it within the day's 5,000 calls."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from pydantic import ValidationError

from syncwright.connectors.xero.settings import XeroSettings
from syncwright.daemon.config.load import parse_config
from syncwright.daemon.ops.planner import format_report, plan, schedule_costs

ROOT = Path(__file__).resolve().parents[3]
CHANNEL = """
[systems.shopify]
kind = "sandbox-shop"
url = "http://127.0.0.1:2"
credentials = { api_key = { env = "K" } }
"""


def example() -> str:
    text = (ROOT / "config.toml").read_text()
    start = text.index("# [systems.xero]")
    end = text.index("\n# --- ", start)  # the next kind's example
    lines = text[start:end].splitlines()
    return "\n".join(line[2:] if line.startswith("# ") else line.lstrip("#") for line in lines)


def test_the_commented_example_loads_with_xeros_limits_and_fits_a_day() -> None:
    config = parse_config(tomllib.loads(example() + CHANNEL))
    xero = config.systems["xero"]
    assert xero.kind == "xero"
    windows = {name: w.limit for name, w in xero.budget.windows.items()}
    assert windows == {"minute": 60, "day": 5000}
    assert isinstance(xero.settings, XeroSettings) and xero.settings.location == "Main"
    costs = [c for c in schedule_costs(config, {"xero-shopify": 1000}) if c.system == "xero"]
    per_day = sum(c.calls_per_day for c in costs)
    # Pulls every 5 minutes (products, stock, customers), settings, ghost sweeps, deletions.
    assert 1400 < per_day < 1500, costs
    report = plan(config, [], 1.8e9, items={"xero-shopify": 1000})
    assert "xero" in format_report(report)
    assert not [w for w in report.warnings if "xero" in w], report.warnings


def test_the_refresh_token_grant_needs_a_token_file() -> None:
    with pytest.raises(ValidationError, match="token_file"):
        XeroSettings(tenant_id="t", grant="refresh_token")
    assert XeroSettings(tenant_id="t", grant="client_credentials").token_file is None
    with pytest.raises(ValidationError):
        XeroSettings(tenant_id="t", grant="client_credentials", tenantid="typo")  # type: ignore[call-arg]
