"""Calls left open: offered for wrap-up when the console starts (and when it is back online).

A call the console quit (or crashed) during stays open on the central service: no end, no
disposition. The app asks the desk for this agent's calls left open and lists them here;
``enter`` wraps the chosen one up (it becomes the desk's call and the wrap-up opens), ``escape``
leaves them for now (offered again on the next start). The service closes a call left open for
longer than ``[retention] abandon_calls_after_hours`` as ``abandoned`` by itself.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from console.desk_views import LeftOpen
from console.domain.calendar import format_datetime
from console.i18n import _, ngettext
from console.screens.base import DeskModal
from widgets.footer import KeysFooter


def left_open_text(left: LeftOpen) -> str:
    """One call left open: ``3. 12. 2026 09:05 · Janez Kovač``."""
    if left.caller is not None:
        who = left.caller
    elif left.call.caller_id is None:
        who = _("anonymous caller")
    else:
        who = _("caller {id}").format(id=left.call.caller_id)
    return f"{format_datetime(left.call.started_at)} · {who}"


class OpenCallsDialog(DeskModal):
    """The agent's calls left open. Answers the chosen :class:`LeftOpen`, or None (later)."""

    BINDINGS = [
        Binding(
            "enter",
            "wrap_up",
            "Wrap up",
            id="open_calls.wrap_up",
            priority=True,  # before the list's own (hidden) enter: shown in the footer
            tooltip="Wrap up the chosen call now",
        ),
        Binding(
            "escape",
            "later",
            "Later",
            id="open_calls.later",
            tooltip="Leave them open for now; offered again on the next start",
        ),
    ]

    def __init__(self, calls: list[LeftOpen]) -> None:
        super().__init__()
        self.calls = calls

    def compose(self) -> ComposeResult:
        count = len(self.calls)
        with Vertical(classes="dialog", id="open-calls"):
            yield Label(
                ngettext(
                    "{count} call of yours is not wrapped up",
                    "{count} calls of yours are not wrapped up",
                    count,
                ).format(count=count),
                classes="dialog-title",
            )
            yield OptionList(
                *(Option(left_open_text(left), id=str(left.call.id)) for left in self.calls),
                id="open-calls-list",
            )
            yield Static(
                Text(
                    _(
                        "Enter: wrap up the chosen call. Escape: later (they are offered again "
                        "on the next start; the central system closes calls left open too long "
                        "as abandoned)."
                    ),
                    style="dim",
                ),
                id="open-calls-hint",
            )
        yield KeysFooter()

    def on_mount(self) -> None:
        options = self.query_one("#open-calls-list", OptionList)
        options.highlighted = 0
        options.focus()

    @on(OptionList.OptionSelected, "#open-calls-list")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._choose(event.option_index)

    def action_wrap_up(self) -> None:
        highlighted = self.query_one("#open-calls-list", OptionList).highlighted
        if highlighted is not None:
            self._choose(highlighted)

    def _choose(self, index: int) -> None:
        self.dismiss(self.calls[index])

    def action_later(self) -> None:
        self.dismiss(None)
