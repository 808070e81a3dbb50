"""The caller search results: one row per caller, enough to tell two callers apart by phone.

Columns: name, birth date (Slovenian style), phone (formatted; the number that matched when
the search was by phone), and what the search matched on. The name takes the room the others
leave (up to ``NAME_MOST``; never less than ``NAME_LEAST``), and a name longer than its column
ends in "…". Enter on a row posts
``DataTable.RowSelected`` (the row key is the caller id); up on the first row posts
:class:`CallerResults.TopReached` so the screen can put the cursor back in the search box.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from rich.text import Text
from textual.binding import Binding
from textual.message import Message

from console.domain.calendar import format_date
from console.domain.models import CallerSummary
from console.domain.phone import format_phone, phone_query
from console.i18n import _
from widgets.quick_table import QuickTable
from widgets.translated import translate_bindings

# Columns' widths: the name's takes the room the others leave (``CallerResults.fit``).
NAME_LEAST = 19
NAME_MOST = 40  # wider, the birth date and phone would sit far from the name on a wide screen
OTHER_COLUMNS = {"born": 12, "phone": 15, "matched": 10}


def kind_label(kind: str) -> str:
    """What a search matched on, as a short column value."""
    labels = {
        "name": _("name"),
        "phone": _("phone"),
        "emso": _("EMŠO"),
        "zzzs": _("ZZZS"),
        "reference": _("reference"),
    }
    return labels.get(kind, kind)


def birth_date_text(iso: str | None) -> str:
    if not iso:
        return ""
    try:
        return format_date(date.fromisoformat(iso))
    except ValueError:
        return iso


def shown_phone(summary: CallerSummary, query: str = "") -> str:
    """The phone to show: the one that matched a phone search, else the first; +N for more."""
    if not summary.phones:
        return ""
    number = summary.phones[0]
    if summary.matched_on == "phone" and query:
        prefix = phone_query(query)
        if prefix:
            number = next((p for p in summary.phones if p.startswith(prefix)), number)
    more = len(summary.phones) - 1
    text = format_phone(number)
    return f"{text} +{more}" if more else text


class CallerResults(QuickTable):
    """Search hits, keyed by caller id."""

    BINDINGS = [
        Binding(
            "enter",
            "select_cursor",
            "Open",
            id="lookup.open",
            tooltip="Open the card of the caller under the cursor",
        ),
    ]

    DEFAULT_CSS = """
    CallerResults {
        height: 1fr;
        border: tall $border-blurred;
        scrollbar-size-vertical: 1;  /* room kept for it always (fit): one column, not two */
        &:focus {
            border: tall $border;
        }
    }
    """

    @dataclass
    class TopReached(Message):
        """Up was pressed on the first row."""

        results: CallerResults

        @property
        def control(self) -> CallerResults:
            return self.results

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(
            id=id,
            classes=classes,
            cursor_type="row",
            zebra_stripes=True,
            show_cursor=True,
        )
        translate_bindings(self)
        self.callers: list[CallerSummary] = []

    def on_mount(self) -> None:
        self._add_columns()

    def _add_columns(self) -> None:
        self.add_column(_("Name"), key="name", width=NAME_LEAST)
        self.add_column(_("Born"), key="born", width=OTHER_COLUMNS["born"])
        self.add_column(_("Phone"), key="phone", width=OTHER_COLUMNS["phone"])
        self.add_column(_("Matched on"), key="matched", width=OTHER_COLUMNS["matched"])
        self.fit()

    def on_resize(self) -> None:
        self.fit()

    def fit(self) -> None:
        """The name column takes the table's width less the other columns and the vertical
        scrollbar's, whether or not it shows (more rows than room is no resize)."""
        width = self.region.width
        if not width or not self.columns:
            return
        styles = self.styles
        room = width - styles.gutter.width - styles.scrollbar_size_vertical
        others = sum(OTHER_COLUMNS.values()) + 2 * self.cell_padding * len(self.columns)
        self.fit_columns({"name": max(NAME_LEAST, min(NAME_MOST, room - others))})

    def show(self, callers: list[CallerSummary], query: str = "") -> None:
        """Replace the rows with these callers, the cursor on the first."""
        self.callers = list(callers)
        self.clear()
        for summary in callers:
            name = Text(f"{summary.first_name} {summary.last_name}", style="bold")
            name.no_wrap, name.overflow = True, "ellipsis"  # longer than its column: "…"
            self.add_row(  # Text, not str: a str cell is parsed as markup each time it is drawn
                name,
                Text(birth_date_text(summary.birth_date)),
                Text(shown_phone(summary, query)),
                Text(kind_label(summary.matched_on)),
                key=str(summary.id),
            )
        if callers:
            self.move_cursor(row=0, column=0, animate=False, scroll=True)

    @property
    def highlighted_id(self) -> int | None:
        """The caller id under the cursor, if any."""
        if not self.callers or not 0 <= self.cursor_row < len(self.callers):
            return None
        return self.callers[self.cursor_row].id

    def action_cursor_up(self) -> None:
        if self.cursor_row <= 0:
            self.post_message(self.TopReached(self))
            return
        super().action_cursor_up()
