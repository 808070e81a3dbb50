"""The booking dialogs: hold and confirm (with the countdown), booked (the big reference),
and cancel (with an optional reason).

Each is a ``ModalScreen`` over the slot or bookings screen. The hold dialog does its own API
calls, so a refusal (the slot taken meanwhile, the hold expired) is shown right there and the
notes typed so far stay in the field. How they word things is in :mod:`console.screens.wording`.

Messages to the caller: the booked dialog says what will be sent where (the booking's
``messages``: kind, channel, address, when), or why nothing will be, and ``n`` switches them
off for this booking while they wait; a reschedule (the hold dialog) and a cancellation offer
"notify the caller", on by default (``ctrl+n``). How messages are worded is in
:mod:`widgets.caller_messages`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from rich.console import Group, RenderableType
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Button, Checkbox, Input, Label, Static

from console.client.api import ApiRefused
from console.desk_views import MESSAGES_OFF, Delivery
from console.domain.clashes import Clashes
from console.domain.models import Booking, BookingStatus, Caller, CallerMessage, MessageStatus, Slot
from console.i18n import _
from console.messages import DeskChanged
from console.screens.base import ConsoleApp, key_label
from console.screens.wording import (
    address_of,
    documents_text,
    fact_grid,
    refusal_text,
    service_label,
    taken_mark,
    when_text,
)
from widgets.bookings_table import reference_text, status_label
from widgets.caller_messages import (
    MESSAGES_SETTLE,
    caller_may_know,
    delivery_note,
    dialog_lines,
    next_due,
    untold_cancel_text,
    where_text,
    why_nothing,
)
from widgets.footer import KeysFooter
from widgets.hold_countdown import HoldCountdown
from widgets.reference_code import ReferenceCode
from widgets.translated import translate_bindings

if TYPE_CHECKING:
    from console.desk import Desk

SLOT_GONE = ("slot_booked", "slot_held", "slot_blocked", "slot_past")
HOLD_GONE = ("hold_expired", "hold_released", "hold_not_yours")


def callers_own(desk: Desk, caller_id: int) -> Caller | None:
    """The desk's caller if a booking of ``caller_id`` is theirs (where messages go)."""
    caller = desk.caller
    return caller if caller is not None and caller.id == caller_id else None


def notify_choice(caller: Caller | None, delivery: Delivery, *, id: str) -> Checkbox | Static:
    """ "Notify the caller", on by default, where the caller gets messages; else why not."""
    if caller is not None and caller.message_address and delivery.state != MESSAGES_OFF:
        where = where_text(caller.message_channel, caller.message_address)
        return Checkbox(
            _("Notify the caller: {where}").format(where=where), value=True, id=id, compact=True
        )
    return Static(Text(why_nothing(caller, notify=True, delivery=delivery), style="dim"), id=id)


def notify_chosen(screen: ModalScreen, id: str) -> bool:
    """Whether the dialog's "notify the caller" is on (True where it offers none)."""
    found = screen.query(f"#{id}")
    choice = found.first() if found else None
    return choice.value if isinstance(choice, Checkbox) else True


def toggle_notify(screen: ModalScreen, id: str) -> None:
    found = screen.query(f"#{id}")
    choice = found.first() if found else None
    if isinstance(choice, Checkbox):
        choice.toggle()


# -- hold and confirm -------------------------------------------------------------------------


@dataclass
class HoldOutcome:
    """How the hold dialog ended: booked, refused (``taken`` says why), or let go."""

    booking: Booking | None = None
    taken: str | None = None
    notes: str = ""
    notify: bool = True  # the agent left "notify the caller" on


