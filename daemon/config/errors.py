"""ConfigError, and turning pydantic's validation errors into lines an operator can act on.

Each problem names the file, the dotted key path, the offending value and what was expected:

    /etc/syncwright/config.toml: systems.erp.budget.windows.day.limit = -5: expected a number
    greater than 0

Values under a credential (``credentials.*``, ``api_key``) are never shown, and neither are
values of unknown keys, where a misplaced secret is most likely to sit.
"""

from __future__ import annotations

import difflib
import json
import re
import types
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

#: Keys whose values may be secrets (or references to them): never echoed.
SECRET_KEYS = frozenset({"credentials", "api_key", "password"})
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
HIDDEN = "<hidden>"


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a config: where (dotted key path), what value, what was expected."""

    path: str
    message: str
    #: The offending value as TOML-ish text, or None when it is not shown.
    value: str | None = None

    def render(self) -> str:
        if not self.path:
            return self.message
        where = self.path
        if self.value is not None:
            where = f"{where} = {self.value}"
        return f"{where}: {self.message}"


class ConfigError(Exception):
    """A config file that cannot be used; ``str()`` lists every problem, one per line.

    Deliberately not a ValueError: raised from inside a pydantic validator it passes through
    unchanged instead of being folded into a ValidationError.
    """

    def __init__(self, problems: Sequence[Problem], source: Path | None = None) -> None:
        self.problems = tuple(problems)
        self.source = source
        super().__init__(self._text())

    def with_source(self, source: Path) -> ConfigError:
        """The same problems, attributed to ``source``."""
        return ConfigError(self.problems, source)

    def _text(self) -> str:
        prefix = f"{self.source}: " if self.source is not None else ""
        lines = [prefix + p.render() for p in self.problems]
        if len(lines) == 1:
            return lines[0]
        where = f" in {self.source}" if self.source is not None else ""
        head = f"{len(lines)} problems{where}:"
        return "\n".join([head, *("  " + line for line in lines)])

    def __str__(self) -> str:
        return self._text()


def show_value(value: Any) -> str:
    """A value as it would look in TOML, cut short when long."""
    if isinstance(value, Path):
        value = str(value)
    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def problems_from_validation(error: ValidationError, root: type[BaseModel]) -> list[Problem]:
    """One Problem per pydantic error, with paths as the operator wrote them in the file."""
    return [_problem(detail, root) for detail in error.errors(include_url=False)]


def _problem(detail: ErrorDetails, root: type[BaseModel]) -> Problem:
    loc = tuple(detail["loc"])
    kind = detail["type"]
    ctx = detail.get("ctx") or {}
    value: Any = detail.get("input")
    parts = _display_parts(loc, root)
    path = ".".join(parts)
    secret = any(str(p) in SECRET_KEYS for p in loc)

    if kind in ("union_tag_invalid", "union_tag_not_found"):
        tags = ctx.get("expected_tags") or _union_tags(loc, root)
        found = None if kind == "union_tag_not_found" else show_value(ctx.get("tag"))
        message = f"expected one of {tags}" if found else f"missing; expected one of {tags}"
        return Problem(f"{path}.kind", message, found)
    if kind == "extra_forbidden":
        allowed = _allowed_keys(loc, root)
        return Problem(path, _unknown_key(str(loc[-1]), allowed))
    if kind == "missing":
        return Problem(path, "missing; this key is required")
    if loc and loc[-1] == "[key]":
        return Problem(path, f"not allowed as a name here: {_expectation(detail)}")

    shown = _shown(value, secret)
    return Problem(path, _expectation(detail), shown)


def _shown(value: Any, secret: bool) -> str | None:
    if secret:
        return HIDDEN
    if isinstance(value, dict):
        return None  # a whole table: the message says what is wrong with it
    return show_value(value)


def _unknown_key(key: str, allowed: Sequence[str] | None) -> str:
    if not allowed:
        return "unknown key"
    close = difflib.get_close_matches(key, allowed, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"unknown key{hint}; expected one of: {', '.join(allowed)}"


_EXPECTED_BY_TYPE = {
    "int_type": "expected a whole number",
    "int_parsing": "expected a whole number",
    "int_from_float": "expected a whole number",
    "float_type": "expected a number",
    "float_parsing": "expected a number",
    "finite_number": "expected a finite number",
    "bool_type": "expected true or false",
    "bool_parsing": "expected true or false",
    "string_type": "expected a string",
    "dict_type": "expected a table",
    "model_type": "expected a table",
    "model_attributes_type": "expected a table",
    "list_type": "expected a list",
    "tuple_type": "expected a list",
    "greater_than": "expected a number greater than {gt}",
    "greater_than_equal": "expected a number of at least {ge}",
    "less_than": "expected a number less than {lt}",
    "less_than_equal": "expected a number of at most {le}",
    "literal_error": "expected one of {expected}",
    "too_short": "expected at least {min_length} item(s)",
    "too_long": "expected at most {max_length} item(s)",
}


def _expectation(detail: ErrorDetails) -> str:
    template = _EXPECTED_BY_TYPE.get(detail["type"])
    if template is not None:
        try:
            return template.format(**(detail.get("ctx") or {}))
        except (KeyError, IndexError):
            pass
    message = detail["msg"]
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    return message


# --- walking the model tree along an error's location -------------------------------------


def _strip(tp: Any) -> Any:
    """Annotated[X, ...] -> X; X | None -> X."""
    while True:
        if get_origin(tp) is Annotated:
            tp = get_args(tp)[0]
            continue
        if get_origin(tp) in (Union, types.UnionType):
            members = [m for m in get_args(tp) if m is not type(None)]
            if len(members) == 1:
                tp = members[0]
                continue
        return tp


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _union_member(tp: Any, tag: object) -> Any:
    """The member of a tagged union of models whose ``kind`` literal is ``tag``, else None."""
    for member in get_args(tp):
        field = member.model_fields.get("kind") if _is_model(member) else None
        if field is not None and tag in get_args(field.annotation):
            return member
    return None


def _walk(loc: Iterable[Any], root: type[BaseModel]) -> Iterable[tuple[Any, Any, bool]]:
    """Yield (location part, type reached, part is a union tag) along ``loc``."""
    tp: Any = root
    for part in loc:
        tp = _strip(tp)
        is_tag = False
        if _is_model(tp):
            field = tp.model_fields.get(part)
            tp = field.annotation if field is not None else None
        elif get_origin(tp) is dict:
            tp = get_args(tp)[1]
        elif get_origin(tp) in (tuple, list):
            tp = get_args(tp)[0]
        elif get_origin(tp) in (Union, types.UnionType):
            tp = _union_member(tp, part)
            is_tag = tp is not None
        else:
            tp = None
        yield part, tp, is_tag


def _display_parts(loc: Sequence[Any], root: type[BaseModel]) -> list[str]:
    """The loc as written in the file: union tags and the ``[key]`` marker dropped."""
    parts: list[str] = []
    for part, _tp, is_tag in _walk(loc, root):
        if is_tag or part == "[key]":
            continue
        if isinstance(part, int) and parts:
            parts[-1] += f"[{part}]"
        elif _BARE_KEY.fullmatch(str(part)):
            parts.append(str(part))
        else:
            parts.append(json.dumps(str(part), ensure_ascii=False))
    return parts


def _union_tags(loc: Sequence[Any], root: type[BaseModel]) -> str:
    """The allowed ``kind`` values of the tagged union at ``loc``, quoted and comma-separated."""
    tp: Any = root
    for _part, tp, _is_tag in _walk(loc, root):
        if tp is None:
            return "a known kind"
    tags = []
    for member in get_args(_strip(tp)):
        field = member.model_fields.get("kind") if _is_model(member) else None
        if field is not None:
            tags += [repr(tag) for tag in get_args(field.annotation)]
    return ", ".join(tags) or "a known kind"


def _allowed_keys(loc: Sequence[Any], root: type[BaseModel]) -> list[str] | None:
    """Keys the table holding ``loc[-1]`` accepts, when the model tree says so."""
    tp: Any = root
    for _part, tp, _is_tag in _walk(loc[:-1], root):
        if tp is None:
            return None
    tp = _strip(tp)
    if _is_model(tp):
        return list(tp.model_fields)
    return None
