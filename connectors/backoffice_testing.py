"""A contract suite any back-office connector runs against its emulator, sandbox or real server.

Call ``await check_back_office(source, fixture)`` from a test; it raises AssertionError with a
plain message on the first broken promise. The connector is only used through the protocols
of connectors/base.py; the ``fixture`` (a BackOfficeFixture) is the platform test's own way of
changing the back office behind the connector's back, as a person or another program would.

The catalogue is one product larger than the platform's largest page (the fixture's
``page_size``, else the connector's ``max_page_size``), each product with priced variants in
stock at one location, so every listing and change pass crosses a page boundary. The checks:

- ``list_products`` / ``list_stock`` page by id: every seeded product once, every seeded level
  at its quantity, no page over its limit, the pass ends only when the source says so;
- ``changed_products`` / ``changed_stock``: a pass from the beginning holds every seeded item
  once with keys that never repeat; a pass from ``since`` = the last token (an inclusive bound)
  finds the item(s) of that token again, and an edit made after it; a new pass from the
  beginning still holds everything (nothing before the cursor is lost);
- ``get_product`` by id and by SKU, the same content as listed; unknown ones are None;
  ``get_stock`` finds the seeded quantities and ignores an unknown SKU;
- a deleted or deactivated product is absent or discontinued wherever it is read;
- ProductIdLister (when the connector is one): every live id once, the removed one absent;
- CustomerDirectory: two customers sharing an e-mail are both returned (in any case of the
  e-mail), an account id finds its customer, a created customer is found by its e-mail;
- OrderTarget: ``find_order`` is None before and the id after ``create_order``; a second
  create raises AlreadyPosted with that id; ``amend_order`` takes the changed order; an order
  book over a page, each found by its reference; OrderWorkflow steps end; ShipmentLookup
  does not see a shipment before ``add_shipment`` and sees it after.

Optional parts are chosen by the connector's protocols and by the fixture. What a platform
lacks is None (or False) in the fixture and its check is skipped with a BackOfficeCheckSkipped
warning naming it: visible in the test report, never silently passed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from syncwright.connectors.backoffice_fixture import (
    BackOfficeCheckSkipped,
    BackOfficeFixture,
    SeededCustomers,
    SeededProduct,
    page_size,
    skip,
)
from syncwright.connectors.backoffice_sales import check_customers, check_orders
from syncwright.connectors.base import (
    ChangeQuery,
    ListQuery,
    Page,
    ProductIdLister,
    SourceConnector,
)
from syncwright.connectors.model import Product

__all__ = [
    "BackOfficeCheckSkipped",
    "BackOfficeFixture",
    "SeededCustomers",
    "SeededProduct",
    "check_back_office",
]

T = TypeVar("T")


async def check_back_office(source: SourceConnector, fixture: BackOfficeFixture) -> None:
    """The whole back-office contract: catalogue, stock, changes, customers, orders."""
    size = page_size(source, fixture)
    seeded = list(await fixture.seed_products(size + 1))
    assert len(seeded) == size + 1, f"the fixture seeded {len(seeded)} of {size + 1} products"
    least = fixture.variants
    assert all(len(p.prices) >= least for p in seeded), f"seed {least} variants per product"
    # Stock of 0 may leave no trace in a change feed (no move made it): seed some of each.
    assert all(q > 0 for p in seeded for q in p.stock.values()), "seed every SKU in stock"
    listed = await check_listings(source, fixture, seeded, size)
    await check_lookups(source, fixture, seeded, listed)
    await check_product_changes(source, fixture, seeded, listed, size)
    await check_stock_changes(source, fixture, seeded, size)
    await check_removal(source, fixture, seeded[1].product_id, size)
    await check_customers(source, fixture)
    await check_orders(source, fixture, seeded, size)


async def _pages(
    fetch: Callable[[object], Awaitable[Page[T]]], limit: int, what: str, bound: int
) -> tuple[list[T], list[tuple[str, str]]]:
    """Every item of one pass and the last key of each page; ``fetch(resume)`` asks for the
    page after ``resume`` (None first)."""
    items: list[T] = []
    keys: list[tuple[str, str]] = []
    resume: object = None
    for _ in range(bound + 2):
        page = await fetch(resume)
        assert len(page.items) <= limit, f"{what}: a page of {len(page.items)} for {limit}"
        items += page.items
        if page.items:
            assert page.last_key is not None, f"{what}: a page with items has no last key"
            keys.append(page.last_key)
        if page.complete:
            return items, keys
        assert page.resume_key is not None, f"{what}: a page says more exists but not where"
        resume = page.resume_key
    raise AssertionError(f"{what}: paging never completes")


def _listing(
    read: Callable[[ListQuery], Awaitable[Page[T]]], limit: int
) -> Callable[[object], Awaitable[Page[T]]]:
    def fetch(resume: object) -> Awaitable[Page[T]]:
        after = None if resume is None else resume[1]  # type: ignore[index]
        return read(ListQuery(after=after, limit=limit))

    return fetch


def _changes(
    read: Callable[[ChangeQuery], Awaitable[Page[T]]], since: str | None, limit: int
) -> Callable[[object], Awaitable[Page[T]]]:
    def fetch(resume: object) -> Awaitable[Page[T]]:
        return read(ChangeQuery(since=since, after=resume, limit=limit))  # type: ignore[arg-type]

    return fetch


def _once(ids: Sequence[str], wanted: set[str], what: str) -> None:
    repeated = sorted(i for i, n in Counter(ids).items() if n > 1 and i in wanted)
    assert not repeated, f"{what}: repeated {repeated[:10]}"
    missing = sorted(wanted - set(ids))
    assert not missing, f"{what}: {len(missing)} missing, e.g. {missing[:10]}"


async def check_listings(
    source: SourceConnector, fixture: BackOfficeFixture, seeded: list[SeededProduct], size: int
) -> dict[str, Product]:
    """Full listings page across the platform's page boundary and hold all seeded items."""
    bound = 4 * len(seeded)
    products, keys = await _pages(_listing(source.list_products, size), size, "products", bound)
    assert len(keys) >= 2, f"{len(seeded)} products listed in one page of {size}"
    ids = [p.external_id for p in products]
    assert len(ids) == len(set(ids)), "list_products repeats products"
    _once(ids, {p.product_id for p in seeded}, "list_products")
    by_id = {p.external_id: p for p in products}
    for made in seeded:
        prices = {v.sku: v.price for v in by_id[made.product_id].variants}
        assert prices == made.prices, f"{made.product_id}: prices {prices} != {made.prices}"
    levels, _ = await _pages(_listing(source.list_stock, size), size, "stock", bound)
    held = {lv.key: lv.quantity for lv in levels}
    assert len(held) == len(levels), "list_stock repeats a (SKU, location)"
    wanted = {(sku, fixture.location): q for p in seeded for sku, q in p.stock.items()}
    wrong = {k: (held.get(k), q) for k, q in wanted.items() if held.get(k) != q}
    assert not wrong, f"list_stock: {len(wrong)} wrong (held, seeded): {list(wrong.items())[:5]}"
    if isinstance(source, ProductIdLister):
        listed_ids, _ = await _pages(
            _listing(source.list_product_ids, size), size, "product ids", bound
        )
        assert len(listed_ids) == len(set(listed_ids)), "list_product_ids repeats ids"
        _once(listed_ids, {p.product_id for p in seeded}, "list_product_ids")
    else:
        skip(fixture, "ProductIdLister: the connector does not list product ids")
    return by_id


