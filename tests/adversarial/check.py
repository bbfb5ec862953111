"""A daemon config for the adversarial source, and the verdict: does the channel equal it?"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
from harness import config_file

from adversarial.feed import LOCATION, Feed, product_json
from syncwright.connectors.base import OpenGate, SystemSpec
from syncwright.connectors.registry import kind as kind_of
from syncwright.connectors.sandbox.clients.build import build_shop
from syncwright.connectors.sandbox.wire.products import erp_product

#: The rest kind's manifests for the source's two wires: the sandbox back office's keyset
#: pages (the shipped example) and numbered pages with a Link header (numbered.toml here).
MANIFESTS = {
    "rest": Path(__file__).resolve().parents[2] / "connectors/rest/examples/keyset.toml",
    "rest-numbered": Path(__file__).resolve().parent / "numbered.toml",
}

#: Retries fast enough for a test that lasts seconds; the give-up times stay the defaults.
FAST_RETRY = """
[daemon.retry]
base = "0.05s"
cap = { sale = "0.5s", manual = "0.5s", recent = "0.5s", ghost = "0.5s", full = "0.5s" }
"""


def write_config(
    folder: Path,
    source_url: str,
    shop_url: str,
    *,
    page_size: int = 10,
    overlap: str = "2m",
    timeout: str = "1s",
    pull_mode: str = "auto",
    source_kind: str = "sandbox-erp",
) -> Path:
    """A config: the adversarial source -> a sandbox shop, products and stock, fast retries;
    the credential comes from the variable SYNCWRIGHT_TEST_KEY. The source is read by the
    sandbox back office's connector (``source_kind`` "sandbox-erp"), or by the rest kind with
    the keyset example manifest on the same wire ("rest"), or with numbered.toml on the
    source's second wire ("rest-numbered")."""
    if source_kind in MANIFESTS:
        source = f"""
        kind = "rest"
        credentials = {{ secret = {{ env = "SYNCWRIGHT_TEST_KEY" }} }}
        settings = {{ manifest = "{MANIFESTS[source_kind]}" }}"""
    else:
        source = """
        kind = "sandbox-erp"
        credentials = { api_key = { env = "SYNCWRIGHT_TEST_KEY" } }"""
    body = textwrap.dedent(f"""
        [systems.erp]{source}
        url = "{source_url}"
        timeout = "{timeout}"
        [systems.erp.budget.windows.minute]
        limit = 100000

        [systems.shop]
        kind = "sandbox-shop"
        url = "{shop_url}"
        credentials = {{ api_key = {{ env = "SYNCWRIGHT_TEST_KEY" }} }}
        [systems.shop.budget.windows.minute]
        limit = 100000

        [connections.adv]
        source = "erp"
        channel = "shop"
        flows = ["products", "stock"]
        page_size = {page_size}
        overlap = "{overlap}"
        pull_mode = "{pull_mode}"
        workers = 4
        [connections.adv.schedule]
        recent = "1h"
        """)
    return config_file(folder, FAST_RETRY + body)


@dataclass(frozen=True)
class Comparison:
    """What differs between the channel and the source after a scenario."""

    #: Products whose channel copy differs from the source (id -> why), late commits aside.
    differ: dict[int, str]
    #: Late commits beyond the overlap the channel did not get: expected, counted.
    late_missed: dict[int, float]
    #: Stock levels that differ: "SKU|location" -> (source, channel).
    stock: dict[str, tuple[int | None, int | None]]

    @property
    def equal(self) -> bool:
        return not self.differ and not self.stock


def compare(feed: Feed, shop_url: str, api_key: str, *, overlap: float) -> Comparison:
    """Read the channel over its API and hold it against the feed: every visible item with
    its content hash (deleted ones, by marker or by absence, as discontinued) and its stock.
    A late commit stamped more than ``overlap`` seconds back may be missing: it is counted in
    ``late_missed``, not an error."""
    with feed.lock:
        expected = {i.id: product_json(i) for i in feed.visible()}
        for pid, last in feed.vanished.items():
            expected[pid] = {**last, "deleted": True}
        levels = {f"ADV-{i.id}|{LOCATION}": i.quantity for i in feed.visible() if not i.deleted}
        late = dict(feed.late)
    products = {pid: erp_product(body, "erp")[0] for pid, body in expected.items()}
    held, stock = anyio.run(_read_channel, shop_url, api_key, [str(p) for p in products])
    differ: dict[int, str] = {}
    missed: dict[int, float] = {}
    for pid, record in products.items():
        copy = held.get(str(pid))
        if copy is not None and copy.content_hash() == record.content_hash():
            continue
        why = "missing" if copy is None else f"channel has {copy.title!r}/{copy.status}"
        if pid in late and late[pid] > overlap:
            missed[pid] = late[pid]
        else:
            differ[pid] = f"source has {record.title!r}/{record.status}; {why}"
    bad_stock = {
        key: (quantity, stock.get(key))
        for key, quantity in levels.items()
        if stock.get(key) != quantity
    }
    return Comparison(differ, missed, bad_stock)


async def _read_channel(
    shop_url: str, api_key: str, ids: list[str]
) -> tuple[dict[str, Any], dict[str, int]]:
    spec = SystemSpec(
        name="shop",
        kind="sandbox-shop",
        url=shop_url,
        settings=kind_of("sandbox-shop").settings(),
        secrets={"api_key": api_key},
    )
    shop = build_shop(spec, OpenGate())
    try:
        held = await shop.read_products(ids)
        levels = await shop.read_stock([f"ADV-{pid}" for pid in ids])
        return held, {f"{s.sku}|{s.location}": s.quantity for s in levels}
    finally:
        await shop.aclose()
