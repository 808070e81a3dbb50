"""How long the slot stays held for this agent: ``Held for you: 02:41``, red near the end."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from rich.text import Text
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Static

from console.i18n import _
from widgets.status_bar import clock_text

WARN_SECONDS = 30


class HoldCountdown(Static):
    """Counts down a hold from ``seconds_left()``; posts :class:`Expired` once at zero.

    With ``live=False`` (tests, screenshots) it does not tick, and shows the time left rounded
    up to a whole minute so the picture is the same on every run; :meth:`tick` still notices
    an expired hold.
    """

    DEFAULT_CSS = """
    HoldCountdown {
        height: 1;
        width: 100%;
    }
    """

    @dataclass
    class Expired(Message):
        """The hold ran out: the slot is no longer reserved for this agent."""

    def __init__(
        self,
        seconds_left: Callable[[], int | None],
        *,
        live: bool = True,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self._seconds_left = seconds_left
        self.live = live
        self.expired = False
        self._timer: Timer | None = None

    def on_mount(self) -> None:
        self.tick()
        if self.live:
            self._timer = self.set_interval(1.0, self.tick)

    def restart(self) -> None:
        """The slot was held again: count from the new expiry."""
        self.expired = False
        self.tick()
        if self.live and self._timer is not None:
            self._timer.resume()

    def tick(self) -> None:
        left = self._seconds_left()
        if left is None or left <= 0:
            self.update(Text(_("The hold has expired"), style="bold red"))
            if not self.expired:
                self.expired = True
                if self._timer is not None:
                    self._timer.pause()
                self.post_message(self.Expired())
            return
        shown = left if self.live else math.ceil(left / 60) * 60
        line = Text(_("Held for you:") + " ")
        line.append(clock_text(shown), style="bold red" if shown <= WARN_SECONDS else "bold")
        self.update(line)