async def check_lookups(
    source: SourceConnector,
    fixture: BackOfficeFixture,
    seeded: list[SeededProduct],
    listed: dict[str, Product],
) -> None:
    """get_product by id and by SKU; get_stock by SKU; unknown ones are None / absent."""
    for made in (seeded[0], seeded[-1]):
        by_id = await source.get_product(made.product_id)
        assert by_id is not None, f"get_product({made.product_id!r}) found nothing"
        assert by_id.content_hash() == listed[made.product_id].content_hash(), (
            f"{made.product_id} reads differently by id than listed"
        )
        sku = sorted(made.prices)[-1]
        by_sku = await source.get_product(sku)
        assert by_sku is not None and by_sku.external_id == made.product_id, (
            f"get_product({sku!r}) did not find product {made.product_id}"
        )
        levels = await source.get_stock([*made.stock, "BO-NO-SUCH-SKU"])
        got = {lv.sku: lv.quantity for lv in levels if lv.location == fixture.location}
        assert got == made.stock, f"get_stock {got} != seeded {made.stock}"
    assert await source.get_product("BO-NO-SUCH-SKU") is None, "an unknown SKU must be None"
    assert await source.get_product("987654321") is None, "an unknown id must be None"


def _check_keys(keys: list[tuple[str, str]], timed: bool, what: str) -> None:
    assert len(set(keys)) == len(keys), f"{what}: page keys repeat"
    if timed:
        tokens = [k[0] for k in keys]
        assert tokens == sorted(tokens), f"{what}: pages out of token order"


