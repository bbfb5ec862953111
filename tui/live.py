"""A screen that shows the result of one request and asks again every second while shown."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Static

from syncwright.tui.client import CommandError, LinkError

if TYPE_CHECKING:
    from syncwright.tui.app import SyncwrightApp

REFRESH = 1.0


class LiveScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "app.pop_screen", "Back", show=True)]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._busy = False

    @property
    def sw(self) -> SyncwrightApp:
        from syncwright.tui.app import SyncwrightApp

        assert isinstance(self.app, SyncwrightApp)
        return self.app

    def on_mount(self) -> None:
        self.set_interval(REFRESH, self.reload)
        self.call_later(self.reload)

    async def reload(self) -> None:
        if self._busy:
            return
        self._busy = True
        try:
            cmd, args = self.request()
            result = await self.sw.request(cmd, **args)
        except (LinkError, CommandError) as exc:
            self.query_one("#problem", Static).update(f"⚠ {exc}")
            return
        finally:
            self._busy = False
        self.query_one("#problem", Static).update("")
        self.show(result)

    def request(self) -> tuple[str, dict[str, Any]]:
        raise NotImplementedError

    def show(self, result: dict[str, Any]) -> None:
        raise NotImplementedError
