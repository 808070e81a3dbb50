"""After an outage (F6): what the replay could not do by itself, and what it confirmed.

A booking made offline whose slot someone else took meanwhile, or a write the central system
refused, is never dropped: it waits here with the caller's name and phone until the agent
settles it. For a taken slot the nearest free slots are offered and ``r`` (or enter on one of
them) rebooks the caller there in one step; ``f`` puts a callback to the caller in the
central callbacks queue instead (kept for the agent, due in 15 minutes: the wrap-up's
follow-up of an outbound call makes it); ``d`` closes it with a note when
it was dealt with another way. Either way the record of the call the booking was made in says
what finally happened.

Below them, the bookings the replay confirmed: the caller was given a provisional reference
(``P-…``, which keeps finding the booking) and should have the real one too. ``f`` on one
queues a callback to read it out, ``t`` says the caller was told. (A caller with messages
switched on also gets the booking's confirmation, which carries the real reference.)
"""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, DataTable, Input, Label, Static

from console.client.api import ApiRefused, Unreachable
from console.client.confirmations import Confirmation
from console.client.issues import SyncIssue
from console.domain.calendar import format_time, to_local
from console.domain.models import Slot
from console.domain.phone import format_phone
from console.i18n import _
from console.messages import DeskChanged
from console.offline_wording import action_label, problem_text, reference_text
from console.screens.base import DeskModal, DeskScreen
from console.screens.booking_dialogs import BookedDialog
from console.screens.wording import fact_grid, refusal_text, when_text
from widgets.footer import KeysFooter
from widgets.sized_table import SizedTable
from widgets.slot_table import format_day
from widgets.translated import translate_bindings


def wanted_text(slot: Slot | None, *, where: bool = True) -> str:
    """``pon 4. 3. 2030 08:00``, and the location unless ``where`` is false."""
    if slot is None:
        return "—"
    local = to_local(slot.starts_at)
    when = f"{format_day(local.date())} {format_time(slot.starts_at)}"
    return f"{when}, {slot.location_name}" if where else when


def phone_text(issue: SyncIssue | Confirmation) -> str:
    return format_phone(issue.caller_phone) if issue.caller_phone else "—"