async def check_product_changes(
    source: SourceConnector,
    fixture: BackOfficeFixture,
    seeded: list[SeededProduct],
    listed: dict[str, Product],
    size: int,
) -> None:
    """A change pass holds everything once; an inclusive ``since`` keeps the last token's
    items; an edit after the cursor appears; nothing before it is lost."""
    if source.capabilities.cursor == "none":
        skip(fixture, "changed_products: the platform has no change cursor (audit mode)")
        return
    timed = source.capabilities.cursor == "time"
    wanted = {p.product_id for p in seeded}
    bound = 4 * len(seeded)
    first, keys = await _pages(_changes(source.changed_products, None, size), size, "ch", bound)
    _check_keys(keys, timed, "changed_products")
    _once([p.external_id for p in first], wanted, "changed_products from the start")
    cursor = keys[-1][0]
    at_cursor = first[-1].external_id
    edited = seeded[0].product_id
    if fixture.edit_product is None:
        skip(fixture, "changed_products after an edit: the fixture cannot edit a product")
    else:
        await fixture.edit_product(edited)
    later, _ = await _pages(_changes(source.changed_products, cursor, size), size, "ch", bound)
    by_id = {p.external_id: p for p in later}
    assert at_cursor in by_id, f"since={cursor} is not inclusive: {at_cursor} is missing"
    if fixture.edit_product is not None:
        assert edited in by_id, f"product {edited} edited after the cursor is not in the feed"
        assert by_id[edited].content_hash() != listed[edited].content_hash(), (
            f"product {edited} comes back unchanged after an edit"
        )
    again, _ = await _pages(_changes(source.changed_products, None, size), size, "ch", bound)
    _once([p.external_id for p in again], wanted, "changed_products after the edit")


async def check_stock_changes(
    source: SourceConnector, fixture: BackOfficeFixture, seeded: list[SeededProduct], size: int
) -> None:
    """The same for stock: every seeded level, the inclusive bound, an edit after it."""
    if source.capabilities.cursor == "none":
        skip(fixture, "changed_stock: the platform has no change cursor (audit mode)")
        return
    bound = 8 * len(seeded)
    wanted = {(sku, fixture.location): q for p in seeded for sku, q in p.stock.items()}
    levels, keys = await _pages(_changes(source.changed_stock, None, size), size, "st", bound)
    _check_keys(keys, source.capabilities.cursor == "time", "changed_stock")
    seen = [lv.key for lv in levels]
    _once([f"{s}|{loc}" for s, loc in seen], {f"{s}|{loc}" for s, loc in wanted}, "stock")
    held = {lv.key: lv.quantity for lv in levels}
    wrong = {k: (held[k], q) for k, q in wanted.items() if held[k] != q}
    assert not wrong, f"changed_stock: wrong (held, seeded): {list(wrong.items())[:5]}"
    cursor, last = keys[-1][0], levels[-1].key
    sku = sorted(seeded[-1].stock)[0]
    quantity = seeded[-1].stock[sku] + 7
    if fixture.edit_stock is None:
        skip(fixture, "changed_stock after an edit: the fixture cannot set stock")
    else:
        await fixture.edit_stock(sku, quantity)
    later, _ = await _pages(_changes(source.changed_stock, cursor, size), size, "st", bound)
    after = {lv.key: lv.quantity for lv in later}
    assert last in after, f"since={cursor} is not inclusive: stock of {last} is missing"
    if fixture.edit_stock is not None:
        key = (sku, fixture.location)
        assert after.get(key) == quantity, f"stock edit of {key} to {quantity}: {after.get(key)}"
        [level] = [lv for lv in await source.get_stock([sku]) if lv.location == fixture.location]
        assert level.quantity == quantity, f"get_stock({sku}) = {level.quantity}, not {quantity}"


def _gone(product: Product | None) -> bool:
    return product is None or product.status == "discontinued"


async def check_removal(
    source: SourceConnector, fixture: BackOfficeFixture, product_id: str, size: int
) -> None:
    """A deleted or deactivated product is absent or discontinued wherever it is read."""
    if fixture.remove_product is None:
        skip(fixture, "removal: the fixture cannot delete or deactivate a product")
        return
    before = await source.get_product(product_id)
    assert before is not None and before.status == "live", f"{product_id} is not live"
    await fixture.remove_product(product_id)
    assert _gone(await source.get_product(product_id)), f"removed {product_id} is still live"
    listed, _ = await _pages(_listing(source.list_products, size), size, "products", 4 * size)
    assert all(_gone(p) for p in listed if p.external_id == product_id), (
        f"removed {product_id} is listed as live"
    )
    if source.capabilities.cursor != "none":
        changes, _ = await _pages(
            _changes(source.changed_products, None, size), size, "ch", 4 * size
        )
        assert all(_gone(p) for p in changes if p.external_id == product_id), (
            f"removed {product_id} is live in the change feed"
        )
    if isinstance(source, ProductIdLister):
        ids, _ = await _pages(_listing(source.list_product_ids, size), size, "ids", 4 * size)
        assert product_id not in ids, f"removed {product_id} is still a live id"
