"""The optional Prometheus endpoint (``[metrics]``): a collector that reads snapshots at scrape
time, served by prometheus-client's own HTTP server thread.

Nothing on the job or call paths is instrumented for it except the daemon's job-duration
histogram (daemon/ops/job_timing.py). At each scrape the collector takes the actors' and
budgets' frozen statistics and runs a few read-only queries on its own connection to the state
file (WAL: they never wait for the daemon's writer). A scrape that fails reports
``syncwright_scrape_error 1`` with the reason in the log, and never touches the daemon.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.exposition import start_http_server
from prometheus_client.registry import Collector, CollectorRegistry

from syncwright.daemon.budget.budget import Budget
from syncwright.daemon.config.types import CLASS_NAMES
from syncwright.daemon.ops import work
from syncwright.daemon.ops.job_timing import BUCKETS, Timing

log = structlog.get_logger("syncwright.metrics")

_JOBS = "SELECT connection, class, state, count(*) FROM jobs GROUP BY connection, class, state"
_OLDEST = (
    "SELECT connection, min(run_at) FROM jobs WHERE state = 'pending' AND run_at <= ? "
    "GROUP BY connection"
)
_ERRORS = "SELECT connection, flow, count(*) FROM sync_errors GROUP BY connection, flow"
_APPLIED = (
    "SELECT connection, entity, max(written_at) FROM item_state WHERE written_at IS NOT NULL "
    "GROUP BY connection, entity UNION ALL SELECT connection, 'stock', max(pushed_at) "
    "FROM stock_state WHERE pushed_at IS NOT NULL GROUP BY connection"
)
_PULLED = "SELECT connection, flow, updated_at FROM cursors"


@dataclass(frozen=True, slots=True)
class ActorView:
    connection: str
    state: str
    running: int
    restarts: int
    jobs_done: int
    jobs_failed: int
    flows: tuple[str, ...] = ()
    #: (source, channel) system names, and the page size (for progress at the budgets' pace).
    systems: tuple[str, str] | None = None
    page_size: int = 500


@dataclass(frozen=True, slots=True)
class Sources:
    """What the collector reads, as callables so a reload's new objects are picked up."""

    state_file: Callable[[], Path]
    actors: Callable[[], list[ActorView]]
    budgets: Callable[[], Mapping[str, Budget]]
    now: Callable[[], float]
    #: The daemon's job-duration histograms (daemon/ops/job_timing.py).
    timings: Callable[[], list[Timing]] = list


