"""A contract suite any channel connector can run against its emulator or sandbox.

Call ``await check_channel(connector, fixture)`` from a test; it raises AssertionError with a
plain message on the first broken promise. ``fixture`` tells the suite what the remote holds
and how to make orders appear there (a ChannelFixture). The checks:

- products written with ``upsert_products`` read back (``read_products``) with the same
  content hash, so verification finds nothing to rewrite; a second write of the same products
  succeeds (an upsert, not a duplicate create);
- ``set_stock`` answers one result per level, keyed "SKU|location"; the quantities read back
  (``read_stock``) are the ones written; an unknown SKU is a per-item error, not an exception;
- catalogues and order books are one larger than the connector's ``max_page_size``, so every
  listing, read and page crosses a page boundary of the platform;
- when the channel is an OrderSource: paging ``changed_orders`` returns every order exactly
  once, each page's key strictly after the last; when it declares a change cursor
  (``Capabilities.order_cursor`` not "none") the orders come in non-decreasing token order and an
  inclusive ``since`` at the last token finds the last order again; ``list_orders`` holds the
  same orders; ``get_order`` finds each by its id and an unknown id is None;
- when it is a CustomerDirectory: look-up by e-mail ignores case.

Optional parts are chosen by the connector's declared protocols and capabilities, never by its
name. The back-office suite is connectors/backoffice_testing.py.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from syncwright.connectors.base import (
    ChangeQuery,
    ChannelConnector,
    CustomerDirectory,
    ListQuery,
    OrderSource,
)
from syncwright.connectors.model import Order, Product, StockLevel, Variant


@dataclass(frozen=True)
class ChannelFixture:
    #: A location name the connector maps (the back office's name).
    location: str
    #: Place ``count`` orders on the remote for SKUs it holds, buying as ``email``.
    place_orders: Callable[[Sequence[str], int, str], Awaitable[None]]


def sample_products(prefix: str = "CT", count: int = 3) -> list[Product]:
    return [
        Product(
            external_id=f"{prefix}-{n}",
            title=f"Contract product {n}",
            handle=f"{prefix.lower()}-product-{n}",
            variants=tuple(
                Variant(
                    external_id=f"{prefix}-{n}-{v}",
                    sku=f"{prefix}-{n}-{v}",
                    title=size,
                    position=v,
                    options={"Size": size},
                    price=Decimal(f"{10 + n}.{v}0"),
                    weight_grams=100 + v,
                )
                for v, size in enumerate(("S", "M"))
            ),
        )
        for n in range(count)
    ]


async def check_channel(channel: ChannelConnector, fixture: ChannelFixture) -> None:
    """The whole channel contract: products, then stock, orders and customers."""
    await check_channel_products(channel)
    await check_channel_stock_and_orders(channel, fixture)


def over_a_page(channel: ChannelConnector) -> int:
    """How many products (and orders) the suite uses: one more than the largest page the
    connector declares, so every listing and read it pages crosses a page boundary."""
    return channel.capabilities.max_page_size + 1


async def check_channel_products(channel: ChannelConnector) -> list[Product]:
    """Products written read back with the same content hash; a second write is an upsert.
    The catalogue is larger than the connector's largest page."""
    products = sample_products(count=over_a_page(channel))
    results = await channel.upsert_products(products)
    assert [r.external_id for r in results] == [p.external_id for p in products], results
    assert all(r.ok for r in results), [r.error for r in results if not r.ok]
    held = await channel.read_products([p.external_id for p in products] + ["CT-missing"])
    assert set(held) == {p.external_id for p in products}, sorted(held)
    for product in products:
        assert held[product.external_id].content_hash() == product.content_hash(), (
            f"{product.external_id} reads back differently:\n{held[product.external_id]}\n"
            f"wrote:\n{product}"
        )
    again = await channel.upsert_products(products)
    assert all(r.ok for r in again), [r.error for r in again if not r.ok]
    assert [r.remote_id for r in again] == [r.remote_id for r in results], "upsert made copies"
    return products


