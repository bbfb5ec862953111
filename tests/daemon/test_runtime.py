"""The runtime starts the embedded sandbox through the connector registry (``[sandbox]``)."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import anyio
import pytest

from syncwright.connectors.base import ListQuery, OpenGate
from syncwright.connectors.errors import AuthError
from syncwright.connectors.registry import build
from syncwright.daemon import runtime
from syncwright.daemon.config.load import parse_config

KEY = "embedded-test-key"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_the_sandbox_servers_start_as_the_kinds_embedded_servers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SW_TEST_SANDBOX_KEY", KEY)
    erp_port, shop_port = free_port(), free_port()
    ref = {"api_key": {"env": "SW_TEST_SANDBOX_KEY"}}
    common = {"credentials": ref}
    config = parse_config(
        {
            "sandbox": {
                "enabled": True,
                "data_dir": "sandbox",
                "erp": {"listen": f"127.0.0.1:{erp_port}", "products": 3, **ref},
                "shop": {"listen": f"127.0.0.1:{shop_port}", "locations": ["north"], **ref},
            },
            "systems": {
                "erp": {"kind": "sandbox-erp", "url": f"http://127.0.0.1:{erp_port}", **common},
                "shop": {"kind": "sandbox-shop", "url": f"http://127.0.0.1:{shop_port}", **common},
            },
        },
        base_dir=tmp_path,
    )

    async def listed(system: str, key: str) -> int:
        """Products the sandbox ERP lists, or orders the sandbox shop lists, through the
        connector built from the runtime's spec of the system."""
        spec = runtime.system_spec(config, system, {system: {"api_key": key}})
        connector: Any = build(spec, OpenGate())
        query = ListQuery(after=None, limit=100)
        try:
            page = await (connector.list_products if system == "erp" else connector.list_orders)(
                query
            )
        finally:
            await connector.aclose()
        return len(page.items)

    async def main() -> tuple[int, int]:
        async with anyio.create_task_group() as tg:
            await runtime.start_sandbox(tg, config)
            counts = await listed("erp", KEY), await listed("shop", KEY)
            with pytest.raises(AuthError):  # the servers take the key the config names
                await listed("erp", "wrong-key")
            tg.cancel_scope.cancel()
        return counts

    assert anyio.run(main) == (3, 0)
    assert {p.name for p in (tmp_path / "sandbox").iterdir()} >= {"erp.db", "shop.db"}