class HoldDialog(ModalScreen[HoldOutcome]):
    """The slot is held for this agent: confirm it for the caller before the hold runs out."""

    BINDINGS = [
        Binding(
            "ctrl+s",
            "confirm",
            "Confirm",
            id="hold.confirm",
            tooltip="Book the held slot for the caller",
        ),
        Binding("f10", "confirm", show=False, id="hold.confirm_fallback"),
        Binding(
            "f5", "hold_again", "Hold again", id="hold.again", tooltip="Hold the same slot again"
        ),
        Binding(
            "escape", "back", "Back", id="hold.back", tooltip="Let the slot go and pick another"
        ),
        Binding(
            "ctrl+n",
            "toggle_notify",
            "Notify",
            id="hold.notify",
            tooltip="Send the caller a message about the change, or not",
        ),
    ]

    def __init__(
        self,
        slot: Slot,
        *,
        live: bool = True,
        notes: str = "",
        on_taken: Callable[[int, str], None] | None = None,
    ) -> None:
        super().__init__()
        translate_bindings(self)
        self.slot = slot
        self.live = live
        self.notes = notes
        self.on_taken = on_taken
        self.expired = False
        self.taken: str | None = None
        self.busy = False

    @property
    def desk(self) -> Desk:
        return cast(ConsoleApp, self.app).desk

    def compose(self) -> ComposeResult:
        desk = self.desk
        service = desk.service(self.slot.service_id)
        location = desk.location(self.slot.location_id)
        rescheduling = desk.rescheduling
        with Vertical(id="hold-dialog", classes="dialog"):
            if rescheduling is not None:
                title = _("Move booking {reference} to this slot?").format(
                    reference=rescheduling.reference_display
                )
            else:
                title = _("Book this slot?")
            yield Label(title, classes="dialog-title")
            rows: list[tuple[str, RenderableType | str]] = []
            if desk.caller is not None:
                rows.append((_("Caller"), f"{desk.caller.first_name} {desk.caller.last_name}"))
            if rescheduling is not None:
                rows.append(
                    (
                        _("Now booked"),
                        f"{rescheduling.reference_display}, {when_text(rescheduling.slot)}",
                    )
                )
            if service is not None:
                rows.append((_("Service"), Text(service_label(service), style="bold")))
            rows.append((_("When"), Text(when_text(self.slot), style="bold")))
            rows.append((_("Location"), self.slot.location_name))
            if location is not None:
                rows.append((_("Address"), address_of(location)))
            rows.append((_("Provider"), self.slot.provider_name))
            if service is not None:
                rows.append((_("Bring"), documents_text(service)))
            yield Static(fact_grid(rows), id="hold-facts")
            yield HoldCountdown(self.desk.hold_seconds_left, live=self.live, id="hold-countdown")
            if desk.offline:
                yield Static(
                    Text(
                        _(
                            "Offline: held on this desk only; the booking will be provisional "
                            "until the central system confirms it."
                        ),
                        style="bold yellow",
                    ),
                    id="hold-offline",
                )
            if rescheduling is not None:
                caller = callers_own(desk, rescheduling.caller_id)
                yield notify_choice(caller, desk.delivery(), id="hold-notify")
            if rescheduling is None:
                yield Label(_("Notes for the office (optional)"), classes="field-label")
                yield Input(
                    self.notes,
                    placeholder=_("e.g. comes with an interpreter"),
                    max_length=2000,
                    id="hold-notes",
                )
            yield Static("", id="hold-message")
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Confirm"), variant="primary", id="hold-confirm", compact=True)
                yield Button(_("Back"), id="hold-back", compact=True)
        yield KeysFooter()

    def on_mount(self) -> None:
        notes = self.query("#hold-notes")
        (notes.first() if notes else self.query_one("#hold-confirm")).focus()

    def _typed_notes(self) -> str:
        notes = self.query("#hold-notes")
        return notes.first(Input).value if notes else ""

    def _say(self, message: str, style: str = "bold red") -> None:
        self.query_one("#hold-message", Static).update(Text(message, style=style))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "hold_again":
            return self.expired and not self.taken
        if action == "confirm":
            return None if self.taken else True
        if action == "toggle_notify":
            return bool(self.query("Checkbox#hold-notify"))
        return True

    def action_toggle_notify(self) -> None:
        toggle_notify(self, "hold-notify")

    # -- keys -----------------------------------------------------------------------------

    @on(Input.Submitted, "#hold-notes")
    def _notes_submitted(self) -> None:
        """Enter in the notes never books (a stray second enter must not): a booking takes
        an explicit confirm, the key or the button. An expired hold is held again."""
        if self.busy or self.taken:
            return
        if self.expired:
            self.action_hold_again()
            return
        self._say(
            _("To book, press {key} or the Confirm button.").format(
                key=key_label(self, "hold.confirm")
            ),
            style="bold",
        )

    @on(Button.Pressed, "#hold-confirm")
    def _confirm_pressed(self) -> None:
        self.action_confirm()

    @on(Button.Pressed, "#hold-back")
    def _back_pressed(self) -> None:
        self.action_back()

    def action_confirm(self) -> None:
        if self.busy or self.taken:
            return
        if self.expired:
            self.action_hold_again()
            return
        self.confirm()

    def action_hold_again(self) -> None:
        if self.busy or self.taken:
            return
        self.hold_again()

    def action_back(self) -> None:
        if self.busy:
            return  # the confirmation is on its way: wait for its answer
        self.dismiss(HoldOutcome(taken=self.taken, notes=self._typed_notes()))

    # -- the work -------------------------------------------------------------------------

    @work(exclusive=True, group="booking-confirm", exit_on_error=False)
    async def confirm(self) -> None:
        self.busy = True
        self._say(_("Booking…"), style="bold")
        notify = notify_chosen(self, "hold-notify")
        try:
            booking = await self.desk.confirm(self._typed_notes(), notify=notify)
        except ApiRefused as error:
            self.busy = False
            self._refused(error)
            return
        except BaseException:
            self.busy = False
            self._say("")
            raise
        self.busy = False
        self.dismiss(HoldOutcome(booking=booking, notify=notify))

    @work(exclusive=True, group="booking-confirm", exit_on_error=False)
    async def hold_again(self) -> None:
        self.busy = True
        try:
            await self.desk.hold_slot(self.slot.id)
        except ApiRefused as error:
            self.busy = False
            self._refused(error)
            return
        finally:
            self.busy = False
        self.expired = False
        self.query_one(HoldCountdown).restart()
        self.query_one("#hold-confirm", Button).label = _("Confirm")
        self._say(_("Held again."), style="bold green")
        self.refresh_bindings()
        self.post_message(DeskChanged())

    def _refused(self, error: ApiRefused) -> None:
        message = refusal_text(error)
        if error.status == 409 and error.error in SLOT_GONE:
            self.taken = message
            self.query_one("#hold-confirm", Button).disabled = True
            self._say(message + "\n" + _("Press escape to pick another slot."))
            if self.on_taken is not None:
                self.on_taken(self.slot.id, taken_mark(error))
        elif error.status == 409 and error.error in HOLD_GONE:
            self._expire(message)
        else:
            self._say(message)
        self.refresh_bindings()

    @on(HoldCountdown.Expired)
    def _hold_ran_out(self) -> None:
        if not self.taken:
            self._expire(_("The hold has expired: the slot is no longer reserved."))

    def _expire(self, message: str) -> None:
        self.expired = True
        self.query_one("#hold-confirm", Button).label = _("Hold again")
        again = _("Press {key} or enter to hold it again.").format(
            key=key_label(self, "hold.again")
        )
        self._say(message + " " + again)
        self.refresh_bindings()


