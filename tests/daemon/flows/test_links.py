"""flows/links.py: a person's link replaces what a flow linked on either side and records who
made it; a flow's keep_link never overwrites it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from syncwright.daemon.flows.links import keep_link, link_by_hand
from syncwright.daemon.store.db import open_migrated


def rows(conn: sqlite3.Connection) -> list[tuple[str, str, str | None]]:
    found = conn.execute(
        "SELECT source_id, channel_id, made_by FROM links WHERE entity = 'customer' ORDER BY 1"
    )
    return [tuple(row) for row in found]


def test_a_persons_link_replaces_a_flows_guess_on_either_side(tmp_path: Path) -> None:
    conn = open_migrated(tmp_path / "state.db")
    try:
        keep_link(conn, "demo", "customer", "1", "sc_9", 1.0)  # a flow's guess
        keep_link(conn, "demo", "customer", "2", "sc_7", 1.0)
        dropped = link_by_hand(conn, "demo", "customer", "2", "sc_9", "ada", 5.0)
        assert sorted(dropped) == [("1", "sc_9"), ("2", "sc_7")]
        assert rows(conn) == [("2", "sc_9", "ada")]
        # A flow cannot take it back, and linking the same pair again only re-records it.
        assert keep_link(conn, "demo", "customer", "2", "sc_1", 6.0) is False
        assert link_by_hand(conn, "demo", "customer", "2", "sc_9", "bob", 7.0) == []
        assert rows(conn) == [("2", "sc_9", "bob")]
    finally:
        conn.close()
