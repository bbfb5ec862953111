"""The part of Xero's ``where`` filter language the emulator understands.

    expr   := term (("AND" | "OR" | "&&" | "||") term)*      (AND binds tighter than OR)
    term   := "(" expr ")" | field [".ToLower()"] ("==" | "!=") "string"
    field  := a record's top-level property (Code, EmailAddress, Reference, Type, ...)

String comparisons are exact unless ``.ToLower()`` is used [assumed]. Anything else is a
400 ValidationException, as Xero answers a filter it cannot parse.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

Predicate = Callable[[Mapping[str, Any]], bool]

_TOKEN = re.compile(
    r"\s*(?:(\()|(\))|(AND|OR|&&|\|\|)|([A-Za-z][A-Za-z0-9]*)(\.ToLower\(\))?\s*(==|!=)\s*"
    r'"((?:[^"\\]|\\.)*)")'
)


class WhereError(ValueError):
    pass


def parse(text: str) -> Predicate:
    tokens: list[tuple[str, Any]] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        found = _TOKEN.match(text, pos)
        if not found or found.end() == pos:
            raise WhereError(f"cannot parse the where clause at {text[pos : pos + 20]!r}")
        pos = found.end()
        if found.group(1):
            tokens.append(("(", None))
        elif found.group(2):
            tokens.append((")", None))
        elif found.group(3):
            tokens.append(("op", "AND" if found.group(3) in ("AND", "&&") else "OR"))
        else:
            value = re.sub(r"\\(.)", r"\1", found.group(7))
            tokens.append(("cmp", (found.group(4), bool(found.group(5)), found.group(6), value)))
        while pos < len(text) and text[pos].isspace():
            pos += 1
    predicate, rest = _or(tokens)
    if rest:
        raise WhereError("unbalanced where clause")
    return predicate


def _or(tokens: list[tuple[str, Any]]) -> tuple[Predicate, list[tuple[str, Any]]]:
    left, tokens = _and(tokens)
    while tokens and tokens[0] == ("op", "OR"):
        right, tokens = _and(tokens[1:])
        left = (lambda a, b: lambda r: a(r) or b(r))(left, right)
    return left, tokens


def _and(tokens: list[tuple[str, Any]]) -> tuple[Predicate, list[tuple[str, Any]]]:
    left, tokens = _term(tokens)
    while tokens and tokens[0] == ("op", "AND"):
        right, tokens = _term(tokens[1:])
        left = (lambda a, b: lambda r: a(r) and b(r))(left, right)
    return left, tokens


def _term(tokens: list[tuple[str, Any]]) -> tuple[Predicate, list[tuple[str, Any]]]:
    if not tokens:
        raise WhereError("the where clause ends too soon")
    kind, value = tokens[0]
    if kind == "(":
        inner, rest = _or(tokens[1:])
        if not rest or rest[0][0] != ")":
            raise WhereError("unbalanced where clause")
        return inner, rest[1:]
    if kind != "cmp":
        raise WhereError("a comparison was expected")
    field, lower, op, wanted = value

    def compare(record: Mapping[str, Any]) -> bool:
        have = record.get(field)
        text = "" if have is None else str(have)
        if lower:
            text = text.lower()
        same: bool = text == str(wanted)
        return same if op == "==" else not same

    return compare, tokens[1:]
