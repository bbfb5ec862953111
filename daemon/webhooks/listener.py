"""The webhook receiver: an optional HTTP listener, one path per system (``/webhooks/<name>``).

Served by uvicorn + starlette inside the supervisor's task group. For each delivery, in order:
the system must exist and its kind must send webhooks (404); the body may not exceed
``[webhooks] max_body`` (413, checked on Content-Length and while reading); the signature must
verify against the system's secret, compared in constant time (401, nothing stored; or, for a
format with ``key_in_url``, the URL's ``key`` must equal it); the delivery id and topic headers
must be present (or the format's ``identify``/``topic_of``/``unwrap`` finds them in the body)
and the body must be JSON (400). Then the raw
event is stored, deduplicated by (system, delivery id), and only then is 200 returned, so an
answered delivery is never lost. Turning stored events into jobs happens after the answer
(dispatch.py), which keeps the answer far inside Shopify's 5 s. The same listener serves
SparkLayer's "sync now" trigger (trigger.py).
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable
from typing import Any

import anyio
import structlog
from anyio.abc import TaskGroup, TaskStatus
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from syncwright.connectors.registry import webhook_format
from syncwright.connectors.serving import serve_asgi
from syncwright.daemon.actor import Services
from syncwright.daemon.clock import Clock
from syncwright.daemon.config.model import Config
from syncwright.daemon.config.types import split_listen
from syncwright.daemon.jobs.queue import Queue
from syncwright.daemon.ops.listen import listening
from syncwright.daemon.store.db import Store
from syncwright.daemon.webhooks import inbox
from syncwright.daemon.webhooks.trigger import PATH as TRIGGER_PATH
from syncwright.daemon.webhooks.trigger import SyncTrigger

log = structlog.get_logger("syncwright.webhooks")

#: Headers kept with the event (the rest, e.g. cookies from a proxy, are dropped).
KEPT_PREFIXES = ("x-shopify-", "content-type", "user-agent")


class TooLarge(Exception):
    pass


class WebhookReceiver:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        config: Callable[[], Config],
        secrets: Callable[[], dict[str, dict[str, str]]],
        on_stored: Callable[[], None] = lambda: None,
        queue: Queue | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.config = config
        self.secrets = secrets
        self.on_stored = on_stored
        self.app = Starlette(routes=[Route("/webhooks/{system}", self.receive, methods=["POST"])])
        if queue is not None:  # SparkLayer's Dashboard "sync now" (trigger.py)
            trigger = SyncTrigger(store, queue, clock, config, secrets)
            self.app.router.routes.append(Route(TRIGGER_PATH, trigger.handle, methods=["POST"]))

    async def serve(self, *, task_status: TaskStatus[str] = anyio.TASK_STATUS_IGNORED) -> None:
        host, port = split_listen(self.config().webhooks.listen)
        await serve_asgi(self.app, host, port, task_status=task_status)

    async def receive(self, request: Request) -> Response:
        name = request.path_params["system"]
        cfg = self.config()
        system = cfg.systems.get(name)
        fmt = webhook_format(system.kind) if system is not None else None
        if system is None or fmt is None:
            return _answer(404, "no system here takes webhooks")
        limit = cfg.webhooks.max_body
        try:
            body = await _read(request, limit)
        except TooLarge:
            log.warning("webhook.too_large", system=name, limit=limit)
            return _answer(413, f"body over {limit} bytes")
        except ClientDisconnect:
            return _answer(400, "the sender went away")
        secret = self.secrets().get(name, {}).get(fmt.secret_name, "")
        headers = {k.lower(): v for k, v in request.headers.items()}
        if getattr(fmt, "key_in_url", False):
            # No signature to check (X-Series): the URL must carry the system's key.
            given = request.query_params.get("key", "").encode()
            trusted = bool(secret) and hmac.compare_digest(given, secret.encode())
        else:
            trusted = bool(secret) and fmt.verify(secret, body, headers)
        if not trusted:
            log.warning("webhook.bad_signature", system=name, client=_client(request))
            if getattr(fmt, "empty_answers", False):
                return Response(status_code=401)  # Xero's Intent to Receive: empty body
            return _answer(401, "signature does not verify")
        # A platform that sends no id or topic headers (Xero) names them from the body; one
        # that sends a form (X-Series) turns it into topic, delivery id and a JSON body.
        identify = getattr(fmt, "identify", None)
        unwrap = getattr(fmt, "unwrap", None)
        if unwrap is not None:
            try:
                topic, delivery, body = unwrap(body, headers)
            except ValueError as exc:
                log.warning("webhook.bad_form", system=name, error=str(exc)[:200])
                return _answer(400, f"unreadable delivery: {exc}")
        elif identify is not None:
            delivery, topic = identify(body, headers)
        else:
            delivery = headers.get(fmt.delivery_header, "").strip()
            topic = headers.get(fmt.topic_header, "").strip()
        topic_of = getattr(fmt, "topic_of", None)
        if not topic and topic_of is not None:  # a platform with the topic in the body only
            topic = str(topic_of(body)).strip()
        if not delivery or not topic or len(delivery) > 200 or len(topic) > 200:
            log.warning("webhook.bad_headers", system=name, topic=topic[:200])
            return _answer(400, f"{fmt.delivery_header} and {fmt.topic_header} are required")
        try:
            json.loads(body)
        except ValueError:
            log.error("webhook.bad_json", system=name, topic=topic, delivery=delivery)
            return _answer(400, "the body is not JSON")
        kept = {k: v for k, v in headers.items() if k.startswith(KEPT_PREFIXES)}
        stored = await self.store.write(
            lambda conn: inbox.store_delivery(
                conn, name, delivery, topic, self.clock.now(), json.dumps(kept), body
            )
        )
        if stored:
            log.info("webhook.stored", system=name, topic=topic, delivery=delivery)
            self.on_stored()
        else:
            log.info("webhook.duplicate", system=name, topic=topic, delivery=delivery)
        if getattr(fmt, "empty_answers", False):
            return Response(status_code=200)  # Xero: 200 with an empty body
        return _answer(200, "stored" if stored else "duplicate")


async def _read(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise TooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _answer(status: int, message: str) -> JSONResponse:
    return JSONResponse({"status": status, "message": message}, status_code=status)


def _client(request: Request) -> Any:
    return request.client.host if request.client else None


async def start(
    tg: TaskGroup,
    services: Services,
    config: Callable[[], Config],
    secrets: Callable[[], dict[str, dict[str, str]]],
) -> str:
    """Start the receiver and its dispatcher in ``tg``; returns the listener's base URL."""
    from syncwright.daemon.webhooks.dispatch import EventDispatcher

    dispatcher = EventDispatcher(
        services.store, services.queue, services.clock, config, services.connectors
    )
    receiver = WebhookReceiver(
        services.store,
        services.clock,
        config,
        secrets,
        on_stored=dispatcher.wake,
        queue=services.queue,
    )
    tg.start_soon(dispatcher.run, name="webhooks.dispatch")
    url: str = await listening(
        "the webhook receiver",
        config().webhooks.listen,
        "[webhooks] listen",
        tg.start(receiver.serve, name="webhooks.http"),
    )
    log.info("webhooks.listening", url=url)
    return url
