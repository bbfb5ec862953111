"""Where a budget lives in the store: its SQL, and the batch of changes a flush writes.

``budget_usage`` holds one row per (system, window key, bucket start); ``budget_state`` one row
per system with the block and the last quota headers. A :class:`BudgetRows` is taken from the
budget in one go and written later in the store's writer thread, so the budget never has to be
read from two threads at once.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

LOAD_USAGE = 'SELECT "window", bucket_start, used FROM budget_usage WHERE system = ?'
LOAD_STATE = (
    "SELECT blocked_until, block_reason, last_headers, updated_at FROM budget_state"
    " WHERE system = ?"
)
_UPSERT = (
    'INSERT INTO budget_usage (system, "window", bucket_start, used) VALUES (?, ?, ?, ?) '
    'ON CONFLICT (system, "window", bucket_start) DO UPDATE SET used = excluded.used'
)
_DELETE = 'DELETE FROM budget_usage WHERE system = ? AND "window" = ? AND bucket_start = ?'
_PRUNE = 'DELETE FROM budget_usage WHERE system = ? AND "window" = ? AND bucket_start < ?'
_DROP = 'DELETE FROM budget_usage WHERE system = ? AND ("window" = ? OR "window" LIKE ?)'
#: The planner's per-minute history (daemon/ops/planner_history.py reads it): spend is added
#: in the same write as the usage it goes with.
ADD_HISTORY = (
    "INSERT INTO budget_history (system, minute, calls, rate_limited) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (system, minute) DO UPDATE SET calls = calls + excluded.calls, "
    "rate_limited = rate_limited + excluded.rate_limited"
)
_STATE = (
    "INSERT INTO budget_state (system, blocked_until, block_reason, last_headers, "
    "updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (system) DO UPDATE SET "
    "blocked_until = excluded.blocked_until, block_reason = excluded.block_reason, "
    "last_headers = excluded.last_headers, updated_at = excluded.updated_at"
)


@dataclass(frozen=True, slots=True)
class BudgetRows:
    """Changes taken from a budget at once, written later by :meth:`write` in the writer."""

    system: str
    drop: tuple[str, ...]  # window names whose stored rows are all replaced
    usage: tuple[tuple[str, int, float], ...]  # (window key, bucket start, used); 0 deletes
    prune: tuple[tuple[str, int], ...]  # (window key, rows starting before this are expired)
    state: tuple[float, str | None, str, float] | None
    #: (minute, calls, 429 answers) spent since the last write, for ``budget_history``.
    history: tuple[tuple[int, float, int], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.drop or self.usage or self.state or self.history)

    def write(self, conn: sqlite3.Connection) -> None:
        for name in self.drop:
            conn.execute(_DROP, (self.system, name, name + ":%"))
        conn.executemany(_UPSERT, [(self.system, k, s, u) for k, s, u in self.usage if u > 0])
        conn.executemany(_DELETE, [(self.system, k, s) for k, s, u in self.usage if u <= 0])
        conn.executemany(_PRUNE, [(self.system, k, cutoff) for k, cutoff in self.prune])
        if self.state is not None:
            conn.execute(_STATE, (self.system, *self.state))
        conn.executemany(ADD_HISTORY, [(self.system, *row) for row in self.history])


def headers_from_json(text: object) -> dict[str, str]:
    try:
        value = json.loads(text) if isinstance(text, str) else None
    except ValueError:
        return {}
    if not isinstance(value, dict):
        return {}
    return {str(k): str(v) for k, v in value.items()}
