"""Reading config.toml: ``load_config(path)`` and ``parse_config(data)``, and where the shipped
config.toml is.

``load_config`` reads and validates a file and raises ConfigError listing every problem (file,
key path, value, expectation); a syntax error names its line and column.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from syncwright.daemon.config.errors import ConfigError, Problem, problems_from_validation
from syncwright.daemon.config.model import Config
from syncwright.daemon.config.paths import PACKAGED


def parse_config(
    data: Mapping[str, Any], *, base_dir: Path | None = None, source: Path | None = None
) -> Config:
    """Validate already-parsed TOML data; relative paths are taken from ``base_dir``."""
    packaged = source is not None and source.absolute() == packaged_config_path()
    context: dict[str, Any] = {PACKAGED: packaged}
    if base_dir is not None:
        context["base_dir"] = base_dir.absolute()
    try:
        config = Config.model_validate(dict(data), context=context)
    except ValidationError as error:
        raise ConfigError(problems_from_validation(error, Config), source) from None
    except ConfigError as error:
        raise (error.with_source(source) if source is not None else error) from None
    config._source = source
    return config


def load_config(path: str | Path) -> Config:
    """Read, parse and validate a config file; raise ConfigError naming every problem."""
    path = Path(path).expanduser().absolute()
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError([Problem("", "the config file does not exist")], path) from None
    except IsADirectoryError:
        raise ConfigError([Problem("", "expected a file, found a directory")], path) from None
    except OSError as error:
        reason = error.strerror or str(error)
        raise ConfigError([Problem("", f"cannot read the config file: {reason}")], path) from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as error:
        message = f"not valid UTF-8 text (byte {error.start}); save the file as UTF-8"
        raise ConfigError([Problem("", message)], path) from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError([Problem("", _syntax_message(error))], path) from None
    # The packaged copy's relative paths (connectors/sandbox/demo.key) are taken from the
    # directory holding the packages, as the checkout's are taken from the checkout.
    base = path.parent.parent if path == packaged_config_path() else path.parent
    return parse_config(data, base_dir=base, source=path)


def _syntax_message(error: tomllib.TOMLDecodeError) -> str:
    # Python 3.11's TOMLDecodeError has no lineno attribute; the position ends the message.
    text = str(error)
    match = re.search(r"\(at line (\d+), column (\d+)\)$", text)
    if match is None:
        return f"TOML syntax error: {text}"
    reason = text[: match.start()].rstrip()
    return f"line {match[1]}, column {match[2]}: TOML syntax error: {reason}"


def default_config_path() -> Path:
    """The shipped config.toml: the checkout's top-level one, else the packaged copy.

    Only a default for ``--config``: a checkout this user may not look into (its parent at
    mode 0700, someone else's home) counts as no checkout, so a command that names its
    config or socket still runs."""
    checkout = Path(__file__).resolve().parents[2] / "config.toml"
    try:
        if checkout.is_file():
            return checkout
    except OSError:
        pass
    return packaged_config_path()


def packaged_config_path() -> Path:
    """config.toml as shipped inside the installed package: daemon/default_config.toml, in the
    checkout a symbolic link to the top-level config.toml (not resolved here, so the two differ).
    """
    return Path(__file__).resolve().parents[1] / "default_config.toml"
