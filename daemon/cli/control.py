"""The commands that act on one connection of a running daemon, over its control socket:
status, sync, resync, smart-sync, pause, resume, retry, link and errors.

Exit status: 0 done; 2 usage or configuration error; 4 the daemon is not running or its
socket is not accessible to this user; 5 the daemon refused the command (its reason is shown),
or the item synced went dead or is not at the source; 6 the connection is paused or its
authentication failed (sync, smart-sync and resync queue nothing).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from syncwright.daemon.cli import connect
from syncwright.daemon.cli.exit_codes import CommandError, ExitCode
from syncwright.daemon.cli.output import add_json_option, emit
from syncwright.daemon.cli.text import ago, table

#: The control commands whose wire name differs from the command line's.
_WIRE = {"sync": "sync_item", "smart-sync": "smart_sync"}


def add_parser(sub: Any, default_config: Path) -> None:
    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = sub.add_parser(
            name, help=help_text, description=help_text
        )
        connect.add_socket_options(parser, default_config)
        add_json_option(parser)
        return parser

    status = command("status", "show each connection's state, queues, errors and budgets")
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
    link = command(
        "link",
        "link a back-office customer to a channel customer by hand (settles an ambiguous "
        "e-mail; recorded with who linked it; orders waiting for it are queued again)",
    )
    link.add_argument("connection", metavar="CONN")
    link.add_argument("back_office_id", metavar="BACK_OFFICE_ID")
    link.add_argument(
        "channel_id",
        metavar="CHANNEL_ID",
        help="the channel's customer id, or email:ADDRESS as the order's sync-log error names it",
    )
    link.add_argument("--by", metavar="NAME", help="who links it (default: your user name)")
    link.set_defaults(handler=link_by_hand)
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
    if args.json:
        emit("status", snap)
    else:
        print(format_status(snap))
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
    if args.json:
        emit(cmd, {"connection": args.connection, **result})
    else:
        print(result["message"])
    if cmd == "sync" and result.get("state") in ("dead", "not_found"):
        return ExitCode.REFUSED
    return ExitCode.OK


def retry_dead(args: argparse.Namespace) -> int:
    with connect.daemon(args) as client:
        if (args.job is None) == (not args.all):
            raise CommandError(ExitCode.CONFIG, "syncwright retry: give a JOB id or --all")
        found = client.call(
            "retry", connection=args.connection, job=args.job, all=args.all, kind=args.kind
        )
    if args.json:
        emit("retry", {"connection": args.connection, **found})
    else:
        print(found["message"])
    return ExitCode.OK


def link_by_hand(args: argparse.Namespace) -> int:
    import getpass

    made_by = args.by or getpass.getuser()
    with connect.daemon(args) as client:
        result = client.call(
            "link",
            connection=args.connection,
            back_office_id=args.back_office_id,
            channel_id=args.channel_id,
            made_by=made_by,
        )
    print(result["message"])
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
    if args.json:
        emit("errors", {"connection": args.connection, **page})
    else:
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
        how = c.get("deletion_check")
        if how:
            bound = c.get("deletion_bound")
            within = f"within {format_duration(bound)} ({how})" if bound is not None else how
            out.append(f"{c['name']}: deletions by absence noticed {within}")
    for c in snap["connections"]:
        if c.get("pause_reason"):
            out.append(f"{c['name']}: {c['state']}: {c['pause_reason']}")
        # Every long piece of work: a full sync, first change passes, a backlog (an older
        # daemon sends only the full sync, as "progress").
        works = c.get("work") or ([c["progress"]] if c.get("progress") else [])
        for work in works:
            from syncwright.daemon.ops.progress import describe

            out.append(f"{c['name']}: {describe(work)}")
    for b in snap["budgets"]:
        if b["blocked_until"] is not None:
            out.append(
                f"budget {b['system']}: blocked for {format_duration(b['blocked_until'] - now)}"
                f" ({b['block_reason']})"
            )
    for warning in snap.get("plan_warnings", []):
        out.append(f"budget plan: the schedules do not fit: {warning}")
    if snap.get("reload_rejected_at") is not None:
        at = time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime(snap["reload_rejected_at"]))
        out.append(
            f"config reload rejected at {at}: {snap['reload_rejected']}\n"
            "  (the daemon runs on the config it loaded before; fix the file and reload again)"
        )
    started = time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime(snap["started_at"]))
    out.append(f"daemon {snap['daemon']}, pid {snap['pid']}, up since {started}")
    return "\n".join(out)


def format_errors(page: dict[str, Any]) -> str:
    """Each open error in full (the part that explains it is often at the end), newest first:
    a heading line (last seen, flow, item, first seen) and the whole message indented below."""
    from syncwright.daemon.clock import iso

    out = []
    for e in page["rows"]:
        head = f"{iso(e['last_seen'])}  {e['flow']}  {e['external_id']}"
        if e["first_seen"] != e["last_seen"]:
            head += f"  (first seen {iso(e['first_seen'])})"
        out.append(head)
        out += ["    " + line for line in e["message"].splitlines() or [""]]
    shown, total, first = len(page["rows"]), page["total"], page["offset"] + 1
    if not total:
        out.append("no open errors")
    elif not shown:
        out.append(f"no open errors to show ({total} in all, --offset {page['offset']})")
    elif shown == total:
        out.append(f"{total} open error{'s' if total != 1 else ''}, newest first")
    else:
        last = page["offset"] + shown
        more = f"; --offset {last} for the next" if last < total else ""
        out.append(f"open errors {first} to {last} of {total}, newest first{more}")
    return "\n".join(out)
