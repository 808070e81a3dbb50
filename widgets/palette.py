"""Textual's command palette with its "No matches found" in the UI's language.

Textual 8.2.8 writes that line in English inside ``CommandPalette._start_no_matches_countdown``
(the prompt is a constructor argument; this line is not). :class:`ConsolePalette` shows the
same line, after the same delay, with the text it is given.
"""

from __future__ import annotations

from rich.align import Align
from rich.text import Text
from textual.command import CommandList, CommandPalette
from textual.widgets.option_list import Option


class ConsolePalette(CommandPalette):
    def __init__(self, *, no_matches: str, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.no_matches = no_matches

    def _start_no_matches_countdown(self, search_value: str) -> None:
        self._stop_no_matches_countdown()

        def show_no_matches() -> None:
            if not search_value:  # nothing typed: nothing to say
                self._list_visible = False
                return
            self.query_one(CommandList).add_option(
                Option(
                    Align.center(Text(self.no_matches, style="not bold")),
                    disabled=True,
                    id=self._NO_MATCHES,
                )
            )
            self._list_visible = True

        self._no_matches_timer = self.set_timer(self._NO_MATCHES_COUNTDOWN, show_no_matches)
