"""What every desk screen shares: the status bar on top, the footer with keys below."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer

from widgets.status_bar import StatusBar
from widgets.translated import translate_bindings

if TYPE_CHECKING:
    from console.app import AgentConsole
    from console.desk import Desk


class DeskScreen(Screen):
    """A full screen of the console. Subclasses implement :meth:`compose_body`."""

    def __init__(self) -> None:
        super().__init__()
        translate_bindings(self)

    @property
    def console(self) -> AgentConsole:
        return self.app  # type: ignore[return-value]

    @property
    def desk(self) -> Desk:
        return self.console.desk

    def compose(self) -> ComposeResult:
        yield StatusBar()
        yield from self.compose_body()
        yield Footer()

    def compose_body(self) -> ComposeResult:
        yield from ()

    def refresh_status(self) -> None:
        for bar in self.query(StatusBar):
            bar.refresh_status()
