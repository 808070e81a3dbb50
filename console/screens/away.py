"""Stepping away from the desk (F12): choose why, from the reasons the central service lists.

The reasons (break, meeting, training, …) come from the service's configuration with a
Slovenian and an English label; enter chooses, escape stays ready. The dialog answers the
reason's code, or None. F12 again, while away, is back to ready (no dialog: see the app).
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from console import i18n
from console.domain.floor import AwayReason
from console.i18n import _
from console.screens.base import DeskModal
from widgets.footer import KeysFooter


class AwayDialog(DeskModal):
    """Choose why the agent steps away. Answers the reason's code, or None."""

    BINDINGS = [
        Binding("enter", "choose", "Away", id="away.choose", tooltip="Away for this reason"),
        Binding("escape", "back", "Back", id="away.back", tooltip="Stay ready for calls"),
    ]

    def __init__(self, reasons: list[AwayReason]) -> None:
        super().__init__()
        self.reasons = reasons

    def compose(self) -> ComposeResult:
        english = i18n.language() == "en"
        with Vertical(classes="dialog"):
            yield Label(_("Away from the desk"), classes="dialog-title")
            if self.reasons:
                yield OptionList(
                    *(
                        Option(reason.label_en if english else reason.label, id=reason.code)
                        for reason in self.reasons
                    ),
                    id="away-reasons",
                )
                hint = _("Enter: away for the chosen reason. Escape: stay ready.")
            else:
                hint = _(
                    "The central system has not listed the reasons yet (it has not answered "
                    "since this desk started). Try again in a moment."
                )
            yield Static(Text(hint, style="dim"), id="away-hint")
        yield KeysFooter()

    def on_mount(self) -> None:
        if self.reasons:
            options = self.query_one("#away-reasons", OptionList)
            options.highlighted = 0
            options.focus()

    @on(OptionList.OptionSelected, "#away-reasons")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_choose(self) -> None:
        if not self.reasons:
            return
        options = self.query_one("#away-reasons", OptionList)
        if options.highlighted is not None:
            option = options.get_option_at_index(options.highlighted)
            self.dismiss(option.id)

    def action_back(self) -> None:
        self.dismiss(None)
