"""Day × location: how many slots are free where and when (enter lists that cell's slots)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable

from console.domain.calendar import to_local
from console.domain.models import Slot
from console.i18n import _
from widgets.sized_table import SizedTable
from widgets.slot_table import short_place, weekday
from widgets.translated import translate_bindings

LOCATION_WIDTH = 34  # at most; a common prefix ("UE Ljubljana, ") moves to the header
CELL_WIDTH = 6  # at least; cells are padded by hand, as DataTable does not right-align Text
TOTAL = "total"
NAME = "location"


def common_prefix(names: list[str]) -> str:
    """``"UE Ljubljana, "`` when every name starts with it (up to a comma), else ``""``."""
    if len(names) < 2:
        return ""
    heads = {name.split(", ", 1)[0] for name in names}
    if len(heads) == 1 and all(", " in name for name in names):
        return heads.pop() + ", "
    return ""


@dataclass(frozen=True)
class Cell:
    location_id: int
    day: date | None  # None: every day of the range


class SlotOverview(SizedTable):
    """Rows are locations, columns are days, cells count the free slots."""

    DEFAULT_CSS = """
    SlotOverview {
        height: 1fr;
    }
    """

    BINDINGS = [
        Binding(
            "enter",
            "select_cursor",
            "List these",
            id="slots.choose",
            tooltip="List the free slots of this day and location",
        ),
    ]

    @dataclass
    class CellChosen(Message):
        """Enter on a cell: list that location's slots on that day (``day`` None: all days)."""

        cell: Cell
        location_name: str

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="cell", header_height=2, fixed_columns=2)
        translate_bindings(self)
        self.days: list[date] = []
        self._names: dict[int, str] = {}
        self._ids: dict[Cell, set[int]] = defaultdict(set)
        self._where: dict[int, tuple[int, date]] = {}
        self._order: list[int] = []
        self._width = CELL_WIDTH

    def show(self, days: list[date], slots: list[Slot]) -> None:
        """Count ``slots`` per location and day; ``days`` are the columns, in order."""
        self.clear(columns=True)
        self.days = list(days)
        self._ids = defaultdict(set)
        self._where = {}
        self._names = {}
        for slot in slots:
            day = to_local(slot.starts_at).date()
            self._names[slot.location_id] = slot.location_name
            self._ids[Cell(slot.location_id, day)].add(slot.id)
            self._ids[Cell(slot.location_id, None)].add(slot.id)
            self._where[slot.id] = (slot.location_id, day)
        prefix = common_prefix(list(self._names.values()))
        names = {key: name.removeprefix(prefix) for key, name in self._names.items()}
        # The column is narrow at any width: "ZD" for "Zdravstveni dom" and the like, and a
        # name still longer ends in "…" (the hold dialog names the place in full).
        shown = {key: short_place(name) for key, name in names.items()}
        width = min(LOCATION_WIDTH, max((len(name) for name in shown.values()), default=10))
        header = prefix.rstrip(", ") if prefix else _("Location")
        self.add_column(Text(header, style="bold"), key=NAME, width=max(width, len(header)))
        total = _("Total")
        dates = {day: f"{day.day}. {day.month}." for day in self.days}
        self._width = max([CELL_WIDTH, len(total), *(len(text) for text in dates.values())])
        self.add_column(Text(f"{total:>{self._width}}"), key=TOTAL)
        for day in self.days:
            label = f"{weekday(day):>{self._width}}\n{dates[day]:>{self._width}}"
            self.add_column(Text(label), key=day.isoformat())
        self._order = [key for key, _name in sorted(names.items(), key=lambda item: item[1])]
        for location_id in self._order:
            cells = [Text(shown[location_id], no_wrap=True, overflow="ellipsis")]
            cells.append(self._count(Cell(location_id, None), bold=True))
            cells += [self._count(Cell(location_id, day)) for day in self.days]
            self.add_row(*cells, key=str(location_id))
        if self.row_count:
            self.move_cursor(row=0, column=2 if self.days else 0)

    def _count(self, cell: Cell, *, bold: bool = False) -> Text:
        count = len(self._ids.get(cell, ()))
        if not count:
            return Text(f"{'·':>{self._width}}", style="dim")
        return Text(f"{count:>{self._width}}", style="bold" if bold else "")

    def count(self, location_id: int, day: date | None) -> int:
        return len(self._ids.get(Cell(location_id, day), ()))

    @property
    def total(self) -> int:
        return len(self._where)

    def location_ids(self) -> list[int]:
        """The locations, in the order of the rows."""
        return list(self._order)

    def slot_ids(self, cell: Cell) -> set[int]:
        return set(self._ids.get(cell, ()))

    def remove_slot(self, slot_id: int) -> bool:
        """A slot was taken: count it no more. False if it was not counted here."""
        where = self._where.pop(slot_id, None)
        if where is None:
            return False
        location_id, day = where
        for cell in (Cell(location_id, day), Cell(location_id, None)):
            self._ids[cell].discard(slot_id)
        if day in self.days:
            self.update_cell(str(location_id), day.isoformat(), self._count(Cell(location_id, day)))
        self.update_cell(str(location_id), TOTAL, self._count(Cell(location_id, None), bold=True))
        return True

    def on_data_table_cell_selected(self, event: DataTable.CellSelected) -> None:
        event.stop()
        row = event.cell_key.row_key.value
        column = event.cell_key.column_key.value
        if row is None:
            return
        location_id = int(row)
        day = None if column in (NAME, TOTAL, None) else date.fromisoformat(column)
        self.post_message(self.CellChosen(Cell(location_id, day), self._names[location_id]))
