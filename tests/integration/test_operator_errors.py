"""What an operator sees when things go wrong (issue 13, items 19-22), through the real
``syncwright`` commands on the embedded sandbox: no credential in any output (logs in both
formats, the CLI, the TUI, the metrics, the state file), one line for a taken port naming who
holds it, state-file problems named with exit 3, and check-config refusing what run refuses."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import stat
import subprocess
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from control_helpers import wait_for_socket
from harness import Daemon, async_wait_until, free_port, syncwright

pytestmark = pytest.mark.slow

#: The one credential of every system and of the sandbox: it must appear in no output.
CANARY = "canary-cred-5f1e9b2c"
ENV = {"SW_CANARY": CANARY}


def embedded_config(
    folder: Path,
    sock: Path,
    *,
    ports: tuple[int, int] | None = None,
    fmt: str = "json",
    state: str = "state/state.db",
    data_dir: str = "sandbox",
    key_env: str = "SW_CANARY",
) -> Path:
    """A config running the embedded sandbox (on ``ports``) with the canary as every key."""
    erp, shop = ports or (free_port(), free_port())
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "config.toml"
    key = f'{{ env = "{key_env}" }}'
    path.write_text(
        textwrap.dedent(f"""
        [daemon]
        state_file = "{state}"
        log_format = "{fmt}"
        log_level = "info"
        shutdown_grace = "5s"
        [control]
        path = "{sock}"
        [metrics]
        enabled = true
        listen = "127.0.0.1:0"
        [sandbox]
        enabled = true
        data_dir = "{data_dir}"
        [sandbox.erp]
        listen = "127.0.0.1:{erp}"
        products = 8
        variants_per_product = 1
        customers = 3
        change_rate = 0
        api_key = {key}
        [sandbox.shop]
        listen = "127.0.0.1:{shop}"
        order_rate = 0
        api_key = {key}
        [systems.erp]
        kind = "sandbox-erp"
        url = "http://127.0.0.1:{erp}"
        credentials = {{ api_key = {{ env = "SW_CANARY" }} }}
        [systems.erp.budget.windows.minute]
        limit = 100000
        [systems.shop]
        kind = "sandbox-shop"
        url = "http://127.0.0.1:{shop}"
        credentials = {{ api_key = {{ env = "SW_CANARY" }} }}
        [connections.demo]
        source = "erp"
        channel = "shop"
        flows = ["products", "stock", "customers", "orders"]
        [connections.demo.schedule]
        recent = "1h"
        """)
    )
    return path


def ports_of(config: Path) -> tuple[int, int]:
    text = config.read_text()
    erp = int(text.split('[sandbox.erp]\nlisten = "127.0.0.1:')[1].split('"')[0])
    shop = int(text.split('[sandbox.shop]\nlisten = "127.0.0.1:')[1].split('"')[0])
    return erp, shop


def no_canary(where: str, text: str | bytes) -> None:
    found = CANARY.encode() in text if isinstance(text, bytes) else CANARY in text
    assert not found, f"the credential shows in {where}"


def tui_screens(sock: Path) -> list[str]:
    """The TUI on the daemon's socket: the overview and the budgets screen, as exported."""
    from textual.widgets import DataTable

    from syncwright.tui.app import SyncwrightApp

    async def main() -> list[str]:
        app = SyncwrightApp(sock)
        async with app.run_test(size=(160, 48)) as pilot:
            await async_wait_until(
                lambda: app.overview.table.row_count == 1,
                timeout=30,
                message="the TUI never showed the connection",
                pause=pilot.pause,
            )
            shots = [app.export_screenshot()]
            await pilot.press("b")
            await async_wait_until(
                lambda: app.screen.query_one("#budget-table", DataTable).row_count > 0,
                timeout=30,
                message="the TUI never showed the budgets",
                pause=pilot.pause,
            )
            shots.append(app.export_screenshot())
        return shots

    return asyncio.run(main())


