"""The commands that act on one connection of a running daemon, over its control socket:
status, sync, resync, smart-sync, pause, resume, retry and errors.

Exit status: 0 done; 2 usage or configuration error; 4 the daemon is not running or its
socket is not accessible to this user; 5 the daemon refused the command (its reason is shown).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from syncwright.daemon.cli import connect
from syncwright.daemon.cli.exit_codes import ExitCode
from syncwright.daemon.cli.text import ago, table

#: The control commands whose wire name differs from the command line's.
_WIRE = {"sync": "sync_item", "smart-sync": "smart_sync"}


def add_parser(sub: Any, default_config: Path) -> None:
    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = sub.add_parser(
            name, help=help_text, description=help_text
        )
        connect.add_socket_options(parser, default_config)
        return parser

    status = command("status", "show each connection's state, queues, errors and budgets")
    status.add_argument("--json", action="store_true", help="print the snapshot as JSON")
    status.set_defaults(handler=show_status)
    sync = command("sync", "sync one item now (a product by id or SKU, or a SKU's stock)")
    sync.add_argument("connection", metavar="CONN")
    sync.add_argument("flow", metavar="FLOW", choices=("products", "stock"))
    sync.add_argument("item", metavar="ID")
    sync.add_argument(
        "--wait", type=float, default=30.0, metavar="SECONDS", help="wait for the outcome"
    )
    sync.set_defaults(handler=act)
    resync = command("resync", "start a full resync of a connection (all flows, or FLOW)")
    resync.add_argument("connection", metavar="CONN")
    resync.add_argument("flows", metavar="FLOW", nargs="*")
    resync.set_defaults(handler=act)
    for name, text in (
        ("smart-sync", "queue a connection's change pulls now"),
        ("pause", "pause a connection (running jobs finish)"),
        ("resume", "resume a paused connection"),
    ):
        parser = command(name, text)
        parser.add_argument("connection", metavar="CONN")
        parser.set_defaults(handler=act)
    retry = command("retry", "queue dead jobs again: one by id, or --all")
    retry.add_argument("connection", metavar="CONN")
    retry.add_argument("job", metavar="JOB", nargs="?", type=int)
    retry.add_argument("--all", action="store_true", help="every dead job of the connection")
    retry.add_argument("--kind", help="with --all: only dead jobs of this kind")
    retry.set_defaults(handler=retry_dead)
    errors = command("errors", "list a connection's open sync errors, newest first")
    errors.add_argument("connection", metavar="CONN")
    errors.add_argument("--flow", help="only this flow")
    errors.add_argument("--search", metavar="TEXT", help="only errors mentioning TEXT")
    errors.add_argument("--limit", type=int, default=50)
    errors.add_argument("--offset", type=int, default=0)
    errors.set_defaults(handler=list_errors)


def show_status(args: argparse.Namespace) -> int:
    with connect.daemon(args) as client:
        snap = client.call("status")
    print(json.dumps(snap, indent=2) if args.json else format_status(snap))
    return ExitCode.OK


def act(args: argparse.Namespace) -> int:
    """sync, resync, smart-sync, pause, resume: one request, and the daemon's message."""
    cmd = args.command
    request: dict[str, Any] = {"connection": args.connection}
    if cmd == "sync":
        request |= {"flow": args.flow, "id": args.item, "wait": max(0.0, min(args.wait, 60))}
    elif cmd == "resync" and args.flows:
        request["flows"] = args.flows
    with connect.daemon(args) as client:
        result = client.call(_WIRE.get(cmd, cmd), **request)
    print(result["message"])
    if cmd == "sync" and result.get("state") == "dead":
        return ExitCode.REFUSED
    return ExitCode.OK


def retry_dead(args: argparse.Namespace) -> int:
    with connect.daemon(args) as client:
        if (args.job is None) == (not args.all):
            print("syncwright retry: give a JOB id or --all", file=sys.stderr)
            return ExitCode.CONFIG
        found = client.call(
            "retry", connection=args.connection, job=args.job, all=args.all, kind=args.kind
        )
    print(found["message"])
    return ExitCode.OK


def list_errors(args: argparse.Namespace) -> int:
    with connect.daemon(args) as client:
        page = client.call(
            "errors",
            connection=args.connection,
            flow=args.flow,
            text=args.search,
            limit=args.limit,
            offset=args.offset,
        )
    print(format_errors(page))
    return ExitCode.OK


# -- text output -------------------------------------------------------------------------------


def format_status(snap: dict[str, Any]) -> str:
    from syncwright.daemon.durations import format_duration

    now = snap["at"]
    head = ("CONNECTION", "STATE", "READY", "RUN", "RETRY", "DEAD", "OLDEST", "ERRORS")
    rows = [(*head, "LAST FULL", "LAST PARTIAL", "GHOST ROTATION")]
    for c in snap["connections"]:
        jobs = c["jobs"]
        oldest = c["oldest_ready_age"]
        rotation = c["ghost_rotation"]
        rows.append(
            (
                c["name"],
                c["state"],
                str(sum(jobs.get("ready", []))),
                str(c["running"]),
                str(sum(jobs.get("retrying", []))),
                str(sum(jobs.get("dead", []))),
                format_duration(round(oldest)) if oldest is not None else "-",
                str(c["open_errors"]),
                ago(c["last_full_sync"], now),
                ago(c["last_partial_sync"], now),
                format_duration(rotation) if rotation else "n/a",
            )
        )
    out = [table(rows)]
    for c in snap["connections"]:
        if c.get("pause_reason"):
            out.append(f"{c['name']}: {c['state']}: {c['pause_reason']}")
        if c.get("progress"):
            from syncwright.daemon.ops.progress import describe

            out.append(f"{c['name']}: {describe(c['progress'])}")
    for b in snap["budgets"]:
        if b["blocked_until"] is not None:
            out.append(
                f"budget {b['system']}: blocked for {format_duration(b['blocked_until'] - now)}"
                f" ({b['block_reason']})"
            )
    started = time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime(snap["started_at"]))
    out.append(f"daemon {snap['daemon']}, pid {snap['pid']}, up since {started}")
    return "\n".join(out)


def format_errors(page: dict[str, Any]) -> str:
    from syncwright.daemon.clock import iso

    rows = [("LAST SEEN", "FLOW", "ITEM", "MESSAGE")]
    for e in page["rows"]:
        rows.append((iso(e["last_seen"]) or "", e["flow"], e["external_id"], e["message"][:100]))
    shown = len(page["rows"])
    footer = f"{shown} of {page['total']} open errors (from {page['offset'] + 1 if shown else 0})"
    return table(rows) + "\n" + footer
