"""A reload that fails after it stopped actors (a connector that cannot be built, a budget
that cannot be loaded) puts the old config back in force with its actors running; the
maintenance task survives a failed round. Both on a real daemon in this process."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import anyio
import pytest

from syncwright.daemon import runtime
from syncwright.daemon.config.load import load_config
from syncwright.daemon.jobs.queue import Queue
from syncwright.daemon.supervisor import Supervisor

pytestmark = pytest.mark.slow


def _config(tmp: Path, sock: Path, *, timeout: str = "30s", extra: str = "") -> str:
    return textwrap.dedent(f"""
        [daemon]
        state_file = "state/state.db"
        log_format = "json"

        [control]
        path = "{sock}"

        [sandbox]
        enabled = false

        [systems.erp]
        kind = "sandbox-erp"
        url = "http://127.0.0.1:9"
        timeout = "{timeout}"
        credentials = {{ api_key = {{ env = "SW_RELOAD_KEY" }} }}

        [systems.shop]
        kind = "sandbox-shop"
        url = "http://127.0.0.1:9"
        credentials = {{ api_key = {{ env = "SW_RELOAD_KEY" }} }}

        [connections.demo]
        source = "erp"
        channel = "shop"
        flows = ["products"]
        [connections.demo.schedule]
        recent = "1h"
        """) + textwrap.dedent(extra)


async def _running(sup: Supervisor, name: str) -> None:
    with anyio.fail_after(10):
        while name not in sup.slots or sup.slots[name].actor.state != "running":
            await anyio.sleep(0.01)


def test_a_reload_that_fails_to_build_a_connector_keeps_the_old_config_running(
    tmp_path: Path, sock_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SW_RELOAD_KEY", "reload-key")
    path = tmp_path / "config.toml"
    path.write_text(_config(tmp_path, sock_dir / "c.sock"))
    ready = anyio.Event()
    sup = Supervisor(load_config(path), path, on_ready=ready.set)
    real_build = runtime.build
    broken = {"on": False}

    def build(spec: Any, gate: Any) -> Any:
        if broken["on"] and spec.timeout == 45.0:  # the new config's spec only
            raise RuntimeError(f"cannot build {spec.name}: the factory broke")
        return real_build(spec, gate)

    monkeypatch.setattr(runtime, "build", build)
    second = '\n[connections.second]\nsource = "erp"\nchannel = "shop"\nflows = ["stock"]\n'

    async def main() -> None:
        async with anyio.create_task_group() as tg:
            tg.start_soon(sup.run)
            with anyio.fail_after(30):
                await ready.wait()
            await _running(sup, "demo")
            assert sup.services is not None
            old, old_erp = sup.config, sup.services.connectors["erp"]
            # The erp's connector must be rebuilt (new timeout), the demo actor restarted
            # (it uses the erp), a connection added; building fails after the actor stopped.
            path.write_text(_config(tmp_path, sock_dir / "c.sock", timeout="45s", extra=second))
            broken["on"] = True
            assert await sup.reload() is False
            assert sup.config is old
            assert sup.services.connectors["erp"] is not old_erp  # rebuilt as it was
            assert sup._built_from["erp"].timeout == 30.0
            await _running(sup, "demo")
            assert set(sup.slots) == {"demo"}
            # Fixed: the same file now reloads.
            broken["on"] = False
            assert await sup.reload() is True
            await _running(sup, "second")
            assert sup.config.systems["erp"].timeout == 45.0
            sup.request_stop()

    anyio.run(main)


def test_a_failed_maintenance_round_does_not_stop_the_next(
    tmp_path: Path, sock_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SW_RELOAD_KEY", "reload-key")
    path = tmp_path / "config.toml"
    path.write_text(_config(tmp_path, sock_dir / "c.sock"))
    sup = Supervisor(load_config(path), path)
    sup.maintenance_every = 0.01
    rounds: list[int] = []
    again = anyio.Event()
    real_reap = Queue.reap_expired

    async def reap(self: Queue, connection: str | None = None) -> int:
        rounds.append(len(rounds))
        if len(rounds) == 1:
            raise RuntimeError("a bad round")
        again.set()
        return await real_reap(self, connection)

    monkeypatch.setattr(Queue, "reap_expired", reap)

    async def main() -> None:
        async with anyio.create_task_group() as tg:
            tg.start_soon(sup.run)
            with anyio.fail_after(30):
                await again.wait()
            sup.request_stop()

    anyio.run(main)
    assert len(rounds) >= 2
