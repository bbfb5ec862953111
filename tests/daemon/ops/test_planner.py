"""The budget planner as pure logic: schedule costs, burn rates, exhaustion and fit, at an
injected time."""

from __future__ import annotations

import json
import textwrap
from datetime import UTC, datetime

import pytest

from syncwright.daemon.clock import iso
from syncwright.daemon.config.load import parse_config
from syncwright.daemon.ops.planner import Sample, format_report, plan, schedule_costs

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC).timestamp()


def config(minute: int = 600, day: int = 200000, recent: str = "30s", extra: str = "") -> object:
    text = textwrap.dedent(f"""
        [systems.erp]
        kind = "sandbox-erp"
        url = "http://127.0.0.1:1"
        credentials = {{ api_key = {{ env = "K" }} }}
        [systems.erp.budget.windows.minute]
        limit = {minute}
        [systems.erp.budget.windows.day]
        limit = {day}
        mode = "calendar"
        [systems.shop]
        kind = "sandbox-shop"
        url = "http://127.0.0.1:2"
        credentials = {{ api_key = {{ env = "K" }} }}
        [connections.demo]
        source = "erp"
        channel = "shop"
        flows = ["products", "stock", "orders", "settings"]
        page_size = 100
        [connections.demo.schedule]
        recent = "{recent}"
        ghost_interval = "1h"
        ghost_batch = 10
        full = "1d"
        """)
    import tomllib

    return parse_config(tomllib.loads(text + extra))


def costs_by(cfg: object, items: dict[str, int]) -> dict[tuple[str, str], float]:
    out: dict[tuple[str, str], float] = {}
    for c in schedule_costs(cfg, items):  # type: ignore[arg-type]
        out[(c.system, c.kind)] = out.get((c.system, c.kind), 0.0) + c.calls_per_day
    return out


def test_schedule_costs_count_pulls_sweeps_and_full_syncs_per_system() -> None:
    costs = costs_by(config(), {"demo": 1000})
    # Every 30 s: products and stock read from the ERP, orders from the shop, settings (ERP).
    assert costs[("erp", "pull")] == 2 * 2880
    assert costs[("shop", "pull")] == 2880
    assert costs[("erp", "settings")] == 2880
    # 24 sweeps a day: 10 item reads + 1 stock read on the ERP, 2 batched reads on the shop.
    assert costs[("erp", "ghost")] == 24 * 11
    assert costs[("shop", "ghost")] == 24 * 2
    # Daily full sync: 1000 items / 100 per page = 10 pages, for products and stock, both sides.
    assert costs[("erp", "full")] == costs[("shop", "full")] == 20
    # Hourly deletion checks: 1000 linked products fit one page of ids.
    assert costs[("erp", "deletions")] == 24
    assert ("shop", "deletions") not in costs


def test_burn_rate_over_the_last_hour_and_day_and_exhaustion_at_that_pace() -> None:
    minute0 = int(NOW // 60)
    # 300 calls a minute for the last 30 minutes, and 100 calls a minute 5 hours ago; the
    # daemon ran (idle) the 30 minutes before: the recorder marked them with no calls.
    samples = [Sample("erp", minute0 - m, 300.0) for m in range(1, 31)]
    samples += [Sample("erp", minute0 - m, 0.0) for m in range(31, 61)]
    samples += [Sample("erp", minute0 - 300 - m, 100.0, rate_limited=1) for m in range(60)]
    samples.append(Sample("erp", minute0 - 3 * 1440, 9999.0))  # older than a day: ignored
    report = plan(
        config(day=100000),
        samples,
        NOW,
        used={"erp": {"minute": 300.0, "day": 60000.0}},
        resets={"erp": {"minute": NOW + 1, "day": NOW + 12 * 3600}},
    )
    erp = report.systems[0]
    assert erp.system == "erp"
    assert erp.calls_last_hour == 9000
    assert erp.calls_last_day == 9000 + 6000
    assert erp.rate_limited_last_day == 60
    day = next(w for w in erp.windows if w.name == "day")
    assert day.pace_hour == pytest.approx(9000 * 24)
    # 40000 left at 9000 calls/h: gone in 4h26m40s, before the reset 12 h away.
    assert day.exhausted_at == "2026-03-02T16:26:40Z"
    minute = next(w for w in erp.windows if w.name == "minute")
    assert minute.exhausted_at is None, "150 calls/min never fill a 600/min window"
    assert any("day window runs out at 2026-03-02T16:26:40Z" in w for w in erp.warnings)
    assert not report.fits


def test_the_pace_counts_only_the_minutes_the_daemon_ran() -> None:
    minute0 = int(NOW // 60)
    # Started 10 minutes ago and spent 100 calls a minute since: 6000 an hour, not 1000.
    samples = [Sample("erp", minute0 - m, 100.0) for m in range(0, 10)]
    report = plan(config(day=100000), samples, NOW, used={"erp": {"day": 1000.0}})
    day = next(w for w in report.systems[0].windows if w.name == "day")
    assert report.systems[0].calls_last_hour == 1000
    assert day.pace_hour == pytest.approx(6000 * 24)
    assert day.pace_day == pytest.approx(6000 * 24)
    # 99,000 left at 6,000 calls/h: 16.5 h; the same answer as epoch seconds for the table.
    assert day.runs_out_at == pytest.approx(NOW + 16.5 * 3600)
    assert day.exhausted_at == iso(day.runs_out_at)


def test_a_calendar_window_that_resets_first_is_not_exhausted() -> None:
    minute0 = int(NOW // 60)
    samples = [Sample("erp", minute0 - m, 50.0) for m in range(1, 61)]
    report = plan(
        config(day=100000),
        samples,
        NOW,
        used={"erp": {"day": 99000.0}},
        resets={"erp": {"day": NOW + 60}},
    )
    day = next(w for w in report.systems[0].windows if w.name == "day")
    assert day.exhausted_at is None  # 1000 left at 3000/h: 20 min, but the day ends in 1 min


def test_schedules_that_cannot_fit_warn_and_fitting_ones_do_not() -> None:
    report = plan(config(), [], NOW, items={"demo": 1000})
    assert report.fits, report.warnings
    # Pulls every second: products, stock and settings are 3 ERP calls a second, 180 a minute;
    # the recent class may spend only 85% of a 100/minute window.
    tight = plan(config(minute=100, recent="1s"), [], NOW)
    assert not tight.fits
    assert any("the recent schedules need 180 calls per minute" in w for w in tight.warnings)
    # JSON-able for the control socket and the TUI.
    data = json.loads(json.dumps(tight.to_json()))
    assert data["fits"] is False
    assert data["systems"][0]["costs"][0]["connection"] == "demo"
    text = format_report(tight)
    assert "WARNING erp: the recent schedules need 180" in text
    assert "warning(s)" in text


def test_the_report_is_frozen() -> None:
    report = plan(config(), [], NOW)
    with pytest.raises(AttributeError):
        report.systems = ()  # type: ignore[misc]
