"""``python -m syncwright.tui --socket PATH``: the terminal UI (``syncwright tui`` starts this)."""

from __future__ import annotations

import argparse
from pathlib import Path

from syncwright.tui.app import run_app


def main() -> None:
    parser = argparse.ArgumentParser(prog="syncwright tui")
    parser.add_argument("--socket", type=Path, required=True, help="the daemon's control socket")
    run_app(parser.parse_args().socket)


if __name__ == "__main__":
    main()
