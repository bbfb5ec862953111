"""Backups of the state file: online while the daemon writes, automatic before a migration,
and a restored copy the daemon runs on."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import anyio
import pytest
from harness import syncwright, wait_until
from helpers import api, daemon_env, run_ok, sandbox_daemon, state, write_config

from syncwright.daemon.store.db import Store
from syncwright.daemon.store.migrations import MIGRATIONS, SCHEMA_VERSION, _statements

pytestmark = pytest.mark.slow


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return syncwright(*args, env=daemon_env())


def rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def _a_job_is_done(db: Path, config: Path) -> bool:
    if not db.exists():
        return False
    try:
        return bool(state(config, "SELECT 1 FROM jobs WHERE state = 'done'"))
    except sqlite3.OperationalError:  # the file exists, its tables are still being created
        return False


def test_backup_while_the_daemon_writes_and_restore(sandbox_factory, tmp_path: Path) -> None:
    box = sandbox_factory(products=150, variants=2)
    config = write_config(tmp_path, box, page_size=10, workers=2)
    copies: list[Path] = []
    with sandbox_daemon(config).start() as proc:
        db = tmp_path / "state" / "state.db"

        def a_job_done() -> bool:
            assert proc.running()
            return _a_job_is_done(db, config)

        wait_until(a_job_done, timeout=60, message="no job done within 60 s")
        # Several copies while the initial sync is writing pages.
        for n in range(3):
            target = tmp_path / f"copy{n}.db"
            result = cli("backup", str(target), "--config", str(config))
            assert result.returncode == 0, result.stderr
            assert f"to {target}" in result.stdout
            copies.append(target)
            time.sleep(0.3)
        assert proc.running(), "the backup must not disturb the daemon"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    for copy in copies:
        assert rows(copy, "PRAGMA integrity_check") == [("ok",)]
        assert rows(copy, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
        assert not Path(f"{copy}-wal").exists(), "a copy is one self-contained file"
    done = [rows(c, "SELECT count(*) FROM jobs WHERE state = 'done'")[0][0] for c in copies]
    assert done == sorted(done) and done[0] >= 1

    # Restore: the daemon stopped, the copy takes the state file's place, and it runs on.
    db = tmp_path / "state" / "state.db"
    for leftover in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
        leftover.unlink(missing_ok=True)
    copies[0].replace(db)
    # A fast daemon may have finished the whole initial sync before the first copy: an edit
    # at the source makes sure the restored run has something to write to the shop.
    api(box.erp.url, "PATCH", "/admin/products/1", {"title": "Edited after the backup"})
    run_ok(config)
    assert rows(db, "SELECT count(*) FROM links WHERE entity = 'product'")[0][0] == 150
    # The planner's history kept the burst run's spend although it was shorter than a minute.
    spent = dict(rows(db, "SELECT system, sum(calls) FROM budget_history GROUP BY system"))
    assert spent.get("erp", 0) > 0 and spent.get("shop", 0) > 0, spent


def test_backup_refuses_to_overwrite_and_explains_a_missing_state_file(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[daemon]\nstate_file = "state.db"\n')
    missing = cli("backup", str(tmp_path / "b.db"), "--config", str(config))
    assert missing.returncode == 1
    assert "no state file to back up" in missing.stderr

    conn = sqlite3.connect(tmp_path / "state.db")
    conn.execute("CREATE TABLE t (x)")
    conn.execute("INSERT INTO t VALUES (42)")
    conn.commit()
    conn.close()
    into_dir = cli("backup", str(tmp_path), "--config", str(config))
    assert into_dir.returncode == 0, into_dir.stderr
    dated = [p for p in tmp_path.glob("state-*.db")]
    assert len(dated) == 1 and rows(dated[0], "SELECT x FROM t") == [(42,)]
    again = cli("backup", str(dated[0]), "--config", str(config))
    assert again.returncode == 1 and "already exists" in again.stderr
    forced = cli("backup", str(dated[0]), "--config", str(config), "--force")
    assert forced.returncode == 0, forced.stderr


def old_state_file(path: Path, version: int) -> None:
    """A state file as an older Syncwright left it: migrated up to ``version`` only."""
    conn = sqlite3.connect(path)
    for script in MIGRATIONS[:version]:
        for statement in _statements(script):
            conn.execute(statement)
    conn.execute(f"PRAGMA user_version = {version}")
    conn.execute(
        "INSERT INTO cursors (connection, flow, value, updated_at) VALUES ('c', 'f', 't', 1)"
    )
    conn.commit()
    conn.close()


def test_opening_an_older_state_file_backs_it_up_before_migrating(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    old_state_file(db, SCHEMA_VERSION - 1)

    async def open_and_close() -> None:
        store = await Store.open(db)
        await store.aclose()

    anyio.run(open_and_close)
    backups = list(tmp_path.glob(f"state.db.pre-v{SCHEMA_VERSION}-*.bak"))
    assert len(backups) == 1
    assert rows(backups[0], "PRAGMA user_version") == [(SCHEMA_VERSION - 1,)]
    assert rows(backups[0], "SELECT value FROM cursors") == [("t",)]
    assert rows(db, "PRAGMA user_version") == [(SCHEMA_VERSION,)]

    # Up to date, or brand new: nothing to back up.
    anyio.run(open_and_close)
    fresh = tmp_path / "new" / "state.db"

    async def open_new() -> None:
        store = await Store.open(fresh)
        await store.aclose()

    anyio.run(open_new)
    assert len(list(tmp_path.glob("**/*.bak"))) == 1


def test_no_backup_no_migration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """When the backup cannot be written, the file is left as it was and the error says why."""
    from syncwright.daemon.ops import backup
    from syncwright.daemon.ops.backup import BackupError

    db = tmp_path / "state.db"
    old_state_file(db, SCHEMA_VERSION - 1)
    monkeypatch.setattr(backup, "_stamp", lambda now=None: "FIXED")
    # Something that is not a file already holds the backup's name: the copy cannot go there.
    (tmp_path / f"state.db.pre-v{SCHEMA_VERSION}-FIXED.bak").mkdir()

    async def open_and_close() -> None:
        store = await Store.open(db)
        await store.aclose()

    with pytest.raises(BackupError, match="nothing was changed"):
        anyio.run(open_and_close)
    assert rows(db, "PRAGMA user_version") == [(SCHEMA_VERSION - 1,)]
    assert not list(tmp_path.glob(".*partial*")), "the partial copy is cleaned up"
