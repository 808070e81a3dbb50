"""The wrap-up disposition codes as a numbered list: the cursor is the choice.

Up/down (and home/end) move the choice, number keys 1–9 choose directly, enter confirms (the
wrap-up form then moves on to the notes). The chosen row carries a ● so it stays visible when
the list loses focus. Labels come from the server's configured dispositions, in the UI language.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from console.domain.models import Disposition
from widgets.translated import translate_bindings

MAX_NUMBERED = 9


class DispositionList(OptionList):
    """Choose one disposition code; :attr:`chosen` is the highlighted one (or ``None``)."""

    DEFAULT_CSS = """
    DispositionList {
        height: auto;
        max-height: 100%;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("1", "choose(1)", "Choose", key_display="1–9", id="wrapup.disposition_1"),
        *(
            Binding(str(n), f"choose({n})", show=False, id=f"wrapup.disposition_{n}")
            for n in range(2, MAX_NUMBERED + 1)
        ),
    ]

    @dataclass
    class Chosen(Message):
        """The agent chose a disposition (by cursor or number key)."""

        disposition_list: DispositionList
        disposition: Disposition

        @property
        def control(self) -> DispositionList:
            return self.disposition_list

    def __init__(
        self,
        dispositions: Sequence[Disposition] = (),
        *,
        language: str = "sl",
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        translate_bindings(self)
        self._dispositions: list[Disposition] = []
        self._language = language
        self.set_dispositions(dispositions)

    # -- content --------------------------------------------------------------------------

    def label(self, disposition: Disposition) -> str:
        return disposition.label_en if self._language == "en" else disposition.label

    def set_dispositions(self, dispositions: Sequence[Disposition]) -> None:
        self._dispositions = list(dispositions)
        self.clear_options()
        self.add_options(
            Option(self._prompt(index, chosen=False), id=d.code)
            for index, d in enumerate(self._dispositions)
        )
        self.highlighted = None

    def _prompt(self, index: int, *, chosen: bool) -> Text:
        number = str(index + 1) if index < MAX_NUMBERED else " "
        text = Text()
        text.append(f"{number} ", style="bold")
        text.append("● " if chosen else "○ ")
        text.append(self.label(self._dispositions[index]))
        return text

    # -- the choice -----------------------------------------------------------------------

    @property
    def dispositions(self) -> list[Disposition]:
        return list(self._dispositions)

    @property
    def chosen(self) -> Disposition | None:
        index = self.highlighted
        return self._dispositions[index] if index is not None else None

    def choose(self, code: str | None) -> bool:
        """Choose the disposition with this code (``None`` clears); false if there is none."""
        if code is None:
            self.highlighted = None
            return True
        for index, disposition in enumerate(self._dispositions):
            if disposition.code == code:
                self.highlighted = index
                return True
        return False

    def action_choose(self, number: int) -> None:
        if 1 <= number <= len(self._dispositions):
            self.highlighted = number - 1

    # Textual hands a watcher that takes two arguments the old and the new value; this one
    # replaces OptionList's (which only scrolls to the highlight: the list is never scrolled).
    def watch_highlighted(self, old: int | None, new: int | None) -> None:  # type: ignore[override]
        for index in {old, new} - {None}:
            if index is not None and index < len(self._dispositions):
                self.replace_option_prompt_at_index(index, self._prompt(index, chosen=index == new))
        super().watch_highlighted(new)
        if new is not None and new < len(self._dispositions):
            self.post_message(self.Chosen(self, self._dispositions[new]))
