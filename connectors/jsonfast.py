"""JSON through orjson where its answer is the standard library's, and through ``json`` where
it may not be.

A full sync encodes and hashes hundreds of thousands of records, and the stdlib's ``json`` is
a large share of the daemon's CPU there. orjson is several times faster but differs at the
edges: it refuses integers beyond 64 bits, writes UTF-8 instead of ``\\uXXXX`` escapes and
formats some floats differently. Each function here takes orjson's result only where those
differences cannot show, and asks ``json`` otherwise.

Decoding stays with ``json``: orjson reads an integer beyond 64 bits as a float, and no check
for that is cheaper than the time orjson would save on a page.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

#: Dates, times and dataclasses go to ``default=str`` as they do with json.dumps.
_ENCODE = (
    orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
)
_CANONICAL = orjson.OPT_SORT_KEYS


def dumps(value: Any) -> bytes:
    """Encode a request body: the same document ``json.dumps(value, default=str)`` gives
    (non-ASCII text as UTF-8 rather than escapes, which any JSON reader takes as equal; a
    plain ``Enum`` member, which no request body here holds, would be its value, not its
    ``str``)."""
    try:
        return orjson.dumps(value, default=str, option=_ENCODE)
    except TypeError:  # an integer beyond 64 bits, a key orjson cannot turn into text
        return json.dumps(value, default=str).encode()


def canonical(value: Any) -> bytes:
    """The bytes of ``json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)``
    for the JSON-mode dump of a record (strings, integers, booleans, None, lists, string-keyed
    objects; no floats). orjson writes the same bytes when the text is plain printable ASCII;
    anything else (non-ASCII, DEL, keys to sort by code point) goes through ``json``."""
    try:
        raw = orjson.dumps(value, option=_CANONICAL)
    except TypeError:
        raw = b""
    if raw and raw.isascii() and b"\x7f" not in raw:
        return raw
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str).encode()
