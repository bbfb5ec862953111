"""What a platform's webhooks look like to the daemon's receiver, and what they mean.

A platform that pushes change notices provides a ``WebhookFormat``: which headers carry the
topic and the delivery id, how a body's signature is checked (in constant time), and how a
body becomes ``Notice`` records. Notices name items the way the daemon's event jobs want them
(a SKU, an order id); when a platform only gives its own id (Shopify's inventory item), the
notice says so and the receiver asks the connector (``resolve_sku``) before queueing a job.
A kind names its format in its registry entry (connectors/registry.py, ``Kind.webhooks``).
A platform that sends no delivery-id or topic header (Xero) gives its format an
``identify(body, headers) -> (delivery id, topic)`` method, and ``empty_answers = True`` when it
wants its answers without a body; the receiver looks for both.
A platform that sends no topic header (BigCommerce: the scope is in the body) also gives
``topic_of(body) -> str``, which the receiver asks when the header is absent.
A platform that posts form fields and signs nothing (Lightspeed X-Series) gives
``unwrap(body, headers) -> (topic, delivery id, JSON body)`` (ValueError when unusable), and
``key_in_url = True``: the receiver then accepts a delivery only when the URL's ``key`` query
parameter equals the system's secret (compared in constant time), instead of ``verify``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol

Entity = Literal["product", "stock", "order", "customer", "inventory_item"]


@dataclass(frozen=True, slots=True)
class Notice:
    entity: Entity
    id: str
    #: The item's change time as the notice gives it (ISO 8601), for stale-event checks.
    token: str | None = None
    #: Stock notices: the location (the platform's id, or once resolved the back office's
    #: name) and the quantity the platform now holds, so an echo of our own write is skipped.
    location: str | None = None
    quantity: int | None = None
    #: Product notices: a digest of what the notice says the channel holds, in the form the
    #: channel's connector also takes of what it writes, so an echo of our own write is skipped.
    digest: str | None = None


class WebhookFormat(Protocol):
    topic_header: str
    delivery_header: str
    #: The system credential that keys the signature.
    secret_name: str

    def verify(self, secret: str, body: bytes, headers: Mapping[str, str]) -> bool: ...

    def notices(self, topic: str, payload: Any) -> list[Notice]:
        """What the delivery announces; raises ValueError when the payload is unusable."""
        ...
