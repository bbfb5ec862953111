"""Wire records -> canonical records by the manifest's JMESPath fields, and change tokens.

A record whose fields do not fit the canonical model raises FixableError naming the record and
the fields (the manifest, or the record, needs a person: the job is retried with backoff and
the problem shown to the operator meanwhile; ``probe`` prints the same findings instead of
raising). A record without an id, or an answer without its list, is a PayloadError. Change
tokens are kept as the daemon's canonical form: a time as ISO 8601 UTC with a "Z", a version
as its decimal digits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar
from zoneinfo import ZoneInfo

import jmespath
from jmespath.exceptions import JMESPathError
from jmespath.parser import ParsedResult
from pydantic import BaseModel, ValidationError

from syncwright.connectors.errors import FixableError, PayloadError
from syncwright.connectors.rest.manifest import ChangeFeed, Entity

R = TypeVar("R", bound=BaseModel)


def search(expression: str | ParsedResult, data: Any) -> Any:
    """``expression`` applied to ``data``. A function given the wrong type at run time (say
    ``to_number`` of an object) is the answer's fault, not ours: a PayloadError."""
    try:
        if isinstance(expression, str):
            return jmespath.search(expression, data)
        return expression.search(data)
    except JMESPathError as exc:
        raise PayloadError(f"the expression {_text(expression)!r} failed: {exc}") from None


def _text(expression: str | ParsedResult) -> str:
    return expression if isinstance(expression, str) else str(expression.expression)


@dataclass(frozen=True, slots=True)
class Mapped(Generic[R]):
    record: R
    token: str
    id: str


class Mapper(Generic[R]):
    """Maps one entity's wire records to ``model`` records."""

    def __init__(self, entity: Entity, model: type[R], system: str, what: str) -> None:
        self.entity = entity
        self.model = model
        self.system = system
        self.what = what
        self._fields = {name: jmespath.compile(expr) for name, expr in entity.fields.items()}
        self._id = jmespath.compile(entity.id)
        self._token = jmespath.compile(entity.feed.token)
        self._deleted = None if entity.deleted is None else jmespath.compile(entity.deleted)

    def values(self, raw: Any) -> dict[str, Any]:
        """The canonical fields of one wire record, before validation."""
        values = {name: search(expr, raw) for name, expr in self._fields.items()}
        if self._deleted is not None and search(self._deleted, raw):
            values["status"] = "discontinued"
        return {k: v for k, v in values.items() if v is not None}

    def ident(self, raw: Any) -> str:
        value = search(self._id, raw)
        if isinstance(value, bool) or not isinstance(value, str | int) or value == "":
            raise PayloadError(f"a {self.what} record has no id", system=self.system)
        return str(value)

    def one(self, raw: Any) -> Mapped[R]:
        ident = self.ident(raw)
        try:
            record = self.model.model_validate(self.values(raw))
        except ValidationError as exc:
            raise FixableError(
                f"{self.what} {ident} cannot be mapped: {problems(exc)}"
                " (check the manifest's fields: syncwright probe shows each record's mapping)",
                system=self.system,
            ) from None
        token = ""
        if self.entity.feed.style != "none":
            token = wire_token(search(self._token, raw), self.entity.feed, self.system)
        if self.entity.feed.style == "modified_since" and "modified_at" in self.model.model_fields:
            record = record.model_copy(update={"modified_at": parse_time(token)})
        return Mapped(record, token, ident)

    def records(self, body: Any, selector: str, *, page: bool = True) -> list[Any]:
        """The records ``selector`` picks out of ``body``. A page must hold a list there (an
        empty one when there are none): a body without it is not the documented shape, and
        taking it for an empty last page would end a pass early. A look-up may hold one
        record (an object) instead."""
        found = search(selector, body)
        if isinstance(found, list):
            return found
        if isinstance(found, dict) and not page:
            return [found]
        raise PayloadError(
            f"{self.what}: the record selector {selector!r} found no list in the answer",
            system=self.system,
        )


def problems(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc']) or 'record'}: {err['msg']}" for err in exc.errors()
    )


def parse_time(token: str) -> datetime:
    return datetime.fromisoformat(token.replace("Z", "+00:00")).astimezone(UTC)


def format_time(when: datetime) -> str:
    spec = "seconds" if when.microsecond == 0 else "microseconds"
    return when.astimezone(UTC).isoformat(timespec=spec).replace("+00:00", "Z")


def wire_token(value: Any, feed: ChangeFeed, system: str) -> str:
    """A record's change token in canonical form."""
    try:
        if feed.style == "version":
            if isinstance(value, bool):
                raise ValueError
            return str(int(value))
        return format_time(_wire_time(value, feed))
    except (TypeError, ValueError, OverflowError):
        raise PayloadError(
            f"a change token {value!r} does not read as {feed.style} ({feed.format})",
            system=system,
        ) from None


def _wire_time(value: Any, feed: ChangeFeed) -> datetime:
    if feed.format in ("epoch", "epoch_ms"):
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ValueError
        seconds = float(value) / (1000 if feed.format == "epoch_ms" else 1)
        return datetime.fromtimestamp(seconds, UTC)
    if not isinstance(value, str):
        raise ValueError
    if feed.format == "iso":
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    else:
        when = datetime.strptime(value, feed.format)
    if when.tzinfo is None:  # a local time of the platform's zone
        when = when.replace(tzinfo=ZoneInfo(feed.timezone))
    return when.astimezone(UTC)


def since_param(token: str, feed: ChangeFeed) -> str:
    """The inclusive lower bound ``token`` as the platform wants it: floored to its precision
    (a bound earlier than asked costs a few records again, one later would lose some)."""
    if feed.style == "version":
        return token
    when = parse_time(token)
    floor = int(when.timestamp()) // feed.precision * feed.precision
    when = datetime.fromtimestamp(floor, UTC)
    if feed.format == "epoch":
        return str(floor)
    if feed.format == "epoch_ms":
        return str(floor * 1000)
    local = when.astimezone(ZoneInfo(feed.timezone))
    if feed.format == "iso":
        text = local.isoformat(timespec="seconds")
        return text.replace("+00:00", "Z") if feed.timezone == "UTC" else text
    return local.strftime(feed.format)


def earlier(token: str, seconds: float) -> str:
    return format_time(parse_time(token) - timedelta(seconds=seconds))
