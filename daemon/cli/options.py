"""The ``--config`` option, shared by every command that reads the config file."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_config_option(parser: argparse.ArgumentParser, default: Path, naming: str = "") -> None:
    """``--config/-c PATH``, defaulting to ``default``; ``naming`` says what the command reads
    from it (e.g. "the state file")."""
    what = f"config file naming {naming}" if naming else "config file"
    parser.add_argument(
        "--config",
        "-c",
        type=Path,
        default=default,
        metavar="PATH",
        help=f"{what} (default: {default})",
    )
