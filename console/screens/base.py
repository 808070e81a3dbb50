"""What every desk screen shares: the status bar on top, the footer with keys below."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, cast

from textual import on
from textual.app import ComposeResult
from textual.screen import ModalScreen, Screen
from textual.worker import Worker, WorkerState

from console.screens.frames import PromptFrames
from widgets.footer import KeysFooter
from widgets.status_bar import StatusBar
from widgets.textual_internals import default_prevented
from widgets.translated import translate_bindings

if TYPE_CHECKING:
    from console.config import Config
    from console.desk import Desk


class ConsoleApp(Protocol):
    """What the screens use of the app (``console.app.AgentConsole``), so that they need not
    import it: the app imports the screens."""

    config: Config
    desk: Desk  # set before the first desk screen is shown

    def key_label(self, binding_id: str) -> str: ...

    def show_error(self, error: BaseException | None) -> None: ...


def forward_worker_errors(screen: Screen, event: Worker.StateChanged) -> None:
    """Hand a failed worker's error to the app's one error display.

    ``Worker.StateChanged`` does not bubble, so the app never sees workers that screens
    start; every screen forwards its own. A screen that shows an error inline handles the
    event itself and calls ``event.prevent_default()``.
    """
    if event.state is WorkerState.ERROR and not default_prevented(event):
        cast(ConsoleApp, screen.app).show_error(event.worker.error)


def key_label(screen: Screen, binding_id: str) -> str:
    """The key of a binding as messages name it (it follows ``[keys]`` in config.toml)."""
    return cast(ConsoleApp, screen.app).key_label(binding_id)


class DeskScreen(PromptFrames, Screen):
    """A full screen of the console. Subclasses implement :meth:`compose_body`."""

    def __init__(self) -> None:
        super().__init__()
        translate_bindings(self)

    @property
    def console(self) -> ConsoleApp:
        return cast(ConsoleApp, self.app)

    @property
    def desk(self) -> Desk:
        return self.console.desk

    def compose(self) -> ComposeResult:
        yield StatusBar()
        yield from self.compose_body()
        yield KeysFooter(compact=True)

    def compose_body(self) -> ComposeResult:
        yield from ()

    def refresh_status(self) -> None:
        for bar in self.query(StatusBar):
            bar.refresh_status()

    @on(Worker.StateChanged)
    def _forward_worker_errors(self, event: Worker.StateChanged) -> None:
        forward_worker_errors(self, event)


class DeskModal(PromptFrames, ModalScreen):
    """A dialog over a desk screen: footer labels translated, worker errors shown."""

    def __init__(self) -> None:
        super().__init__()
        translate_bindings(self)

    @on(Worker.StateChanged)
    def _forward_worker_errors(self, event: Worker.StateChanged) -> None:
        forward_worker_errors(self, event)