class SyncwrightCollector(Collector):
    def __init__(self, sources: Sources) -> None:
        self.sources = sources

    def collect(self) -> Iterable[Metric]:
        try:
            yield from self._collect()
            ok = 0.0
        except Exception as exc:
            log.warning("metrics.scrape_failed", error=str(exc))
            ok = 1.0
        yield GaugeMetricFamily(
            "syncwright_scrape_error", "1 when the last scrape could not read everything", ok
        )

    def _collect(self) -> Iterable[Metric]:
        now = self.sources.now()
        actors = self.sources.actors()
        yield from self._actors(actors)
        yield from self._budgets()
        yield from self._durations()
        yield from self._state(now, actors)

    def _actors(self, actors: list[ActorView]) -> Iterable[Metric]:
        state = GaugeMetricFamily(
            "syncwright_actor_state",
            "1 for the state each connection's actor is in",
            labels=["connection", "state"],
        )
        running = GaugeMetricFamily(
            "syncwright_jobs_running", "Jobs running now", labels=["connection"]
        )
        restarts = CounterMetricFamily(
            "syncwright_actor_restarts",
            "Actor crashes followed by a restart",
            labels=["connection"],
        )
        for a in actors:
            state.add_metric([a.connection, a.state], 1)
            running.add_metric([a.connection], a.running)
            restarts.add_metric([a.connection], a.restarts)
        yield from (state, running, restarts)

    def _budgets(self) -> Iterable[Metric]:
        names = ("used", "limit", "remaining")
        gauges = {
            n: GaugeMetricFamily(
                f"syncwright_budget_{n}",
                f"Calls {n} in the budget window",
                labels=["system", "window"],
            )
            for n in names
        }
        blocked = GaugeMetricFamily(
            "syncwright_budget_blocked",
            "1 while the server blocks the account (429)",
            labels=["system"],
        )
        calls = CounterMetricFamily(
            "syncwright_api_calls", "API calls spent since start-up", labels=["system"]
        )
        limited = CounterMetricFamily(
            "syncwright_rate_limited_responses",
            "HTTP 429 answers since start-up",
            labels=["system"],
        )
        for name, budget in self.sources.budgets().items():
            stats = budget.statistics()
            for w in stats.windows:
                for n in names:
                    gauges[n].add_metric([name, w.name], float(getattr(w, n)))
            blocked.add_metric([name], 1.0 if stats.blocked_until is not None else 0.0)
            calls.add_metric([name], budget.spent_total)
            limited.add_metric([name], budget.rate_limited_total)
        yield from (*gauges.values(), blocked, calls, limited)

    def _durations(self) -> Iterable[Metric]:
        hist = HistogramMetricFamily(
            "syncwright_job_duration_seconds",
            "Time from a job's start to its end",
            labels=["connection", "class", "kind"],
        )
        bounds = [*(str(b) for b in BUCKETS), "+Inf"]
        for t in self.sources.timings():
            hist.add_metric(
                [t.connection, t.cls, t.kind],
                list(zip(bounds, t.cumulative, strict=True)),
                t.total_seconds,
            )
        yield hist

    def _state(self, now: float, actors: list[ActorView]) -> Iterable[Metric]:
        connections = [a.connection for a in actors]
        path = self.sources.state_file()
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
        try:
            jobs = GaugeMetricFamily(
                "syncwright_jobs",
                "Jobs in the queue by state (done/dead within retention)",
                labels=["connection", "class", "state"],
            )
            for connection, cls, state, n in conn.execute(_JOBS):
                jobs.add_metric([connection, _class(cls), state], n)
            oldest = GaugeMetricFamily(
                "syncwright_oldest_ready_job_age_seconds",
                "How long the oldest job that may run now has been waiting",
                labels=["connection"],
            )
            # 0 for a connection with no job ready to run.
            ready = {c: max(0.0, now - at) for c, at in conn.execute(_OLDEST, (now,))}
            for connection in dict.fromkeys([*connections, *ready]):
                oldest.add_metric([connection], ready.get(connection, 0.0))
            errors = GaugeMetricFamily(
                "syncwright_sync_errors_open",
                "Items with an open sync-log error",
                labels=["connection", "flow"],
            )
            # 0 for each configured flow without errors, so the series always exist.
            open_errors = {(a.connection, f): 0 for a in actors for f in a.flows}
            open_errors.update({(c, f): n for c, f, n in conn.execute(_ERRORS)})
            for (connection, flow), n in open_errors.items():
                errors.add_metric([connection, flow], n)
            applied = GaugeMetricFamily(
                "syncwright_last_applied_change_age_seconds",
                "Age of the newest change written to the channel",
                labels=["connection", "flow"],
            )
            for connection, entity, at in conn.execute(_APPLIED):
                applied.add_metric([connection, entity], max(0.0, now - at))
            pulled = GaugeMetricFamily(
                "syncwright_last_pull_age_seconds",
                "Age of the last page of changes pulled and applied",
                labels=["connection", "flow"],
            )
            for connection, flow, at in conn.execute(_PULLED):
                pulled.add_metric([connection, flow], max(0.0, now - at))
            work = self._progress(conn, now, actors)
        finally:
            conn.close()
        yield from (jobs, oldest, errors, applied, pulled, *work)

    def _progress(
        self, conn: sqlite3.Connection, now: float, actors: list[ActorView]
    ) -> list[Metric]:
        """Gauges of each piece of long work (daemon/ops/progress.py, work.py): a running full
        sync (kind "full"), a first change pass ("first_pass", per flow) and a backlog
        ("backlog", in jobs); no series when none runs."""
        names = {
            "items_done": "Items (a backlog: jobs) long work has done so far",
            "items_total": "Items (jobs) long work is expected to do in all, where known",
            "pages_done": "Pages (slices) long work has finished",
            "rate_per_minute": "Items (jobs) per minute long work has managed so far",
            "eta_seconds": "Seconds long work has left at the slower of its rate and the budgets'",
        }
        labels = ["connection", "kind", "flow"]
        gauges = {
            n: GaugeMetricFamily(f"syncwright_progress_{n}", text, labels=labels)
            for n, text in names.items()
        }
        budgets = {name: b.statistics() for name, b in self.sources.budgets().items()}
        found = work.collect_now(
            conn,
            now,
            {a.connection: a.page_size for a in actors},
            {a.connection: a.systems for a in actors if a.systems is not None},
            budgets,
        )
        for works in found.values():
            for p in works:
                for n, gauge in gauges.items():
                    value = getattr(p, n)
                    if value is not None:
                        gauge.add_metric([p.connection, p.kind, ",".join(p.flows)], float(value))
        return list(gauges.values())


def _class(cls: int) -> str:
    return CLASS_NAMES[cls] if 0 <= cls < len(CLASS_NAMES) else str(cls)


class MetricsServer:
    """The endpoint's HTTP server thread; :meth:`close` stops it."""

    def __init__(self, sources: Sources, host: str, port: int) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(SyncwrightCollector(sources))
        self._server: Any
        self._thread: threading.Thread
        self._server, self._thread = start_http_server(port, addr=host, registry=self.registry)
        self.port: int = self._server.server_port
        self.url = f"http://{'[' + host + ']' if ':' in host else host}:{self.port}/metrics"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