def test_no_output_shows_a_credential(tmp_path: Path, sock_dir: Path) -> None:
    config = embedded_config(tmp_path / "a", sock_dir / "a.sock")
    daemon = Daemon(config, ENV)
    env = {**os.environ, **ENV}
    with daemon.start() as running:
        wait_for_socket(sock_dir / "a.sock", running)
        running.wait_for_event("full.finished", timeout=90, interval=0.2)
        url = str(running.wait_for_event("metrics.listening", timeout=30)[0]["url"])
        no_canary("the metrics", httpx.get(url, timeout=10).text)
        for command in (
            ["status"],
            ["status", "--json"],
            ["budget"],
            ["budget", "--json"],
            ["errors", "demo"],
            ["check-config", str(config)],
        ):
            socket = [] if command[0] == "check-config" else ["--socket", str(sock_dir / "a.sock")]
            result = syncwright(*command, *socket, env=env)
            assert result.returncode == 0, (command, result.stderr[-2000:])
            no_canary(f"syncwright {' '.join(command)}", result.stdout + result.stderr)
        for shot in tui_screens(sock_dir / "a.sock"):
            no_canary("the TUI", shot)
        assert running.stop() == 0, running.log()[-3000:]
        no_canary("the JSON log", running.log())
    # The console format, on a run in burst mode.
    console = config.read_text().replace('log_format = "json"', 'log_format = "console"')
    config.write_text(console)
    result = daemon.run("--until-idle", timeout=90)
    assert result.returncode == 0, result.stderr[-3000:]
    no_canary("the console log", result.stderr)
    state = config.parent / "state"
    for file in state.iterdir():
        no_canary(f"the state file's {file.name}", file.read_bytes())


@pytest.mark.parametrize("fmt", ["console", "json"])
def test_a_start_up_failure_prints_no_credential(fmt: str, tmp_path: Path, sock_dir: Path) -> None:
    """An unexpected error at start-up (the sandbox ERP's database is not one) is logged with
    its traceback, without the local variables that held the keys."""
    config = embedded_config(tmp_path, sock_dir / "f.sock", fmt=fmt)
    (tmp_path / "sandbox").mkdir()
    (tmp_path / "sandbox" / "erp.db").write_bytes(b"not a database, " * 64)
    result = Daemon(config, ENV).run(timeout=90)
    assert result.returncode == 1, result.stderr[-3000:]
    assert "file is not a database" in result.stderr, result.stderr[-3000:]
    no_canary(f"a start-up failure's {fmt} log", result.stderr)


def test_a_second_daemon_on_taken_ports_prints_one_line_naming_the_holder(
    tmp_path: Path, sock_dir: Path
) -> None:
    first_config = embedded_config(tmp_path / "first", sock_dir / "1.sock")
    with Daemon(first_config, ENV).start() as first:
        wait_for_socket(sock_dir / "1.sock", first)
        # Another state file, the same sandbox ports: the operator's second copy.
        second = embedded_config(
            tmp_path / "second", sock_dir / "2.sock", ports=ports_of(first_config), fmt="console"
        )
        result = Daemon(second, ENV).run(timeout=90)
        assert result.returncode == 1, result.stderr[-3000:]
        assert "Traceback" not in result.stderr, result.stderr[-3000:]
        errors = [line for line in result.stderr.splitlines() if "error" in line]
        assert len(errors) == 1, result.stderr[-3000:]
        line = errors[0]
        erp_port = ports_of(first_config)[0]
        assert f"127.0.0.1:{erp_port}" in line and "already in use" in line, line
        assert f"process {first.proc.pid} (syncwright run" in line, line
        assert "[sandbox.erp] listen" in line, line
        no_canary("the second daemon's output", result.stderr)
        # The same config again (the same state file): one line naming the first one's PID.
        again = Daemon(first_config, ENV).run(timeout=90)
        assert again.returncode == 3, again.stderr[-3000:]
        assert "Traceback" not in again.stderr
        assert f"process {first.proc.pid}" in again.stderr
        assert first.stop() == 0, first.log()[-3000:]


def _run(config: Path, *args: str, env: dict[str, str] | None = None) -> Any:
    return syncwright(*args, "--config", str(config), env={**os.environ, **(env or ENV)})


