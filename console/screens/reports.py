"""Agents' open reports about the doctor directory (F8), newest first: for supervisors to watch
and for the data owner's contact to work through.

Enter opens the doctor's details. ``z`` closes a report with a resolution (agents and admins;
supervisors read only, and the server refuses them anyway). The list follows the change feed
(the desk's one poller), so a report made on another desk appears within the sync interval.
"""

from __future__ import annotations

from datetime import date

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Input, Label, Static

from console.client.feed import ChangeBatch
from console.domain.models import ProviderReport
from console.i18n import _
from console.screens.base import DeskModal, DeskScreen
from console.screens.wording import fact_grid
from widgets.directory_text import ago, kind_label, plural, type_label
from widgets.footer import KeysFooter
from widgets.reports_table import ReportsTable

REPORT_OPS = frozenset({"reported", "report_closed"})


class CloseReportDialog(DeskModal):
    """Close a report: what was done about it. Answers the resolution, or None."""

    BINDINGS = [
        Binding("escape", "back", "Back", id="close_report.back", tooltip="Leave the report open"),
    ]

    def __init__(self, report: ProviderReport) -> None:
        super().__init__()
        self.report = report

    def compose(self) -> ComposeResult:
        report = self.report
        now = self.app.clock.utcnow()  # type: ignore[attr-defined]
        with Vertical(classes="dialog"):
            yield Label(_("Close the report"), classes="dialog-title")
            yield Static(
                fact_grid(
                    [
                        (_("Doctor"), Text(report.provider_name, style="bold")),
                        (_("Institution"), report.institution),
                        (_("Says"), Text(kind_label(report.kind), style="bold")),
                        (_("Note"), report.note or "—"),
                        (_("By"), f"{report.agent_name}, {ago(report.created_at, now)}"),
                    ]
                ),
                id="close-facts",
            )
            yield Label(_("Resolution"), classes="field-label")
            yield Input(
                placeholder=_("e.g. checked with the office: full, list corrected"),
                max_length=500,
                id="close-resolution",
            )
            yield Static(Text(_("Enter closes the report."), style="dim"), id="close-hint")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#close-resolution", Input).focus()

    @on(Input.Submitted, "#close-resolution")
    def _entered(self, event: Input.Submitted) -> None:
        event.stop()
        resolution = event.value.strip()
        if not resolution:
            self.query_one("#close-hint", Static).update(
                Text(_("Say what was done about it first."), style="bold red")
            )
            return
        self.dismiss(resolution)

    def action_back(self) -> None:
        self.dismiss(None)


class ReportsScreen(DeskScreen):
    """Open reports, newest first."""

    follows_changes = True

    BINDINGS = [
        Binding(
            "z",
            "close_report",
            "Close",
            id="reports.close",
            tooltip="Close the report with a resolution",
        ),
        Binding(
            "ctrl+r", "refresh", "Refresh", id="reports.refresh", tooltip="Load again", show=False
        ),
    ]

    def compose_body(self) -> ComposeResult:
        yield Static("", id="reports-title")
        yield ReportsTable(id="reports-table")
        yield Static("", id="reports-hint")

    @property
    def table(self) -> ReportsTable:
        return self.query_one(ReportsTable)

    def on_mount(self) -> None:
        self.table.focus()

    def on_screen_resume(self) -> None:
        self.load()

    def day_changed(self, before: date, today: date) -> None:
        """A new day: the reports' ages ("today", "yesterday") are counted afresh."""
        if self.is_current:
            self.load()  # (when not, showing the screen again loads it)

    def _hint(self, text: str, style: str = "dim") -> None:
        self.query_one("#reports-hint", Static).update(Text(text, style=style))

    # -- loading --------------------------------------------------------------------------

    @work(exclusive=True, group="reports-load", exit_on_error=False)
    async def load(self) -> None:
        reports = await self.desk.reports("open")
        self.show(reports)

    def show(self, reports: list[ProviderReport]) -> None:
        self.table.clock = self.desk.clock
        self.table.show(reports)
        title = Text(_("Agents' open reports about the doctor directory"), style="bold")
        title.append("   " + plural(_("{count} open|{count} open"), len(reports)), style="dim")
        self.query_one("#reports-title", Static).update(title)
        if not reports:
            self._hint(_("No open reports."))
        elif self.desk.read_only:
            self._hint(_("Enter shows the doctor. Read-only: supervisors cannot close reports."))
        else:
            self._hint(_("Enter shows the doctor; z closes a report with a resolution."))
        self.refresh_bindings()

    def action_refresh(self) -> None:
        self.load()

    # -- the change feed ------------------------------------------------------------------

    def changes_arrived(self, batch: ChangeBatch) -> None:
        if batch.fell_behind or any(
            c.entity == "provider" and c.op in REPORT_OPS for c in batch.changes
        ):
            self.load()

    # -- a report -------------------------------------------------------------------------

    @on(DataTable.RowSelected, "#reports-table")
    def _chosen(self, event: DataTable.RowSelected) -> None:
        event.stop()
        report = self.table.highlighted_report()
        if report is not None:
            from console.screens.directory_detail import DirectoryDetailScreen

            self.app.push_screen(DirectoryDetailScreen(report.provider_id))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "close_report":
            desk = getattr(self.app, "desk", None)
            return desk is not None and not desk.read_only and bool(self.table.reports)
        return True

    def action_close_report(self) -> None:
        report = self.table.highlighted_report()
        if report is None or self.desk.read_only:
            return

        def closed(resolution: str | None) -> None:
            if resolution:
                self.close_report(report, resolution)

        self.app.push_screen(CloseReportDialog(report), closed)

    @work(exclusive=True, group="reports-close", exit_on_error=False)
    async def close_report(self, report: ProviderReport, resolution: str) -> None:
        await self.desk.close_report(report.id, resolution)
        who = report.provider_name
        if report.type is not None:
            who += f" ({type_label(report.type)})"
        self.notify(
            _("Report closed: {doctor}.").format(doctor=who),
            title=_("Closed"),
            timeout=4,
            markup=False,
        )
        self.load()
