"""The status snapshot: one row per connection and per system, built with a handful of grouped
queries however many connections and jobs there are (the subscription sends it every 500 ms)."""

from __future__ import annotations

import time
from typing import Any

from syncwright.connectors.registry import kind
from syncwright.daemon.control.context import ControlContext
from syncwright.daemon.control.protocol import (
    CLASS_NAMES,
    BudgetRow,
    ConnectionRow,
    ProgressRow,
    Snapshot,
    WindowRow,
)
from syncwright.daemon.control.reader import SnapshotReader
from syncwright.daemon.flows.deletions import deletion_bound
from syncwright.daemon.flows.ghost import rotation_seconds
from syncwright.daemon.ops import work

#: The ghost rotation counts every link: refreshed at most this often.
GHOST_REFRESH = 60.0
LAST_ERROR_CHARS = 200

# Due and non-pending jobs are counted over the jobs_ready index alone; only future pending
# jobs (usually few) are read from the table to tell retrying from scheduled.
_NOW_SQL = (
    "SELECT connection, class, state, count(*) AS n, min(run_at) AS oldest FROM jobs"
    " WHERE state IN ('pending', 'leased', 'dead') AND (state != 'pending' OR run_at <= ?)"
    " GROUP BY connection, state, class"
)
_LATER_SQL = (
    "SELECT connection, class, CASE WHEN attempts > 0 AND last_error IS NOT NULL"
    " THEN 'retrying' ELSE 'scheduled' END AS view, count(*) AS n FROM jobs"
    " WHERE state = 'pending' AND run_at > ? GROUP BY connection, class, view"
)