class IssueTable(SizedTable):
    """One row per open issue; the row key is the issue's id."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self._issues: dict[int, SyncIssue] = {}

    def on_mount(self) -> None:
        self.add_column(_("Caller"), key="caller")
        self.add_column(_("Phone"), key="phone")
        self.add_column(_("What"), key="what")
        self.add_column(_("Wanted slot"), key="wanted")
        self.add_column(_("Reference given"), key="reference")
        self.add_column(_("Problem"), key="problem")

    @property
    def issues(self) -> list[SyncIssue]:
        return list(self._issues.values())

    def show(self, issues: list[SyncIssue]) -> None:
        current = self.highlighted_issue()
        self.clear()
        self._issues = {issue.id: issue for issue in issues}
        for issue in issues:
            self.add_row(
                Text(issue.caller_name or "—", style="bold"),
                Text(phone_text(issue), style="bold"),
                Text(action_label(issue.action)),
                Text(wanted_text(issue.slot, where=False)),
                Text(reference_text(issue.reference) if issue.reference else "—", style="yellow"),
                Text(problem_text(issue), style="red"),
                key=str(issue.id),
            )
        if current is not None and current.id in self._issues:
            self.move_cursor(row=self.get_row_index(str(current.id)))

    def highlighted_issue(self) -> SyncIssue | None:
        if not self._issues or not 0 <= self.cursor_row < self.row_count:
            return None
        key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        return self._issues.get(int(key)) if key is not None else None


class NearestTable(SizedTable):
    """The free slots nearest to the one the caller wanted; enter rebooks there."""

    BINDINGS = [
        Binding(
            "enter",
            "select_cursor",
            "Rebook here",
            tooltip="Book this slot for the caller",
            id="sync.rebook_here",
        ),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        translate_bindings(self)
        self._slots: dict[int, Slot] = {}

    def on_mount(self) -> None:
        self.add_column(_("Day"), key="day")
        self.add_column(_("Time"), key="time")
        self.add_column(_("Location"), key="location")
        self.add_column(_("Provider"), key="provider")

    def show(self, slots: list[Slot]) -> None:
        self.clear()
        self._slots = {slot.id: slot for slot in slots}
        for slot in slots:
            local = to_local(slot.starts_at)
            self.add_row(
                Text(format_day(local.date())),
                Text(format_time(slot.starts_at), style="bold"),
                Text(slot.location_name),
                Text(slot.provider_name),
                key=str(slot.id),
            )

    @property
    def slots(self) -> list[Slot]:
        return list(self._slots.values())

    def highlighted_slot(self) -> Slot | None:
        if not self._slots or not 0 <= self.cursor_row < self.row_count:
            return None
        key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        return self._slots.get(int(key)) if key is not None else None


class ConfirmationTable(SizedTable):
    """Bookings the replay confirmed, whose callers were given a provisional reference; the
    row key is the confirmation's id."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self._confirmed: dict[int, Confirmation] = {}

    def on_mount(self) -> None:
        self.add_column(_("Caller"), key="caller")
        self.add_column(_("Phone"), key="phone")
        self.add_column(_("Given"), key="given")
        self.add_column(_("Confirmed as"), key="real")
        self.add_column(_("Slot"), key="slot")

    @property
    def confirmations(self) -> list[Confirmation]:
        return list(self._confirmed.values())

    def show(self, confirmations: list[Confirmation]) -> None:
        current = self.highlighted()
        self.clear()
        self._confirmed = {c.id: c for c in confirmations}
        for confirmation in confirmations:
            local = to_local(confirmation.starts_at)
            self.add_row(
                Text(confirmation.caller_name or "—", style="bold"),
                Text(phone_text(confirmation), style="bold"),
                Text(reference_text(confirmation.provisional), style="yellow"),
                Text(reference_text(confirmation.reference), style="bold green"),
                Text(f"{format_day(local.date())} {format_time(confirmation.starts_at)}"),
                key=str(confirmation.id),
            )
        if current is not None and current.id in self._confirmed:
            self.move_cursor(row=self.get_row_index(str(current.id)))

    def highlighted(self) -> Confirmation | None:
        if not self._confirmed or not 0 <= self.cursor_row < self.row_count:
            return None
        key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        return self._confirmed.get(int(key)) if key is not None else None


