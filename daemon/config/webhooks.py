"""The ``[webhooks]`` section: the optional HTTP listener for platforms' change notices.

    [webhooks]
    enabled = true
    listen = "127.0.0.1:8703"     # loopback by default; put a TLS proxy in front for the world
    max_body = 1048576            # bytes; larger deliveries get 413
    retry_every = 30              # seconds between tries of events not yet turned into jobs
    keep_days = 30                # processed events are deleted after this

Each system that sends webhooks gets the path ``/webhooks/<system name>``.
"""

from __future__ import annotations

from pydantic import Field

from syncwright.daemon.config.types import Listen, StrictModel


class WebhooksConfig(StrictModel):
    enabled: bool = False
    listen: Listen = "127.0.0.1:8703"
    max_body: int = Field(default=1024 * 1024, ge=1024, le=64 * 1024 * 1024)
    #: How often stored events that could not be turned into jobs yet are tried again.
    retry_every: float = Field(default=30.0, gt=0)
    #: Processed events are kept this many days (for replay-events), then deleted.
    keep_days: float = Field(default=30.0, gt=0)
