"""SparkLayer's "sync now": the Dashboard calls ``POST /v1/{siteEnv}/{siteId}/status/{type}``
on the integration, and a full resync of that data type starts.

Served on the webhook listener. The call must carry ``Authorization: Bearer <client_secret>``
of the SparkLayer system whose ``site_id`` is in the path (how SparkLayer authenticates this
call is not documented where we could read it: the shared secret is our assumption; put the
listener behind TLS). Answers as SparkLayer's Ignite spec lists them: 201 when a full sync of
the type started on every connection whose channel is that site, 400 when one is already
running (or the type is not one we sync), 401 when the secret does not match.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable

import structlog
from starlette.requests import Request
from starlette.responses import JSONResponse

from syncwright.daemon.clock import Clock
from syncwright.daemon.config.model import Config
from syncwright.daemon.flows import full
from syncwright.daemon.jobs.queue import Queue
from syncwright.daemon.store.db import Store

log = structlog.get_logger("syncwright.webhooks")

PATH = "/v1/{env}/{site}/status/{data_type}"
#: SparkLayer's sync data types -> the flows whose full sync they ask for.
FLOWS = {
    "products": ("products", "prices"),
    "stock": ("stock",),
    "customers": ("customers",),
}


class SyncTrigger:
    def __init__(
        self,
        store: Store,
        queue: Queue,
        clock: Clock,
        config: Callable[[], Config],
        secrets: Callable[[], dict[str, dict[str, str]]],
    ) -> None:
        self.store, self.queue, self.clock = store, queue, clock
        self.config, self.secrets = config, secrets

    async def handle(self, request: Request) -> JSONResponse:
        site, data_type = request.path_params["site"], request.path_params["data_type"]
        cfg = self.config()
        systems = [
            name
            for name, system in cfg.systems.items()
            if system.kind == "sparklayer" and getattr(system.settings, "site_id", None) == site
        ]
        given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        secrets = [self.secrets().get(name, {}).get("client_secret", "") for name in systems]
        if not given or not any(s and hmac.compare_digest(s, given) for s in secrets):
            log.warning("trigger.refused", site=site[:100])
            return _answer(401, "unknown site or bad credentials")
        flows = FLOWS.get(data_type)
        if flows is None:
            return _answer(400, f"{data_type[:50]} is not a data type this integration syncs")
        connections = [
            name
            for name, conn in cfg.connections.items()
            if conn.channel in systems and set(flows) & set(conn.flows)
        ]
        for name in connections:
            if await full.running(self.store, name):
                return _answer(400, f"a full sync of {name} is already running")
        now = self.clock.now()
        for name in connections:
            chosen = [f for f in flows if f in cfg.connections[name].flows]
            await full.start(self.store, self.queue, name, chosen, f"sparklayer {data_type}", now)
        log.info("trigger.started", site=site[:100], data_type=data_type, connections=connections)
        return _answer(201, "started")


def _answer(status: int, message: str) -> JSONResponse:
    return JSONResponse({"status": status, "message": message}, status_code=status)