# -- booked (and booking details) -------------------------------------------------------------


class BookedDialog(ModalScreen[None]):
    """The reference, big, to read to the caller; with what, when, where and what to bring,
    and what will be sent to the caller where (or why nothing will be).

    ``details=True`` shows an existing booking (from the bookings screen) the same way. A
    booking made offline is provisional: the dialog says so first, in a warning colour, and
    that its confirmation goes out once the central system confirms it. ``notified=False``:
    the agent switched the caller's message off for this write. ``n`` switches off the
    booking's messages still waiting (the service holds an event's message back for a few
    seconds for this); one that went out already is said to be sent.
    """

    VERTICAL_BREAKPOINTS = [(0, "-short"), (30, "-tall")]

    BINDINGS = [
        Binding(
            "c",
            "copy",
            "Copy reference",
            id="booked.copy",
            tooltip="Copy the reference to the clipboard",
        ),
        Binding(
            "n",
            "withdraw",
            "Don't send",
            id="booked.withdraw",
            tooltip="Switch off the messages to the caller about this booking",
        ),
        Binding("enter", "close", "Close", id="booked.close"),
        Binding("escape", "close", "Close", show=False, id="booked.back"),
    ]

    def __init__(self, booking: Booking, *, details: bool = False, notified: bool = True) -> None:
        super().__init__()
        translate_bindings(self)
        self.booking = booking
        self.details = details
        self.notified = notified
        self.messages: list[CallerMessage] = list(booking.messages)
        self.withdrawn = False  # switched off here: the service answered
        self.withdraw_queued = False  # switched off here: queued, the service has not answered
        self.busy = False
        self.provisional = bool(getattr(booking, "provisional", False)) and (
            booking.status is BookingStatus.CONFIRMED
        )
        self.set_class(self.provisional, "-provisional")
        self._messages_timer: Timer | None = None

    @property
    def desk(self) -> Desk:
        return cast(ConsoleApp, self.app).desk

    def on_mount(self) -> None:
        self._follow_messages()

    def _follow_messages(self) -> None:
        """Read the booking's messages again once the next one is due (if soon), so the
        dialog says it went out (or why not) instead of "goes out 10:42" after it has."""
        if self._messages_timer is not None:
            self._messages_timer.stop()
            self._messages_timer = None
        if self.provisional or self.withdrawn:
            return
        now = self.desk.clock.utcnow()
        due = next_due(self.messages, now - MESSAGES_SETTLE)  # also one due this moment
        if due is not None:
            wait = max(0.0, (due - now + MESSAGES_SETTLE).total_seconds())
            self._messages_timer = self.set_timer(wait, self._messages_due)

    def _messages_due(self) -> None:
        self._messages_timer = None
        self.read_messages()

    @work(exclusive=True, group="booked-messages", exit_on_error=False)
    async def read_messages(self) -> None:
        booking = await self.desk.api.booking(self.booking.reference)
        if not self.is_attached or self.withdrawn or self.withdraw_queued:
            return
        self.messages = list(booking.messages)
        self.query_one("#booked-facts", Static).update(fact_grid(self._facts()))
        self.refresh_bindings()  # nothing left to switch off once it went out
        self._follow_messages()

    def compose(self) -> ComposeResult:
        booking = self.booking
        with VerticalScroll(id="booked-dialog", classes="dialog"):
            if self.details:
                title = _("Booking {reference}").format(reference=booking.reference_display)
            elif booking.replaces:
                title = _("Rescheduled: {old} → {new}").format(
                    old=reference_text(booking.replaces), new=booking.reference_display
                )
            elif self.provisional:
                title = _("Booked provisionally")
            else:
                title = _("Booked")
            yield Label(title, classes="dialog-title")
            if self.provisional:
                yield Static(
                    _("PROVISIONAL — tell the caller it will be confirmed"),
                    id="booked-provisional",
                )
            if booking.status is BookingStatus.CONFIRMED:
                yield Label(_("Read the reference to the caller:"), id="booked-hint")
            yield ReferenceCode(booking.reference, id="booked-reference")
            yield Static(fact_grid(self._facts()), id="booked-facts")
        yield KeysFooter()

    def _facts(self) -> list[tuple[str, RenderableType | str]]:
        booking = self.booking
        rows: list[tuple[str, RenderableType | str]] = []
        if self.provisional:
            rows.append(
                (
                    _("Status"),
                    Text(
                        _(
                            "provisional: made offline; the central system confirms it "
                            "when the connection is back"
                        ),
                        style="bold yellow",
                    ),
                )
            )
        elif self.details or booking.status is not BookingStatus.CONFIRMED:
            rows.append((_("Status"), status_label(booking.status)))
        rows += [
            (_("Service"), Text(service_label(booking.service), style="bold")),
            (_("When"), Text(when_text(booking.slot), style="bold")),
            (_("Location"), booking.location.name),
            (_("Address"), address_of(booking.location)),
            (_("Provider"), booking.slot.provider_name),
            (_("Bring"), documents_text(booking.service)),
        ]
        if booking.notes:
            rows.append((_("Notes"), booking.notes))
        if booking.replaces and self.details:
            rows.append((_("Replaces"), reference_text(booking.replaces)))
        if booking.provisional_reference and not self.provisional:
            rows.append((_("Given offline as"), reference_text(booking.provisional_reference)))
        if booking.superseded_by:
            rows.append((_("Moved to"), reference_text(booking.superseded_by)))
        rows.append((_("Messages"), self._messages()))
        return rows

    def _caller(self) -> Caller | None:
        return callers_own(self.desk, self.booking.caller_id)

    def _messages(self) -> RenderableType:
        """What goes to the caller where, and when (or why nothing does)."""
        desk = self.desk
        delivery = desk.delivery()
        caller = self._caller()
        lines: list[RenderableType] = []
        if self.messages:
            today = desk.today()
            lines += dialog_lines(self.messages, today)
            if self.withdrawn and any(
                m.status in (MessageStatus.SENT, MessageStatus.SENDING) for m in self.messages
            ):
                lines.append(
                    Text(
                        _("Already sent: a message that went out cannot be recalled."),
                        style="bold yellow",
                    )
                )
            elif self.withdrawn:
                lines.append(Text(_("Switched off: nothing goes to the caller."), style="bold"))
            note = delivery_note(self.messages, delivery)
            if note is not None and not self.withdraw_queued:
                lines.append(note)
        elif self.provisional and self.notified and caller is not None and caller.message_address:
            where = where_text(caller.message_channel, caller.message_address)
            lines.append(
                Text(
                    _("Goes out once the central system confirms the booking: {where}").format(
                        where=where
                    ),
                    style="yellow",
                )
            )
        else:
            lines.append(
                Text(why_nothing(caller, notify=self.notified, delivery=delivery), style="dim")
            )
        if self.withdraw_queued:
            lines.append(
                Text(
                    _(
                        "Switching off is queued: the central system gets it when the "
                        "connection is back; what went out before cannot be recalled."
                    ),
                    style="bold yellow",
                )
            )
        return Group(*lines)

    def _waiting(self) -> bool:
        """Whether anything is left to switch off."""
        if self.withdrawn or self.withdraw_queued:
            return False
        if any(m.status is MessageStatus.QUEUED for m in self.messages):
            return True
        caller = self._caller()
        return (
            self.provisional
            and self.notified
            and caller is not None
            and caller.message_address is not None
        )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "withdraw":
            desk = getattr(self.app, "desk", None)
            return desk is not None and not desk.read_only and self._waiting()
        return True

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(self.booking.reference_display)
        self.notify(
            _("Reference {reference} copied.").format(reference=self.booking.reference_display),
            timeout=3,
        )

    def action_withdraw(self) -> None:
        if not self.busy and self._waiting():
            self.withdraw()

    @work(exclusive=True, group="booked-withdraw", exit_on_error=False)
    async def withdraw(self) -> None:
        self.busy = True
        try:
            found = await self.desk.withdraw_messages(self.booking)
        finally:
            self.busy = False
        if self.provisional or any(m.status is MessageStatus.QUEUED for m in found):
            self.withdraw_queued = True  # the service has not seen it yet
        else:
            self.messages = found
            self.withdrawn = True
        self.query_one("#booked-facts", Static).update(fact_grid(self._facts()))
        self.refresh_bindings()
        self.post_message(DeskChanged())

    def action_close(self) -> None:
        self.dismiss(None)