def test_a_state_path_under_a_regular_file_exits_3_naming_it(
    tmp_path: Path, sock_dir: Path
) -> None:
    (tmp_path / "plain").write_text("not a directory\n")
    config = embedded_config(tmp_path, sock_dir / "s.sock", state="plain/state.db")
    result = _run(config, "run", "--until-idle")
    assert result.returncode == 3, result.stderr[-3000:]
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert str(tmp_path / "plain") in result.stderr and "not a directory" in result.stderr
    checked = syncwright("check-config", str(config), env={**os.environ, **ENV})
    assert checked.returncode == 3, checked.stdout + checked.stderr
    assert str(tmp_path / "plain") in checked.stderr and "not a directory" in checked.stderr


@contextlib.contextmanager
def read_only(directory: Path) -> Iterator[None]:
    """``directory`` unwritable for this process: mode 0500, or immutable for root (whom no
    mode stops)."""
    if os.geteuid() != 0:
        directory.chmod(stat.S_IRUSR | stat.S_IXUSR)
        try:
            yield
        finally:
            directory.chmod(0o700)
        return
    if shutil.which("chattr") is None:
        pytest.skip("root, and no chattr to make a directory immutable")
    made = subprocess.run(["chattr", "+i", str(directory)], capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"root, and chattr +i is refused here: {made.stderr.strip()}")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(directory)], check=True)


def test_a_read_only_state_directory_exits_3_naming_it(tmp_path: Path, sock_dir: Path) -> None:
    state = tmp_path / "ro"
    state.mkdir()
    config = embedded_config(tmp_path, sock_dir / "r.sock", state="ro/state.db")
    with read_only(state):
        result = _run(config, "run", "--until-idle")
        checked = syncwright("check-config", str(config), env={**os.environ, **ENV})
    # A state file (and its lock file) already there: an offline command that writes says
    # the same (SQLite cannot make its -wal file beside it).
    (state / "state.db").touch()
    (state / "state.db.lock").touch()
    with read_only(state):
        forget = _run(config, "forget", "old")
    assert forget.returncode == 3, forget.stderr[-3000:]
    assert str(state) in forget.stderr and "not writable" in forget.stderr
    assert result.returncode == 3, result.stderr[-3000:]
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert str(state) in result.stderr and "not writable" in result.stderr
    assert checked.returncode == 3, checked.stdout + checked.stderr
    assert str(state) in checked.stderr and "not writable" in checked.stderr


def test_check_config_refuses_a_missing_sandbox_credential_as_run_does(
    tmp_path: Path, sock_dir: Path
) -> None:
    config = embedded_config(tmp_path, sock_dir / "c.sock", key_env="SW_NOT_SET_ANYWHERE")
    env = {k: v for k, v in os.environ.items() if k != "SW_NOT_SET_ANYWHERE"}
    checked = syncwright("check-config", str(config), env={**env, **ENV})
    assert checked.returncode == 2, checked.stdout + checked.stderr
    assert "sandbox.erp.api_key" in checked.stderr and "SW_NOT_SET_ANYWHERE" in checked.stderr
    ran = syncwright("run", "--config", str(config), env={**env, **ENV})
    assert ran.returncode == 2, ran.stderr[-3000:]
    assert "SW_NOT_SET_ANYWHERE" in ran.stderr
    assert not (tmp_path / "state").exists(), "run created the state before failing"


def test_check_config_refuses_a_sandbox_data_dir_run_cannot_create(
    tmp_path: Path, sock_dir: Path
) -> None:
    config = embedded_config(tmp_path, sock_dir / "d.sock", data_dir="plain/sandbox")
    (tmp_path / "plain").write_text("a file where a directory should be\n")
    env = {**os.environ, **ENV}
    checked = syncwright("check-config", str(config), env=env)
    assert checked.returncode == 2, checked.stdout + checked.stderr
    assert "sandbox.data_dir" in checked.stderr and "is a file, not a directory" in checked.stderr
    ran = syncwright("run", "--config", str(config), env=env)
    assert ran.returncode == 2, ran.stderr[-3000:]
    assert "Traceback" not in ran.stderr and "is a file, not a directory" in ran.stderr
    assert not (tmp_path / "state").exists(), "run created the state before failing"
