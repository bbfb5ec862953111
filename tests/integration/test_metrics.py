"""The Prometheus endpoint of a real daemon, scraped over HTTP while it syncs the sandbox."""

from __future__ import annotations

import json
import re
import signal
import time
from pathlib import Path

import httpx
import pytest
from helpers import ROOT, daemon_log, start_daemon, write_config
from prometheus_client.parser import text_string_to_metric_families

pytestmark = pytest.mark.slow

METRICS = """
[metrics]
enabled = true
listen = "127.0.0.1:0"
"""


def wait_for_log(config: Path, event: str, timeout: float = 60) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for line in daemon_log(config).read_text().splitlines():
            if line.startswith("{"):
                record = json.loads(line)
                if record.get("event") == event:
                    return record  # type: ignore[no-any-return]
        time.sleep(0.1)
    raise AssertionError(f"no {event} in the log:\n{daemon_log(config).read_text()[-3000:]}")


def scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = httpx.get(url, timeout=10).text
    samples = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return samples


def value(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str):
    return samples.get((name, tuple(sorted(labels.items()))))


def test_a_running_daemon_reports_jobs_budgets_calls_freshness_and_durations(
    sandbox_factory, tmp_path: Path
) -> None:
    box = sandbox_factory(products=30, variants=1)
    config = write_config(tmp_path, box, extra=METRICS, minute_limit=5000)
    proc = start_daemon(config)
    try:
        url = str(wait_for_log(config, "metrics.listening")["url"])
        assert url.startswith("http://127.0.0.1:") and not url.endswith(":0/metrics")
        deadline = time.monotonic() + 90
        while True:
            samples = scrape(url)
            done = value(
                samples, "syncwright_jobs", connection="demo", **{"class": "full"}, state="done"
            )
            applied = value(
                samples,
                "syncwright_last_applied_change_age_seconds",
                connection="demo",
                flow="product",
            )
            if done and applied is not None:
                break
            assert time.monotonic() < deadline, sorted(k for k in samples if "jobs" in k[0])
            time.sleep(0.5)

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
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        with pytest.raises(httpx.TransportError):
            httpx.get(url, timeout=2)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


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
        proc = start_daemon(config)
        try:
            failed = wait_for_log(config, "metrics.failed")
            assert str(port) in str(failed["listen"])
            wait_for_log(config, "daemon.ready")
            assert proc.poll() is None
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=30) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def test_metrics_refuse_a_non_loopback_address_without_allow_remote(tmp_path: Path) -> None:
    from syncwright.daemon.config.errors import ConfigError
    from syncwright.daemon.config.load import load_config

    path = tmp_path / "config.toml"
    path.write_text('[metrics]\nenabled = true\nlisten = "0.0.0.0:9464"\n')
    with pytest.raises(ConfigError, match="not a loopback address"):
        load_config(path)
    path.write_text('[metrics]\nenabled = true\nlisten = "0.0.0.0:9464"\nallow_remote = true\n')
    assert load_config(path).metrics.address() == ("0.0.0.0", 9464)
