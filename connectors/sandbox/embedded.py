"""The sandbox servers as the daemon embeds them (``[sandbox]``): the ``embedded`` hooks of the
``sandbox-erp`` and ``sandbox-shop`` kinds in connectors/registry.py.

Each hook turns the daemon's EmbeddedSpec into the server's own settings (which check their
values) and serves until cancelled. The servers are imported only when a hook runs.
"""

from __future__ import annotations

from typing import TypeVar

import anyio
from anyio.abc import TaskStatus

from syncwright.connectors.base import EmbeddedSpec
from syncwright.connectors.sandbox.settings import DEMO_KEY, ErpSettings, ShopSettings

S = TypeVar("S", ErpSettings, ShopSettings)


def _settings(model: type[S], spec: EmbeddedSpec, database: str) -> S:
    return model(
        db_path=spec.data_dir / database,
        host=spec.host,
        port=spec.port,
        api_key=spec.api_key or DEMO_KEY,
        **spec.options,
    )


async def serve_erp(
    spec: EmbeddedSpec, *, task_status: TaskStatus[str] = anyio.TASK_STATUS_IGNORED
) -> None:
    """Serve the sandbox back office with its database ``erp.db`` in ``spec.data_dir``."""
    from syncwright.connectors.sandbox.erp.app import serve_erp as serve

    await serve(_settings(ErpSettings, spec, "erp.db"), task_status=task_status)


async def serve_shop(
    spec: EmbeddedSpec, *, task_status: TaskStatus[str] = anyio.TASK_STATUS_IGNORED
) -> None:
    """Serve the sandbox shop with its database ``shop.db`` in ``spec.data_dir``."""
    from syncwright.connectors.sandbox.shop.app import serve_shop as serve

    await serve(_settings(ShopSettings, spec, "shop.db"), task_status=task_status)
