"""The emulator's reading of Shopify's search syntax (the ``query:`` argument).

Supported: terms joined by ``AND`` / ``OR`` (and spaces, meaning AND), ``field:value``,
``field:>value`` / ``>=`` / ``<`` / ``<=``, values quoted with ' or ", and a leading ``-`` to
negate. Unknown fields match nothing, as a search on a field Shopify does not index finds
nothing useful. ``day_fields`` compare whole days (the customers' updated_at filter).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

_TERM = re.compile(
    r"""\s*(?P<neg>-)?(?P<field>[a-z_]+):(?P<op>>=|<=|>|<)?(?P<value>'[^']*'|"[^"]*"|[^\s()]+)"""
)
_JOIN = re.compile(r"\s+(AND|OR)\s+|\s+")

Getter = Callable[[Mapping[str, Any]], Any]


class SearchError(ValueError):
    pass


def compile_search(
    text: str | None, fields: Mapping[str, Getter], day_fields: frozenset[str] = frozenset()
) -> Callable[[Mapping[str, Any]], bool]:
    """A predicate for ``text``; None or blank matches everything."""
    if text is None or not text.strip():
        return lambda item: True
    groups: list[list[Callable[[Mapping[str, Any]], bool]]] = [[]]
    pos = 0
    text = text.strip()
    while pos < len(text):
        match = _TERM.match(text, pos)
        if match is None:
            raise SearchError(f"cannot read the search {text!r} at {text[pos : pos + 20]!r}")
        groups[-1].append(_term(match, fields, day_fields))
        pos = match.end()
        join = _JOIN.match(text, pos)
        if join is not None and pos < len(text):
            if join.group(1) == "OR":
                groups.append([])
            pos = join.end()
    return lambda item: any(all(term(item) for term in group) for group in groups if group)


def _term(
    match: re.Match[str], fields: Mapping[str, Getter], day_fields: frozenset[str]
) -> Callable[[Mapping[str, Any]], bool]:
    name, op, raw = match.group("field"), match.group("op") or "=", match.group("value")
    value = raw[1:-1] if raw[:1] in "'\"" else raw
    negate = bool(match.group("neg"))
    getter = fields.get(name)
    if getter is None:
        return lambda item: negate
    day = name in day_fields

    def test(item: Mapping[str, Any]) -> bool:
        actual = getter(item)
        values = actual if isinstance(actual, list | tuple | set) else [actual]
        result = any(_compare(v, op, value, day) for v in values if v is not None)
        return result != negate

    return test


def _compare(actual: Any, op: str, wanted: str, day: bool) -> bool:
    if isinstance(actual, datetime):
        bound = parse_when(wanted)
        left: Any = actual.date() if day else actual
        right: Any = bound.date() if day else bound
    elif isinstance(actual, int) and not isinstance(actual, bool):
        try:
            left, right = actual, int(wanted.rsplit("/", 1)[-1])
        except ValueError:
            return False
    else:
        left, right = str(actual).lower(), wanted.lower()
    if op == "=":
        return bool(left == right)
    if op == ">":
        return bool(left > right)
    if op == ">=":
        return bool(left >= right)
    if op == "<":
        return bool(left < right)
    return bool(left <= right)


def parse_when(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise SearchError(f"not a date or time: {text!r}") from exc
    return value if value.tzinfo else value.replace(tzinfo=UTC)
