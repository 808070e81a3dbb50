"""The screen pop: a call ringing on this desk's extension, with its caller, before the agent
answers.

:class:`RingingDialog` shows the card of the caller the number belongs to, or the callers when
several have it (up and down choose); ``enter`` takes the call with that caller (the desk's
call starts with them: no lookup), ``ctrl+n`` takes it as a new caller (someone else on a
known phone), ``escape`` hides it (the phone rings on). A number nobody has pops
:class:`RingingCallerForm` instead: the new-caller form with the number filled in, whose save
takes the call with the caller it creates. Either goes away by itself when the call is
answered elsewhere or the caller hangs up (the app follows the change feed).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Static

from console.desk_phone import Matches, RingingCall
from console.domain.models import Disposition
from console.domain.phone import format_phone
from console.i18n import _
from console.screens.base import DeskModal, key_label
from console.screens.new_caller import NewCallerForm
from widgets.caller_card import CallerCardView
from widgets.footer import KeysFooter
from widgets.matched_callers import MatchedCallers


@dataclass(frozen=True)
class TakeCall:
    """How the agent took the ringing call: with this caller, or as a new caller (None)."""

    call: RingingCall
    caller_id: int | None


def ringing_line(call: RingingCall) -> Text:
    """``Zvoni: 041 234 567 · linija UE Ljubljana · interna 101``."""
    line = Text()
    line.append(_("Ringing") + ": ", "bold")
    number = format_phone(call.number) if call.number else _("number withheld")
    line.append(f" {number} ", "bold reverse")
    if call.line:
        line.append("  ·  " + _("line {line}").format(line=call.line))
    line.append("  ·  " + _("extension {extension}").format(extension=call.extension), "dim")
    return line


class Rings:
    """A pop of a ringing call: it goes when the call stops ringing here (answered elsewhere,
    the caller hung up), at once if it is on top, else when it is shown again."""

    ended = False

    def ring_ended(self) -> None:
        self.ended = True
        self._go_if_ended()

    def _go_if_ended(self) -> None:
        screen: Any = self
        if self.ended and screen.is_current and not getattr(screen, "saving", False):
            screen.dismiss(None)

    def on_screen_resume(self) -> None:
        self._go_if_ended()


class RingingDialog(Rings, DeskModal):
    """The caller (or callers) of a call ringing on this desk: take it with one key."""

    BINDINGS = [
        Binding(
            "enter",
            "take",
            "Take the call",
            id="ringing.take",
            tooltip="The call starts with this caller: their card, no lookup",
        ),
        Binding(
            "ctrl+n",
            "new_caller",
            "New caller",
            id="ringing.new_caller",
            tooltip="Take the call as a new caller, with this number filled in",
        ),
        Binding("escape", "hide", "Hide", id="ringing.dismiss", tooltip="The phone rings on"),
        Binding("up", "move(-1)", show=False, id="ringing.up"),
        Binding("down", "move(1)", show=False, id="ringing.down"),
    ]

    def __init__(
        self,
        call: RingingCall,
        matches: Matches,
        *,
        today: date,
        dispositions: Sequence[Disposition] = (),
        busy: bool = False,
    ) -> None:
        super().__init__()
        self.call = call
        self.matches = matches
        self.today = today
        self.dispositions = dispositions
        self.busy = busy  # a call with a caller is in progress: taking this one must wait

    def compose(self) -> ComposeResult:
        with Vertical(id="ringing-dialog", classes="dialog"):
            yield Static(ringing_line(self.call), id="ringing-title")
            yield CallerCardView(
                id="ringing-card",
                slots_key=key_label(self, "slots"),
                bookings_key=key_label(self, "bookings"),
            )
            table = MatchedCallers(id="ringing-matches")
            table.can_focus = False  # up and down are the dialog's: enter stays "take"
            yield table
            yield Static("", id="ringing-hint")
        yield KeysFooter()

    def on_mount(self) -> None:
        matches = self.matches
        card = self.query_one(CallerCardView)
        table = self.query_one(MatchedCallers)
        hint = Text()
        card.display = matches.card is not None
        table.display = len(matches.callers) > 1
        take, new = key_label(self, "ringing.take"), key_label(self, "ringing.new_caller")
        if matches.card is not None:
            card.show(matches.card, today=self.today, dispositions=self.dispositions)
            name = f"{matches.card.caller.first_name} {matches.card.caller.last_name}"
            hint.append(_("{key}: take the call with {name}").format(key=take, name=name), "bold")
        elif len(matches.callers) > 1:
            table.show(matches.callers, self.today)
            hint.append(
                _("Callers with this number: {count}. ↑ ↓ choose, {key} takes the call.").format(
                    count=len(matches.callers), key=take
                ),
                "bold",
            )
        elif matches.missing:
            hint.append(
                _("The caller's card is not in this desk's cache (offline)."), "bold yellow"
            )
        else:
            hint.append(_("This number is nobody's in the register."), "bold")
        hint.append("   " + _("{key}: a new caller").format(key=new), "dim")
        if self.busy:
            hint = Text(
                _("A call is in progress: wrap it up before taking this one ({key}).").format(
                    key=key_label(self, "wrapup")
                ),
                style="bold yellow",
            )
        self.query_one("#ringing-hint", Static).update(hint)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("take", "new_caller"):
            return not self.busy
        return True

    def chosen(self) -> int | None:
        matches = self.matches
        if matches.card is not None:
            return matches.card.caller.id
        if len(matches.callers) > 1:
            return self.query_one(MatchedCallers).highlighted_id
        if len(self.call.caller_ids) == 1:
            return self.call.caller_ids[0]  # not loaded (offline): the desk opens it anyway
        return None

    def action_take(self) -> None:
        if not self.busy:
            self.dismiss(TakeCall(self.call, self.chosen()))

    def action_new_caller(self) -> None:
        if not self.busy:
            self.dismiss(TakeCall(self.call, None))

    def action_hide(self) -> None:
        self.dismiss(None)

    def action_move(self, step: int) -> None:
        table = self.query_one(MatchedCallers)
        if table.display and table.row_count:
            table.move_cursor(row=max(0, min(table.row_count - 1, table.cursor_row + step)))


class RingingCallerForm(Rings, NewCallerForm):
    """A number nobody has is ringing: the new-caller form with the number filled in. Saving
    it takes the call with the new caller."""

    def __init__(self, call: RingingCall) -> None:
        number = format_phone(call.number) if call.number else ""
        super().__init__({"phones": number})
        self.call = call

    def on_mount(self) -> None:
        super().on_mount()
        dialog = self.query_one("#new-caller-dialog")
        number = format_phone(self.call.number) if self.call.number else _("number withheld")
        dialog.border_title = _("Ringing: {number} · a new caller").format(number=number)
        dialog.border_subtitle = _("{key}: save and take the call").format(
            key=key_label(self, "new_caller.save")
        )
        self.add_class("-ringing")
