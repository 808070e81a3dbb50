"""Quitting: ``QuitConfirmation``, the one dialog that asks before the console closes.

ctrl+q quits at once when nothing would be left behind. Otherwise the app gathers the reasons
to ask (:class:`QuitReason`) and shows them in this dialog: writes still queued in the outbox
(how many, and what each is), a call not wrapped up yet, a slot held for the caller. ``w``
goes to the wrap-up, ``r`` lets the held slot go and quits (the call stays open: the next
start offers it for wrap-up), ``q`` quits anyway, ``escape`` stays, ``s`` tries to send the
queued writes now. The dialog redraws when the reasons change (the outbox empties while it is
open).

Quitting with writes still queued leaves one line on the terminal, how to send them
(:func:`sync_command`), and the console exits with status 1.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Label, Static

from console.client.writes.queue import QueuedWrite
from console.domain.calendar import format_datetime, format_time
from console.domain.models import Hold
from console.i18n import _, ngettext
from console.offline_wording import action_label, reference_text
from console.screens.base import DeskModal
from widgets.footer import KeysFooter

SHOWN_WRITES = 8  # queued writes listed by name; the rest are counted
EXIT_QUEUED = 1  # the console's exit status when it quits with writes still queued


@dataclass(frozen=True)
class QuitReason:
    """One reason to ask before quitting: a short ``title`` and the ``lines`` that explain it.
    ``kind`` names it (``queued``, ``call``, ``hold``)."""

    kind: str
    title: str
    lines: list[str] = field(default_factory=list)


def queued_write_text(write: QueuedWrite) -> str:
    """One queued write for a person: ``booking P-K7M 4PX R · Ana Novak · 12. 3. 2027 08:00,
    UE Center``."""
    parts = [action_label(write.kind)]
    if write.reference:
        parts[0] += " " + reference_text(write.reference)
    if write.caller:
        parts.append(write.caller)
    if write.starts_at is not None:
        parts.append(format_datetime(write.starts_at) + (f", {write.where}" if write.where else ""))
    return " · ".join(parts)


def queued_reason(writes: list[QueuedWrite], command: str) -> QuitReason | None:
    """The reason "writes are still queued" (None when none are)."""
    if not writes:
        return None
    count = len(writes)
    title = ngettext(
        "{count} write is not sent to the central system yet",
        "{count} writes are not sent to the central system yet",
        count,
    ).format(count=count)
    lines = [queued_write_text(write) for write in writes[:SHOWN_WRITES]]
    if count > SHOWN_WRITES:
        lines.append(_("… and {count} more").format(count=count - SHOWN_WRITES))
    lines.append("")
    lines.append(
        _(
            "They stay on this desk: sent when the console runs again and the central system "
            "answers, or now with: {command}"
        ).format(command=command)
    )
    return QuitReason("queued", title, lines)


def call_reason(caller: str | None, started_at: datetime | None, wrap_key: str) -> QuitReason:
    """The reason "a call is not wrapped up": who (``caller``; None: an anonymous call) and
    since when."""
    who = caller or _("anonymous caller")
    lines = [
        _("{caller}, since {time}").format(
            caller=who, time=format_time(started_at) if started_at is not None else "—"
        ),
        _(
            "{key} wraps it up now. Left open, it is offered for wrap-up when the console "
            "starts again."
        ).format(key=wrap_key),
    ]
    return QuitReason("call", _("A call is not wrapped up"), lines)


def hold_reason(hold: Hold) -> QuitReason:
    """The reason "a slot is held for the caller"."""
    slot = hold.slot
    lines = [
        f"{format_datetime(slot.starts_at)}, {slot.location_name} · {slot.provider_name}",
        _("Held until {time}: nobody else can book it meanwhile.").format(
            time=format_time(hold.expires_at)
        ),
    ]
    return QuitReason("hold", _("A slot is held for the caller"), lines)


def sync_command(
    server_url: str | None, *, config_file: str | None = None, token_flag: bool = False
) -> str:
    """The command that sends this desk's queued writes without the console: its service
    (``--server``, the configured ``[server] url``), its config file and, when the token was
    given only on the command line, where the token goes (never the token itself)."""
    words = ["agent-console"]
    if config_file:
        words += ["--config", config_file]
    if server_url:
        words += ["--server", server_url]
        if token_flag:
            words += ["--token", "TOKEN"]
    words.append("sync")
    return " ".join(words)


def quit_line(count: int, command: str) -> str:
    """The line left on the terminal after quitting with ``count`` writes queued."""
    return ngettext(
        "agent-console: {count} write was not sent to the central system; it stays queued on "
        "this desk. Send it with: {command}",
        "agent-console: {count} writes were not sent to the central system; they stay queued on "
        "this desk. Send them with: {command}",
        count,
    ).format(count=count, command=command)


WRAP_UP = "wrap_up"  # the dialog's answers besides True (quit) and False (stay)
RELEASE = "release"


class QuitConfirmation(DeskModal):
    """Asks before quitting, listing every reason to (:class:`QuitReason`); answers True to
    quit, :data:`WRAP_UP` to go to the wrap-up, :data:`RELEASE` to let the held slot go and
    quit, False to stay. ``reasons`` is called again whenever :meth:`refresh_reasons` is: the
    dialog shows what holds now."""

    BINDINGS = [
        Binding(
            "w",
            "wrap_up",
            "Wrap up",
            tooltip="Go to the wrap-up of the call in progress",
            id="quit.wrap_up",
        ),
        Binding(
            "r",
            "release",
            "Release and quit",
            tooltip="Let the held slot go and quit; the call stays open for later",
            id="quit.release",
        ),
        Binding(
            "q",
            "quit_anyway",
            "Quit anyway",
            tooltip="Quit; what is listed stays as it is",
            id="quit.anyway",
        ),
        Binding(
            "s",
            "send_now",
            "Send now",
            tooltip="Try to send the queued writes now",
            id="quit.send_now",
        ),
        Binding("escape", "stay", "Stay", tooltip="Back to the console", id="quit.stay"),
        Binding("ctrl+q", "quit_anyway", show=False, priority=True, id="quit.anyway_again"),
    ]

    def __init__(
        self,
        reasons: Callable[[], list[QuitReason]],
        *,
        send_now: Callable[[], None] | None = None,
    ) -> None:
        super().__init__()
        self._reasons = reasons
        self._send_now = send_now
        self.reasons = reasons()

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(_("Quit the console?"), classes="dialog-title")
            with VerticalScroll(id="quit-reasons"):
                yield Static(self._text(), id="quit-text")
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Wrap up"), variant="success", id="quit-wrap-up", compact=True)
                yield Button(_("Release and quit"), id="quit-release", compact=True)
                yield Button(_("Quit anyway"), variant="error", id="quit-anyway", compact=True)
                yield Button(_("Stay"), variant="primary", id="quit-stay", compact=True)
        yield KeysFooter()

    def on_mount(self) -> None:
        self._show_buttons()
        self.query_one("#quit-stay", Button).focus()

    def _kinds(self) -> set[str]:
        return {reason.kind for reason in self.reasons}

    def _show_buttons(self) -> None:
        kinds = self._kinds()
        self.query_one("#quit-wrap-up", Button).display = "call" in kinds
        self.query_one("#quit-release", Button).display = "hold" in kinds

    def _text(self) -> Text:
        text = Text()
        if not self.reasons:
            text.append(_("Nothing waits any more: q quits."), style="bold green")
            return text
        for index, reason in enumerate(self.reasons):
            if index:
                text.append("\n\n")
            text.append(reason.title, style="bold")
            for line in reason.lines:
                text.append("\n" + line)
        return text

    def refresh_reasons(self) -> None:
        """Ask again what holds now (e.g. the outbox emptied) and redraw."""
        self.reasons = self._reasons()
        if self.is_mounted:
            self.query_one("#quit-text", Static).update(self._text())
            self._show_buttons()
            self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "send_now":
            return self._send_now is not None and any(r.kind == "queued" for r in self.reasons)
        if action == "wrap_up":
            return "call" in self._kinds()
        if action == "release":  # only a held slot has something to release
            return "hold" in self._kinds()
        return True

    @on(Button.Pressed, "#quit-wrap-up")
    def action_wrap_up(self) -> None:
        if "call" in self._kinds():
            self.dismiss(WRAP_UP)

    @on(Button.Pressed, "#quit-release")
    def action_release(self) -> None:
        if "hold" in self._kinds():
            self.dismiss(RELEASE)

    @on(Button.Pressed, "#quit-anyway")
    def action_quit_anyway(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#quit-stay")
    def action_stay(self) -> None:
        self.dismiss(False)

    def action_send_now(self) -> None:
        if self._send_now is not None:
            self._send_now()
            self.notify(_("Trying to send the queued writes now…"), timeout=3)
