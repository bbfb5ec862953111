"""The command line as an operator uses it: help, version, check-config and its exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest
from harness import ROOT
from harness import syncwright as cli

COMMANDS = ["run", "check-config", "version"]


def test_help_lists_every_command() -> None:
    result = cli("--help")
    assert result.returncode == 0
    for command in COMMANDS:
        assert command in result.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command: str) -> None:
    result = cli(command, "--help")
    assert result.returncode == 0, result.stderr
    assert f"usage: syncwright {command}" in result.stdout


def test_version() -> None:
    result = cli("version")
    assert result.returncode == 0
    assert result.stdout.startswith("syncwright 0.")


def test_shipped_config_checks_out() -> None:
    result = cli("check-config", str(ROOT / "config.toml"))
    assert result.returncode == 0, result.stderr
    assert "demo" in result.stdout and "sandbox-erp" in result.stdout
    assert "sandbox-demo-key" not in result.stdout
    assert result.stdout.rstrip().endswith("config.toml: OK")


def test_invalid_config_exits_2_without_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('[daemon]\nshutdown_grace = "soon"\nfrobnicate = 1\n')
    for args in (["check-config", str(path)], ["run", "--config", str(path)]):
        result = cli(*args)
        assert result.returncode == 2
        assert "Traceback" not in result.stderr
        assert str(path) in result.stderr
        assert "daemon.shutdown_grace" in result.stderr and "daemon.frobnicate" in result.stderr


def test_missing_credential_variable_is_named(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(
        '[systems.erp]\nkind = "sandbox-erp"\nurl = "http://127.0.0.1:9"\n'
        'credentials = { api_key = { env = "SW_TEST_NOT_SET" } }\n'
    )
    env = {k: v for k, v in __import__("os").environ.items() if k != "SW_TEST_NOT_SET"}
    for args in (["check-config", str(path)], ["run", "--config", str(path)]):
        result = cli(*args, env=env)
        assert result.returncode == 2, result.stderr
        assert "SW_TEST_NOT_SET" in result.stderr
        assert "Traceback" not in result.stderr


def test_newer_state_file_is_refused_with_exit_3(tmp_path: Path) -> None:
    import sqlite3

    state = tmp_path / "state.db"
    conn = sqlite3.connect(state)
    conn.execute("PRAGMA user_version = 999")
    conn.close()
    path = tmp_path / "c.toml"
    path.write_text(f'[daemon]\nstate_file = "{state}"\n')
    result = cli("run", "--config", str(path))
    assert result.returncode == 3, result.stderr
    assert "schema version 999" in result.stderr
    assert "Traceback" not in result.stderr
    # The commands that change the state file offline refuse it the same way.
    for args in (("forget", "gone"), ("replay-events", "--all")):
        offline = cli(*args, "--config", str(path))
        assert offline.returncode == 3, (args, offline.stderr)
        assert "schema version 999" in offline.stderr and "Traceback" not in offline.stderr


def test_check_config_shows_the_ghost_rotation_from_the_state_file(tmp_path: Path) -> None:
    import sqlite3

    from syncwright.daemon.store.migrations import MIGRATIONS, _statements

    state = tmp_path / "state.db"
    conn = sqlite3.connect(state)
    for migration in MIGRATIONS:
        for statement in _statements(migration):
            conn.execute(statement)
    conn.executemany(
        "INSERT INTO links (connection, entity, source_id, channel_id, created_at)"
        " VALUES ('demo', 'product', ?, ?, 0)",
        [(str(i), f"c{i}") for i in range(25)],
    )
    conn.commit()
    conn.close()
    path = tmp_path / "c.toml"
    path.write_text(
        f'[daemon]\nstate_file = "{state}"\n'
        '[systems.erp]\nkind = "sandbox-erp"\nurl = "http://127.0.0.1:9"\n'
        'credentials = { api_key = { file = "key" } }\n'
        '[systems.shop]\nkind = "sandbox-shop"\nurl = "http://127.0.0.1:10"\n'
        'credentials = { api_key = { file = "key" } }\n'
        '[connections.demo]\nsource = "erp"\nchannel = "shop"\nflows = ["products"]\n'
        '[connections.demo.schedule]\nghost_interval = "2h"\nghost_batch = 10\n'
    )
    (tmp_path / "key").write_text("k3y-value\n")
    result = cli("check-config", str(path))
    assert result.returncode == 0, result.stderr
    # 25 links, 10 every 2 h: three sweeps, 6 h for a whole rotation.
    assert "demo: 25 links / 10 every 2h -> every item re-verified within 6h" in result.stdout
