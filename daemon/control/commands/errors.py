"""``errors`` - the sync log's open per-item errors, newest first, filtered and paged.

args: ``connection`` (str, optional), ``flow`` (str, optional), ``text`` (str, optional:
matched case-insensitively against the item id and message), ``offset`` (int >= 0, default
0), ``limit`` (int 1-500, default 50). result: an ErrorsPage: ``total`` matching, ``offset``,
``limit`` and ``rows`` (each: connection, flow, external_id, the whole message, first_seen,
last_seen, and with ``links`` (bool, default false) the item's links: entity, back-office
and channel id; a lookup over every link, so meant for one item, not for every refresh), and
``link_choice`` on a customer ambiguity a person may settle with ``link``: ``back_office_ids``
to pick from and the ``channel_id`` to link (null: the error names none).
errors: 2001 unknown connection.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from syncwright.daemon.control.commands.base import Args as BaseArgs
from syncwright.daemon.control.commands.base import Call, Result
from syncwright.daemon.control.protocol import ErrorRow, ErrorsPage, LinkChoiceRow, LinkRow
from syncwright.daemon.flows.link_choice import choice


class Args(BaseArgs):
    connection: str | None = Field(default=None, max_length=64)
    flow: str | None = Field(default=None, max_length=64)
    text: str | None = Field(default=None, max_length=200)
    offset: int = Field(default=0, ge=0)
    limit: int = Field(default=50, ge=1, le=500)
    links: bool = False


async def _links(store: Any, items: list[tuple[str, str]]) -> dict[tuple[str, str], list[LinkRow]]:
    """The links of the page's items, by (connection, id): one query for the whole page."""
    found: dict[tuple[str, str], list[LinkRow]] = {}
    if not items:
        return found
    ids = sorted({item for _, item in items})
    marks = ", ".join("?" * len(ids))
    rows = await store.fetchall(
        "SELECT connection, entity, source_id, channel_id FROM links"
        f" WHERE source_id IN ({marks}) OR channel_id IN ({marks})",
        [*ids, *ids],
    )
    wanted = set(items)
    for r in rows:
        link = LinkRow(entity=r["entity"], source_id=r["source_id"], channel_id=r["channel_id"])
        for item in {r["source_id"], r["channel_id"]}:
            if (r["connection"], item) in wanted:
                found.setdefault((r["connection"], item), []).append(link)
    return found


def _choice(flow: str, message: str) -> LinkChoiceRow | None:
    found = choice(flow, message)
    if found is None:
        return None
    return LinkChoiceRow(back_office_ids=list(found.back_office_ids), channel_id=found.channel_id)


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def run(call: Call, args: Args) -> Result:
    ctx = call.ctx
    where: list[str] = ["1"]
    params: list[object] = []
    if args.connection:
        ctx.check_connection(args.connection)
        where.append("connection = ?")
        params.append(args.connection)
    if args.flow:
        where.append("flow = ?")
        params.append(args.flow)
    if args.text:
        where.append("(external_id LIKE ? ESCAPE '\\' OR message LIKE ? ESCAPE '\\')")
        params += [_like(args.text)] * 2
    sql_where = " AND ".join(where)
    store = ctx.services.store
    total = await store.fetchone(f"SELECT count(*) FROM sync_errors WHERE {sql_where}", params)
    rows = await store.fetchall(
        "SELECT connection, flow, external_id, message, first_seen, last_seen FROM sync_errors"
        f" WHERE {sql_where} ORDER BY last_seen DESC, connection, flow, external_id"
        " LIMIT ? OFFSET ?",
        [*params, args.limit, args.offset],
    )
    items = [(r["connection"], r["external_id"]) for r in rows] if args.links else []
    links = await _links(store, items)
    page = ErrorsPage(
        total=int(total[0]) if total is not None else 0,
        offset=args.offset,
        limit=args.limit,
        rows=[
            ErrorRow(
                **dict(r),
                links=links.get((r["connection"], r["external_id"]), []),
                link_choice=_choice(r["flow"], r["message"]),
            )
            for r in rows
        ],
    )
    return page.model_dump()
