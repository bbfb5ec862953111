"""A storm soak with Shopify as the channel: the sandbox ERP -> the daemon (a real process) ->
the Shopify emulator, under seeded changes, orders, every emulator fault switch and SIGKILLs,
then quiescence and a comparison (issue 14).

    python scripts/storm_shopify.py --seed 1 --products 600 --orders 300 --minutes 10 --kills 10

The back office is the sandbox ERP (a process of our own, products with two variants stocked at
two locations), not real Tryton: the storm is about the Shopify side (the emulator checks every
document against Shopify's published schema, prices its calls and drains a leaky bucket), and
a catalogue of 600 products changing for ten minutes is more than real Tryton's RPC on two
shared cores can serve and still leave the daemon the time to keep up (scripts/storm.py is the
real-Tryton storm). A seeded mutator changes the ERP (renames, price changes, bursts of writes
to one product within a second, stock at either location, new products, discontinuations,
reactivations, deletions); shoppers buy on Shopify (new buyers, repeat buyers whose e-mail
differs in case, and an e-mail two ERP customers share); staff fulfil and cancel orders, some
before the daemon has posted them; every fault switch of the emulator is on for a phase of the
storm (502s, cut connections, broken JSON, 429s, slow answers, failing bulk operations, a
failing ``priceListFixedPricesAdd``, a small leaky bucket) and all of them at once for the
last; a killer SIGKILLs the daemon at seeded moments, some while an order is being posted.
After the last event the faults go off and the daemon runs until both sides agree
(scripts/storm_shopify_compare.py) or the time runs out. tests/connectors/shopify/
test_storm_shopify.py runs a short seeded storm.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for extra in (ROOT / "tests", ROOT / "tests" / "connectors" / "shopify", ROOT / "scripts"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

from harness import DaemonProcess, config_file, free_port, state_db  # noqa: E402
from helpers import API_KEY, Server, start_server  # noqa: E402
from shopify_support import TOKEN, EmulatorProcess, shopify_daemon  # noqa: E402
from storm import leased_post  # noqa: E402
from storm_compare import Verdict  # noqa: E402
from storm_shopify_compare import Sides, judge  # noqa: E402

SHARED = "twins@example.com"
LOCATIONS = ("central", "north")
WEIGHTS = {
    "rename": 10,
    "price": 10,
    "burst": 5,
    "stock": 20,
    "new_product": 4,
    "discontinue": 3,
    "reactivate": 3,
    "delete": 2,
}
#: One phase of the storm per switch, then all of them at once.
FAULTS: list[tuple[str, dict[str, Any]]] = [
    ("error_rate", {"error_rate": 0.05}),
    ("drop_rate", {"drop_rate": 0.03}),
    ("malformed_rate", {"malformed_rate": 0.03}),
    ("throttle_429_rate", {"throttle_429_rate": 0.05}),
    ("slow_seconds", {"slow_seconds": 0.2}),
    ("bulk_fail_rate", {"bulk_fail_rate": 0.5}),
    ("fail_fields", {"fail_fields": ["priceListFixedPricesAdd"]}),
    ("bucket", {}),
]
ALL_AT_ONCE = {
    "error_rate": 0.02,
    "drop_rate": 0.01,
    "malformed_rate": 0.01,
    "throttle_429_rate": 0.02,
    "slow_seconds": 0.05,
    "bulk_fail_rate": 0.3,
}
OFF = {
    "error_rate": 0,
    "drop_rate": 0,
    "malformed_rate": 0,
    "throttle_429_rate": 0,
    "slow_seconds": 0,
    "bulk_fail_rate": 0,
    "fail_fields": [],
}
SMALL_BUCKET = {"size": 400, "restore_rate": 40}
NORMAL_BUCKET = {"size": 2000, "restore_rate": 100}


@dataclass
class Options:
    seed: int = 1
    products: int = 120
    changes: int = 120
    orders: int = 24
    kills: int = 3
    minutes: float = 1.5
    converge_timeout: float = 240.0


@dataclass
class Report:
    options: dict[str, Any]
    variants_at_start: int = 0
    initial_sync_seconds: float = 0.0
    changes: Counter[str] = field(default_factory=Counter)
    orders: Counter[str] = field(default_factory=Counter)
    faults: list[str] = field(default_factory=list)
    kills: list[dict[str, Any]] = field(default_factory=list)
    storm_seconds: float = 0.0
    converged: bool = False
    converge_seconds: float | None = None
    products_converge_seconds: float | None = None
    #: the product differences found first after the storm, a sample of them
    first_differences: list[str] = field(default_factory=list)
    first_difference_count: int = 0
    emulator: dict[str, Any] = field(default_factory=dict)
    load: list[str] = field(default_factory=list)
    verdict: Verdict = field(default_factory=Verdict)

    def as_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in vars(self).items() if k != "verdict"}
        return {**out, "verdict": self.verdict.as_dict()}

    def text(self) -> str:
        v = self.verdict
        during = sum(1 for k in self.kills if k["during_post"])
        lines = [
            f"shopify storm seed {self.options['seed']}: {self.variants_at_start} variants at "
            f"start, {sum(self.changes.values())} changes, {self.orders['placed']} orders, "
            f"{len(self.kills)} SIGKILLs ({during} while an order was being posted), "
            f"{self.storm_seconds:.0f} s",
            "changes: " + ", ".join(f"{k} {n}" for k, n in sorted(self.changes.items())),
            "orders: " + ", ".join(f"{k} {n}" for k, n in sorted(self.orders.items())),
            "fault phases: " + ", ".join(self.faults),
            f"initial sync: {self.initial_sync_seconds:.1f} s",
            f"products, prices, price list and stock agreed {self.products_converge_seconds} s "
            "after the storm's last event",
            (
                f"converged {self.converge_seconds:.1f} s after the storm's last event"
                if self.converged and self.converge_seconds is not None
                else "NOT converged"
            ),
            f"variants: {v.variants_live} live, {v.variants_gone} archived; "
            f"Shopify orders: {v.orders}; differences: {v.differences}",
            "emulator: "
            + ", ".join(
                f"{k} {self.emulator.get(k)}"
                for k in ("calls", "throttled", "invalid", "webhooks_delivered", "webhooks_failed")
            ),
            *(f"load: {line}" for line in self.load),
            f"product differences at the first check after the storm: "
            f"{self.first_difference_count}",
            *(f"  {line}" for line in self.first_differences),
        ]
        for title, items in (
            ("products", v.product_differences),
            ("missing orders", v.missing_orders),
            ("duplicate orders", v.duplicate_orders),
            ("orders not cancelled or shipped", v.unprocessed_orders),
            ("other order differences", v.order_differences),
            ("customers", v.customer_differences),
            ("expected problems (shared e-mail)", v.expected_problems),
            ("unexpected problems (dead jobs, sync-log errors)", v.unexpected_problems),
        ):
            if items:
                lines.append(f"{title} ({len(items)}):")
                lines.extend(f"  {item}" for item in items[:50])
                if len(items) > 50:
                    lines.append(f"  ... {len(items) - 50} more")
        return "\n".join(lines)


def write_config(folder: Path, erp_url: str, shop_url: str, webhook_port: int) -> Path:
    return config_file(
        folder,
        f"""
        [systems.erp]
        kind = "sandbox-erp"
        url = "{erp_url}"
        credentials = {{ api_key = {{ env = "SYNCWRIGHT_TEST_KEY" }} }}
        [systems.erp.budget.windows.minute]
        limit = 100000

        [systems.shop]
        kind = "shopify"
        url = "{shop_url}"
        timeout = "20s"
        credentials.access_token = {{ env = "SHOPIFY_TEST_TOKEN" }}
        credentials.client_secret = {{ env = "SHOPIFY_TEST_SECRET" }}
        [systems.shop.budget.windows.minute]
        limit = 60000
        [systems.shop.settings]
        api_version = "2026-01"
        location_map = {{ central = "Main warehouse", north = "North store" }}

        [connections.storm]
        source = "erp"
        channel = "shop"
        flows = ["products", "stock", "prices", "orders"]
        page_size = 50
        overlap = "2m"
        workers = 2
        bulk_read_threshold = 100
        [connections.storm.schedule]
        recent = "2s"
        ghost_interval = "10s"
        ghost_batch = 60
        full = "4m"
        """,
        head=f'[webhooks]\nenabled = true\nlisten = "127.0.0.1:{webhook_port}"\nretry_every = 1\n',
    )


class ShopifyStorm:
    def __init__(self, erp: Server, emu: EmulatorProcess, workdir: Path, options: Options) -> None:
        self.erp, self.emu, self.options = erp, emu, options
        self.rng = random.Random(options.seed)
        workdir.mkdir(parents=True, exist_ok=True)
        port = free_port()
        self.config = write_config(workdir, erp.url, emu.url, port)
        # Subscribed as the README's setup says: orders/*, products/update, inventory_levels/*.
        emu.call("POST", "/_emulator/webhooks", {"url": f"http://127.0.0.1:{port}/webhooks/shop"})
        self.daemon = shopify_daemon(self.config)
        self.sides = Sides(erp.url, API_KEY, emu.url, TOKEN)
        self.report = Report(options=vars(options))
        self.products: dict[int, list[dict[str, Any]]] = {}  # live ERP products -> variants
        self.discontinued: set[int] = set()
        self.locked: set[int] = set()  # ordered: never deleted or discontinued
        self.deleted: set[str] = set()
        self.on_shop: set[str] = set()  # SKUs Shopify sells, at the last refresh
        self.open_orders: list[int] = []
        self.buyers: list[str] = []
        self.serial = 0

    # -- the two sides ----------------------------------------------------------------------------

    def erp_call(self, method: str, path: str, body: Any = None) -> Any:
        answer = self.sides.erp.request(method, path, json=body)
        answer.raise_for_status()
        return answer.json()

    def set_up(self) -> None:
        for product in self.sides.erp_rows("/api/products"):
            self.products[int(product["id"])] = product["variants"]
        self.report.variants_at_start = sum(len(v) for v in self.products.values())
        for name in ("Twin", "TWIN"):  # two ERP customers, one e-mail (ignoring case)
            email = SHARED if name == "Twin" else SHARED.upper()
            self.erp_call(
                "POST", "/admin/customers", {"email": email, "first_name": name, "last_name": "X"}
            )

    def refresh_shop(self) -> None:
        self.on_shop = {
            v["sku"]
            for p in self.sides.shop_products().values()
            if p["status"] == "ACTIVE"
            for v in p["variants"]
        }

    # -- the mutator ----------------------------------------------------------------------------

    def price(self) -> str:
        return f"{self.rng.randint(100, 9999) / 100:.2f}"

    def pick(self, *, unlocked: bool = False) -> int | None:
        pool = [p for p in self.products if not unlocked or p not in self.locked]
        return self.rng.choice(pool) if pool else None

    def change(self) -> None:
        kind = self.rng.choices(list(WEIGHTS), weights=list(WEIGHTS.values()))[0]
        if getattr(self, f"do_{kind}")() is not False:
            self.report.changes[kind] += 1

    def do_rename(self) -> bool:
        pid = self.pick()
        if pid is None:
            return False
        self.serial += 1
        self.erp_call("PATCH", f"/admin/products/{pid}", {"title": f"Storm {pid} r{self.serial}"})
        return True

    def do_price(self) -> bool:
        pid = self.pick()
        if pid is None:
            return False
        variant = self.rng.choice(self.products[pid])
        body = {"variants": [{"id": variant["id"], "price": self.price()}]}
        self.erp_call("PATCH", f"/admin/products/{pid}", body)
        return True

    def do_burst(self) -> bool:
        """Several writes to one product within a second."""
        for _ in range(self.rng.randint(3, 5)):
            if not (self.do_rename() if self.rng.random() < 0.5 else self.do_price()):
                return False
            time.sleep(self.rng.uniform(0.0, 0.15))
        return True

    def do_stock(self) -> bool:
        pid = self.pick()
        if pid is None:
            return False
        sku = self.rng.choice(self.products[pid])["sku"]
        level = {"sku": sku, "location": self.rng.choice(LOCATIONS)}
        self.erp_call("PUT", "/admin/stock", {**level, "quantity": self.rng.randint(0, 60)})
        return True

    def do_new_product(self) -> bool:
        self.serial += 1
        skus = [f"STORM-{self.serial:05d}-{n}" for n in range(2)]
        created = self.erp_call(
            "POST",
            "/admin/products",
            {
                "title": f"Storm new {self.serial}",
                "variants": [{"sku": s, "price": self.price(), "title": s} for s in skus],
            },
        )
        self.products[int(created["id"])] = created["variants"]
        levels = [{"sku": s, "location": loc, "quantity": 20} for s in skus for loc in LOCATIONS]
        self.erp_call("PUT", "/admin/stock", {"levels": levels})
        return True

    def do_discontinue(self) -> bool:
        pid = self.pick(unlocked=True)
        if pid is None:
            return False
        self.erp_call("PATCH", f"/admin/products/{pid}", {"status": "discontinued"})
        self.discontinued.add(pid)
        self.products.pop(pid)
        return True

    def do_reactivate(self) -> bool:
        if not self.discontinued:
            return False
        pid = self.rng.choice(sorted(self.discontinued))
        answer = self.erp_call("PATCH", f"/admin/products/{pid}", {"status": "live"})
        self.discontinued.discard(pid)
        self.products[pid] = answer["variants"]
        return True

    def do_delete(self) -> bool:
        pid = self.pick(unlocked=True)
        if pid is None:
            return False
        self.erp_call("DELETE", f"/admin/products/{pid}")
        self.products.pop(pid)
        self.deleted.add(str(pid))
        return True

    # -- shoppers and staff -----------------------------------------------------------------------

    def buyer(self) -> str:
        roll = self.rng.random()
        if self.report.orders["placed"] == 1 or roll < 0.03:
            return SHARED
        if self.buyers and roll < 0.5:
            email = self.rng.choice(self.buyers)
            return email.upper() if self.rng.random() < 0.5 else email.title()
        self.serial += 1
        email = f"buyer{self.serial}@example.com"
        self.buyers.append(email)
        return email

    def order(self) -> int | None:
        pool = [(pid, v["sku"]) for pid, vs in self.products.items() for v in vs]
        pool = [(pid, sku) for pid, sku in pool if sku in self.on_shop]
        if not pool:
            self.report.orders["nothing to order"] += 1
            return None
        lines = self.rng.sample(pool, k=min(len(pool), self.rng.randint(1, 3)))
        self.locked.update(pid for pid, _ in lines)
        email = self.buyer()
        placed = self.emu.call(
            "POST",
            "/_emulator/orders",
            {
                "lines": [{"sku": sku, "quantity": self.rng.randint(1, 2)} for _, sku in lines],
                "email": email,
                "first_name": "Storm",
                "last_name": email.split("@")[0],
            },
        )
        self.report.orders["placed"] += 1
        oid = int(placed["id"])
        if self.rng.random() < 0.05:  # cancelled at once: most likely before it is posted
            self.emu.call("POST", f"/_emulator/orders/{oid}/cancel")
            self.report.orders["cancelled at once"] += 1
        else:
            self.open_orders.append(oid)
        return oid

    def staff(self) -> None:
        """Fulfil (most) or cancel an order placed earlier."""
        if not self.open_orders:
            return
        oid = self.open_orders.pop(self.rng.randrange(len(self.open_orders)))
        if self.rng.random() < 0.75:
            self.serial += 1
            body = {"company": "DHL", "number": f"TRACK-{self.serial}"}
            self.emu.call("POST", f"/_emulator/orders/{oid}/fulfill", body)
            self.report.orders["fulfilled"] += 1
        else:
            self.emu.call("POST", f"/_emulator/orders/{oid}/cancel")
            self.report.orders["cancelled later"] += 1

    def fault(self, phase: int) -> None:
        name, switches = FAULTS[phase] if phase < len(FAULTS) else ("all at once", ALL_AT_ONCE)
        self.emu.call("POST", "/_emulator/faults", {**OFF, **switches})
        bucket = SMALL_BUCKET if name in ("bucket", "all at once") else NORMAL_BUCKET
        self.emu.call("POST", "/_emulator/bucket", bucket)
        self.report.faults.append(name)

    # -- the killer ---------------------------------------------------------------------------

    def kill(self, running: DaemonProcess, started: float, *, in_post: bool) -> None:
        during = False
        if in_post:
            self.order()  # an order to be posted, then wait until its post is under way
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and not (during := leased_post(self.config)):
                time.sleep(0.01)
            time.sleep(self.rng.uniform(0, 0.2))
        running.stop(signal.SIGKILL)
        self.report.kills.append(
            {"at": round(time.monotonic() - started, 1), "aimed_at_post": in_post}
            | {"during_post": during}
        )
        time.sleep(self.rng.uniform(0.2, 2.0))
        running.restart()

    # -- the run --------------------------------------------------------------------------------

    def timeline(self, seconds: float) -> list[tuple[float, str]]:
        o = self.options
        events = [(self.rng.uniform(0, seconds), "change") for _ in range(o.changes)]
        events += [(self.rng.uniform(0, seconds), "order") for _ in range(o.orders)]
        events += [(self.rng.uniform(0.1, 1) * seconds, "staff") for _ in range(o.orders // 2)]
        aimed = max(1, o.kills // 3) if o.kills else 0
        events += [
            (self.rng.uniform(0.05 * seconds, 0.9 * seconds), "kill_post" if n < aimed else "kill")
            for n in range(o.kills)
        ]
        phases = len(FAULTS) + 1
        events += [(seconds * n / phases, f"fault {n}") for n in range(phases)]
        return sorted(events)

    def run(self) -> Report:
        self.report.load.append(_uptime())
        self.set_up()
        began = time.monotonic()
        self.daemon.run_ok(timeout=1800)
        self.report.initial_sync_seconds = time.monotonic() - began
        self.refresh_shop()
        seconds = self.options.minutes * 60
        with self.daemon.start() as running:
            started = time.monotonic()
            refreshed = started
            for at, kind in self.timeline(seconds):
                wait = started + at - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                if kind == "change":
                    self.change()
                elif kind == "order":
                    if time.monotonic() - refreshed > 20:
                        self.refresh_shop()
                        refreshed = time.monotonic()
                    self.order()
                elif kind == "staff":
                    self.staff()
                elif kind.startswith("fault"):
                    self.fault(int(kind.split()[1]))
                else:
                    self.kill(running, started, in_post=kind == "kill_post")
            self.emu.call("POST", "/_emulator/faults", OFF)
            self.emu.call("POST", "/_emulator/bucket", NORMAL_BUCKET)
            self.report.storm_seconds = time.monotonic() - started
            self.report.verdict = self.quiesce(running, time.monotonic())
            running.stop(signal.SIGTERM, timeout=60)
        self.report.emulator = self.emu.call("GET", "/_emulator/stats")
        self.report.load.append(_uptime())
        self.sides.close()
        return self.report

    def quiesce(self, running: DaemonProcess, last: float) -> Verdict:
        """Judge every few seconds until nothing differs or the time is up."""
        deadline = last + self.options.converge_timeout
        while True:
            verdict = judge(
                self.sides,
                state_db(self.config),
                channel="shop",
                shared={SHARED},
                deleted=self.deleted,
            )
            if not self.report.first_difference_count and verdict.product_differences:
                self.report.first_difference_count = len(verdict.product_differences)
                self.report.first_differences = verdict.product_differences[:10]
            if not verdict.product_differences and self.report.products_converge_seconds is None:
                self.report.products_converge_seconds = round(time.monotonic() - last, 1)
            if verdict.differences == 0:
                self.report.converged = True
                self.report.converge_seconds = round(time.monotonic() - last, 1)
                return verdict
            if time.monotonic() > deadline:
                return verdict
            if not running.running():
                running.restart()
            time.sleep(3)


def _uptime() -> str:
    with open("/proc/loadavg") as f:
        load = " / ".join(f.read().split()[:3])
    return f"{time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime())} UTC load {load}"


def start_systems(workdir: Path, options: Options) -> tuple[Server, EmulatorProcess]:
    """The sandbox ERP and the emulator (with a second location) as processes; the emulator's
    schemas fetched first if they are not in the cache (scripts/fetch_shopify_schema.py)."""
    from fetch_shopify_schema import ensure_schemas

    ensure_schemas()
    erp = start_server(
        "erp",
        workdir / "erp.db",
        "--products",
        str(options.products),
        "--variants-per-product",
        "2",
        "--customers",
        "0",
        "--seed",
        str(options.seed),
    )
    emu = EmulatorProcess(workdir, "--webhook-delay", "0.2")
    emu.call("POST", "/_emulator/locations", {"name": "North store"})
    return erp, emu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--products", type=int, default=120, help="ERP products at the start")
    parser.add_argument("--changes", type=int, default=120)
    parser.add_argument("--orders", type=int, default=24)
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--minutes", type=float, default=1.5, help="length of the storm")
    parser.add_argument("--converge-timeout", type=float, default=240.0)
    parser.add_argument("--json", help="also write the report as JSON to this file")
    parser.add_argument("--workdir", help="keep the systems' and daemon's files here")
    args = parser.parse_args(argv)
    options = Options(
        seed=args.seed,
        products=args.products,
        changes=args.changes,
        orders=args.orders,
        kills=args.kills,
        minutes=args.minutes,
        converge_timeout=args.converge_timeout,
    )
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="storm-shopify-"))
    workdir.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    erp, emu = start_systems(workdir, options)
    try:
        report = ShopifyStorm(erp, emu, workdir / "daemon", options).run()
    finally:
        emu.stop()
        erp.stop()
    print(report.text())
    if args.json:
        Path(args.json).write_text(json.dumps(report.as_dict(), indent=2, default=str))
    print(f"files in {workdir}")
    return 0 if report.converged and not report.verdict.unexpected_problems else 1


if __name__ == "__main__":
    sys.exit(main())
