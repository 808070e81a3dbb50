"""Agents' open reports about the doctor directory, newest first: when, doctor, institution,
what the office said, the note, who reported it. Enter posts ``DataTable.RowSelected`` (the row
key is the report id)."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.binding import Binding

from console.clock import Clock
from console.domain.models import ProviderReport
from console.i18n import _
from widgets.directory_text import ago, kind_label, type_label
from widgets.sized_table import SizedTable
from widgets.translated import translate_bindings

COLUMNS = (
    ("when", 13),
    ("doctor", 24),
    ("institution", 24),
    ("kind", 15),
    ("note", 20),
    ("agent", 10),
)


def column_header(key: str) -> str:
    headers = {
        "when": _("Reported"),
        "doctor": _("Doctor"),
        "institution": _("Institution"),
        "kind": _("Says"),
        "note": _("Note"),
        "agent": _("By"),
    }
    return headers[key]


class ReportsTable(SizedTable):
    DEFAULT_CSS = """
    ReportsTable {
        height: 1fr;
    }
    """

    BINDINGS = [
        Binding(
            "enter",
            "select_cursor",
            "Details",
            id="reports.details",
            tooltip="The doctor's details: every source's facts and all reports",
        ),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        translate_bindings(self)
        self._reports: dict[int, ProviderReport] = {}
        self.clock = Clock()  # the desk's (the screen sets it): the reports' ages

    def on_mount(self) -> None:
        for key, width in COLUMNS:
            self.add_column(column_header(key), key=key, width=width)

    @property
    def reports(self) -> list[ProviderReport]:
        return list(self._reports.values())

    def show(self, reports: list[ProviderReport]) -> None:
        """Replace the rows, newest first, staying on the same report if it is still open."""
        current = self.highlighted_report()
        self.clear()
        ordered = sorted(reports, key=lambda r: (r.created_at, r.id), reverse=True)
        self._reports = {report.id: report for report in ordered}
        now = self.clock.utcnow()
        for report in ordered:
            self.add_row(*self._cells(report, now), key=str(report.id), height=None)
        if current is not None and current.id in self._reports:
            self.move_cursor(row=self.get_row_index(str(current.id)), scroll=True)

    def _cells(self, report: ProviderReport, now: datetime) -> list[Text]:
        doctor = Text(report.provider_name, style="bold")
        if report.type is not None:
            doctor.append("\n" + type_label(report.type), style="dim")
        return [
            Text(ago(report.created_at, now)),
            doctor,
            Text(report.institution, overflow="ellipsis", no_wrap=True),
            Text(kind_label(report.kind), style="bold yellow"),
            Text(report.note or "—", style="" if report.note else "dim"),
            Text(report.agent_name, overflow="ellipsis", no_wrap=True),
        ]

    def highlighted_report(self) -> ProviderReport | None:
        if not self._reports or self.cursor_row < 0 or self.cursor_row >= self.row_count:
            return None
        key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        return self._reports.get(int(key)) if key is not None else None
