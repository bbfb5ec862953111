"""The adversarial source's data: items with one-second change stamps on a clock of its own.

Each item is one product with one variant (SKU ``ADV-<id>``) and one stock row at location
``central``. Stamps are whole seconds of the source's clock, which may run minutes off ours
(``offset``), so ties are common and late commits (stamps in the past) are easy to make.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from syncwright.connectors.sandbox.timestamps import format_token

LOCATION = "central"


@dataclass
class Item:
    id: int
    title: str
    modified: int
    quantity: int
    stock_modified: int
    #: Deleted with a marker: still in the change feed (``deleted: true``), not in listings.
    deleted: bool = False
    #: Never shown to this API user (another company's row, an archived template): the server
    #: drops it after applying the page limit when ``filter_after_limit`` is on.
    hidden: bool = False


@dataclass
class Feed:
    """The source's items and clock; every method is safe from the server's thread."""

    offset: float = 0.0
    #: A fake source clock: the epoch second it stands at (None: ours plus ``offset``).
    frozen: float | None = None
    #: Apply the page limit before dropping hidden rows: pages may hold few items or none and
    #: still say ``next``.
    filter_after_limit: bool = False
    items: dict[int, Item] = field(default_factory=dict)
    #: Items deleted by absence (gone from every answer), with their last wire form.
    vanished: dict[int, dict[str, Any]] = field(default_factory=dict)
    #: Late commits: item id -> how many seconds in the past their stamp was.
    late: dict[int, float] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)

    # -- the clock ---------------------------------------------------------------------

    def now(self) -> float:
        if self.frozen is not None:
            return self.frozen
        return time.time() + self.offset

    def freeze(self) -> int:
        """Stop the source's clock at the current second (a fake clock from here on: it moves
        only by :meth:`advance`); that second."""
        with self.lock:
            self.frozen = float(self.second())
            return int(self.frozen)

    def advance(self, seconds: float) -> None:
        with self.lock:
            assert self.frozen is not None, "advance a frozen clock only"
            self.frozen += seconds

    def second(self) -> int:
        return int(self.now())

    # -- changes -----------------------------------------------------------------------

    def seed(self, count: int, *, hidden_every: int = 0, hidden_run: int = 1) -> None:
        """``count`` visible items stamped now; with ``hidden_every`` n, ``hidden_run`` hidden
        rows after every n-th (gaps the filter after the limit leaves in pages)."""
        with self.lock:
            stamp = self.second()
            pid = max(self.items, default=0)
            for made in range(1, count + 1):
                pid += 1
                self.items[pid] = Item(pid, f"Item {pid}", stamp, 10, stamp)
                if hidden_every and made % hidden_every == 0:
                    for _ in range(hidden_run):
                        pid += 1
                        self.items[pid] = Item(pid, "hidden", stamp, 0, stamp, hidden=True)

    def hide_run(self, count: int) -> None:
        """``count`` hidden rows stamped now: a run of rows a page may be made of entirely."""
        with self.lock:
            stamp, start = self.second(), max(self.items, default=0) + 1
            for pid in range(start, start + count):
                self.items[pid] = Item(pid, "hidden", stamp, 0, stamp, hidden=True)

    def insert(self, title: str | None = None) -> int:
        with self.lock:
            pid = max([*self.items, *self.vanished], default=0) + 1
            stamp = self.second()
            self.items[pid] = Item(pid, title or f"Item {pid}", stamp, 10, stamp)
            return pid

    def edit(self, pid: int, title: str, *, stamp: int | None = None) -> None:
        """A new title, stamped now, or with ``stamp`` (the same second as before: a
        same-second edit; a second in the past: a late commit)."""
        with self.lock:
            item = self.items[pid]
            item.title = title
            item.modified = self.second() if stamp is None else stamp

    def late_commit(self, pid: int, title: str, seconds_ago: float) -> None:
        """An edit committed late: stamped ``seconds_ago`` before now."""
        with self.lock:
            self.edit(pid, title, stamp=int(self.now() - seconds_ago))
            self.late[pid] = seconds_ago

    def set_stock(self, pid: int, quantity: int, *, stamp: int | None = None) -> None:
        with self.lock:
            item = self.items[pid]
            item.quantity = quantity
            item.stock_modified = self.second() if stamp is None else stamp

    def delete(self, pid: int, *, marker: bool) -> None:
        """Delete by marker (the feed says ``deleted``) or by absence (the item just goes)."""
        with self.lock:
            if marker:
                item = self.items[pid]
                item.deleted, item.modified = True, self.second()
            else:
                self.vanished[pid] = product_json(self.items.pop(pid))

    # -- what the source shows ---------------------------------------------------------

    def visible(self) -> list[Item]:
        with self.lock:
            return [i for i in self.items.values() if not i.hidden]

    def changes(
        self, entity: str, since: str | None, after: tuple[str, int] | None, limit: int
    ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        """A change page of ``entity`` ("products" or "stock") by (stamp, id)."""
        with self.lock:
            rows = []
            for item in self.items.values():
                if entity == "stock" and item.deleted:
                    continue
                stamp = format_token(item.modified if entity == "products" else item.stock_modified)
                key = (stamp, item.id)
                if (since is None or stamp >= since) and (after is None or key > after):
                    rows.append((key, item))
            rows.sort(key=lambda row: row[0])
            return self._cut(rows, limit, entity, by_time=True)

    def numbered(
        self, entity: str, since: str | None, page: int, size: int, *, by_time: bool
    ) -> tuple[list[dict[str, Any]], bool]:
        """Page ``page`` (from 1) of ``size`` rows: the change feed from ``since`` by (stamp,
        id) when ``by_time``, else the listing by id; and whether more pages follow. Hidden
        rows are dropped after the page is cut when ``filter_after_limit`` is on."""
        with self.lock:
            rows = []
            for item in self.items.values():
                if (entity == "stock" or not by_time) and item.deleted:
                    continue
                stamp = format_token(item.modified if entity == "products" else item.stock_modified)
                if by_time and since is not None and stamp < since:
                    continue
                if item.hidden and not self.filter_after_limit:
                    continue
                rows.append(((stamp, item.id) if by_time else (item.id,), item))
            rows.sort(key=lambda row: row[0])
            cut = rows[(page - 1) * size : page * size]
            shown = [item for _, item in cut if not item.hidden]
            body = [product_json(i) if entity == "products" else stock_json(i) for i in shown]
            return body, page * size < len(rows)

    def listing(
        self, entity: str, after_id: int, limit: int
    ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        with self.lock:
            rows = [
                ((format_token(item.modified), item.id), item)
                for item in sorted(self.items.values(), key=lambda i: i.id)
                if item.id > after_id and not item.deleted
            ]
            return self._cut(rows, limit, entity, by_time=False)

    def _cut(
        self, rows: list[tuple[tuple[str, int], Item]], limit: int, entity: str, *, by_time: bool
    ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        if not self.filter_after_limit:
            rows = [row for row in rows if not row[1].hidden]
        page, more = rows[:limit], len(rows) > limit
        shown = [row[1] for row in page if not row[1].hidden]
        body = [product_json(i) if entity == "products" else stock_json(i) for i in shown]
        if not more:
            return body, None
        (stamp, last_id), _ = page[-1]
        after: dict[str, Any] = {"after_id": last_id}
        if by_time:
            after = {"after_modified": stamp, **after}
        return body, after

    def product(self, pid: int) -> dict[str, Any] | None:
        with self.lock:
            item = self.items.get(pid)
            return None if item is None or item.hidden else product_json(item)

    def stock_by_sku(self, skus: list[str]) -> list[dict[str, Any]]:
        with self.lock:
            return [
                stock_json(i) for i in self.visible() if f"ADV-{i.id}" in skus and not i.deleted
            ]


def product_json(item: Item) -> dict[str, Any]:
    return {
        "id": item.id,
        "modified_at": format_token(item.modified),
        "status": "live",
        "title": item.title,
        "handle": f"item-{item.id}",
        "deleted": item.deleted,
        "variants": [
            {
                "id": item.id,
                "sku": f"ADV-{item.id}",
                "title": "Default",
                "weight_grams": 100,
                "position": 1,
                "image_url": None,
                "options": {},
                "price": "9.99",
                "rrp": None,
            }
        ],
        "restock_date": None,
        "custom": {},
    }


def stock_json(item: Item) -> dict[str, Any]:
    return {
        "id": item.id,
        "modified_at": format_token(item.stock_modified),
        "sku": f"ADV-{item.id}",
        "location": LOCATION,
        "quantity": item.quantity,
        "variant_id": item.id,
    }