async def check_channel_stock_and_orders(
    channel: ChannelConnector, fixture: ChannelFixture
) -> None:
    """Stock written reads back; then orders and customers where the channel has them. Writes
    the sample products first (their read-back is check_channel_products' business). The
    order book is larger than the connector's largest page."""
    count = over_a_page(channel)
    products = sample_products(count=count)
    results = await channel.upsert_products(products)
    assert all(r.ok for r in results), [r.error for r in results if not r.ok]
    skus = [v.sku for p in products for v in p.variants if v.sku]
    levels = [
        StockLevel(sku=s, location=fixture.location, quantity=count + i) for i, s in enumerate(skus)
    ]
    written = await channel.set_stock(
        [*levels, StockLevel(sku="CT-nope", location=fixture.location, quantity=1)]
    )
    assert [r.external_id for r in written] == [f"{lv.sku}|{lv.location}" for lv in levels] + [
        f"CT-nope|{fixture.location}"
    ]
    assert all(r.ok for r in written[:-1]), [r.error for r in written if not r.ok]
    assert not written[-1].ok, "an unknown SKU must be refused per item"
    read = {(lv.sku, lv.location): lv.quantity for lv in await channel.read_stock(skus)}
    assert read == {lv.key: lv.quantity for lv in levels}, read

    if isinstance(channel, OrderSource):
        await fixture.place_orders(skus[:2], count, "Contract.Buyer@example.com")
        await _check_order_paging(channel, count, timed=channel.capabilities.order_cursor != "none")
    if isinstance(channel, CustomerDirectory):
        found = await channel.find_customers(email="contract.buyer@EXAMPLE.com", account_id=None)
        assert len(found) == 1 and (found[0].email or "").lower() == "contract.buyer@example.com"


async def _check_order_paging(channel: OrderSource, count: int, *, timed: bool) -> None:
    # A few pages of the suite's own, each crossing pages of the platform's. A channel with no
    # order cursor reads its whole order book for each page (audit mode): two pages then.
    limit = max(2, -(-count // (4 if timed else 2)))
    seen: list[Order] = []
    keys: list[tuple[str, str]] = []
    after = None
    for _ in range(count + 2):
        page = await channel.changed_orders(ChangeQuery(since=None, after=after, limit=limit))
        assert len(page.items) <= limit, f"a page of {len(page.items)} for a limit of {limit}"
        seen += page.items
        if page.items:
            assert page.last_key is not None, "a page with orders has no last key"
            keys.append(page.last_key)
        if page.complete:
            break
        # Only the source ends a pass: a page may be short or empty and still say more.
        assert page.resume_key is not None, "a page says more exists but not where"
        after = page.resume_key
    else:
        raise AssertionError("order paging never completes")
    ids = [o.external_id for o in seen]
    assert len(ids) == len(set(ids)) >= count, f"orders repeated or missing: {ids}"
    assert len(set(keys)) == len(keys), f"page keys repeat: {keys}"
    listed: list[str] = []
    list_after: str | None = None
    for _ in range(count + 2):
        lpage = await channel.list_orders(ListQuery(after=list_after, limit=limit))
        listed += [o.external_id for o in lpage.items]
        if lpage.complete:
            break
        assert lpage.resume_key is not None, "a listing page says more exists but not where"
        list_after = lpage.resume_key[1]
    assert sorted(listed) == sorted(ids), f"list_orders {listed} != changed_orders {ids}"
    if timed:
        tokens = [k[0] for k in keys]
        assert tokens == sorted(tokens), f"pages are not in token order: {keys}"
        stamps = [o.modified_at for o in seen]
        assert all(stamps), "a change-pulled order has no modified_at"
        assert stamps == sorted(s for s in stamps if s), "orders are not in updated order"
        last_token = keys[-1][0]
        again: list[str] = []  # many orders may share the last token: page through them
        again_after = None
        for _ in range(count + 2):
            more = await channel.changed_orders(
                ChangeQuery(since=last_token, after=again_after, limit=limit)
            )
            again += [o.external_id for o in more.items]
            again_after = more.last_key
            if more.complete or not more.items:
                break
        assert seen[-1].external_id in again, (
            f"since={last_token} is not inclusive: the last order is missing"
        )
    for order in seen[:2]:
        fetched = await channel.get_order(order.external_id)
        assert fetched is not None and fetched.external_id == order.external_id
        assert fetched.content_hash() == order.content_hash(), f"{order.external_id} differs"
    assert await channel.get_order("999999999") is None, "an unknown order id must be None"
