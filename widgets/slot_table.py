"""Free slots, earliest first across locations; slots taken meanwhile are struck through.

What the agent chooses a slot by is always readable, whatever the terminal's width: the day,
the time, the place (location) and who (provider or counter), and whether it was taken
meanwhile. The full form, where the table has room for it (a terminal of 120 columns and up,
or narrower when the listed names are short), adds the region and the day's year. Below that
(80 columns) the table drops the region (the location names the place, and the region filter
above the table narrows by region) and the year when every listed slot is in one year (the
summary above the table names it), and abbreviates institutions' names the usual way ("ZD"
for "Zdravstveni dom", :func:`short_place`); the location and the provider then share what is
left, the provider its full name up to half of it, and a name longer than its column ends in
"…" within the screen, never cut off at its edge (:func:`column_widths`). The hold dialog
that enter opens names the slot in full.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable

from console.domain.calendar import format_date, format_time, to_local
from console.domain.models import Slot
from console.i18n import _
from widgets.sized_table import SizedTable
from widgets.translated import translate_bindings

TAKEN_STYLE = "strike dim"


def weekday(d: date) -> str:
    """The weekday's abbreviation in the UI language: ``pon`` / ``Mon``."""
    names = (_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun"))
    return names[d.weekday()]


def format_day(d: date) -> str:
    """``pon 4. 3. 2030``."""
    return f"{weekday(d)} {format_date(d)}"


def format_short_day(d: date) -> str:
    """``pon 4. 3.`` (no year)."""
    return f"{weekday(d)} {d.day}. {d.month}."


# The narrow form's abbreviations of the long words in institutions' names (the insurer's
# lists spell them out in capitals: "ZDRAVSTVENI DOM DR. FRANCA AMBROŽIČA, POSTOJNA"), the ones
# every Slovenian reads at a glance, and the legal form at the end, which tells nobody where to
# go. What they save leaves room for the part that tells the place (the town, the unit).
ABBREVIATIONS = (
    (re.compile(r"\bzdravstveni dom\b", re.IGNORECASE), "ZD"),
    (re.compile(r"\bzdravstvena postaja\b", re.IGNORECASE), "ZP"),
    (re.compile(r"\bupravna enota\b", re.IGNORECASE), "UE"),
    (re.compile(r"[,\s]+(d\.\s?o\.\s?o\.|s\.\s?p\.|d\.\s?d\.)$", re.IGNORECASE), ""),
)


def short_place(name: str) -> str:
    """A location's name as the narrow form shows it: ``ZD DR. FRANCA AMBROŽIČA, POSTOJNA``."""
    for pattern, short in ABBREVIATIONS:
        name = pattern.sub(short, name)
    return name


def place_first(name: str) -> str:
    """The narrow form with the part that tells a unit's places apart first, so that a cut
    keeps it: ``Izpostava Moste-Polje (UE Ljubljana)``, ``POSTOJNA (ZD DR. FRANCA AMBROŽIČA)``."""
    short = short_place(name)
    head, comma, tail = short.partition(", ")
    return f"{tail} ({head})" if comma and tail and head else short


PADDING = 2  # a column's cell padding, left and right
FULL_ROOM = 110  # the table's room at 120 columns: the full form whatever the names' lengths
PROVIDER_MIN = 12  # "Okence 10", a doctor's first name and surname cut short
LOCATION_MIN = 16


def column_widths(
    room: int, natural: dict[str, int], wide: str = "location", narrow: str = "provider"
) -> dict[str, int]:
    """The columns' widths (by key) in ``room`` cells of table, given the width each column's
    longest cell or header needs (``natural``; without ``region``: the narrow form). The day,
    the time and the taken state always get theirs; the location and the provider (the
    columns ``wide`` and ``narrow``: the bookings list shares its room so too) share the
    rest: each its own if both fit, else the provider its own up to half of what is left (at
    least :data:`PROVIDER_MIN`), the location the remainder."""
    fixed = {key: width for key, width in natural.items() if key not in (wide, narrow)}
    left = room - sum(fixed.values()) - PADDING * len(natural)
    location, provider = natural[wide], natural[narrow]
    if location + provider > left:
        provider = min(provider, max(PROVIDER_MIN, left // 2))
        location = max(LOCATION_MIN, left - provider)
    return {**fixed, wide: location, narrow: provider}


def taken_label(how: str) -> str:
    """What a taken slot's last column says: held by another agent, or taken for good."""
    return _("held") if how == "held" else _("taken")


class SlotTable(SizedTable):
    """One row per free slot: day, time (Ljubljana), location, provider or counter, region."""

    DEFAULT_CSS = """
    SlotTable {
        height: 1fr;
    }
    """

    BINDINGS = [
        Binding(
            "enter",
            "select_cursor",
            "Hold slot",
            id="slots.choose",
            tooltip="Hold this slot for the caller",
        ),
        # A supervisor's enter: not in the footer, but it says why nothing is held.
        Binding("enter", "hold_refused", show=False, id="slots.choose"),
    ]

    @dataclass
    class Chosen(Message):
        """The agent pressed enter on a slot (``taken`` says if it was taken meanwhile)."""

        slot: Slot
        taken: str | None

    def __init__(self, *, id: str | None = None, read_only: bool = False) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        translate_bindings(self)
        self.read_only = read_only  # a supervisor's: no holds, and no key that offers one
        self._slots: dict[int, Slot] = {}
        self._taken: dict[int, str] = {}
        self.full_form = True  # the region column and the day's year (see the module's doc)
        self._short_days = False  # the narrow form leaves out the year of the listed days

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "select_cursor":
            return not self.read_only
        if action == "hold_refused":
            return self.read_only
        return True

    def action_hold_refused(self) -> None:
        self.notify(_("Read-only: supervisors cannot book"), severity="warning")

    def on_mount(self) -> None:
        self._add_columns()

    def _column_keys(self) -> tuple[str, ...]:
        if self.full_form:
            return ("day", "time", "location", "provider", "region", "state")
        return ("day", "time", "location", "provider", "state")

    def _add_columns(self) -> None:
        headers = {
            "day": _("Day"),
            "time": _("Time"),
            "location": _("Location"),
            "provider": _("Provider"),
            "region": _("Region"),
            "state": "",
        }
        for key in self._column_keys():
            self.add_column(headers[key], key=key)

    # -- fitting the width ----------------------------------------------------------------

    def _room(self) -> int:
        """The table's width for its columns, less the vertical scrollbar's whether or not
        it shows yet (the screen's width before the table is laid out)."""
        styles = self.styles
        width = self.region.width or self.app.size.width
        return width - styles.gutter.width - styles.scrollbar_size_vertical

    def _natural(self, full: bool) -> dict[str, int]:
        """The width each column's longest cell or header needs in the full or narrow form."""
        headers = {"day": _("Day"), "time": _("Time"), "location": _("Location")}
        headers |= {"provider": _("Provider"), "region": _("Region")}
        widths = {key: len(header) for key, header in headers.items()}
        if not full:
            del widths["region"]
        short = not full and self._one_year()
        for slot in self._slots.values():
            for key, cell in zip(widths, self._plain(slot, short), strict=False):
                widths[key] = max(widths[key], cell.cell_len)
        taken = [Text(f"✗ {taken_label(how)}").cell_len for how in self._taken.values()]
        widths["state"] = max(taken, default=0)
        return widths

    def _one_year(self) -> bool:
        return len({to_local(slot.starts_at).year for slot in self._slots.values()}) <= 1

    def _fit(self) -> None:
        """Choose the form for the room and the contents (rebuilding the rows if it changed),
        then give the columns their widths."""
        room = self._room()
        full = room >= FULL_ROOM or sum(self._natural(True).values()) + 6 * PADDING <= room
        short = not full and self._one_year()
        if full != self.full_form or short != self._short_days:
            self.full_form, self._short_days = full, short
            self._rebuild()
        self.fit_columns(column_widths(room, self._natural(full)))

    def _rebuild(self) -> None:
        """The columns and rows again in the form chosen, on the same slot as before."""
        current = self.highlighted_slot()
        taken = dict(self._taken)
        self.clear(columns=True)
        self._add_columns()
        for slot in self._slots.values():
            self.add_row(*self._cells(slot, taken.get(slot.id)), key=str(slot.id))
        if current is not None:
            self.move_cursor(row=self.get_row_index(str(current.id)), scroll=True)

    def on_resize(self) -> None:
        self._fit()

    # -- contents -------------------------------------------------------------------------

    @property
    def slots(self) -> list[Slot]:
        return list(self._slots.values())

    def show(self, slots: list[Slot], *, keep_cursor: bool = False) -> None:
        """Replace the rows; with ``keep_cursor`` stay on the same slot if it is still there."""
        current = self.highlighted_slot() if keep_cursor else None
        self.clear()
        self._slots = {slot.id: slot for slot in slots}
        self._taken = {}
        self._short_days = not self.full_form and self._one_year()
        for slot in slots:
            self.add_row(*self._cells(slot), key=str(slot.id))
        if current is not None and current.id in self._slots:
            self.move_cursor(row=self.get_row_index(str(current.id)), scroll=True)
        self._fit()

    def _plain(self, slot: Slot, short_day: bool) -> list[Text]:
        """The slot's cells before the state, in the columns' order, unstyled."""
        day = to_local(slot.starts_at).date()
        cells = [
            Text(format_short_day(day) if short_day else format_day(day)),
            Text(format_time(slot.starts_at)),
            Text(slot.location_name if self.full_form else short_place(slot.location_name)),
            Text(slot.provider_name),
        ]
        if self.full_form:
            cells.append(Text(slot.region))
        return cells

    def _cells(self, slot: Slot, taken: str | None = None) -> list[Text]:
        style = TAKEN_STYLE if taken else ""
        cells = self._plain(slot, self._short_days)
        for number, cell in enumerate(cells):
            # A name longer than its column ends in "…" (the narrow form's widths).
            cell.no_wrap, cell.overflow = True, "ellipsis"
            shown = f"bold {style}".strip() if number == 1 else style  # the time in bold
            if shown:
                cell.stylize(shown)
        cells.append(Text(f"✗ {taken_label(taken)}", style="bold red") if taken else Text(""))
        return cells

    def slot(self, slot_id: int) -> Slot | None:
        return self._slots.get(slot_id)

    def highlighted_slot(self) -> Slot | None:
        if not self._slots or self.cursor_row < 0 or self.cursor_row >= self.row_count:
            return None
        key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        return self._slots.get(int(key)) if key is not None else None

    # -- taken meanwhile ------------------------------------------------------------------

    def taken(self, slot_id: int) -> str | None:
        """``"held"`` or ``"booked"`` if the slot was taken since the list was loaded."""
        return self._taken.get(slot_id)

    def mark_taken(self, slot_id: int, how: str) -> bool:
        """Strike a slot through (``how``: ``held``, or ``booked`` for taken for good); False
        if it is not listed."""
        slot = self._slots.get(slot_id)
        if slot is None:
            return False
        self._taken[slot_id] = how
        self._redraw(slot, how)
        self._fit()  # the state column's width
        return True

    def unmark(self, slot_id: int) -> bool:
        """A hold on the slot was let go: it can be chosen again."""
        slot = self._slots.get(slot_id)
        if slot is None or self._taken.pop(slot_id, None) is None:
            return False
        self._redraw(slot, None)
        self._fit()
        return True

    def _redraw(self, slot: Slot, taken: str | None) -> None:
        for key, cell in zip(self._column_keys(), self._cells(slot, taken), strict=True):
            self.update_cell(str(slot.id), key, cell)

    # -- choosing -------------------------------------------------------------------------

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        key = event.row_key.value
        slot = self._slots.get(int(key)) if key is not None else None
        if slot is not None:
            self.post_message(self.Chosen(slot, self._taken.get(slot.id)))
