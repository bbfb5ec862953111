"""``--json`` output: every command that prints data can print one JSON object instead, of one
documented, versioned shape (README, "Machine-readable output").

Every object carries ``"format": JSON_FORMAT`` and ``"command"``; a command that fails prints
``{"format", "command", "ok": false, "exit": code, "error": text}`` on stdout (the text also
goes to stderr). A later format adds fields only; a field removed or changed in meaning bumps
``JSON_FORMAT``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from typing import Any, TextIO

#: The shape of every ``--json`` output; bumped only when a field is removed or changes meaning.
JSON_FORMAT = 1


def add_json_option(parser: argparse.ArgumentParser, what: str = "the result") -> None:
    parser.add_argument(
        "--json", action="store_true", help=f"print {what} as JSON (README: format {JSON_FORMAT})"
    )


def envelope(command: str, data: Mapping[str, Any]) -> dict[str, Any]:
    return {"format": JSON_FORMAT, "command": command, **data}


def emit(command: str, data: Mapping[str, Any], out: TextIO | None = None) -> None:
    """Print ``data`` as one JSON document (indented: meant for jq and for eyes)."""
    print(json.dumps(envelope(command, data), indent=2), file=out or sys.stdout)


def emit_line(command: str, data: Mapping[str, Any], out: TextIO | None = None) -> None:
    """One compact JSON object on one line (a stream such as ``events``)."""
    print(json.dumps(envelope(command, data)), file=out or sys.stdout, flush=True)


def emit_failure(command: str, code: int, message: str) -> None:
    emit(command, {"ok": False, "exit": code, "error": message})
