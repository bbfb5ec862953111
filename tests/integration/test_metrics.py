"""The Prometheus endpoint of a real daemon, scraped over HTTP while it syncs the sandbox."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from harness import ROOT, wait_until
from helpers import sandbox_daemon, write_config
from prometheus_client.parser import text_string_to_metric_families

pytestmark = pytest.mark.slow

METRICS = """
[metrics]
enabled = true
listen = "127.0.0.1:0"
"""


Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(url: str) -> Samples:
    text = httpx.get(url, timeout=10).text
    samples = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return samples


def value(samples: Samples, name: str, **labels: str):
    return samples.get((name, tuple(sorted(labels.items()))))


def test_a_running_daemon_reports_jobs_budgets_calls_freshness_and_durations(
    sandbox_factory, tmp_path: Path
) -> None:
    box = sandbox_factory(products=30, variants=1)
    config = write_config(tmp_path, box, extra=METRICS, minute_limit=5000)
    with sandbox_daemon(config).start() as proc:
        url = str(proc.wait_for_event("metrics.listening", timeout=60, interval=0.1)[0]["url"])
        assert url.startswith("http://127.0.0.1:") and not url.endswith(":0/metrics")
        last: dict[str, Any] = {}

        def full_sync_done() -> Samples | None:
            samples = last["samples"] = scrape(url)
            done = value(
                samples, "syncwright_jobs", connection="demo", **{"class": "full"}, state="done"
            )
            applied = value(
                samples,
                "syncwright_last_applied_change_age_seconds",
                connection="demo",
                flow="product",
            )
            return samples if done and applied is not None else None

        samples = wait_until(
            full_sync_done,
            timeout=90,
            interval=0.5,
            message=lambda: str(sorted(k for k in last["samples"] if "jobs" in k[0])),
        )
        applied = value(
            samples, "syncwright_last_applied_change_age_seconds", connection="demo", flow="product"
        )

        assert value(samples, "syncwright_scrape_error") == 0
        assert value(samples, "syncwright_actor_state", connection="demo", state="running") == 1
        assert value(samples, "syncwright_actor_restarts_total", connection="demo") == 0
        assert value(samples, "syncwright_budget_limit", system="erp", window="minute") == 5000
        assert value(samples, "syncwright_budget_limit", system="erp", window="day") == 10000000
        used = value(samples, "syncwright_budget_used", system="erp", window="minute")
        left = value(samples, "syncwright_budget_remaining", system="erp", window="minute")
        assert used is not None and used > 0 and used + left == pytest.approx(5000)
        assert value(samples, "syncwright_api_calls_total", system="erp") >= used
        assert value(samples, "syncwright_api_calls_total", system="shop") > 0
        assert value(samples, "syncwright_rate_limited_responses_total", system="shop") == 0
        assert value(samples, "syncwright_budget_blocked", system="shop") == 0
        assert 0 <= applied < 120
        pulled = value(
            samples, "syncwright_last_pull_age_seconds", connection="demo", flow="products"
        )
        assert pulled is not None and 0 <= pulled < 120
        count = value(
            samples,
            "syncwright_job_duration_seconds_count",
            connection="demo",
            **{"class": "full"},
            kind="full",
        )
        inf = value(
            samples,
            "syncwright_job_duration_seconds_bucket",
            connection="demo",
            **{"class": "full"},
            kind="full",
            le="+Inf",
        )
        assert count is not None and count >= 1 and inf == count
        oldest = value(samples, "syncwright_oldest_ready_job_age_seconds", connection="demo")
        assert oldest is not None and oldest >= 0
        # Every series the example Grafana dashboard queries exists.
        dashboard = (ROOT / "scripts" / "grafana-dashboard.json").read_text()
        wanted = set(re.findall(r"syncwright_[a-z_]+", dashboard)) - {"syncwright"}
        assert wanted and wanted <= {k[0] for k in samples}, wanted - {k[0] for k in samples}
        assert proc.stop(timeout=30) == 0
        with pytest.raises(httpx.TransportError):
            httpx.get(url, timeout=2)


def test_a_busy_metrics_port_is_logged_and_the_daemon_runs_on(
    sandbox_factory, tmp_path: Path
) -> None:
    import socket

    box = sandbox_factory(products=5, variants=1)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        config = write_config(
            tmp_path, box, extra=METRICS.replace("127.0.0.1:0", f"127.0.0.1:{port}")
        )
        with sandbox_daemon(config).start() as proc:
            failed = proc.wait_for_event("metrics.failed", timeout=60, interval=0.1)[0]
            assert str(port) in str(failed["listen"])
            proc.wait_for_event("daemon.ready", timeout=60, interval=0.1)
            assert proc.running()
            assert proc.stop(timeout=30) == 0


def test_metrics_refuse_a_non_loopback_address_without_allow_remote(tmp_path: Path) -> None:
    from syncwright.daemon.config.errors import ConfigError
    from syncwright.daemon.config.load import load_config

    path = tmp_path / "config.toml"
    path.write_text('[metrics]\nenabled = true\nlisten = "0.0.0.0:9464"\n')
    with pytest.raises(ConfigError, match="not a loopback address"):
        load_config(path)
    path.write_text('[metrics]\nenabled = true\nlisten = "0.0.0.0:9464"\nallow_remote = true\n')
    assert load_config(path).metrics.address() == ("0.0.0.0", 9464)
