"""Where the state file and the sandbox data go when config.toml leaves them empty.

``state_file = ""`` (and ``[sandbox] data_dir = ""``) mean: systemd's ``$STATE_DIRECTORY``
(``StateDirectory=`` in the unit) when it is set; otherwise ``var/`` beside the config file for a
config of one's own or a checkout; and for the copy of config.toml shipped inside the installed
package, whose directory is not writable, ``$XDG_STATE_HOME/syncwright`` (by default
``~/.local/state/syncwright``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from pydantic import ValidationInfo

#: Set in the validation context when the config is the copy inside the installed package.
PACKAGED = "packaged_default"


def state_home(environ: Mapping[str, str] | None = None) -> Path:
    """The directory for state when no config names one and systemd gave none."""
    env = os.environ if environ is None else environ
    systemd = env.get("STATE_DIRECTORY", "")
    if systemd:
        # systemd joins several StateDirectory= entries with ':'; ours is the first.
        return Path(systemd.split(":")[0]).absolute()
    xdg = env.get("XDG_STATE_HOME", "")
    base = Path(xdg) if xdg else Path("~/.local/state").expanduser()
    return base.absolute() / "syncwright"


def _default(name: str, value: object, info: ValidationInfo) -> object:
    if value is not None and not (isinstance(value, str) and not value.strip()):
        return value
    context = info.context if isinstance(info.context, dict) else {}
    if os.environ.get("STATE_DIRECTORY") or context.get(PACKAGED):
        return state_home() / name
    return Path("var") / name


def default_state_file(value: object, info: ValidationInfo) -> object:
    """``""``: state.db in the state directory (see the module docstring)."""
    return _default("state.db", value, info)


def default_sandbox_dir(value: object, info: ValidationInfo) -> object:
    """``""``: sandbox/ in the state directory."""
    return _default("sandbox", value, info)
