"""The doctor directory's results: one row per doctor × activity × institution.

Each row has two lines (three or four where the sources disagree or a report is open):

========================  ==============================  ==================================
doctor (bold)             institution                     ✔ sprejema nove paciente
type (dim)                town · municipality             ZZZS 21. 8. 2026 · pred 93 dnevi
                                                          ⚠ ZZZS: sprejema · prijavljeno: …
========================  ==============================  ==================================

then the load and the employment share (FTE). The freshness line is highlighted when the
freshest source is older than ``stale_after_days``. Enter posts ``DataTable.RowSelected``
(the row key is the provider id); ``p`` and ``n`` run the screen's ``report`` and ``refer``
actions at once (not through a message: keys typed right after ``p`` must reach the dialog it
opens, not this table), and the screen decides who may use them; up on the first row posts
:class:`DirectoryTable.TopReached`; reaching the last row posts
:class:`DirectoryTable.EndReached` (the screen loads the next page, if any).
"""

from __future__ import annotations

from datetime import date, datetime

from rich.console import Group
from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets.data_table import RowKey

from console.clock import Clock
from console.domain.directory import assess
from console.domain.models import DirectoryEntry
from console.i18n import _
from widgets.directory_text import (
    accepts_text,
    evidence_note,
    freshness_text,
    fte_text,
    load_text,
    place_text,
    type_label,
)
from widgets.sized_table import SizedTable
from widgets.translated import translate_bindings

ACCEPTS_WIDTH = 34  # "ZZZS 22. 8. 2026 · pred 1000 dnevi"
COLUMNS = (
    ("doctor", 26),
    ("institution", 33),
    ("accepts", ACCEPTS_WIDTH),
    ("load", 11),
    ("fte", 4),
)
PADDING = 2  # a column's cell padding, left and right
DOCTOR_MIN, INSTITUTION_MIN = 14, 15
DOCTOR_MAX = 34  # the longest names; the rest of a wide terminal goes to the institution


