"""What ``syncwright probe`` shows of a manifest against a live API: one page of each entity,
each record mapped or the reason it could not be, and the canonical fields left unmapped.

It reads with the manifest's own requests (one call per entity) and raises nothing for a
record that does not map: that is what a person writing a manifest needs to see.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from syncwright.connectors.errors import ConnectorError
from syncwright.connectors.rest import paging
from syncwright.connectors.rest.manifest import EntityName
from syncwright.connectors.rest.source import RestSource

#: The canonical fields that are bookkeeping, never expected in a manifest's mapping.
_BOOKKEEPING = {"modified_at", "version"}


@dataclass
class EntityProbe:
    entity: str
    #: Records as canonical JSON, by the wire record's id.
    mapped: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Records that did not map: wire id (or position) -> why.
    failed: dict[str, str] = field(default_factory=dict)
    #: Canonical fields the manifest does not map (they keep their defaults).
    unmapped: list[str] = field(default_factory=list)
    #: Whether the API says a next page exists.
    more: bool = False
    #: The request failed altogether: why.
    error: str | None = None


async def probe(source: RestSource, entity: EntityName, limit: int = 5) -> EntityProbe:
    """One page of ``entity`` through the manifest, record by record."""
    found = EntityProbe(entity)
    described = source.manifest.entities[entity]
    mapper = source.mappers[entity]
    found.unmapped = sorted(
        set(mapper.model.model_fields) - set(described.fields) - _BOOKKEEPING - {"status"}
    )
    request = described.listing
    try:
        step = paging.first_or_next(
            described.paging, request.path, dict(request.params), None, limit
        )
        response = await source.http.send(request.method, step.path, step.params)
        body = source.http.decode(request.method, step.path, response)
        raws = mapper.records(body, request.records)
        follow = paging.next_position(described.paging, None, body, response, len(raws), limit)
    except ConnectorError as exc:
        found.error = str(exc)
        return found
    found.more = follow is not None
    for n, raw in enumerate(raws[:limit]):
        try:
            mapped = mapper.one(raw)
        except ConnectorError as exc:
            found.failed[_label(mapper, raw, n)] = exc.message
            continue
        found.mapped[mapped.id] = mapped.record.model_dump(mode="json", exclude_defaults=True)
    return found


def _label(mapper: Any, raw: Any, n: int) -> str:
    try:
        return str(mapper.ident(raw))
    except ConnectorError:
        return f"record #{n + 1}"