# -- cancel -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CancelChoice:
    """The agent confirmed the cancellation: the reason typed (maybe empty), and whether the
    caller is told."""

    reason: str
    notify: bool = True


class CancelDialog(ModalScreen[CancelChoice | None]):
    """Cancel a booking? Answers the reason typed and "notify the caller" (on by default), or
    None to keep it."""

    BINDINGS = [
        Binding(
            "ctrl+s",
            "cancel_booking",
            "Cancel booking",
            id="cancel.confirm",
            tooltip="Cancel the booking",
        ),
        Binding("f10", "cancel_booking", show=False, id="cancel.confirm_fallback"),
        Binding("escape", "keep", "Keep it", id="cancel.keep", tooltip="Keep the booking as it is"),
        Binding(
            "ctrl+n",
            "toggle_notify",
            "Notify",
            id="cancel.notify",
            tooltip="Send the caller a message about the cancellation, or not",
        ),
    ]

    def __init__(self, booking: Booking) -> None:
        super().__init__()
        translate_bindings(self)
        self.booking = booking

    def compose(self) -> ComposeResult:
        booking = self.booking
        desk = cast(ConsoleApp, self.app).desk
        with Vertical(id="cancel-dialog", classes="dialog"):
            yield Label(
                _("Cancel booking {reference}?").format(reference=booking.reference_display),
                classes="dialog-title",
            )
            yield Static(
                fact_grid(
                    [
                        (_("Service"), service_label(booking.service)),
                        (_("When"), when_text(booking.slot)),
                        (_("Location"), booking.location.name),
                    ]
                ),
                id="cancel-facts",
            )
            yield Label(_("Reason (optional)"), classes="field-label")
            yield Input(
                placeholder=_("e.g. the caller cannot come"), max_length=500, id="cancel-reason"
            )
            yield Static(_("The slot becomes free for other callers."), id="cancel-hint")
            notify = notify_choice(
                callers_own(desk, booking.caller_id), desk.delivery(), id="cancel-notify"
            )
            yield notify
            # The service sends no cancellation of a booking undone within the withdraw
            # window, before anything about it went out.
            provisional = getattr(booking, "provisional", False)
            known = caller_may_know(booking.messages, booking.replaces, desk.clock.utcnow())
            untold = known is False
            if isinstance(notify, Checkbox) and untold and not provisional:
                told = untold_cancel_text(booking.messages, desk.today())
                yield Static(Text(told, style="dim"), id="cancel-untold")
            with Horizontal(classes="dialog-buttons"):
                yield Button(
                    _("Cancel the booking"), variant="error", id="cancel-confirm", compact=True
                )
                yield Button(_("Keep it"), id="cancel-keep", compact=True)
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#cancel-reason", Input).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "toggle_notify":
            return bool(self.query("Checkbox#cancel-notify"))
        return True

    def action_toggle_notify(self) -> None:
        toggle_notify(self, "cancel-notify")

    @on(Input.Submitted, "#cancel-reason")
    @on(Button.Pressed, "#cancel-confirm")
    def action_cancel_booking(self) -> None:
        reason = self.query_one("#cancel-reason", Input).value.strip()
        self.dismiss(CancelChoice(reason, notify_chosen(self, "cancel-notify")))

    @on(Button.Pressed, "#cancel-keep")
    def action_keep(self) -> None:
        self.dismiss(None)


