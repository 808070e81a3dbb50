"""The current caller's bookings (F4): look, cancel, reschedule.

Upcoming bookings by default (``p`` adds past ones). Cancel asks first, with an optional
reason; reschedule marks the booking on the desk and opens the slot search, whose next
confirmation moves the booking atomically (the old one ends ``rescheduled``).
"""

from __future__ import annotations

from datetime import date

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from console.domain.models import Booking, BookingStatus
from console.i18n import _
from console.messages import DeskChanged, RescheduleRequested
from console.screens.base import DeskScreen
from console.screens.booking_dialogs import BookedDialog, CancelChoice, CancelDialog
from widgets.bookings_table import BookingsTable
from widgets.caller_messages import cancel_outcome


class BookingsScreen(DeskScreen):
    """The caller's bookings, soonest first."""

    BINDINGS = [
        Binding(
            "c",
            "cancel_booking",
            "Cancel",
            id="bookings.cancel",
            tooltip="Cancel the booking (asks first)",
        ),
        Binding(
            "r",
            "reschedule",
            "Reschedule",
            id="bookings.reschedule",
            tooltip="Move the booking to another slot",
        ),
        # A supervisor's c and r: not in the footer, but they say why nothing happens.
        Binding("c", "read_only_refused", show=False, id="bookings.cancel"),
        Binding("r", "read_only_refused", show=False, id="bookings.reschedule"),
        Binding(
            "p",
            "toggle_past",
            "Past too",
            id="bookings.past",
            tooltip="Show past bookings too, or only upcoming ones",
        ),
        Binding(
            "ctrl+r", "refresh", "Refresh", id="bookings.refresh", tooltip="Load again", show=False
        ),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.include_past = False

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("cancel_booking", "reschedule"):  # supervisors only look
            return not self.desk.read_only
        if action == "read_only_refused":
            return self.desk.read_only
        return True

    def action_read_only_refused(self) -> None:
        self.notify(_("Read-only: supervisors cannot book"), severity="warning")

    def compose_body(self) -> ComposeResult:
        yield Static("", id="bookings-title")
        yield BookingsTable(id="bookings-table")
        yield Static("", id="bookings-hint")

    @property
    def table(self) -> BookingsTable:
        return self.query_one(BookingsTable)

    def on_mount(self) -> None:
        self.table.focus()

    def on_screen_resume(self) -> None:
        self.load()

    def day_changed(self, before: date, today: date) -> None:
        """A new day: yesterday's bookings are no longer upcoming."""
        if self.is_current:
            self.load()  # (when not, showing the screen again loads it)

    # -- loading --------------------------------------------------------------------------

    def _hint(self, text: str, style: str = "dim") -> None:
        self.query_one("#bookings-hint", Static).update(Text(text, style=style))

    @work(exclusive=True, group="bookings-load", exit_on_error=False)
    async def load(self) -> None:
        desk = self.desk
        title = self.query_one("#bookings-title", Static)
        caller = desk.caller
        if caller is None:
            title.update(Text(self._no_caller_text(), style="bold yellow"))
            self.table.show([])
            self.table.display = False
            self._hint("")
            return
        self.table.display = True
        bookings = await desk.bookings(include_past=self.include_past)
        if desk.caller is None or desk.caller.id != caller.id:
            return  # the caller changed meanwhile; the next load shows the new one
        heading = (
            _("Bookings of {name}, past ones too")
            if self.include_past
            else _("Upcoming bookings of {name}")
        )
        title.update(heading.format(name=f"{caller.first_name} {caller.last_name}"))
        self.table.show(bookings)
        if not bookings:
            key = self.console.key_label
            self._hint(
                _("No bookings. {key} searches free slots.").format(key=key("slots"))
                if self.include_past
                else _(
                    "No upcoming bookings. {past} shows past ones too; {slots} searches free slots."
                ).format(past=key("bookings.past"), slots=key("slots"))
            )
        elif desk.read_only:
            self._hint(_("Read-only: supervisors cannot book"), style="bold red")
        else:
            key = self.console.key_label
            self._hint(
                _(
                    "Enter: details · {cancel}: cancel · {reschedule}: reschedule · "
                    "{refresh}: refresh"
                ).format(
                    cancel=key("bookings.cancel"),
                    reschedule=key("bookings.reschedule"),
                    refresh=key("bookings.refresh"),
                )
            )

    def _no_caller_text(self) -> str:
        return _("No caller yet — {key} to find one.").format(key=self.console.key_label("lookup"))

    def action_refresh(self) -> None:
        self.load()

    def action_toggle_past(self) -> None:
        self.include_past = not self.include_past
        self.load()

    # -- acting on one booking ------------------------------------------------------------

    def _chosen(self) -> Booking | None:
        booking = self.table.highlighted_booking()
        if booking is None:
            self.notify(
                self._no_caller_text() if self.desk.caller is None else _("No booking to act on."),
                severity="warning",
            )
        return booking

    def _changeable(self, booking: Booking) -> bool:
        if self.desk.read_only:
            self.notify(_("Read-only: supervisors cannot book"), severity="warning")
            return False
        if booking.status is not BookingStatus.CONFIRMED:
            self.notify(
                _("Booking {reference} is no longer active; it cannot be changed.").format(
                    reference=booking.reference_display
                ),
                severity="warning",
            )
            return False
        return True

    @on(DataTable.RowSelected, "#bookings-table")
    def _details(self, event: DataTable.RowSelected) -> None:
        event.stop()
        booking = self.table.highlighted_booking()
        if booking is not None:
            self.app.push_screen(BookedDialog(booking, details=True))

    def action_cancel_booking(self) -> None:
        booking = self._chosen()
        if booking is None or not self._changeable(booking):
            return

        def answered(choice: CancelChoice | None) -> None:
            if choice is not None:
                self.cancel(booking, choice.reason, notify=choice.notify)

        self.app.push_screen(CancelDialog(booking), answered)

    @work(exclusive=True, group="bookings-cancel", exit_on_error=False)
    async def cancel(self, booking: Booking, reason: str, *, notify: bool = True) -> None:
        cancelled = await self.desk.cancel(booking, reason, notify=notify)
        self.post_message(DeskChanged())
        if self.desk.offline:
            message = _(
                "Cancellation of {reference} is queued: the central system gets it when the "
                "connection is back."
            )
        else:
            message = _("Booking {reference} is cancelled; the slot is free again.")
        message = message.format(reference=cancelled.reference_display)
        told = None if self.desk.offline or not notify else cancel_outcome(cancelled.messages)
        self.notify(message + (f" {told}" if told else ""), timeout=8 if told else 6)
        self.load()

    async def action_reschedule(self) -> None:
        booking = self._chosen()
        if booking is None or not self._changeable(booking):
            return
        self.desk.start_reschedule(booking)
        self.post_message(RescheduleRequested(booking))
        self.post_message(DeskChanged())
        await self.app.switch_mode("slots")