class IssueNoteDialog(DeskModal):
    """A note for a follow-up or for closing an issue; answers the note, or None."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", tooltip="Save with this note", id="sync_note.save"),
        Binding("f10", "save", show=False, id="sync_note.save_fallback"),
        Binding("escape", "back", "Back", tooltip="Leave the issue open", id="sync_note.back"),
    ]

    def __init__(
        self, title: str, issue: SyncIssue | Confirmation, label: str, note: str, hint: str
    ) -> None:
        super().__init__()
        self.title_text = title
        self.issue = issue
        self.label = label
        self.note = note
        self.hint = hint

    def compose(self) -> ComposeResult:
        issue = self.issue
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            rows: list[tuple[str, Text | str]] = [
                (_("Caller"), Text(issue.caller_name or "—", style="bold")),
                (_("Phone"), Text(phone_text(issue), style="bold")),
            ]
            if isinstance(issue, Confirmation):
                rows += [
                    (_("Given"), reference_text(issue.provisional)),
                    (_("Confirmed as"), Text(reference_text(issue.reference), style="bold")),
                ]
            else:
                rows += [
                    (_("Wanted slot"), wanted_text(issue.slot)),
                    (_("Problem"), problem_text(issue)),
                ]
            yield Static(fact_grid(rows), id="issue-facts")
            yield Label(self.label, classes="field-label")
            yield Input(self.note, max_length=1000, id="issue-note")
            yield Static(self.hint, id="issue-hint")
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Save"), variant="primary", id="issue-save", compact=True)
                yield Button(_("Back"), id="issue-back", compact=True)
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#issue-note", Input).focus()

    @on(Input.Submitted, "#issue-note")
    @on(Button.Pressed, "#issue-save")
    def action_save(self) -> None:
        note = self.query_one("#issue-note", Input).value.strip()
        if not note:
            self.query_one("#issue-hint", Static).update(
                Text(_("Write a short note first."), style="bold red")
            )
            return
        self.dismiss(note)

    @on(Button.Pressed, "#issue-back")
    def action_back(self) -> None:
        self.dismiss(None)


class SyncIssuesScreen(DeskScreen):
    """The open sync issues, oldest first, and the nearest free slots of the highlighted one."""

    BINDINGS = [
        Binding(
            "r",
            "rebook",
            "Rebook",
            id="sync.rebook",
            tooltip="Book the highlighted nearest free slot for the caller, in one step",
        ),
        Binding(
            "f",
            "follow_up",
            "Call back",
            id="sync.follow_up",
            tooltip="Put a callback to the caller in the callbacks queue, kept for you, due in "
            "15 minutes",
        ),
        Binding(
            "t",
            "told",
            "Told",
            id="sync.told",
            tooltip="The caller has the confirmed reference: take it off the list",
        ),
        Binding(
            "d",
            "dismiss_issue",
            "Close issue",
            id="sync.dismiss",
            tooltip="Close the issue with a note: it was dealt with another way",
        ),
        Binding(
            "ctrl+r",
            "refresh_nearest",
            "Nearest again",
            id="sync.refresh",
            tooltip="Look up the nearest free slots again (they go fast)",
            show=False,  # the line above the nearest slots names it
        ),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.busy = False
        self._shown: int | None = None  # the issue whose details are shown

    def compose_body(self) -> ComposeResult:
        yield Static("", id="sync-title")
        yield IssueTable(id="sync-issues")
        yield Static("", id="sync-detail")
        yield NearestTable(id="sync-nearest")
        yield Static("", id="confirmed-title")
        yield ConfirmationTable(id="sync-confirmed")
        yield Static("", id="sync-message")

    @property
    def issues_table(self) -> IssueTable:
        return self.query_one(IssueTable)

    @property
    def nearest_table(self) -> NearestTable:
        return self.query_one(NearestTable)

    @property
    def confirmed_table(self) -> ConfirmationTable:
        return self.query_one(ConfirmationTable)

    @property
    def issue(self) -> SyncIssue | None:
        return self.issues_table.highlighted_issue()

    @property
    def confirmation(self) -> Confirmation | None:
        """The highlighted confirmation, when the agent is on that list."""
        table = self.confirmed_table
        return table.highlighted() if self.focused is table else None

    def on_mount(self) -> None:
        self.load()
        if self.issues_table.row_count or not self.confirmed_table.row_count:
            self.issues_table.focus()
        else:
            self.confirmed_table.focus()

    def on_screen_resume(self) -> None:
        self.load()

    # -- showing --------------------------------------------------------------------------

    def load(self) -> None:
        """Read the open issues from the desk's cache (no network) and show them."""
        issues = self.desk.sync_issues() if self.desk is not None else []
        title = self.query_one("#sync-title", Static)
        if issues or self.desk.confirmations():
            title.update(
                Text.assemble(
                    (_("Sync issues: {count} open").format(count=len(issues)), "bold"),
                    "  ",
                    (
                        _("Not accepted after the outage: call each caller back."),
                        "dim",
                    ),
                )
            )
        else:
            title.update(
                Text(
                    _("No open sync issues: everything queued while offline was sent."),
                    style="bold green",
                )
            )
        self.issues_table.show(issues)
        self.issues_table.display = bool(issues)
        self._show_issue(self.issue)
        self._load_confirmed()
        self.refresh_bindings()

    def _load_confirmed(self) -> None:
        confirmed = self.desk.confirmations() if self.desk is not None else []
        table = self.confirmed_table
        focused = self.focused is table
        table.show(confirmed)
        table.display = bool(confirmed)
        title = self.query_one("#confirmed-title", Static)
        title.display = bool(confirmed)
        if confirmed:
            title.update(
                Text.assemble(
                    (_("Confirmed after the outage: {count}").format(count=len(confirmed)), "bold"),
                    "  ",
                    (
                        _(
                            "Each caller was given a provisional reference: give them the real "
                            "one (f records a callback, t: told)."
                        ),
                        "dim",
                    ),
                )
            )
        elif focused and self.issues_table.row_count:
            self.issues_table.focus()

    def _show_issue(self, issue: SyncIssue | None) -> None:
        detail = self.query_one("#sync-detail", Static)
        nearest = self.nearest_table
        self._shown = issue.id if issue is not None else None
        if issue is None:
            detail.update("")
            nearest.show([])
            nearest.display = False
            return
        line = Text()
        line.append(f"{issue.caller_name or '—'}  {phone_text(issue)}", style="bold")
        line.append("  —  " + action_label(issue.action) + ": " + problem_text(issue))
        if issue.reference:
            line.append(
                "  "
                + _("(the caller was given {reference})").format(
                    reference=reference_text(issue.reference)
                ),
                style="dim",
            )
        if issue.slot is not None:
            line.append("\n" + _("Wanted: {slot}").format(slot=wanted_text(issue.slot)))
        line.append("\n")
        if issue.kind == "slot_taken" and issue.nearest:
            line.append(
                _("Nearest free slots — r or enter books one for the caller, ctrl+r looks again:"),
                style="bold",
            )
        elif issue.kind == "slot_taken":
            line.append(
                _(
                    "No free slot near the one wanted is known: ctrl+r looks again, f records "
                    "a callback."
                ),
                style="bold yellow",
            )
        else:
            line.append(
                _("This cannot be rebooked: f records a callback, d closes it with a note."),
                style="dim",
            )
        detail.update(line)
        nearest.show(issue.nearest if issue.kind == "slot_taken" else [])
        nearest.display = bool(nearest.slots)

    def _say(self, text: str, style: str = "bold red") -> None:
        self.query_one("#sync-message", Static).update(Text(text, style=style))

    def on_descendant_focus(self) -> None:
        self.refresh_bindings()  # f acts on the list the agent is on; t only on confirmations

    @on(DataTable.RowHighlighted, "#sync-issues")
    def _issue_highlighted(self) -> None:
        issue = self.issue
        if issue is not None and issue.id != self._shown:  # another issue: last words go
            self._say("")
        self._show_issue(issue)
        self.refresh_bindings()

    @on(DataTable.RowSelected, "#sync-issues")
    def _issue_chosen(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if self.nearest_table.slots:
            self.nearest_table.focus()
        else:
            self.action_follow_up()

    @on(DataTable.RowSelected, "#sync-nearest")
    def _slot_chosen(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_rebook()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action not in ("rebook", "follow_up", "dismiss_issue", "refresh_nearest", "told"):
            return True
        desk = getattr(self.app, "desk", None)
        if desk is None or desk.read_only or not desk.works_offline:
            return False
        try:
            issue = self.issue
            confirmation = self.confirmation
        except Exception:  # not composed yet
            return False
        if confirmation is not None:  # on the confirmed list: f calls back, t says told
            return action in ("follow_up", "told")
        if action == "told" or issue is None:
            return False
        if action in ("rebook", "refresh_nearest"):
            return issue.kind == "slot_taken"
        return True

    # -- acting ---------------------------------------------------------------------------

    def action_rebook(self) -> None:
        issue = self.issue
        if issue is None or issue.kind != "slot_taken" or self.busy:
            return
        slot = self.nearest_table.highlighted_slot() if self.nearest_table.slots else None
        if slot is None:
            self._say(_("No free slot to offer: ctrl+r looks again, f records a callback."))
            return
        self.rebook(issue, slot)

    @work(exclusive=True, group="sync-rebook", exit_on_error=False)
    async def rebook(self, issue: SyncIssue, slot: Slot) -> None:
        self.busy = True
        self._say(_("Booking…"), style="bold")
        try:
            booking = await self.desk.rebook(issue, slot.id)
        except ApiRefused as error:
            if error.status != 409:
                raise
            why = refusal_text(error)
            self._say(why + " " + _("Looking up the nearest free slots again…"))
            await self._refresh(issue, why=why)
            return
        finally:
            self.busy = False
        self._say(
            _("Rebooked {name}: {when}, {reference}. Call them back on {phone}.").format(
                name=issue.caller_name,
                when=when_text(booking.slot),
                reference=booking.reference_display,
                phone=phone_text(issue),
            ),
            style="bold green",
        )
        self.post_message(DeskChanged())
        self.load()
        self.app.push_screen(BookedDialog(booking))

    def action_refresh_nearest(self) -> None:
        issue = self.issue
        if issue is not None and issue.kind == "slot_taken":
            self._say(_("Looking up the nearest free slots again…"), style="dim")
            self.refresh_nearest(issue)

    @work(exclusive=True, group="sync-nearest", exit_on_error=False)
    async def refresh_nearest(self, issue: SyncIssue) -> None:
        await self._refresh(issue)

    async def _refresh(self, issue: SyncIssue, *, why: str = "") -> None:
        """The nearest free slots again; ``why``: what made the agent's choice fail, kept in
        the message above the fresh list."""
        try:
            fresh = await self.desk.refresh_nearest(issue)
        except Unreachable:
            self._say(_("The central system is unreachable: the nearest slots cannot be checked."))
            return
        if self.issue is not None and self.issue.id == fresh.id:
            self.issues_table.show(
                [fresh if i.id == fresh.id else i for i in self.issues_table.issues]
            )
            self._show_issue(fresh)
            if not fresh.nearest:
                self._say(
                    (why + " " if why else "")
                    + _("No free slot near the one wanted: f records a callback.")
                )
            elif why:
                self._say(why + " " + _("The list is fresh: pick another slot."), style="bold")
            else:
                self._say("")

    def action_follow_up(self) -> None:
        if self.busy or not self.check_action("follow_up", ()):
            return
        confirmation = self.confirmation
        if confirmation is not None:
            self.read_out_later(confirmation)
            return
        issue = self.issue
        if issue is None:
            return
        default = _("Booking not confirmed after the outage: offer another time.")
        if issue.kind != "slot_taken":
            default = _("Not saved after the outage: call back and settle it.")
        dialog = IssueNoteDialog(
            _("Call {name} back instead").format(name=issue.caller_name or "—"),
            issue,
            _("Note for the callback"),
            default,
            _(
                "A callback goes into the callbacks queue (kept for you, due in 15 minutes); "
                "the issue is closed."
            ),
        )

        def answered(note: str | None) -> None:
            if note:
                self.follow_up(issue, note)

        self.app.push_screen(dialog, answered)

    @work(exclusive=True, group="sync-follow-up", exit_on_error=False)
    async def follow_up(self, issue: SyncIssue, note: str) -> None:
        self.busy = True
        try:
            await self.desk.to_follow_up(issue, note)
        finally:
            self.busy = False
        self._say(
            _(
                "Callback to {name} ({phone}) is in the callbacks queue, kept for you: due in "
                "15 minutes."
            ).format(name=issue.caller_name or "—", phone=phone_text(issue)),
            style="bold green",
        )
        self.post_message(DeskChanged())
        self.load()

    @work(exclusive=True, group="sync-read-out", exit_on_error=False)
    async def read_out_later(self, confirmation: Confirmation) -> None:
        """A callback to give the caller the confirmed reference (one key: f)."""
        # The wrap-up's follow-up makes a callback in the central queue (kept for this agent).
        self.busy = True
        try:
            await self.desk.read_out_later(confirmation)
        finally:
            self.busy = False
        self._say(
            _(
                "Callback to {name} ({phone}) is in the callbacks queue: read out {reference}, "
                "due in 15 minutes."
            ).format(
                name=confirmation.caller_name or "—",
                phone=phone_text(confirmation),
                reference=reference_text(confirmation.reference),
            ),
            style="bold green",
        )
        self.post_message(DeskChanged())
        self.load()

    def action_told(self) -> None:
        confirmation = self.confirmation
        if confirmation is None or self.busy:
            return
        self.desk.told(confirmation)
        self._say(
            _("{name} has the confirmed reference {reference}.").format(
                name=confirmation.caller_name or "—",
                reference=reference_text(confirmation.reference),
            ),
            style="bold green",
        )
        self.post_message(DeskChanged())
        self.load()

    def action_dismiss_issue(self) -> None:
        issue = self.issue
        if issue is None or self.busy or not self.check_action("dismiss_issue", ()):
            return
        dialog = IssueNoteDialog(
            _("Close this issue?"),
            issue,
            _("How was it settled?"),
            "",
            _("The issue is closed with your note; nothing is sent to the central system."),
        )

        def answered(note: str | None) -> None:
            if note:
                self.desk.dismiss(issue, note)
                self._say(_("Issue closed."), style="bold green")
                self.post_message(DeskChanged())
                self.load()

        self.app.push_screen(dialog, answered)
