"""Holding and booking a slot of the slot search for the caller, or moving a booking there
(the reschedule mode: its banner, and stopping it)."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.widgets import Select, Static
from textual.widgets.select import InvalidSelectValueError

from console.client.api import ApiRefused
from console.domain.models import Booking, Slot
from console.i18n import _
from console.messages import BookingMade, DeskChanged
from console.screens.booking_dialogs import BookedDialog, ClashDialog, HoldDialog, HoldOutcome
from console.screens.slot_base import SlotScreenBase
from console.screens.wording import refusal_text, service_label, taken_mark, when_text
from widgets.slot_table import SlotTable


class SlotBookingPart(SlotScreenBase):
    """A slot chosen: the caller's clashes, the hold and its dialog, the booking; rescheduling."""

    # Notes typed in a hold dialog that did not end in a booking, and for which caller:
    # offered again in the next hold dialog for the same caller, never for another one.
    _notes: tuple[int | None, str] = (None, "")
    _rescheduling: str | None = None  # the reference the banner was last set up for
    _holding: int | None = None

    @on(SlotTable.Chosen)
    def _slot_chosen(self, event: SlotTable.Chosen) -> None:
        desk = self.desk
        if desk.read_only:
            self.notify(_("Read-only: supervisors cannot book"), severity="warning")
            return
        if event.taken:
            self._error(_("This slot was taken meanwhile; pick another."))
            return
        if desk.caller is None and desk.rescheduling is None:
            message = _("Find the caller first ({key})").format(
                key=self.console.key_label("lookup")
            )
            self.notify(message, severity="warning")
            self._error(message)
            return
        self.hold_slot(event.slot)

    @work(exclusive=True, group="slot-hold", exit_on_error=False)
    async def hold_slot(self, slot: Slot, *, told: bool = False, overlap: bool = False) -> None:
        """Hold ``slot``; first (unless ``told``) the agent is told the caller's bookings of
        this service or at this time, and booking anyway is an explicit answer (the dialog
        then holds again, ``told``; ``overlap``: the override goes with the booking)."""
        if not told:
            found = await self.desk.clashes_for(slot)
            if found:

                def answered(anyway: bool | None) -> None:
                    if anyway:
                        self.hold_slot(slot, told=True, overlap=bool(found.overlapping))

                self.app.push_screen(ClashDialog(slot, found), answered)
                return
        self._holding = slot.id  # the feed's "held" for it is ours, even before the answer
        try:
            await self.desk.hold_slot(slot.id, allow_overlap=overlap)
        except ApiRefused as error:
            if error.status != 409:
                raise
            self.mark_taken(slot.id, taken_mark(error))
            self._error(refusal_text(error))
            return
        finally:
            self._holding = None
        self.post_message(DeskChanged())
        self.refresh_status()  # now: the app redraws only the current screen's, the dialog's
        dialog = HoldDialog(
            slot,
            live=self.console.config.ui.timers,
            notes=self._notes[1] if self._notes[0] == self._caller_id() else "",
            on_taken=self.mark_taken,
        )
        await self.app.push_screen(dialog, self._hold_closed)

    def _hold_closed(self, outcome: HoldOutcome | None) -> None:
        if outcome is None or outcome.booking is None:
            if outcome is not None:
                self._notes = (self._caller_id(), outcome.notes)
                if outcome.taken:
                    self._error(outcome.taken)
            self.release_hold()
            return
        self._booked(outcome.booking, notified=outcome.notify)

    def _caller_id(self) -> int | None:
        return self.desk.caller.id if self.desk.caller is not None else None

    @work(group="slot-release", exit_on_error=False)
    async def release_hold(self) -> None:
        await self.desk.release_hold()
        self.post_message(DeskChanged())
        self.refresh_status()

    def _booked(self, booking: Booking, *, notified: bool = True) -> None:
        self._notes = (None, "")
        self.mark_taken(booking.slot.id, "booked")
        self._show_rescheduling()
        self.refresh_bindings()
        self.post_message(BookingMade(booking))
        self.post_message(DeskChanged())
        self.refresh_status()
        self.app.push_screen(BookedDialog(booking, notified=notified))
        provisional = getattr(booking, "provisional", False)
        done = (
            _("Provisionally booked {reference} (to be confirmed): {when}, {location}.")
            if provisional
            else _("Booked {reference}: {when}, {location}.")
        )
        self._summary(
            Text(
                done.format(
                    reference=booking.reference_display,
                    when=when_text(booking.slot),
                    location=booking.location.name,
                ),
                style="bold yellow" if provisional else "bold green",
            )
        )

    # -- rescheduling ---------------------------------------------------------------------

    def _show_rescheduling(self) -> None:
        """The banner, and the booking's service preselected, when a reschedule begins."""
        booking = self.desk.rescheduling
        banner = self.query_one("#reschedule-banner", Static)
        banner.set_class(booking is not None, "-visible")
        reference = booking.reference if booking is not None else None
        if booking is not None:
            text = Text(
                _("Rescheduling {reference} ({when}, {service}) — pick the new slot").format(
                    reference=booking.reference_display,
                    when=when_text(booking.slot),
                    service=service_label(booking.service),
                ),
                style="bold",
            )
            text.append("   " + _("ctrl+x: stop rescheduling"), style="dim")
            banner.update(text)
        else:
            banner.update("")
        if reference != self._rescheduling:
            self._rescheduling = reference
            if booking is not None:
                self._search_in_region(booking.location.region)
                service = self.desk.service(booking.service.id) or booking.service
                self.choose_service(service, focus=True, force=True)

    def _search_in_region(self, region: str) -> None:
        """A reschedule searches where the booking was (its region; the agent widens it with
        the region field): a caller moving a visit mostly wants it near the same place."""
        field = self.query_one("#region", Select)
        try:
            with self.prevent(Select.Changed):
                field.value = region
        except InvalidSelectValueError:  # a region the form does not offer: all regions
            return
        self._refill_locations()

    def action_stop_rescheduling(self) -> None:
        if self.desk.rescheduling is None:
            return
        self.desk.stop_reschedule()
        self._show_rescheduling()
        self.refresh_bindings()
        self.post_message(DeskChanged())
        self._hint(_("Rescheduling stopped; the booking stays as it was."))
