"""``syncwright plan CONN [FLOW...] [--json]``: a dry run over the running daemon's control
socket. It reads what a change pull would read (charged to the daemon's budgets) and prints
what the sync would write; nothing is written and no cursor moves (daemon/flows/plan.py).

Exit status: 0 done; 2 usage or configuration error; 4 the daemon is not running; 5 the
daemon refused (unknown connection or flow, the budget holds back manual work, a read failed).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from syncwright.daemon.cli import connect
from syncwright.daemon.cli.exit_codes import ExitCode

#: The version of the ``--json`` shape (the ``plan`` control command's result).
JSON_VERSION = 1


def add_parser(sub: Any, default_config: Path) -> None:
    text = "show what a sync of a connection would write now, writing nothing (dry run)"
    parser: argparse.ArgumentParser = sub.add_parser("plan", help=text, description=text)
    connect.add_socket_options(parser, default_config)
    parser.add_argument("connection", metavar="CONN")
    parser.add_argument("flows", metavar="FLOW", nargs="*", help="default: every pulled flow")
    parser.add_argument(
        "--pages", type=int, default=20, help="pages read per flow at most (default 20)"
    )
    parser.add_argument("--json", action="store_true", help="print the plan as JSON")
    parser.set_defaults(handler=show_plan)


def show_plan(args: argparse.Namespace) -> int:
    request: dict[str, Any] = {"connection": args.connection, "max_pages": args.pages}
    if args.flows:
        request["flows"] = args.flows
    with connect.daemon(args) as client:
        result = client.call("plan", **request)
    if args.json:
        print(json.dumps({"version": JSON_VERSION, **result}, indent=2))
    else:
        print(format_plan(result))
    return ExitCode.OK


def format_plan(result: dict[str, Any]) -> str:
    out = [f"Plan for {result['connection']} (dry run: nothing was written, no cursor moved)"]
    for f in result["flows"]:
        state = "" if f["complete"] else f", stopped after {f['pages']} pages (--pages)"
        out.append(
            f"\n{f['flow']} ({f['mode']}): {f['items_read']} read in {f['pages']} pages{state}"
        )
        lines = _lines(f)
        out += [f"  {line}" for line in lines] or ["  nothing to write"]
    reads = ", ".join(f"{k} {v:g}" for k, v in result["calls_read"].items()) or "none"
    writes = ", ".join(f"{k} {v}" for k, v in result["calls_write"].items())
    out.append(f"\nCalls charged by this plan's reads: {reads}")
    out.append(f"Calls the sync would make to write: {writes} ({result['writes_note']})")
    return "\n".join(out)


def _lines(f: dict[str, Any]) -> list[str]:
    lines: list[str] = []

    def more(name: str) -> None:
        left = f[name + "_count"] - len(f[name])
        if left > 0:
            lines.append(f"  ... and {left} more")

    for c in f["creates"]:
        lines.append(f"create {c['item']} {c['title']!r}")
    more("creates")
    for u in f["updates"]:
        lines.append(f"update {u['item']}: {', '.join(u['fields']) or 'content hash only'}")
    more("updates")
    for d in f["discontinues"]:
        lines.append(f"discontinue {d}")
    more("discontinues")
    for s in f["stock"]:
        was = "never pushed" if s["from"] is None else str(s["from"])
        lines.append(f"stock {s['sku']} at {s['location']}: {was} -> {s['to']}")
    more("stock")
    if f["parked"]:
        lines.append(f"{f['parked']} stock levels wait for their product to reach the channel")
    for cid in f["customers_created"]:
        lines.append(f"create customer {cid}")
    more("customers_created")
    for link in f["customers_linked"]:
        lines.append(f"link customer {link['item']} to {link['channel_id']}")
    more("customers_linked")
    for oid in f["orders_post"]:
        lines.append(f"post order {oid}")
    more("orders_post")
    for oid in f["orders_amend"]:
        lines.append(f"amend order {oid}")
    more("orders_amend")
    if f["orders_skipped"]:
        lines.append(f"{f['orders_skipped_count']} orders skipped (only B2B orders are posted)")
    for e in f["errors"]:
        lines.append(f"error {e['item']}: {e['error']}")
    more("errors")
    return lines