def column_widths(room: int) -> dict[str, int]:
    """The columns' widths in ``room`` columns of table: the doctor, the institution and
    whether they accept with the source, date and age always on screen; the load and the
    employment share beside them where there is room, else after them (scrolled to sideways,
    and in the details). What is left widens the doctor (up to the longest names) and the
    institution."""
    fixed = dict(COLUMNS)
    everything = sum(fixed.values()) + PADDING * len(fixed)
    if room >= everything:
        extra = room - everything
        doctor = fixed["doctor"] + min(extra // 3, DOCTOR_MAX - fixed["doctor"])
        institution = fixed["institution"] + extra - (doctor - fixed["doctor"])
    else:
        # The doctor's name first: the town is on the institution's second line.
        names = max(room - ACCEPTS_WIDTH - 3 * PADDING, DOCTOR_MIN + INSTITUTION_MIN)
        doctor = max(DOCTOR_MIN, min(fixed["doctor"], names - INSTITUTION_MIN))
        institution = min(fixed["institution"], names - doctor)  # more room: the load shows
    return {**fixed, "doctor": doctor, "institution": institution}


def column_header(key: str) -> str:
    headers = {
        "doctor": _("Doctor"),
        "institution": _("Institution and place"),
        "accepts": _("New patients · source, date"),
        "load": _("Load"),
        "fte": _("FTE"),
    }
    return headers[key]


REFERRED_MARK = "➜ "


class DirectoryTable(SizedTable):
    """The directory's rows; the screen decides what the keys do (and who may use them)."""

    DEFAULT_CSS = """
    DirectoryTable {
        height: 1fr;
    }
    """

    BINDINGS = [
        Binding(
            "enter",
            "select_cursor",
            "Details",
            id="directory.details",
            tooltip="Phone, order form, every source's facts, history and reports",
        ),
        Binding(
            "p",
            "screen.report",
            "Report",
            priority=True,  # at once, before the next key is handed on (p, 3, enter)
            id="directory.report",
            tooltip="Report that the data is wrong, e.g. the office says they are full",
        ),
        Binding(
            "n",
            "screen.refer",
            "Refer",
            priority=True,  # at once, before the next key is handed on (p, 3, enter)
            id="directory.refer",
            tooltip="Note that the caller was referred to this doctor (saved with the wrap-up)",
        ),
        # supervisors:
        Binding("p", "screen.report_refused", show=False, priority=True, id="directory.report"),
    ]

    class TopReached(Message):
        """Up was pressed on the first row."""

    class EndReached(Message):
        """The cursor reached the last row: time for the next page, if there is one."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        translate_bindings(self)
        self._entries: dict[int, DirectoryEntry] = {}
        self.clock = Clock()  # the desk's (the screen sets it): reports' ages are measured by it
        self.today: date = self.clock.today()
        self.stale_after_days = 30
        self.referred: int | None = None  # provider id of the caller's referral

    def on_mount(self) -> None:
        for key, width in COLUMNS:
            self.add_column(column_header(key), key=key, width=width)

    def on_resize(self) -> None:
        """The columns take the table's width (:func:`column_widths`), less the vertical
        scrollbar's whether or not it is shown yet (rows come after the first resize, and a
        scrollbar appearing is no resize)."""
        styles = self.styles
        room = self.region.width - styles.gutter.width - styles.scrollbar_size_vertical
        self.fit_columns(column_widths(room))

    # -- contents -------------------------------------------------------------------------

    @property
    def entries(self) -> list[DirectoryEntry]:
        return list(self._entries.values())

    def entry(self, provider_id: int) -> DirectoryEntry | None:
        return self._entries.get(provider_id)

    def show(
        self, entries: list[DirectoryEntry], *, append: bool = False, keep_cursor: bool = False
    ) -> None:
        """Replace the rows (or add a further page); with ``keep_cursor`` stay on the same
        doctor if they are still listed."""
        current = self.highlighted_entry() if keep_cursor else None
        if not append:
            self.clear()
            self._entries = {}
        now = self.clock.utcnow()
        for entry in entries:
            if entry.provider_id in self._entries:
                continue
            self._entries[entry.provider_id] = entry
            cells, height = self._row(entry, now)
            self.add_row(*cells, key=str(entry.provider_id), height=height)
        if current is not None and current.provider_id in self._entries:
            self.move_cursor(row=self.get_row_index(str(current.provider_id)), scroll=True)

    def update_entry(self, entry: DirectoryEntry) -> bool:
        """Redraw one doctor's row with fresh facts (e.g. a report just made); False if the
        doctor is not listed."""
        if entry.provider_id not in self._entries:
            return False
        self._entries[entry.provider_id] = entry
        cells, height = self._row(entry, self.clock.utcnow())
        key = RowKey(str(entry.provider_id))
        row = self.rows[key]
        resized = row.height != height  # a note appeared or went
        row.height = height
        for (column, _width), cell in zip(COLUMNS, cells, strict=True):
            self.update_cell(key, column, cell)  # (each update lays the rows out afresh)
        if resized:
            # The scrollable height follows the rows' heights only when DataTable measures
            # its dimensions again (pinned Textual: the flag its own add_row sets).
            self._require_update_dimensions = True
            self.refresh(layout=True)
        return True

    def _row(self, entry: DirectoryEntry, now: datetime) -> tuple[list[object], int]:
        """The cells, and the row's height: two lines, and the note's under them. (Heights
        are given, not measured: DataTable measures an auto-height row by rendering every
        cell of it, a third of a second for a page of rows.)"""
        cells, note = self._cells(entry, now)
        height = 2
        if note is not None:
            height += len(note.wrap(self.app.console, ACCEPTS_WIDTH))
        return cells, height

    def _cells(self, entry: DirectoryEntry, now: datetime) -> tuple[list[object], Text | None]:
        verdict = assess(entry)
        name = Text(entry.name, style="bold")
        if entry.provider_id == self.referred:
            name = Text.assemble((REFERRED_MARK, "bold cyan"), name)
        kind = Text(type_label(entry.type), style="dim")
        if not entry.active:
            kind.append(" · " + _("no longer listed"), style="bold red")
        # One line each, cut with an ellipsis where the column is narrow (80 columns): a
        # wrapped name would push the type out of the row's two lines.
        name.no_wrap, name.overflow = True, "ellipsis"
        kind.no_wrap, kind.overflow = True, "ellipsis"
        doctor = Group(name, kind)
        place = Group(
            Text(entry.institution, overflow="ellipsis", no_wrap=True),
            Text(place_text(entry), overflow="ellipsis", no_wrap=True),
        )
        accepts = accepts_text(verdict.accepts if entry.active else False)
        lines = [
            accepts,
            freshness_text(verdict, self.today, self.stale_after_days, now),
        ]
        note = evidence_note(entry, verdict, now)
        if note is not None:
            lines.append(note)
        state = Group(*lines)
        cells = [
            doctor,
            place,
            state,
            Text(load_text(entry), justify="right"),
            Text(fte_text(entry.fte), justify="right"),
        ]
        return cells, note

    def highlighted_entry(self) -> DirectoryEntry | None:
        if not self._entries or self.cursor_row < 0 or self.cursor_row >= self.row_count:
            return None
        key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        return self._entries.get(int(key)) if key is not None else None

    # -- keys -----------------------------------------------------------------------------

    def action_cursor_up(self) -> None:
        if self.cursor_row <= 0:
            self.post_message(self.TopReached())
            return
        super().action_cursor_up()

    def action_cursor_down(self) -> None:
        super().action_cursor_down()
        self._at_end()

    def action_page_down(self) -> None:
        super().action_page_down()
        self._at_end()

    def action_scroll_bottom(self) -> None:
        super().action_scroll_bottom()
        self._at_end()

    def _at_end(self) -> None:
        if self.row_count and self.cursor_row >= self.row_count - 1:
            self.post_message(self.EndReached())
