"""Free slots, earliest first across locations; slots taken meanwhile are struck through."""

from __future__ import annotations

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

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "select_cursor":
            return not self.read_only
        if action == "hold_refused":
            return self.read_only
        return True

    def action_hold_refused(self) -> None:
        self.notify(_("Read-only: supervisors cannot book"), severity="warning")

    def on_mount(self) -> None:
        self.add_column(_("Day"), key="day")
        self.add_column(_("Time"), key="time")
        self.add_column(_("Location"), key="location")
        self.add_column(_("Provider"), key="provider")
        self.add_column(_("Region"), key="region")
        self.add_column("", key="state")

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
        for slot in slots:
            self.add_row(*self._cells(slot), key=str(slot.id))
        if current is not None and current.id in self._slots:
            self.move_cursor(row=self.get_row_index(str(current.id)), scroll=True)

    def _cells(self, slot: Slot, taken: str | None = None) -> list[Text]:
        local = to_local(slot.starts_at)
        style = TAKEN_STYLE if taken else ""
        cells = [
            Text(format_day(local.date()), style=style),
            Text(format_time(slot.starts_at), style=f"bold {style}".strip()),
            Text(slot.location_name, style=style),
            Text(slot.provider_name, style=style),
            Text(slot.region, style=style),
        ]
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
        return True

    def unmark(self, slot_id: int) -> bool:
        """A hold on the slot was let go: it can be chosen again."""
        slot = self._slots.get(slot_id)
        if slot is None or self._taken.pop(slot_id, None) is None:
            return False
        self._redraw(slot, None)
        return True

    def _redraw(self, slot: Slot, taken: str | None) -> None:
        for key, cell in zip(
            ("day", "time", "location", "provider", "region", "state"),
            self._cells(slot, taken),
            strict=True,
        ):
            self.update_cell(str(slot.id), key, cell, update_width=key == "state")

    # -- choosing -------------------------------------------------------------------------

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        key = event.row_key.value
        slot = self._slots.get(int(key)) if key is not None else None
        if slot is not None:
            self.post_message(self.Chosen(slot, self._taken.get(slot.id)))
