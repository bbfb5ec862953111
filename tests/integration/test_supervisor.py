"""Supervision: a crashing actor is restarted alone, with its crash logged and counted."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import pytest
from harness import async_wait_until
from helpers import API_KEY, assert_converged, write_config

from syncwright.daemon import supervisor as supervisor_module
from syncwright.daemon.actor import Actor
from syncwright.daemon.config.load import load_config
from syncwright.daemon.supervisor import Supervisor

pytestmark = pytest.mark.slow


def test_a_crashing_actor_is_restarted_alone(
    sandbox_factory: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    box = sandbox_factory(products=30, variants=1)
    config_path = write_config(
        tmp_path,
        box,
        extra="""
        [connections.steady]
        source = "erp"
        channel = "shop"
        flows = ["stock"]
        """,
    )
    monkeypatch.setenv("SYNCWRIGHT_TEST_KEY", API_KEY)
    crashes = {"demo": 0}

    class FlakyActor(Actor):
        async def run(self, **kwargs: Any) -> None:
            if self.name == "demo" and crashes["demo"] < 2:
                crashes["demo"] += 1
                raise RuntimeError("boom in the actor itself")
            await super().run(**kwargs)

    monkeypatch.setattr(supervisor_module, "Actor", FlakyActor)
    monkeypatch.setattr(supervisor_module, "RESTART_CAP", 0.2)
    sup = Supervisor(load_config(config_path), config_path, burst=True)
    seen: dict[str, int] = {}

    async def main() -> None:
        async with anyio.create_task_group() as tg:
            tg.start_soon(sup.run)
            with anyio.fail_after(60):
                await async_wait_until(
                    lambda: sup.slots, timeout=60, interval=0.01, message="no actor started"
                )

                def all_done() -> bool:
                    seen.update({n: s.restarts for n, s in sup.slots.items()})
                    return not sup.slots

                await async_wait_until(
                    all_done, timeout=60, interval=0.01, message="the burst run did not end"
                )

    anyio.run(main)
    assert crashes["demo"] == 2
    assert seen == {"demo": 2, "steady": 0}
    assert_converged(box)
