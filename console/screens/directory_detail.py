"""One doctor in full (enter on a directory row, or on a report): contacts, every source's
dated facts side by side, the change history, and the open and closed reports.

Pushed over the directory (or the reports list), so escape goes back to the list just as it
was, selection included. ``p`` reports wrong data and ``n`` refers the caller here, as on the
row.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from console.domain.calendar import format_date, format_datetime
from console.domain.directory import assess
from console.domain.models import (
    DirectoryDetail,
    DirectoryEntry,
    DirectoryFact,
    FactSource,
    ProviderChange,
    ProviderReport,
)
from console.i18n import _
from console.screens.base import DeskScreen
from console.screens.directory_actions import open_report_dialog, refer, report_sent
from console.screens.wording import fact_grid
from widgets.directory_text import (
    accepts_text,
    ago,
    decimal,
    evidence_note,
    freshness_text,
    fte_text,
    kind_label,
    load_text,
    says_label,
    source_label,
    type_label,
    whole,
)


def _dash(value: object) -> str:
    return "—" if value in (None, "") else str(value)


def contact_rows(detail: DirectoryDetail) -> list[tuple[str, Text | str]]:
    where = ", ".join(p for p in (detail.address, f"{detail.postcode} {detail.town}".strip()) if p)
    rows: list[tuple[str, Text | str]] = [
        (_("Institution"), Text(detail.institution, style="bold")),
        (_("Address"), _dash(where)),
        (
            _("Municipality · region"),
            " · ".join(p for p in (detail.municipality, detail.region) if p) or "—",
        ),
        (_("Phone"), Text(_dash(detail.phone), style="bold")),
        (_("Order form"), _dash(detail.orderform)),
        (_("Website"), _dash(detail.website)),
        (_("E-mail"), _dash(detail.email)),
    ]
    if detail.lat is not None and detail.lon is not None:
        rows.append((_("Coordinates"), f"{detail.lat:.5f}, {detail.lon:.5f}"))
    return rows


def work_rows(detail: DirectoryDetail) -> list[tuple[str, Text | str]]:
    rows: list[tuple[str, Text | str]] = [
        (_("Employment share (FTE)"), fte_text(detail.fte)),
        (_("Load"), load_text(detail)),
    ]
    if detail.patients_per_team is not None and detail.load_percent is not None:
        rows.append((_("Patients per full team"), whole(detail.patients_per_team)))
    if detail.capitation_per_team is not None:
        rows.append((_("Capitation per full team"), whole(detail.capitation_per_team)))
    if detail.resident:
        rows.append((_("Resident doctor"), _("yes")))
    codes = " · ".join(
        p
        for p in (
            _("doctor {code}").format(code=detail.doctor_code) if detail.doctor_code else "",
            _("activity {code}").format(code=detail.activity_code) if detail.activity_code else "",
            detail.unit or "",
        )
        if p
    )
    if codes:
        rows.append((_("Insurer's codes"), Text(codes, style="dim")))
    return rows


def _accepts_cell(value: bool | None) -> Text:
    if value is None:
        return Text("—", style="dim")
    return accepts_text(value)


def sources_table(detail: DirectoryDetail) -> Table:
    """Every source's dated fact side by side: the insurer's list, Sledilnik, corrections."""
    table = Table(expand=True, box=None, padding=(0, 1), header_style="bold")
    table.add_column(_("Source"), no_wrap=True)
    table.add_column(_("As of"), no_wrap=True)
    table.add_column(_("New patients"), no_wrap=True)
    table.add_column(_("FTE"), justify="right", no_wrap=True)
    table.add_column(_("Load"), justify="right", no_wrap=True)
    table.add_column(_("Note"), ratio=1)
    listed = detail.list_date is not None
    if listed:
        table.add_row(
            "ZZZS",
            format_date(detail.list_date),  # type: ignore[arg-type]
            _accepts_cell(detail.accepts),
            fte_text(detail.fte),
            load_text(detail),
            "" if detail.active else Text(_("no longer listed"), style="bold red"),
        )
    facts_shown: list[DirectoryFact] = [
        fact for fact in detail.facts if not (listed and fact.source is FactSource.ZZZS)
    ]
    for fact in sorted(facts_shown, key=lambda f: f.as_of, reverse=True):
        table.add_row(
            source_label(fact.source),
            format_date(fact.as_of),
            _accepts_cell(fact.accepts),
            fte_text(fact.fte) if fact.fte is not None else "",
            decimal(fact.load) if fact.load is not None else "",
            fact.note or "",
        )
    return table


def change_text(change: ProviderChange) -> str:
    """``accepts: sprejema → poln`` and the like, in the UI language."""
    names = {
        "added": _("added to the list"),
        "removed": _("no longer on the list"),
        "back": _("back on the list"),
        "accepts": _("accepting new patients"),
        "fte": _("employment share (FTE)"),
        "load": _("load"),
    }
    name = names.get(change.change, change.change)
    if change.change in ("added", "removed", "back"):
        return name

    def value(text: str | None) -> str:
        if change.change == "accepts" and text is not None:
            return says_label(text.strip().lower() in ("true", "1", "da", "y", "yes"))
        return _dash(text)

    return f"{name}: {value(change.old_value)} → {value(change.new_value)}"


def history_table(history: list[ProviderChange]) -> Table | Text:
    if not history:
        return Text(_("No changes recorded since the first list."), style="dim")
    table = Table(expand=True, box=None, padding=(0, 1), header_style="bold")
    table.add_column(_("As of"), no_wrap=True)
    table.add_column(_("Source"), no_wrap=True)
    table.add_column(_("Change"), ratio=1)
    for change in sorted(history, key=lambda c: (c.as_of, c.at), reverse=True):
        table.add_row(format_date(change.as_of), source_label(change.source), change_text(change))
    return table


def reports_table(reports: list[ProviderReport], now: datetime) -> Table | Text:
    if not reports:
        return Text(_("No reports."), style="dim")
    table = Table(expand=True, box=None, padding=(0, 1), header_style="bold")
    table.add_column(_("Reported"), no_wrap=True)
    table.add_column(_("By"), no_wrap=True)
    table.add_column(_("Says"), no_wrap=True)
    table.add_column(_("Note"), ratio=1)
    table.add_column(_("Status"), ratio=1)
    ordered = sorted(reports, key=lambda r: (r.status != "open", -r.created_at.timestamp()))
    for report in ordered:
        if report.status == "open":
            status = Text(_("open"), style="bold yellow")
        else:
            status = Text(
                _("closed {date} by {agent}").format(
                    date=format_date(report.closed_at) if report.closed_at else "—",
                    agent=report.closed_by_name or "—",
                ),
                style="dim",
            )
            if report.resolution:
                status.append(f": {report.resolution}", style="dim")
        table.add_row(
            f"{format_datetime(report.created_at)} ({ago(report.created_at, now)})",
            report.agent_name,
            Text(kind_label(report.kind), style="bold"),
            report.note,
            status,
        )
    return table


class DirectoryDetailScreen(DeskScreen):
    """The doctor's card: who, where, how to reach them, and what every source says."""

    BINDINGS = [
        Binding("escape", "back", "Back", id="directory.detail.back", tooltip="Back to the list"),
        Binding(
            "p",
            "report",
            "Report",
            id="directory.detail.report",
            tooltip="Report that the data is wrong, e.g. the office says they are full",
        ),
        Binding(
            "n",
            "refer",
            "Refer",
            id="directory.detail.refer",
            tooltip="Note that the caller was referred to this doctor (saved with the wrap-up)",
        ),
    ]

    def __init__(
        self,
        provider_id: int,
        entry: DirectoryEntry | None = None,
        reported: Callable[[DirectoryEntry, ProviderReport], None] | None = None,
    ) -> None:
        """``reported`` is told of a report made here (the directory redraws its row)."""
        super().__init__()
        self.provider_id = provider_id
        self.entry = entry
        self._on_report = reported
        self.detail: DirectoryDetail | None = None

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="detail-body"):
            yield Static("", id="detail-title")
            yield Static("", id="detail-verdict")
            yield Static("", id="detail-contacts", classes="detail-section")
            yield Static("", id="detail-sources", classes="detail-section")
            yield Static("", id="detail-history", classes="detail-section")
            yield Static("", id="detail-reports", classes="detail-section")

    def on_mount(self) -> None:
        if self.entry is not None:
            self._show_title(self.entry)
        self.query_one("#detail-contacts", Static).update(Text(_("Loading…"), style="dim"))
        self.query_one("#detail-body").focus()
        self.load()

    @work(exclusive=True, group="directory-detail", exit_on_error=False)
    async def load(self) -> None:
        detail = await self.desk.directory_entry(self.provider_id)
        self.show(detail)

    def show(self, detail: DirectoryDetail) -> None:
        self.detail = detail
        self.entry = detail
        now = self.desk.clock.utcnow()
        self._show_title(detail)
        self.query_one("#detail-contacts", Static).update(
            Group(fact_grid(contact_rows(detail)), Text(""), fact_grid(work_rows(detail)))
        )
        self._section("#detail-sources", _("What each source says"), sources_table(detail))
        self._section("#detail-history", _("Changes"), history_table(detail.history))
        self._section("#detail-reports", _("Agents' reports"), reports_table(detail.reports, now))
        self.refresh_bindings()

    def _section(self, selector: str, title: str, body: Table | Text) -> None:
        self.query_one(selector, Static).update(Group(Text(title, style="bold underline"), body))

    def _show_title(self, entry: DirectoryEntry) -> None:
        title = Text(entry.name, style="bold")
        title.append(f" · {type_label(entry.type)}")
        referral = self.desk.referral
        if referral is not None and referral.provider_id == entry.provider_id:
            title.append("   ➜ " + _("the caller is referred here"), style="bold cyan")
        self.query_one("#detail-title", Static).update(title)
        verdict = assess(entry)
        stale_after = self.console.config.directory.stale_after_days
        now = self.desk.clock.utcnow()
        line = Text.assemble(
            accepts_text(verdict.accepts if entry.active else False),
            "   ",
            freshness_text(verdict, self.desk.today(), stale_after, now),
        )
        note = evidence_note(entry, verdict, now)
        if note is not None:
            line.append("\n")
            line.append_text(note)
        self.query_one("#detail-verdict", Static).update(line)

    # -- keys -----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "report":
            return not self.desk.read_only and self.entry is not None
        if action == "refer":  # outside a call too: it starts one
            return not self.desk.read_only and self.entry is not None
        return True

    def action_back(self) -> None:
        self.dismiss()

    def action_report(self) -> None:
        if self.entry is not None:
            open_report_dialog(self, self.entry, self._reported)

    def _reported(self, entry: DirectoryEntry, report: ProviderReport) -> None:
        if self._on_report is not None:
            self._on_report(entry, report)
        else:
            report_sent(self, entry, report)
        self.load()

    @work(group="directory-refer", exit_on_error=False)
    async def action_refer(self) -> None:
        if self.entry is not None and await refer(self, self.entry):
            self._show_title(self.entry)
            self.refresh_bindings()

    def on_screen_resume(self) -> None:
        if self.entry is not None and self.is_mounted:
            self._show_title(self.entry)

    def day_changed(self, before: date, today: date) -> None:
        """A new day: the ages of the facts and reports are counted from it."""
        if self.detail is not None:
            self.show(self.detail)
