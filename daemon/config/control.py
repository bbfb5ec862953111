"""The ``[control]`` section: where the control socket lives and who may use it."""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator, Field

from syncwright.daemon.config.types import ConfigPath, StrictModel


def _empty_is_none(value: object) -> object:
    return None if isinstance(value, str) and not value.strip() else value


class ControlConfig(StrictModel):
    #: None: ``daemon.control_socket`` if set, else ``control.sock`` in the runtime directory.
    path: Annotated[ConfigPath | None, BeforeValidator(_empty_is_none)] = None
    #: A group whose members may use the socket too (mode 0660); None: the owner only (0600).
    group: Annotated[str | None, BeforeValidator(_empty_is_none)] = None
    #: Clients connected at once; one more is refused with a message.
    max_clients: int = Field(default=64, ge=1, le=4096)
