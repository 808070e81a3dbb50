"""A caller's bookings: reference, status, date and time, service, location.

The reference, the status and the date and time always show whole; where the terminal is
narrower than the longest names (80 columns), the service and the location share the rest
as the slot list's location and provider do (:func:`widgets.slot_table.column_widths`), a
longer name ending in "…" within the screen. Enter shows the booking in full.

A booking made offline (``provisional``, reference ``P-…``) says so in its status, in yellow,
until the replay confirms it.
"""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding

from console.domain.calendar import format_time, to_local
from console.domain.models import Booking, BookingStatus
from console.domain.reference import PROVISIONAL_PREFIX, format_reference
from console.i18n import _, language
from widgets.sized_table import SizedTable
from widgets.slot_table import PADDING, column_widths, format_day, place_first
from widgets.translated import translate_bindings

STATUS_STYLE = {
    BookingStatus.CONFIRMED: "bold green",
    BookingStatus.CANCELLED: "red",
    BookingStatus.RESCHEDULED: "yellow",
    BookingStatus.NO_SHOW: "magenta",
}


def status_label(status: BookingStatus) -> str:
    labels = {
        BookingStatus.CONFIRMED: _("confirmed"),
        BookingStatus.CANCELLED: _("cancelled"),
        BookingStatus.RESCHEDULED: _("rescheduled"),
        BookingStatus.NO_SHOW: _("no-show"),
    }
    return labels[status]


def reference_text(code: str) -> str:
    """A reference grouped for reading aloud: ``K7M 4PX R``, ``P-K7M 4PX R`` (provisional)."""
    if code.upper().startswith(PROVISIONAL_PREFIX):
        rest = code[len(PROVISIONAL_PREFIX) :]
        return code if len(rest) != 7 else PROVISIONAL_PREFIX + format_reference(rest)
    return format_reference(code)


def service_name(booking: Booking) -> str:
    return booking.service.name if language() == "sl" else booking.service.name_en


class BookingsTable(SizedTable):
    """One row per booking; the row key is the booking's reference."""

    DEFAULT_CSS = """
    BookingsTable {
        height: 1fr;
    }
    """

    BINDINGS = [
        Binding(
            "enter",
            "select_cursor",
            "Details",
            id="bookings.details",
            tooltip="Show the booking's details",
        ),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        translate_bindings(self)
        self._bookings: dict[str, Booking] = {}

    def on_mount(self) -> None:
        self.add_column(_("Reference"), key="reference")
        self.add_column(_("Status"), key="status")
        self.add_column(_("Date and time"), key="when")
        self.add_column(_("Service"), key="service")
        self.add_column(_("Location"), key="location")

    def on_resize(self) -> None:
        self._fit()

    def _fit(self) -> None:
        """Give the columns the widths their longest cells need, or, where the room is
        narrower, the service and the location share what the others leave."""
        styles = self.styles
        width = self.region.width or self.app.size.width
        room = width - styles.gutter.width - styles.scrollbar_size_vertical
        natural = {str(column.key.value): len(str(column.label)) for column in self.ordered_columns}
        for booking in self._bookings.values():
            for key, cell in zip(natural, self._cells(booking), strict=True):
                natural[key] = max(natural[key], cell.cell_len)
        narrow = sum(natural.values()) + PADDING * len(natural) > room
        self._place_first(narrow)
        if not narrow:
            self.fit_columns(natural)
        else:
            self.fit_columns(column_widths(room, natural, wide="location", narrow="service"))

    def _place_first(self, narrow: bool) -> None:
        """Narrower than the full names, a location shows the part that tells it from the
        unit's other places first (``Izpostava Moste-Polje (UE Ljubljana)``): cut, it still does."""
        for booking in self._bookings.values():
            name = booking.location.name
            shown = place_first(name) if narrow else name
            style = "" if booking.status is BookingStatus.CONFIRMED else "dim"
            cell = Text(shown, style=style, no_wrap=True, overflow="ellipsis")
            self.update_cell(booking.reference, "location", cell)

    @property
    def bookings(self) -> list[Booking]:
        return list(self._bookings.values())

    def show(self, bookings: list[Booking]) -> None:
        """Replace the rows, staying on the same booking if it is still listed."""
        current = self.highlighted_booking()
        self.clear()
        self._bookings = {b.reference: b for b in bookings}
        for booking in bookings:
            self.add_row(*self._cells(booking), key=booking.reference)
        if current is not None and current.reference in self._bookings:
            self.move_cursor(row=self.get_row_index(current.reference))
        self._fit()

    def _cells(self, booking: Booking) -> list[Text]:
        active = booking.status is BookingStatus.CONFIRMED
        dim = "" if active else "dim"
        local = to_local(booking.slot.starts_at)
        status = Text(status_label(booking.status), style=STATUS_STYLE[booking.status])
        provisional = getattr(booking, "provisional", False) and active
        if provisional:
            status = Text(_("provisional, to be confirmed"), style="bold yellow")
        if booking.superseded_by:
            status.append(f" → {reference_text(booking.superseded_by)}", style="dim")
        cells = [
            Text(
                booking.reference_display,
                style=("bold yellow" if provisional else "bold") if active else "dim",
            ),
            status,
            Text(f"{format_day(local.date())} {format_time(booking.slot.starts_at)}", style=dim),
            Text(service_name(booking), style=dim),
            Text(booking.location.name, style=dim),
        ]
        for cell in cells:
            cell.no_wrap, cell.overflow = True, "ellipsis"  # a name longer than its column
        return cells

    def highlighted_booking(self) -> Booking | None:
        if not self._bookings or not 0 <= self.cursor_row < self.row_count:
            return None
        key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        return self._bookings.get(key) if key is not None else None
