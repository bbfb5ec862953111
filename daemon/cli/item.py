"""``syncwright item CONN ID|SKU [--json]``: one product's sync health from the running daemon:
its ids on both sides, when it was last seen at the source (and its change token then), what
was last written (hash, change token, time) and verified, the
stock last pushed per location, open errors, and the last jobs that touched it."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from syncwright.daemon.cli import connect
from syncwright.daemon.cli.exit_codes import CommandError, ExitCode
from syncwright.daemon.cli.output import add_json_option, emit
from syncwright.daemon.cli.text import table


def add_parser(sub: Any, default_config: Path) -> None:
    text = "show one product's sync health: ids, last written and verified, stock, errors, jobs"
    parser = sub.add_parser("item", help=text, description=text)
    connect.add_socket_options(parser, default_config)
    add_json_option(parser, "the item's health")
    parser.add_argument("connection", metavar="CONN")
    parser.add_argument("item", metavar="ID|SKU", help="back-office or channel id, or a SKU")
    parser.set_defaults(handler=show)


def show(args: argparse.Namespace) -> int:
    with connect.daemon(args) as client:
        health = client.call("item", connection=args.connection, id=args.item)
    if not health["found"]:
        raise CommandError(
            ExitCode.REFUSED,
            f"syncwright item: {args.connection} knows nothing of {args.item!r} (no link, stock,"
            " error or job names it); `syncwright sync` fetches it from the source",
        )
    if args.json:
        emit("item", health)
    else:
        print(format_item(health))
    return ExitCode.OK


def format_item(h: dict[str, Any]) -> str:
    from syncwright.daemon.clock import iso

    out = []
    product = h["product"]
    if product is None:
        out.append(f"{h['query']}: not linked to a channel product yet")
    else:
        out.append(
            f"product {product['source_id']} (back office) <-> {product['channel_id']} (channel)"
        )
    if h["variants"]:
        out.append(
            "variants: " + ", ".join(f"{v['sku']} -> {v['channel_id']}" for v in h["variants"])
        )
    state = h["state"]
    if state is not None and state.get("seen_at") is not None:
        out.append(
            f"last seen at the source {iso(state['seen_at'])}"
            f" (change token {state.get('seen_token') or '-'})"
        )
    if state is not None:
        out.append(
            f"last written {iso(state['written_at']) or 'never'}"
            f" (hash {(state['hash'] or '-')[:12]},"
            f" change token {state['token'] or '-'}); last verified "
            f"{iso(state['last_verified_at']) or 'never'}"
        )
        if state["last_error"]:
            out.append(f"last error: {state['last_error']}")
    if h["stock"]:
        rows: list[tuple[str, ...]] = [("SKU", "LOCATION", "PUSHED", "AT", "PENDING")]
        for s in h["stock"]:
            pushed = "never" if s["quantity"] is None else str(s["quantity"])
            pending = "-" if s["pending"] is None else str(s["pending"])
            rows.append((s["sku"], s["location"], pushed, iso(s["pushed_at"]) or "-", pending))
        out.append(table(rows))
    for e in h["errors"]:
        out.append(f"open error ({e['flow']} {e['external_id']}, since {iso(e['first_seen'])}):")
        out.append("    " + e["message"])
    if h["jobs"]:
        jobs: list[tuple[str, ...]] = [("JOB", "KIND", "STATE", "QUEUED", "FINISHED", "ERROR")]
        for j in h["jobs"]:
            jobs.append(
                (
                    str(j["id"]),
                    j["kind"],
                    j["state"],
                    iso(j["enqueued_at"]) or "-",
                    iso(j["finished_at"]) or "-",
                    j["last_error"] or "",
                )
            )
        out.append(table(jobs))
    return "\n".join(out)
