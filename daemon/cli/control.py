"""The command-line commands that talk to a running daemon over its control socket: status,
sync, resync, smart-sync, pause, resume, retry, errors, budget, events, forget --daemon and tui.

Exit status: 0 done; 2 usage or configuration error; 4 the daemon is not running or its
socket is not accessible to this user; 5 the daemon refused the command (its reason is shown).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_CONFIG, EXIT_UNREACHABLE, EXIT_REFUSED = 0, 2, 4, 5

COMMANDS = (
    "status",
    "sync",
    "resync",
    "smart-sync",
    "pause",
    "resume",
    "retry",
    "errors",
    "budget",
    "tui",
    "events",
)


def add_commands(sub: Any, default_config: Path) -> None:
    """Register the subcommands on the ``syncwright`` parser."""

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = sub.add_parser(
            name, help=help_text, description=help_text
        )
        add_socket_options(parser, default_config)
        return parser

    status = command("status", "show each connection's state, queues, errors and budgets")
    status.add_argument("--json", action="store_true", help="print the snapshot as JSON")
    sync = command("sync", "sync one item now (a product by id or SKU, or a SKU's stock)")
    sync.add_argument("connection", metavar="CONN")
    sync.add_argument("flow", metavar="FLOW", choices=("products", "stock"))
    sync.add_argument("item", metavar="ID")
    sync.add_argument(
        "--wait", type=float, default=30.0, metavar="SECONDS", help="wait for the outcome"
    )
    resync = command("resync", "start a full resync of a connection (all flows, or FLOW)")
    resync.add_argument("connection", metavar="CONN")
    resync.add_argument("flows", metavar="FLOW", nargs="*")
    for name, text in (
        ("smart-sync", "queue a connection's change pulls now"),
        ("pause", "pause a connection (running jobs finish)"),
        ("resume", "resume a paused connection"),
    ):
        command(name, text).add_argument("connection", metavar="CONN")
    retry = command("retry", "queue dead jobs again: one by id, or --all")
    retry.add_argument("connection", metavar="CONN")
    retry.add_argument("job", metavar="JOB", nargs="?", type=int)
    retry.add_argument("--all", action="store_true", help="every dead job of the connection")
    retry.add_argument("--kind", help="with --all: only dead jobs of this kind")
    errors = command("errors", "list a connection's open sync errors, newest first")
    errors.add_argument("connection", metavar="CONN")
    errors.add_argument("--flow", help="only this flow")
    errors.add_argument("--search", metavar="TEXT", help="only errors mentioning TEXT")
    errors.add_argument("--limit", type=int, default=50)
    errors.add_argument("--offset", type=int, default=0)
    budget = command(
        "budget",
        "show every system's call budget per window and the budget plan: burn rates, when "
        "windows run out, what the schedules cost per day, and warnings when they do not fit",
    )
    budget.add_argument("--json", action="store_true", help="print the budgets as JSON")
    budget.add_argument(
        "--offline",
        action="store_true",
        help="compute the plan from the config and the state file; no running daemon needed",
    )
    command("tui", "open the terminal UI on the running daemon")
    events = command("events", "print the daemon's live events as lines until Ctrl-C")
    events.add_argument("--connection", metavar="CONN", help="only this connection's events")
    events.add_argument("--json", action="store_true", help="one JSON object per line")


def add_socket_options(parser: argparse.ArgumentParser, default_config: Path) -> None:
    parser.add_argument(
        "--config",
        "-c",
        type=Path,
        default=default_config,
        metavar="PATH",
        help=f"config file naming the control socket (default: {default_config})",
    )
    parser.add_argument("--socket", type=Path, metavar="PATH", help="the control socket itself")


#: Where systemd's ``RuntimeDirectory=syncwright`` puts the daemon's socket. A shell does not
#: have the daemon's $RUNTIME_DIRECTORY, so the CLI also looks here.
SYSTEMD_SOCKET = Path("/run/syncwright/control.sock")


def socket_path(args: argparse.Namespace) -> Path:
    """--socket; else the config's control socket (when the config does not set one and none
    is at the default, the systemd location is tried too)."""
    from syncwright.daemon.config.daemon import SOCKET_NAME, runtime_dir
    from syncwright.daemon.config.load import load_config

    if args.socket is not None:
        return Path(args.socket)
    if Path(args.config).exists():
        config = load_config(args.config)
        path = config.control_socket_path()
        if config.control.path is not None or config.daemon.control_socket is not None:
            return path
    else:
        path = runtime_dir() / SOCKET_NAME
    return path if path.exists() or not SYSTEMD_SOCKET.exists() else SYSTEMD_SOCKET


def main(args: argparse.Namespace) -> int:
    from syncwright.daemon.config.errors import ConfigError
    from syncwright.daemon.control.blocking_client import (
        BlockingClient,
        CommandFailed,
        NotReachable,
    )

    try:
        path = socket_path(args)
    except ConfigError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_CONFIG
    if args.command == "tui":
        return _tui(path)
    if args.command == "budget" and args.offline:
        from syncwright.daemon.cli.ops import budget

        return budget(args.config, as_json=args.json)
    try:
        with BlockingClient(path) as client:
            return _run(client, args)
    except NotReachable as exc:
        print(f"syncwright: {exc}", file=sys.stderr)
        if args.command == "budget":  # the plan is still useful without a daemon
            from syncwright.daemon.cli.ops import budget

            print("syncwright budget: showing the offline plan instead", file=sys.stderr)
            return budget(args.config, as_json=args.json)
        return EXIT_UNREACHABLE
    except CommandFailed as exc:
        print(f"syncwright {args.command}: {exc}", file=sys.stderr)
        return EXIT_REFUSED


def forget_via_daemon(args: argparse.Namespace) -> int:
    """``syncwright forget CONN --daemon``: the running daemon forgets it."""
    from syncwright.daemon.control.blocking_client import (
        BlockingClient,
        CommandFailed,
        NotReachable,
    )

    try:
        with BlockingClient(socket_path(args)) as client:
            print(client.call("forget", connection=args.connection)["message"])
    except NotReachable as exc:
        print(f"syncwright: {exc}", file=sys.stderr)
        return EXIT_UNREACHABLE
    except CommandFailed as exc:
        print(f"syncwright forget: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    return EXIT_OK


def _run(client: Any, args: argparse.Namespace) -> int:
    cmd, conn = args.command, getattr(args, "connection", None)
    if cmd == "events":
        from syncwright.daemon.cli.events import follow

        return follow(client, connection=conn, as_json=args.json)
    if cmd == "status":
        snap = client.call("status")
        print(json.dumps(snap, indent=2) if args.json else format_status(snap))
    elif cmd == "budget":
        from syncwright.daemon.ops.planner import format_report, report_from_json

        reply = client.call("budgets")
        if args.json:
            print(json.dumps(reply, indent=2))
        else:
            print(format_budgets(reply["budgets"]))
            if reply.get("plan") is not None:
                print(format_report(report_from_json(reply["plan"])))
    elif cmd == "errors":
        page = client.call(
            "errors",
            connection=conn,
            flow=args.flow,
            text=args.search,
            limit=args.limit,
            offset=args.offset,
        )
        print(format_errors(page))
    elif cmd == "retry":
        if (args.job is None) == (not args.all):
            print("syncwright retry: give a JOB id or --all", file=sys.stderr)
            return EXIT_CONFIG
        found = client.call("retry", connection=conn, job=args.job, all=args.all, kind=args.kind)
        print(found["message"])
    else:
        request: dict[str, Any] = {"connection": conn}
        if cmd == "sync":
            request |= {"flow": args.flow, "id": args.item, "wait": max(0.0, min(args.wait, 60))}
        elif cmd == "resync" and args.flows:
            request["flows"] = args.flows
        wire = {"sync": "sync_item", "smart-sync": "smart_sync"}.get(cmd, cmd)
        result = client.call(wire, **request)
        print(result["message"])
        if cmd == "sync" and result.get("state") == "dead":
            return EXIT_REFUSED
    return EXIT_OK


def _tui(path: Path) -> int:
    """The UI is its own program (``python -m syncwright.tui``); the daemon never imports it."""
    import os

    argv = [sys.executable, "-m", "syncwright.tui", "--socket", str(path)]
    try:
        os.execv(sys.executable, argv)
    except OSError as exc:
        print(f"syncwright tui: cannot start the terminal UI: {exc}", file=sys.stderr)
    return EXIT_CONFIG


# -- text output -------------------------------------------------------------------------------


def ago(ts: float | None, now: float) -> str:
    from syncwright.daemon.durations import format_duration

    if ts is None:
        return "never"
    return format_duration(max(0, round(now - ts))) + " ago"


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
    out = [_table(rows)]
    for c in snap["connections"]:
        if c.get("pause_reason"):
            out.append(f"{c['name']}: {c['state']}: {c['pause_reason']}")
    for b in snap["budgets"]:
        if b["blocked_until"] is not None:
            out.append(
                f"budget {b['system']}: blocked for {format_duration(b['blocked_until'] - now)}"
                f" ({b['block_reason']})"
            )
    started = time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime(snap["started_at"]))
    out.append(f"daemon {snap['daemon']}, pid {snap['pid']}, up since {started}")
    return "\n".join(out)


def format_budgets(budgets: list[dict[str, Any]]) -> str:
    from syncwright.daemon.clock import iso

    rows = [("SYSTEM", "WINDOW", "USED", "LIMIT", "RESETS", "RUNS OUT", "BLOCKED UNTIL")]
    for b in budgets:
        for w in b["windows"]:
            rows.append(
                (
                    b["system"],
                    f"{w['name']} ({w['mode']})",
                    f"{w['used']:g}",
                    f"{w['limit']:g}",
                    iso(w["resets_at"]) or "-",
                    iso(w["runs_out_at"]) or "-",
                    iso(b["blocked_until"]) or "-",
                )
            )
    return _table(rows)


def format_errors(page: dict[str, Any]) -> str:
    from syncwright.daemon.clock import iso

    rows = [("LAST SEEN", "FLOW", "ITEM", "MESSAGE")]
    for e in page["rows"]:
        rows.append((iso(e["last_seen"]) or "", e["flow"], e["external_id"], e["message"][:100]))
    shown = len(page["rows"])
    footer = f"{shown} of {page['total']} open errors (from {page['offset'] + 1 if shown else 0})"
    return _table(rows) + "\n" + footer


def _table(rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows
    )
