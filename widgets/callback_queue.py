"""The callback queue: one row per number to call back, in the queue's order (oldest first,
numbers that tried several times moved ahead), and the lines that describe one callback.

Columns: the number (formatted), the matched caller (one name; several: the first and how
many more; none: a new caller), how long it has waited, when it may be called (now, a time
today, or a day), our attempts of the maximum, the caller's calls that did not get through,
and where it came from. Times are counted from ``now``, which the screen gives (the widget
reads no clock).
"""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.binding import Binding
from textual.message import Message

from console.callback_wording import outcome_label
from console.domain.calendar import format_date, format_time, to_local
from console.domain.callbacks import Callback, CallbackSource, CallbackStatus
from console.domain.phone import format_phone
from console.i18n import _
from widgets.sized_table import SizedTable
from widgets.translated import translate_bindings

CALLER_WIDTH = 24  # a matched caller's column, at most


def wait_text(seconds: float) -> str:
    """``45 s``, ``12 min``, ``3 h 05``, ``2 d``: how long a number has waited."""
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} h {seconds % 3600 // 60:02d}"
    return _("{days} d").format(days=seconds // 86400)


def source_label(source: CallbackSource) -> str:
    labels = {
        CallbackSource.MISSED_CALL: _("missed call"),
        CallbackSource.AGENT_FOLLOW_UP: _("follow-up"),
        CallbackSource.SYNC_ISSUE: _("sync issue"),
    }
    return labels.get(source, source.value)


def number_text(callback: Callback) -> str:
    return format_phone(callback.number)


def caller_text(callback: Callback) -> str:
    """The matched caller: a name, ``Ana Kos +1`` (several), or ``new caller``."""
    names = [name for name in callback.caller_names if name]
    count = len(callback.caller_ids)
    if count == 0:
        return _("new caller")
    if not names:
        return _("callers: {count}").format(count=count)
    return names[0] if count == 1 else f"{names[0]} +{count - 1}"


def due_text(callback: Callback, now: datetime) -> str:
    """When it may be called: ``now``, ``14:30`` (today), ``tor 5. 3. 08:00``."""
    if callback.status == CallbackStatus.CLAIMED:
        return _("claimed")
    when = callback.callable_from
    if when is None:
        return "—"
    if when <= now:
        return _("now")
    local, today = to_local(when), to_local(now).date()
    if local.date() == today:
        return format_time(when)
    return f"{format_date(local.date())} {format_time(when)}"


def attempts_text(callback: Callback) -> str:
    return f"{callback.attempt_count}/{callback.max_attempts}"


class CallbackQueue(SizedTable):
    """The queue, keyed by callback id (``show(callbacks, now)``). Enter asks for the next due
    callback (:class:`ClaimNext`): which one is the central service's choice, not the row
    under the cursor."""

    BINDINGS = [
        Binding(
            "enter",
            "claim_next",
            "Claim next",
            id="callbacks.claim",
            tooltip="Claim the next due callback: call it now",
        ),
    ]

    class ClaimNext(Message):
        """Enter on the queue: claim the next due callback."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        translate_bindings(self)
        self.callbacks: list[Callback] = []

    def action_claim_next(self) -> None:
        self.post_message(self.ClaimNext())

    claimable = True  # the screen says: nothing is claimed, the agent may claim

    def on_mount(self) -> None:
        # The columns an agent needs most first: at 80 columns the last one may be cut.
        self.add_column(_("Number"), key="number")
        self.add_column(_("Caller"), key="caller")
        self.add_column(_("Waiting"), key="waiting")
        self.add_column(_("Callable"), key="due")
        self.add_column(_("Attempts"), key="attempts")
        self.add_column(_("Missed"), key="tries")
        self.add_column(_("Source"), key="source")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "claim_next":
            return self.claimable
        return True

    def show(self, callbacks: list[Callback], now: datetime) -> None:
        """Replace the rows (the cursor stays on the same callback when it is still there)."""
        current = self.highlighted_id
        self.callbacks = list(callbacks)
        self.clear()
        for callback in callbacks:
            mine = callback.status == CallbackStatus.CLAIMED
            caller = caller_text(callback)
            if len(caller) > CALLER_WIDTH:
                caller = caller[: CALLER_WIDTH - 1] + "…"
            self.add_row(
                Text(number_text(callback), style="bold"),
                Text(caller, style="dim" if not callback.caller_ids else ""),
                Text(wait_text((now - callback.waiting_since).total_seconds())),
                Text(due_text(callback, now), style="yellow" if mine else ""),
                Text(attempts_text(callback), justify="right"),
                Text(str(callback.tries), justify="right"),
                Text(source_label(callback.source), style="dim"),
                key=str(callback.id),
            )
        ids = [c.id for c in callbacks]
        if current in ids:
            self.move_cursor(row=ids.index(current), animate=False)

    @property
    def highlighted_id(self) -> int | None:
        if not self.callbacks or not 0 <= self.cursor_row < len(self.callbacks):
            return None
        return self.callbacks[self.cursor_row].id


def dial_text(callback: Callback, now: datetime) -> Text:
    """What the agent dials and why: the number, large and first; then where it came from, how
    long it waited, the tries and attempts, and the notes of earlier attempts."""
    text = Text()
    text.append(_("Call"), style="bold")
    text.append("  ")
    text.append(f" {number_text(callback)} ", style="bold reverse")
    text.append("\n")
    facts = [
        source_label(callback.source),
        _("waiting {time}").format(time=wait_text((now - callback.waiting_since).total_seconds())),
        _("missed calls: {count}").format(count=callback.tries),
        _("attempt {number} of {most}").format(
            number=callback.attempt_count + 1, most=callback.max_attempts
        ),
    ]
    text.append(" · ".join(facts), style="dim")
    if callback.note:
        text.append("\n" + _("Note: {note}").format(note=callback.note))
    for attempt in callback.attempts[-3:]:
        who = attempt.agent_name or ""
        when = f"{format_date(to_local(attempt.at).date())} {format_time(attempt.at)}"
        line = f"\n{when} {who}: {outcome_label(attempt.outcome.value)}"
        text.append(line + (f" — {attempt.note}" if attempt.note else ""), style="dim")
    return text
