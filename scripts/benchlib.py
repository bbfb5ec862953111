"""Shared by the benchmark scripts: keep one section per benchmark in BENCHMARKS.md."""

from __future__ import annotations

from pathlib import Path

TITLE = "# Benchmarks\n\nFigures measured by the scripts in `scripts/` (each section says how).\n"


def update_section(path: Path, heading: str, body: str) -> None:
    """Replace (or append) the section ``## heading`` of ``path`` with ``body``."""
    text = path.read_text() if path.exists() else TITLE
    marker = f"## {heading}\n"
    section = f"{marker}\n{body.strip()}\n"
    if marker in text:
        start = text.index(marker)
        nxt = text.find("\n## ", start + len(marker))
        end = len(text) if nxt == -1 else nxt + 1
        text = text[:start] + section + ("\n" if nxt != -1 else "") + text[end:]
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text)
