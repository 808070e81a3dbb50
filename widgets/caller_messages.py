"""How the console words the messages a caller gets: the caller's channel and consent, each
message's kind, channel and status (queued, sent, failed with the server's reason), what a
booking will send where (or why nothing), and whether anything sends them at all.

Plain functions of the UI language, given their data (messages, the caller, a
:class:`console.desk_views.Delivery`); the caller card and the booking dialogs use them.
Times are shown in Europe/Ljubljana: the time alone for today, else the day and the time.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from rich.table import Table
from rich.text import Text

from console.desk_views import ELSEWHERE, MESSAGES_OFF, NO_SENDER, SENDING, WAITING, Delivery
from console.domain.calendar import format_date, to_local
from console.domain.models import (
    Caller,
    CallerMessage,
    MessageChannel,
    MessageKind,
    MessageStatus,
)
from console.domain.phone import format_phone
from console.i18n import _

# The service's reasons for a message made moot by a cancel or reschedule before anything
# about the booking went out (console/server/messages/outbox.py: CANCELLED_UNTOLD, ...).
UNTOLD = "before anything about it went out."
CANCELLED_UNTOLD = f"The booking was cancelled {UNTOLD}"

# A message still queued this long after it was due says that nothing seems to send it.
OVERDUE_AFTER = timedelta(minutes=2)

STATUS_STYLE = {
    MessageStatus.QUEUED: "yellow",
    MessageStatus.SENDING: "yellow",
    MessageStatus.SENT: "green",
    MessageStatus.FAILED: "bold red",
    MessageStatus.CANCELLED: "dim",
}


def now() -> datetime:
    """The current time (tests pin it)."""
    return datetime.now(UTC)


def kind_label(kind: MessageKind) -> str:
    labels = {
        MessageKind.BOOKED: _("confirmation"),
        MessageKind.RESCHEDULED: _("change"),
        MessageKind.CANCELLED: _("cancellation"),
        MessageKind.REMINDER: _("reminder"),
    }
    return labels.get(kind, str(kind))


def channel_label(channel: MessageChannel | str) -> str:
    labels = {
        MessageChannel.EMAIL: _("e-mail"),
        MessageChannel.SMS: "SMS",
        MessageChannel.NONE: _("none"),
    }
    return labels.get(MessageChannel(channel), str(channel))


def where_text(channel: MessageChannel | str, address: str | None) -> str:
    """``e-mail to ana@example.si``, ``SMS to 041 234 567``."""
    if not address:
        return channel_label(channel)
    if MessageChannel(channel) is MessageChannel.SMS:
        return _("SMS to {number}").format(number=format_phone(address))
    return _("e-mail to {address}").format(address=address)


def short_when(moment: datetime, today: date) -> str:
    """``10:42`` today, else ``7. 3. 10:00``."""
    local = to_local(moment)
    if local.date() == today:
        return f"{local:%H:%M}"
    return f"{local.day}. {local.month}. {local:%H:%M}"


def reason_text(reason: str | None) -> str:
    """The service's reason in the UI language where it is one the service writes itself; a
    mail server's or gateway's answer as it came."""
    text = (reason or "").strip()
    known = {
        "The booking was cancelled.": _("the booking was cancelled"),
        CANCELLED_UNTOLD: _("cancelled before the caller was told of it"),
        "The caller no longer wants messages.": _("the caller withdrew consent"),
        "The appointment has already begun.": _("the appointment has begun"),
        "The caller's card has no e-mail address.": _("no e-mail address on the card"),
        "The caller's card has no mobile number.": _("no mobile number on the card"),
    }
    if text in known:
        return known[text]
    if text.startswith("The booking was rescheduled to ") and text.endswith(UNTOLD):
        return _("the booking was moved before the caller was told of it")
    if text.startswith("The booking was rescheduled to "):
        return _("the booking was moved")
    return text


# What shows a message is refreshed when its next queued message is due (plus this), if that is
# within MESSAGES_LOOKAHEAD: a confirmation goes out seconds after the booking, a reminder days
# later.
MESSAGES_SETTLE = timedelta(seconds=3)
MESSAGES_LOOKAHEAD = timedelta(minutes=15)


def next_due(messages: Iterable[CallerMessage], now: datetime) -> datetime | None:
    """When the next of ``messages`` still queued is due, if soon; None: nothing to wait for
    (an overdue message is not waited for again: nothing seems to send it)."""
    due = [
        message.next_attempt_at or message.send_after
        for message in messages
        if message.status is MessageStatus.QUEUED
    ]
    soon = [when for when in due if now < when <= now + MESSAGES_LOOKAHEAD]
    return min(soon) if soon else None


def may_have_gone_out(message: CallerMessage) -> bool:
    """Whether a message has gone out or may have, as the service judges it when a booking is
    cancelled (``console.server.messages.outbox.TOLD``): sent, claimed, or tried before; not
    one the server refused at its first try."""
    if message.attempts <= 0:
        return False
    return not (message.status is MessageStatus.FAILED and message.attempts == 1)


def caller_may_know(
    messages: Sequence[CallerMessage], replaces: str | None, now: datetime
) -> bool | None:
    """Whether the caller may know of a booking, as the service judges it when it is cancelled
    (``console.server.messages.outbox.told``): then the cancel sends them the cancellation,
    else nothing. False only while its confirmation waits out the withdraw window (it has not
    gone out, and is due after ``now``); True once a message went out or may have, or the
    window has passed. None when the desk cannot tell: a booking with no confirmation of its
    own (made before the caller consented, or that replaced another: its age decides)."""
    if any(m.kind is MessageKind.RESCHEDULED or may_have_gone_out(m) for m in messages):
        return True  # a change goes out only where the caller may know of the booking
    confirmations = [m for m in messages if m.kind is MessageKind.BOOKED]
    if not confirmations:
        return None
    return all(m.send_after <= now for m in confirmations)


def untold_cancel_text(messages: Sequence[CallerMessage], today: date) -> str:
    """The cancel dialog, for a booking the caller has not been told of: cancelling it sends
    nothing, while its confirmation has not gone out."""
    waiting = [
        m for m in messages if m.kind is MessageKind.BOOKED and m.status is MessageStatus.QUEUED
    ]
    if waiting:
        due = waiting[0].next_attempt_at or waiting[0].send_after
        return _(
            "Its confirmation goes out {when}: cancelled before then, nothing is sent (the "
            "caller was never told of this booking)."
        ).format(when=short_when(due, today))
    return _("Nothing will be sent: the caller was never told about this booking.")


def cancel_outcome(messages: Sequence[CallerMessage]) -> str | None:
    """What a cancel sent the caller, from its answer: the cancellation and where, nothing
    because the caller was never told of the booking, or None (the usual reasons to send
    nothing are the dialog's)."""
    going = (MessageStatus.QUEUED, MessageStatus.SENDING, MessageStatus.SENT)
    for message in messages:
        if message.kind is MessageKind.CANCELLED and message.status in going:
            return _("The caller gets the cancellation: {where}.").format(
                where=where_text(message.channel, message.address)
            )
    if any((m.reason or "").strip().endswith(UNTOLD) for m in messages):
        return _("Nothing was sent: the caller was never told about this booking.")
    return None


def status_text(message: CallerMessage, today: date) -> Text:
    """What became of a message: ``goes out 10:42``, ``sent 10:42``, ``failed: 550 …``."""
    style = STATUS_STYLE.get(message.status, "")
    status = message.status
    if status is MessageStatus.QUEUED:
        due = message.next_attempt_at or message.send_after
        if message.attempts and message.reason:
            line = _("retry {when}: {reason}").format(
                when=short_when(due, today), reason=reason_text(message.reason)
            )
        else:
            line = _("goes out {when}").format(when=short_when(due, today))
    elif status is MessageStatus.SENDING:
        line = _("sending")
    elif status is MessageStatus.SENT:
        sent = message.sent_at or message.send_after
        line = _("sent {when}").format(when=short_when(sent, today))
    elif status is MessageStatus.FAILED:
        line = _("failed: {reason}").format(reason=reason_text(message.reason))
    elif (message.reason or "").strip() == "Switched off by the agent.":
        line = _("switched off")
    else:
        line = _("not sent: {reason}").format(reason=reason_text(message.reason))
    return Text(line, style=style)


def appointment_when(starts_at: datetime) -> str:
    """An appointment's day and time, short: ``7. 3. 08:00`` (every day, today's too, so that
    it is never taken for a message's own time)."""
    local = to_local(starts_at)
    return f"{local.day}. {local.month}. {local:%H:%M}"


def card_line(message: CallerMessage, today: date) -> Text:
    """One message on the caller card: ``confirmation, e-mail: sent 10:42``."""
    line = Text(f"{kind_label(message.kind)}, {channel_label(message.channel)}: ")
    line.append_text(status_text(message, today))
    return line


def card_table(
    messages: Sequence[CallerMessage], today: date, starts: dict[str, datetime]
) -> Table:
    """The caller card's messages, one row each, led by their booking's appointment
    (``7. 3. 08:00  confirmation, e-mail: sent 10:42``, from ``starts``: a booking's reference
    to when it starts) so that with several bookings the agent can tell which one's message
    failed; a long line wraps under its own column."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="dim", no_wrap=True)
    grid.add_column()
    for message in messages:
        start = starts.get(message.booking_reference)
        grid.add_row(appointment_when(start) if start else "", card_line(message, today))
    return grid


def dialog_lines(messages: Sequence[CallerMessage], today: date) -> list[Text]:
    """A booking's messages in a booking dialog, compact: where they go (once, when they all
    go to one address), then each one's kind and status::

        e-mail to ana@example.si
        confirmation: goes out 10:42 · reminder: goes out 7. 3. 10:00
    """
    if not messages:
        return []
    places = {(MessageChannel(m.channel), m.address) for m in messages}
    one_place = len(places) == 1
    lines: list[Text] = []
    if one_place:
        channel, address = next(iter(places))
        lines.append(Text(where_text(channel, address), style="bold"))
    statuses = Text()
    for index, message in enumerate(messages):
        if index:
            statuses.append(" · ")
        statuses.append(kind_label(message.kind))
        if not one_place:
            statuses.append(f" ({where_text(message.channel, message.address)})")
        statuses.append(": ")
        statuses.append_text(status_text(message, today))
    lines.append(statuses)
    return lines


def newest_first(messages: Sequence[CallerMessage]) -> list[CallerMessage]:
    """The newest event's first (a booking's confirmation before its reminder): the order
    the caller card lists them in."""
    return sorted(messages, key=lambda m: (-m.created_at.timestamp(), m.id))


def consent_text(caller: Caller) -> Text:
    """The caller card's line on messages: where they go and since when the caller agreed
    (``e-mail to ana@example.si · agreed 4. 3. 2030``), or why nothing goes."""
    since = format_date(caller.message_consent_at) if caller.message_consent_at else None
    channel = MessageChannel(caller.message_channel)
    if caller.message_consent and caller.message_address:
        # The e-mail address is on the line above: the channel says enough.
        shown = None if caller.message_address == caller.email else caller.message_address
        line = Text(where_text(channel, shown), style="bold")
        if since:
            line.append("  " + _("agreed {date}").format(date=since), style="dim")
        return line
    if caller.message_consent and channel is not MessageChannel.NONE:
        return Text(
            _("{channel}, but no address on the card").format(channel=channel_label(channel)),
            style="bold red",
        )
    if channel is MessageChannel.NONE:
        line = Text(_("none"))
    else:
        line = Text(_("{channel}, no consent").format(channel=channel_label(channel)))
    if since:
        line.append(
            "  "
            + (
                _("agreed {date}").format(date=since)
                if caller.message_consent
                else _("consent withdrawn {date}").format(date=since)
            ),
            style="dim",
        )
    return line


def why_nothing(caller: Caller | None, *, notify: bool, delivery: Delivery) -> str:
    """Why a booking, cancellation or change sends the caller nothing."""
    if not notify:
        return _("Nothing will be sent: switched off for this booking.")
    if delivery.state == MESSAGES_OFF:
        return _("Nothing will be sent: messages to callers are switched off.")
    if caller is None:
        return _("Nothing will be sent to the caller.")
    if not caller.message_consent:
        return _("Nothing will be sent: the caller has not agreed to messages.")
    if MessageChannel(caller.message_channel) is MessageChannel.NONE:
        return _("Nothing will be sent: the caller chose no messages.")
    if not caller.message_address:
        return _("Nothing will be sent: the caller's card has no address for messages.")
    # The caller agreed and has an address, and the service queued nothing: it writes none.
    return _("Nothing will be sent: messages to callers are switched off on the central system.")


def home_short(path: str) -> str:
    """``~/.local/share/agent-console/mailbox`` for a folder in the user's home."""
    home = str(Path.home())
    if home not in ("", "/") and (path == home or path.startswith(home + "/")):
        return "~" + path[len(home) :]
    return path


