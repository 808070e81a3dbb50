"""From the floor: one agent's calls today (enter), and the export of the day (``e``).

:class:`AgentDayScreen` shows the calls without who called; ``c`` shows the callers too, which
the central service records as an audited read of each caller (so it is never done unasked).
:class:`ExportDialog` asks where to write the file (csv or xlsx, by the name's ending) and
answers ``(path, format)``, or None.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Input, Label, Static

from console.domain.calendar import TZ
from console.domain.floor import AgentDay, BookingAction
from console.i18n import _
from console.screens.base import ConsoleApp, DeskModal
from widgets.directory_text import plural
from widgets.floor_text import disposition_labels, duration, in_language, state_label
from widgets.footer import KeysFooter


def _time(value: datetime | None) -> str:
    return "" if value is None else value.astimezone(TZ).strftime("%H:%M")


def action_label(action: BookingAction) -> str:
    labels = {
        BookingAction.BOOKED: _("booked"),
        BookingAction.RESCHEDULED: _("rescheduled"),
        BookingAction.CANCELLED: _("cancelled"),
    }
    return labels.get(action, action.value)


class AgentDayScreen(DeskModal):
    """One agent's calls today, newest last; ``c``: with who called (audited)."""

    BINDINGS = [
        Binding(
            "c",
            "callers",
            "Show callers",
            id="agent_day.callers",
            tooltip="Show who called: each caller shown is an audited read",
        ),
        Binding("escape", "back", "Back", id="agent_day.back", tooltip="Back to the floor"),
    ]

    def __init__(self, agent_id: int, agent_name: str) -> None:
        super().__init__()
        self.agent_id = agent_id
        self.agent_name = agent_name
        self.day: AgentDay | None = None

    @property
    def console(self) -> ConsoleApp:
        return cast(ConsoleApp, self.app)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(
                _("{agent}: calls today").format(agent=self.agent_name), classes="dialog-title"
            )
            yield Static("", id="day-summary")
            yield DataTable(id="day-calls", cursor_type="row", zebra_stripes=True)
            yield Static("", id="day-hint")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#day-calls", DataTable).focus()
        self.load(include_caller=False)

    @work(exclusive=True, group="agent-day", exit_on_error=False)
    async def load(self, include_caller: bool) -> None:
        day = await self.console.desk.agent_day(self.agent_id, include_caller=include_caller)
        self.show(day)

    def show(self, day: AgentDay) -> None:
        self.day = day
        table = self.query_one("#day-calls", DataTable)
        table.clear(columns=True)
        columns = [
            _("Start"),
            _("End"),
            _("Talk"),
            _("ACW"),
            _("Handle"),
            _("Disposition"),
            _("Service"),
            _("Bookings"),
        ]
        if day.caller_identity:
            columns.append(_("Caller"))
        for label in columns:
            table.add_column(label)
        labels = disposition_labels(self.console.desk.dispositions)
        for call in day.calls:
            bookings = ", ".join(
                f"{b.reference_display} ({action_label(b.action)})" for b in call.bookings
            )
            cells: list[str | Text] = [
                _time(call.started_at),
                _time(call.ended_at),
                Text(duration(call.talk_seconds), justify="right"),
                Text(duration(call.after_call_work_seconds), justify="right"),
                Text(duration(call.handle_seconds), justify="right"),
                labels.get(call.disposition, call.disposition) if call.disposition else "—",
                in_language(call.service_name, call.service_name_en),
                bookings,
            ]
            if day.caller_identity:
                caller = call.caller
                cells.append(f"{caller.first_name} {caller.last_name}" if caller else "")
            table.add_row(*cells, key=str(call.id))
        summary = Text()
        summary.append(plural(_("{count} call|{count} calls"), len(day.calls)), style="bold")
        summary.append(
            "   "
            + _("avg handle {handle} · avg after-call work {acw}").format(
                handle=duration(day.avg_handle_seconds),
                acw=duration(day.avg_after_call_work_seconds),
            )
        )
        summary.append(
            "   "
            + _("booked {booked} · cancelled {cancelled} · rescheduled {moved}").format(
                booked=day.bookings, cancelled=day.cancellations, moved=day.reschedules
            )
        )
        if day.time_in_state:
            summary.append("\n")
            summary.append(
                " · ".join(
                    f"{state_label(t.state.value)} {duration(t.seconds)}" for t in day.time_in_state
                ),
                style="dim",
            )
        self.query_one("#day-summary", Static).update(summary)
        if not day.calls:
            hint = _("No calls today.")
        elif day.caller_identity:
            hint = _("Callers shown: the reads were recorded in the audit log.")
        else:
            hint = _("{key}: show who called (each caller shown is recorded in the audit log)")
            hint = hint.format(key=self.console.key_label("agent_day.callers"))
        self.query_one("#day-hint", Static).update(Text(hint, style="dim"))

    def action_callers(self) -> None:
        if self.day is not None and not self.day.caller_identity:
            self.load(include_caller=True)

    def action_back(self) -> None:
        self.dismiss(None)


class ExportDialog(DeskModal):
    """Where to write the day's calls: answers ``(path, format)`` or None."""

    BINDINGS = [
        Binding("enter", "save", "Export", id="export.save", tooltip="Export to this file"),
        Binding("escape", "back", "Back", id="export.back", tooltip="Back without exporting"),
    ]

    def __init__(self, day: date, folder: Path | None = None) -> None:
        super().__init__()
        self.day = day
        self.folder = folder or Path.cwd()

    def compose(self) -> ComposeResult:
        default = self.folder / f"calls-{self.day.isoformat()}.csv"
        with Vertical(classes="dialog"):
            yield Label(
                _("Export the calls of {day}").format(
                    day=f"{self.day.day}. {self.day.month}. {self.day.year}"
                ),
                classes="dialog-title",
            )
            yield Label(_("File (.csv or .xlsx)"), classes="field-label")
            yield Input(str(default), id="export-path")
            yield Static(
                Text(
                    _("Enter writes the file (an .xlsx name: a workbook). Escape: back."),
                    style="dim",
                ),
                id="export-hint",
            )
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#export-path", Input).focus()

    @on(Input.Submitted, "#export-path")
    def _entered(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def action_save(self) -> None:
        path = self.query_one("#export-path", Input).value.strip()
        hint = self.query_one("#export-hint", Static)
        if not path:
            hint.update(Text(_("Name the file first."), style="bold red"))
            return
        suffix = Path(path).suffix.lower()
        if suffix not in (".csv", ".xlsx"):
            hint.update(Text(_("The file's name must end in .csv or .xlsx."), style="bold red"))
            return
        target = Path(path).expanduser()
        if target.is_dir():
            hint.update(Text(_("That is a folder: name a file in it."), style="bold red"))
            return
        self.dismiss((str(target), suffix[1:]))

    def action_back(self) -> None:
        self.dismiss(None)