class SnapshotBuilder:
    def __init__(self, ctx: ControlContext) -> None:
        self.ctx = ctx
        self._ghost: dict[str, int] = {}
        self._ghost_at = float("-inf")
        self._reader: SnapshotReader | None = None

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()

    async def build(self) -> Snapshot:
        ctx = self.ctx
        if self._reader is None:
            self._reader = SnapshotReader(ctx.services.store.path)
        store = self._reader
        now = ctx.now()
        jobs: dict[str, dict[str, list[int]]] = {}
        oldest: dict[str, float] = {}
        for row in await store.fetchall(_NOW_SQL, (now,)):
            view = "ready" if row["state"] == "pending" else row["state"]
            _counts(jobs, row["connection"], view)[row["class"]] += row["n"]
            if view == "ready":
                age = now - row["oldest"]
                oldest[row["connection"]] = max(oldest.get(row["connection"], 0.0), age)
        for row in await store.fetchall(_LATER_SQL, (now,)):
            _counts(jobs, row["connection"], row["view"])[row["class"]] += row["n"]
        errors = {
            r[0]: r[1]
            for r in await store.fetchall(
                "SELECT connection, count(*) FROM sync_errors GROUP BY connection"
            )
        }
        states = {
            r["connection"]: r
            for r in await store.fetchall(
                "SELECT connection, last_full_sync, last_partial_sync FROM connection_state"
            )
        }
        full = {
            r[0]
            for r in await store.fetchall(
                "SELECT DISTINCT connection FROM full_runs WHERE state = 'running'"
            )
        }
        await self._refresh_ghost()
        work = await self._progress(now, full=bool(full))
        rows = [
            self._row(name, jobs.get(name), oldest.get(name), errors, states, full).model_copy(
                update={
                    "progress": next((w for w in work.get(name, []) if w.kind == "full"), None),
                    "work": work.get(name, []),
                }
            )
            for name in ctx.config.connections
        ]
        notices = ctx.supervisor.notices
        rejected = notices.reload_rejected
        return Snapshot(
            at=now,
            daemon=ctx.version,
            pid=ctx.pid,
            started_at=ctx.started_at,
            connections=rows,
            budgets=budget_rows(ctx),
            reload_rejected_at=rejected[0] if rejected else None,
            reload_rejected=rejected[1] if rejected else None,
            plan_warnings=list(notices.plan_warnings),
        )

    def _row(
        self,
        name: str,
        jobs: dict[str, list[int]] | None,
        oldest: float | None,
        errors: dict[str, int],
        states: dict[str, Any],
        full: set[str],
    ) -> ConnectionRow:
        cfg = self.ctx.config.connections[name]
        slot = self.ctx.supervisor.slots.get(name)
        state = states.get(name)
        stats = slot.actor.statistics() if slot is not None else None
        links = self._ghost.get(name, 0)
        ghost = rotation_seconds(links, cfg.schedule.ghost_batch, cfg.schedule.ghost_interval)
        last_error = stats.last_error if stats else (slot.last_crash if slot else None)
        bound, how = deletion_bound(
            flows=cfg.flows,
            audit=cfg.pull_mode == "audit",
            recent=cfg.schedule.recent,
            lists_ids=kind(self.ctx.config.systems[cfg.source].kind).product_ids,
            deletions=cfg.schedule.deletions,
            full=cfg.schedule.full,
            links=links,
            ghost_batch=cfg.schedule.ghost_batch,
            ghost_interval=cfg.schedule.ghost_interval,
        )
        return ConnectionRow(
            name=name,
            source=cfg.source,
            channel=cfg.channel,
            state=stats.state if stats else "stopped",
            pause_reason=stats.pause_reason if stats else None,
            jobs=jobs or {},
            running=len(stats.running) if stats else 0,
            oldest_ready_age=oldest,
            last_full_sync=state["last_full_sync"] if state is not None else None,
            last_partial_sync=state["last_partial_sync"] if state is not None else None,
            full_running=name in full,
            open_errors=errors.get(name, 0),
            jobs_done=stats.jobs_done if stats else 0,
            jobs_failed=stats.jobs_failed if stats else 0,
            restarts=slot.restarts if slot else 0,
            last_error=last_error[:LAST_ERROR_CHARS] if last_error else None,
            ghost_rotation=ghost if links else None,
            deletion_bound=bound,
            deletion_check=how,
        )

    async def _progress(self, now: float, *, full: bool) -> dict[str, list[ProgressRow]]:
        """Long work by connection (daemon/ops/work.py): full syncs only when one runs."""
        reader = self._reader
        assert reader is not None
        conns = self.ctx.config.connections
        budgets = {name: b.statistics() for name, b in self.ctx.services.budgets.items()}
        found = await work.collect(
            reader.fetchall,
            now,
            {name: c.page_size for name, c in conns.items()},
            {name: (c.source, c.channel) for name, c in conns.items()},
            budgets,
            full=full,
        )
        return {
            name: [ProgressRow.model_validate(_without_connection(p.as_dict())) for p in works]
            for name, works in found.items()
        }

    async def _refresh_ghost(self) -> None:
        if time.monotonic() - self._ghost_at < GHOST_REFRESH:
            return
        self._ghost_at = time.monotonic()
        assert self._reader is not None
        rows = await self._reader.fetchall(
            "SELECT connection, count(*) FROM links WHERE entity = 'product' GROUP BY connection"
        )
        self._ghost = {r[0]: r[1] for r in rows}


def _counts(jobs: dict[str, dict[str, list[int]]], connection: str, view: str) -> list[int]:
    per_view = jobs.setdefault(connection, {})
    if view not in per_view:
        per_view[view] = [0] * len(CLASS_NAMES)
    return per_view[view]


def budget_rows(ctx: ControlContext) -> list[BudgetRow]:
    rows = []
    for system, budget in sorted(ctx.services.budgets.items()):
        stats = budget.statistics()
        rows.append(
            BudgetRow(
                system=system,
                blocked_until=stats.blocked_until,
                block_reason=stats.block_reason,
                allowed_classes=sorted(stats.allowed_classes),
                windows=[
                    WindowRow(name=w.name, used=w.used, limit=w.limit, resets_at=w.resets_at)
                    for w in stats.windows
                ],
            )
        )
    return rows


def _without_connection(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k != "connection"}