def delivery_note(messages: Sequence[CallerMessage], delivery: Delivery) -> Text | None:
    """When messages wait and nothing seems to send them, say so (and what to do); on the
    embedded demo sending to its own mail sink, where to read what went out."""
    going = (MessageStatus.QUEUED, MessageStatus.SENDING, MessageStatus.SENT)
    if delivery.state == SENDING and delivery.mailbox and any(m.status in going for m in messages):
        return Text(
            _("Demo: this console's own mail sink takes them; read them in {folder}").format(
                folder=home_short(delivery.mailbox)
            ),
            style="dim",
            overflow="fold",  # a long path folds over lines: never cut short
        )
    queued = [m for m in messages if m.status is MessageStatus.QUEUED]
    if not queued:
        return None
    if delivery.state == WAITING:
        return Text(
            _(
                "Not sending yet: the mail server at {server} does not answer "
                "(start agent-console mail-sink); the messages wait."
            ).format(server=delivery.server),
            style="bold yellow",
        )
    if delivery.state == NO_SENDER:
        return Text(
            _(
                "Nothing sends them from this console ([messages] sender = false): "
                "run agent-console send-messages."
            ),
            style="bold yellow",
        )
    if delivery.state == ELSEWHERE:
        late = now() - OVERDUE_AFTER
        if any((m.next_attempt_at or m.send_after) < late for m in queued):
            return Text(
                _("Overdue: the central system's sender may be stopped."), style="bold yellow"
            )
    return None
