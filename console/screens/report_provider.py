"""Report that the directory is wrong about a doctor: ``p`` on a row, then enter.

The kind is preselected from what the row says now (it says accepts: report *full*; otherwise
report *accepts*); ``1``–``4`` (while the note is empty) or the arrow keys choose another
(wrong contact, other). The one-line note has the focus, and enter sends: ``p``, enter is a
whole report. The report goes through the desk's Store (queued while offline); the dialog
answers the saved :class:`ProviderReport`, or None if the agent went back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from console.client.api import ApiRefused
from console.domain.directory import assess
from console.domain.models import DirectoryEntry, ProviderReport, ReportKind
from console.i18n import _
from console.screens.base import ConsoleApp, DeskModal
from console.screens.wording import fact_grid
from widgets.directory_text import (
    accepts_text,
    evidence_note,
    freshness_text,
    kind_label,
    place_text,
    type_label,
)
from widgets.footer import KeysFooter
from widgets.translated import translate_bindings

KINDS = (ReportKind.FULL, ReportKind.ACCEPTS, ReportKind.CONTACT, ReportKind.OTHER)


def kind_hint(kind: ReportKind) -> str:
    hints = {
        ReportKind.FULL: _("the office says they take no new patients"),
        ReportKind.ACCEPTS: _("the office says they do take new patients"),
        ReportKind.CONTACT: _("the phone, address or order form is wrong"),
        ReportKind.OTHER: _("something else: say what in the note"),
    }
    return hints[kind]


def preselected_kind(entry: DirectoryEntry) -> ReportKind:
    """What the agent most likely reports: the opposite of what the row says."""
    return ReportKind.FULL if assess(entry).accepts is True else ReportKind.ACCEPTS


class KindList(OptionList, can_focus=False):
    """The report kinds; the dialog moves the highlight (the note keeps the focus)."""


class NoteInput(Input):
    """The note: enter sends; while it is empty, 1–4 choose the kind instead (bindings cannot:
    Textual keeps printable keys for a focused input)."""

    BINDINGS = [Binding("enter", "submit", "Send", id="report.send", tooltip="Send the report")]

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        translate_bindings(self)

    @dataclass
    class KindPicked(Message):
        number: int

    async def _on_key(self, event: events.Key) -> None:
        if not self.value and event.character in ("1", "2", "3", "4"):
            event.stop()
            event.prevent_default()
            self.post_message(self.KindPicked(int(event.character)))
            return
        await super()._on_key(event)


class ReportDialog(DeskModal):
    """The kind, an optional note, enter sends."""

    AUTO_FOCUS = "#report-note"

    BINDINGS = [
        Binding("enter", "send", "Send", id="report.send", tooltip="Send the report"),
        Binding(
            "up",
            "kind(-1)",
            "Kind",
            id="report.kind_up",
            tooltip="Choose the kind of report (or 1–4)",
            priority=True,
        ),
        Binding("down", "kind(1)", show=False, priority=True, id="report.kind_down"),
        Binding("escape", "back", "Back", id="report.back", tooltip="Do not report"),
    ]

    def __init__(self, entry: DirectoryEntry) -> None:
        super().__init__()
        self.entry = entry
        self.kind = preselected_kind(entry)
        self._sending = False

    def compose(self) -> ComposeResult:
        entry = self.entry
        console = cast(ConsoleApp, self.app)
        desk = console.desk
        stale_after = console.config.directory.stale_after_days
        verdict = assess(entry)
        now = desk.clock.utcnow()
        now_says = Text.assemble(
            accepts_text(verdict.accepts),
            "  ",
            freshness_text(verdict, desk.today(), stale_after, now),
        )
        rows: list[tuple[str, Text | str]] = [
            (_("Doctor"), Text(f"{entry.name} · {type_label(entry.type)}", style="bold")),
            (_("Institution"), f"{entry.institution}, {place_text(entry)}"),
            (_("The directory says"), now_says),
        ]
        note = evidence_note(entry, verdict, now)
        if note is not None:
            rows.append(("", note))
        with Vertical(classes="dialog"):
            yield Label(_("Report wrong data"), classes="dialog-title")
            yield Static(fact_grid(rows), id="report-facts")
            yield Label(_("What the office says (1–4)"), classes="field-label")
            yield KindList(
                *(
                    Option(
                        Text.assemble(
                            (f"{number}  ", "bold"),
                            (kind_label(kind), "bold"),
                            (f" — {kind_hint(kind)}", "dim"),
                        ),
                        id=kind.value,
                    )
                    for number, kind in enumerate(KINDS, 1)
                ),
                id="report-kind",
            )
            yield Label(_("Note (optional)"), classes="field-label")
            yield NoteInput(
                placeholder=_("e.g. the nurse says full until March"),
                max_length=500,
                id="report-note",
            )
            yield Static(
                Text(_("Enter sends; other agents see it on this doctor's row."), style="dim"),
                id="report-message",
            )
        yield KeysFooter()

    def on_mount(self) -> None:
        self._show_kind()
        self.query_one("#report-note", Input).focus()

    # -- the kind -------------------------------------------------------------------------

    def _show_kind(self) -> None:
        self.query_one(KindList).highlighted = KINDS.index(self.kind)

    def action_kind(self, step: int) -> None:
        self.kind = KINDS[(KINDS.index(self.kind) + step) % len(KINDS)]
        self._show_kind()

    def on_key(self, event: events.Key) -> None:
        # A digit typed before the note has the focus (p, 3 in quick succession).
        if event.character in ("1", "2", "3", "4") and not self.query_one(NoteInput).value:
            event.stop()
            self.kind = KINDS[int(event.character) - 1]
            self._show_kind()

    @on(NoteInput.KindPicked)
    def _kind_picked(self, event: NoteInput.KindPicked) -> None:
        self.kind = KINDS[event.number - 1]
        self._show_kind()

    @on(OptionList.OptionSelected, "#report-kind")
    def _kind_clicked(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is None:  # every kind's option has its kind as id
            return
        self.kind = ReportKind(event.option.id)
        self._show_kind()
        self.query_one("#report-note", Input).focus()

    # -- sending --------------------------------------------------------------------------

    @on(Input.Submitted, "#report-note")
    def _note_entered(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_send()

    def action_send(self) -> None:
        if self._sending:
            return
        self._sending = True
        self.query_one("#report-message", Static).update(Text(_("Sending…"), style="dim"))
        self.send(self.kind, self.query_one("#report-note", Input).value)

    @work(exclusive=True, group="report", exit_on_error=False)
    async def send(self, kind: ReportKind, note: str) -> None:
        try:
            report: ProviderReport = await cast(ConsoleApp, self.app).desk.report_provider(
                self.entry.provider_id, kind, note
            )
        finally:
            self._sending = False
        self.dismiss(report)

    @on(Worker.StateChanged)
    def _send_failed(self, event: Worker.StateChanged) -> None:
        if event.state is not WorkerState.ERROR or event.worker.group != "report":
            return
        error = event.worker.error
        if isinstance(error, ApiRefused):  # say it here, where the agent is looking
            event.prevent_default()
            self.query_one("#report-message", Static).update(
                Text(_("Not sent: {reason}").format(reason=error.message), style="bold red")
            )
        else:
            self.query_one("#report-message", Static).update(
                Text(_("Not sent; press enter to try again."), style="bold red")
            )

    def action_back(self) -> None:
        self.dismiss(None)
