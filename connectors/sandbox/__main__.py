"""``python -m syncwright.connectors.sandbox erp|shop --listen HOST:PORT --db PATH`` runs one
sandbox.

Prints exactly one line, ``listening on http://HOST:PORT``, once it accepts connections, then
serves until SIGTERM or SIGINT. Port 0 picks a free port; the line tells which.
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

import anyio
from anyio.abc import TaskStatus

from syncwright.connectors.sandbox.erp.app import serve_erp
from syncwright.connectors.sandbox.settings import (
    DEFAULT_WAREHOUSES,
    ErpSettings,
    ShopSettings,
    demo_api_key,
)
from syncwright.connectors.sandbox.shop.app import serve_shop


def parse_args(argv: list[str] | None = None) -> ErpSettings | ShopSettings:
    parser = argparse.ArgumentParser(
        prog="python -m syncwright.connectors.sandbox",
        description="Run the sandbox back office or sandbox shop.",
    )
    parser.add_argument("role", choices=["erp", "shop"])
    parser.add_argument("--listen", default="127.0.0.1:0", help="HOST:PORT (port 0: any free)")
    parser.add_argument("--db", required=True, type=Path, help="SQLite file holding the state")
    key = parser.add_mutually_exclusive_group()
    key.add_argument("--api-key", help="the Bearer key clients must send (default: demo.key)")
    key.add_argument("--api-key-file", type=Path, help="read the key from this file")
    parser.add_argument(
        "--rate-limit",
        "--rate-limit-per-minute",
        dest="rate_limit",
        type=int,
        default=0,
        help="requests per minute on /api/, 0 = off",
    )
    erp = parser.add_argument_group("erp only (seeding applies to a new database)")
    erp.add_argument("--products", type=int, default=200)
    erp.add_argument(
        "--variants",
        "--variants-per-product",
        dest="variants",
        type=int,
        default=2,
        help="variants per product",
    )
    erp.add_argument("--customers", type=int, default=50)
    erp.add_argument("--change-rate", type=float, default=0.0, help="random edits per second")
    parser.add_argument(
        "--seed", type=int, default=1, help="seed of the random data and generators"
    )
    shop = parser.add_argument_group("shop only")
    shop.add_argument(
        "--order-rate", type=float, default=0.0, help="random orders per second, 0 = off"
    )
    parser.add_argument(
        "--warehouses",
        "--locations",
        dest="locations",
        default=",".join(DEFAULT_WAREHOUSES),
        help="comma-separated ERP warehouses or shop locations",
    )
    args = parser.parse_args(argv)
    host, _, port = args.listen.rpartition(":")
    if not host or not port.isdigit():
        parser.error(f"--listen must look like 127.0.0.1:8080, got {args.listen!r}")
    if args.api_key_file is not None:
        api_key = args.api_key_file.read_text().strip()
    else:
        api_key = args.api_key or demo_api_key()
    common = {
        "db_path": args.db,
        "host": host.strip("[]"),
        "port": int(port),
        "api_key": api_key,
        "rate_limit_per_minute": args.rate_limit,
    }
    locations = tuple(name.strip() for name in args.locations.split(","))
    try:
        if args.role == "shop":
            return ShopSettings(
                **common, locations=locations, order_rate=args.order_rate, seed=args.seed
            )
        return ErpSettings(
            **common,
            products=args.products,
            variants_per_product=args.variants,
            warehouses=locations,
            customers=args.customers,
            change_rate=args.change_rate,
            seed=args.seed,
        )
    except ValueError as exc:
        parser.error(str(exc))


async def run(settings: ErpSettings | ShopSettings) -> None:
    async def serve(*, task_status: TaskStatus[str] = anyio.TASK_STATUS_IGNORED) -> None:
        if isinstance(settings, ErpSettings):
            await serve_erp(settings, task_status=task_status)
        else:
            await serve_shop(settings, task_status=task_status)

    with anyio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
        async with anyio.create_task_group() as group:
            url = await group.start(serve, name="sandbox")
            print(f"listening on {url}", flush=True)
            async for _ in signals:
                group.cancel_scope.cancel()
                break


def main(argv: list[str] | None = None) -> None:
    settings = parse_args(argv)
    try:
        anyio.run(run, settings)
    except* OSError as group:
        for exc in _leaves(group):
            print(f"sandbox: cannot start: {exc}", file=sys.stderr)
        sys.exit(1)


def _leaves(error: BaseException) -> list[BaseException]:
    if isinstance(error, BaseExceptionGroup):
        return [leaf for inner in error.exceptions for leaf in _leaves(inner)]
    return [error]


if __name__ == "__main__":
    main()
