"""What every command module provides: an ``Args`` model (strict: wrong types are refused)
and ``async def run(call, args) -> dict``; its docstring is the command's wire documentation."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field

from syncwright.daemon.control.context import ControlContext

ConnectionName = str


class Session(Protocol):
    """The client connection a command runs for."""

    async def subscribe(self, *, detail: bool = False) -> None: ...

    def unsubscribe(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Call:
    ctx: ControlContext
    session: Session


class Args(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class NoArgs(Args):
    pass


class ConnectionArgs(Args):
    connection: str = Field(min_length=1, max_length=64)


Result = dict[str, Any]
Runner = Callable[[Call, Any], Awaitable[Result]]


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    args: type[Args]
    run: Runner
    doc: str