# -- the caller's other bookings --------------------------------------------------------------


class ClashDialog(ModalScreen[bool]):
    """Before a hold: the caller already has bookings of this service, or at an overlapping
    time. Answers True when the agent books anyway (an explicit override: ctrl+s or the
    button), False to pick another slot. When the service allows one active booking per caller
    and the caller has it, there is no override: reschedule that one instead."""

    BINDINGS = [
        Binding(
            "ctrl+s",
            "book_anyway",
            "Book anyway",
            id="clash.book_anyway",
            tooltip="Hold and book this slot too, beside the caller's other bookings",
        ),
        Binding("escape", "back", "Back", id="clash.back", tooltip="Pick another slot"),
    ]

    def __init__(self, slot: Slot, clashes: Clashes) -> None:
        super().__init__()
        translate_bindings(self)
        self.slot = slot
        self.clashes = clashes

    def compose(self) -> ComposeResult:
        found = self.clashes
        with Vertical(id="clash-dialog", classes="dialog"):
            yield Label(_("The caller already has bookings"), classes="dialog-title")
            rows: list[tuple[str, RenderableType | str]] = [
                (_("This slot"), Text(when_text(self.slot), style="bold")),
            ]
            rows += [(_("Same service"), self._line(booking)) for booking in found.same_service]
            rows += [
                (_("Overlaps"), Text(self._line(booking), style="bold red"))
                for booking in found.overlapping
            ]
            yield Static(fact_grid(rows), id="clash-facts")
            if found.refused:
                hint = _(
                    "This service allows one active booking per caller: reschedule that one "
                    "instead ({key}, then r)."
                ).format(key=key_label(self, "bookings"))
            elif found.overlapping:
                hint = _(
                    "The times overlap. Book anyway only if the caller really wants both: "
                    "{key} or the button."
                ).format(key=key_label(self, "clash.book_anyway"))
            else:
                hint = _("Book this one as well? {key} or the button.").format(
                    key=key_label(self, "clash.book_anyway")
                )
            yield Static(Text(hint, style="bold"), id="clash-hint")
            with Horizontal(classes="dialog-buttons"):
                if not found.refused:
                    yield Button(
                        _("Book anyway"), variant="warning", id="clash-anyway", compact=True
                    )
                yield Button(_("Back"), variant="primary", id="clash-back", compact=True)
        yield KeysFooter()

    @staticmethod
    def _line(booking: Booking) -> str:
        return (
            f"{booking.reference_display} · {service_label(booking.service)} · "
            f"{when_text(booking.slot)}, {booking.location.name}"
        )

    def on_mount(self) -> None:
        self.query_one("#clash-back", Button).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "book_anyway":
            return not self.clashes.refused
        return True

    @on(Button.Pressed, "#clash-anyway")
    def action_book_anyway(self) -> None:
        if not self.clashes.refused:
            self.dismiss(True)

    @on(Button.Pressed, "#clash-back")
    def action_back(self) -> None:
        self.dismiss(False)
