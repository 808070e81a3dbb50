"""The first screen: connect to the central service (seeding the demo database the first time)
with a progress bar, then hand over to the lookup screen."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Middle
from textual.screen import Screen
from textual.widgets import Label, ProgressBar

from console.i18n import _


class StartupScreen(Screen):
    BINDINGS = [
        Binding(
            "r",
            "app.reconnect_quietly",
            "Try again now",
            tooltip="Try the central system now instead of waiting",
            id="startup.retry",
        ),
    ]

    def compose(self) -> ComposeResult:
        with Middle(), Center():
            yield Label(_("agent-console"), id="startup-title")
            yield Label(_("Connecting to the central service…"), id="startup-step")
            yield ProgressBar(total=None, show_eta=False, id="startup-progress")

    def on_screen_suspend(self) -> None:
        # The console has moved on to its screens and never comes back here: remove the bar,
        # whose animation would otherwise redraw 15 times a second behind them all day.
        self.query(ProgressBar).remove()

    def show_progress(self, label: str, done: int, total: int) -> None:
        step = _("First start: preparing demo data — {step}").format(step=_(label))
        self.query_one("#startup-step", Label).update(step)
        bar = self.query_one("#startup-progress", ProgressBar)
        bar.update(total=max(total, 1), progress=done)

    def show_waiting(self, message: str) -> None:
        """The desk waits for the central system (it tries again by itself): say so, the bar
        still moving."""
        self.query_one("#startup-step", Label).update(Text(message))
        bar = self.query_one("#startup-progress", ProgressBar)
        bar.update(total=None)
        bar.display = True

    def show_failure(self, message: str) -> None:
        # As plain text: a message may name a config key in brackets ("[server] token").
        self.query_one("#startup-step", Label).update(Text(message))
        self.query_one("#startup-progress", ProgressBar).display = False
