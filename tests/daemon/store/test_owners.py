"""State has owners: SQL that writes a table of the state file appears only in that table's
owner module(s), so each table's invariants live in one place (the jobs table is changed only
through the queue, never by a flow's own UPDATE).

The check reads the daemon's source: every string literal (f-strings with their holes as
``{}``) is searched for INSERT / REPLACE / UPDATE / DELETE statements and their table.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from syncwright.daemon.store.migrations import MIGRATIONS

ROOT = Path(__file__).resolve().parents[3]

#: Each table of the state file and the module(s) allowed to write it.
OWNERS: dict[str, frozenset[str]] = {
    "jobs": frozenset({"daemon/jobs/queue.py", "daemon/jobs/requeue.py"}),
    "cursors": frozenset({"daemon/flows/cursor.py"}),
    "links": frozenset({"daemon/flows/links.py"}),
    "item_state": frozenset({"daemon/flows/item_state.py"}),
    "stock_state": frozenset({"daemon/flows/stock.py"}),
    "audit": frozenset({"daemon/flows/audit.py"}),
    "connection_state": frozenset({"daemon/synclog.py"}),
    "sync_errors": frozenset({"daemon/synclog.py"}),
    "full_runs": frozenset({"daemon/synclog.py"}),
    "synclog_mirror": frozenset({"daemon/synclog_mirror.py"}),
    "synclog_mirror_errors": frozenset({"daemon/synclog_mirror.py"}),
    "budget_usage": frozenset({"daemon/budget/persist.py"}),
    "budget_state": frozenset({"daemon/budget/persist.py"}),
    # The recorder marks the minutes the daemon runs; each budget adds its spend to them in
    # the same write as its usage.
    "budget_history": frozenset({"daemon/ops/planner_history.py", "daemon/budget/persist.py"}),
    "events": frozenset({"daemon/webhooks/inbox.py"}),
    "notifications": frozenset({"daemon/notify/outbox.py"}),
}

#: Writes whose table is not written in the source, by (module, function). Forgetting a
#: connection removed from the config deletes its rows from every table that has a
#: ``connection`` column, found from the schema itself so that a new table cannot be missed.
ANY_TABLE = frozenset({("daemon/synclog.py", "forget_connection")})

_WRITE = re.compile(
    r"\b(?:INSERT(?:\s+OR\s+[A-Z]+)?\s+INTO|REPLACE\s+INTO|DELETE\s+FROM|UPDATE)"
    r'\s+("?)([\w{}]+)\1(?=[\s(]|$)'
)


def _text(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        parts = [
            v.value if isinstance(v, ast.Constant) and isinstance(v.value, str) else "{}"
            for v in node.values
        ]
        return "".join(parts)
    return None


def _writes(source: str) -> list[tuple[str, str, str]]:
    """(table, enclosing function, statement head) for every write in ``source``."""
    found: list[tuple[str, str, str]] = []

    def visit(node: ast.AST, function: str) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            function = node.name
        text = _text(node)
        if text is not None:
            for match in _WRITE.finditer(text):
                if match.group(2) != "SET":  # "... ON CONFLICT ... DO UPDATE SET" goes on
                    head = text[match.start() : match.start() + 60]
                    found.append((match.group(2), function, head))
            return  # an f-string's parts are read with it
        for child in ast.iter_child_nodes(node):
            visit(child, function)

    visit(ast.parse(source), "<module>")
    return found


def _daemon_writes() -> dict[str, list[tuple[str, str, str]]]:
    by_module: dict[str, list[tuple[str, str, str]]] = {}
    for path in sorted((ROOT / "daemon").rglob("*.py")):
        module = path.relative_to(ROOT).as_posix()
        by_module[module] = _writes(path.read_text())
    return by_module


def _schema_tables() -> set[str]:
    return {m.group(1) for m in re.finditer(r"CREATE TABLE (\w+)", "\n".join(MIGRATIONS))}


def test_every_table_has_an_owner() -> None:
    assert set(OWNERS) == _schema_tables()


def test_each_table_is_written_only_by_its_owner() -> None:
    strays = []
    for module, writes in _daemon_writes().items():
        for table, function, head in writes:
            if "{}" in table:
                if (module, function) not in ANY_TABLE:
                    strays.append(f"{module}:{function}: a write to a computed table: {head}")
            elif module not in OWNERS.get(table, frozenset()):
                owner = " or ".join(sorted(OWNERS.get(table, {"(no owner: add one)"})))
                strays.append(f"{module}:{function} writes {table}; only {owner} may: {head}")
    assert not strays, "state has owners; move these writes behind the owner's API:\n" + "\n".join(
        strays
    )


def test_the_check_sees_the_owners_own_writes() -> None:
    """A scanner that found nothing would pass the rule above vacuously."""
    writes = _daemon_writes()
    seen = {table for module, found in writes.items() for table, _, _ in found}
    assert seen >= set(OWNERS), f"no write found for {set(OWNERS) - seen}"
    assert any("{}" in t and f == "forget_connection" for t, f, _ in writes["daemon/synclog.py"])


def test_the_scanner_finds_a_stray_write() -> None:
    stray = (
        "def wake(conn):\n"
        '    conn.execute("UPDATE jobs SET run_at = ? WHERE id = ?", (1.0, 7))\n'
        "    conn.execute(\n"
        '        "INSERT INTO links (connection) VALUES (?)"\n'
        '        " ON CONFLICT (connection) DO UPDATE SET connection = excluded.connection",\n'
        "    )\n"
        "    conn.execute(f'DELETE FROM \"{name}\" WHERE connection = ?')\n"
    )
    assert [(t, f) for t, f, _ in _writes(stray)] == [
        ("jobs", "wake"),
        ("links", "wake"),
        ("{}", "wake"),
    ]
