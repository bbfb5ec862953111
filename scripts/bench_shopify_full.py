"""The --full-resync mode of bench_shopify.py: calls and cost points of a full product sync
that verifies N products already on Shopify, read in bulk versus page by page.

After the initial sync (which writes every product), the daemon runs in-process and an
operator full sync of the products flow is started twice: once with the connection's
``bulk_read_threshold`` at 1 (one bulkOperationRunQuery for the whole catalogue), once at 0
(the paged reads: productByIdentifier aliases, as many per call as fit 1,000 points). Nothing
drifted, so neither writes; the difference is the reading alone.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import httpx


def set_threshold(config: Path, threshold: int) -> None:
    text = config.read_text()
    text = re.sub(r"\nbulk_read_threshold = \d+", "", text)
    text = text.replace(
        'channel = "shop"\n', f'channel = "shop"\nbulk_read_threshold = {threshold}\n'
    )
    config.write_text(text)


def run_full_sync(config: Path) -> float:
    """Start the daemon in-process (burst), start a products full sync, wait for the end."""
    from syncwright.daemon.config.load import load_config
    from syncwright.daemon.supervisor import Supervisor

    async def main() -> float:
        sup = Supervisor(load_config(config), config, burst=True)
        started = time.monotonic()
        async with anyio.create_task_group() as tg:
            tg.start_soon(sup.run)
            while "bench" not in sup.slots or sup.slots["bench"].actor.scheduler is None:  # noqa: ASYNC110
                await anyio.sleep(0.01)
            started = time.monotonic()
            if await sup.slots["bench"].actor.start_full_sync(["products"]) is None:
                raise SystemExit("no full sync started")
        return time.monotonic() - started

    return anyio.run(main)


def measure(
    url: str, token: str, config: Path, env: dict[str, str], threshold: int
) -> dict[str, Any]:
    def stats() -> dict[str, Any]:
        found: dict[str, Any] = httpx.get(
            f"{url}/_emulator/stats", headers={"X-Shopify-Access-Token": token}, timeout=60
        ).json()
        return found

    set_threshold(config, threshold)
    os.environ.update(env)
    before = stats()
    seconds = run_full_sync(config)
    after = stats()
    ops = {
        k: v - before["by_operation"].get(k, 0)
        for k, v in after["by_operation"].items()
        if v - before["by_operation"].get(k, 0)
    }
    return {
        "seconds": seconds,
        "calls": after["calls"] - before["calls"],
        "requested": after["requested"] - before["requested"],
        "actual": after["actual"] - before["actual"],
        "throttled": after["throttled"] - before["throttled"],
        "ops": ops,
    }


def report(n: int, bulk: dict[str, Any], paged: dict[str, Any], fmt: Callable[..., str]) -> str:
    def row(name: str, key: str) -> str:
        saved = paged[key] - bulk[key]
        return f"| {name} | {fmt(bulk[key])} | {fmt(paged[key])} | {fmt(saved)} |"

    def ops(found: dict[str, int]) -> str:
        return ", ".join(f"{k} {v:,}" for k, v in sorted(found.items()))

    return "\n".join(
        [
            f"| full sync of {n:,} products, nothing drifted | bulk read | paged reads | saved |",
            "|---|---|---|---|",
            row("GraphQL calls", "calls"),
            row("cost points, actual", "actual"),
            row("cost points, requested", "requested"),
            row("THROTTLED answers", "throttled"),
            f"| wall time | {bulk['seconds']:.1f} s | {paged['seconds']:.1f} s | |",
            f"| calls by root field | {ops(bulk['ops'])} | {ops(paged['ops'])} | |",
        ]
    )
