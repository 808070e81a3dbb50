"""The outbox: messages written in the same transaction as the booking, cancel or reschedule.

A write that commits has its messages; one that rolls back (a refusal, a retried idempotency
key) has none: exactly one message per event. A booking queues its confirmation (after
``delay_seconds``, so the agent can still withdraw it from the booked dialog) and its
reminder (on the working day before, see :mod:`.timing`); a reschedule queues one message for
the new booking and its reminder; a cancel queues one. Either makes the old booking's messages
that are still queued moot (status ``cancelled``): its reminder above all.

Nothing is written when messages are off (``[messages] enabled``), the agent switched them off
for this write (``notify: false``), the caller has not consented or chose no channel. A caller
whose chosen channel has no address (the e-mail was removed meanwhile) gets a ``failed`` row
saying so, visible on the card.

The calendar invitation's UID is the same for a booking and every booking that replaced it
(the first one's reference), and its SEQUENCE counts the reschedules (a cancel adds one), so a
calendar moves or removes the one event.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, select, text, update

from console.domain.calendar import TZ
from console.domain.models import CallerMessage, MessageCounts, MessageStatus
from console.server import clock
from console.server.messages.contact import message_language
from console.server.messages.settings import MessageSettings
from console.server.messages.timing import reminder_due
from console.server.schema import bookings, messages

# The caller's contact in one statement: channel, consent, e-mail, language, first mobile.
_CONTACT = text(
    "SELECT c.message_channel, c.message_consent, c.email, c.language, "
    "(SELECT p.number FROM caller_phones p WHERE p.caller_id = c.id AND p.label = 'mobile' "
    "ORDER BY p.position LIMIT 1) AS mobile FROM callers c WHERE c.id = :caller"
)
_INSERT_RETURNING = insert(messages).returning(messages.c.id, sort_by_parameter_order=True)
_MOOT = (
    update(messages)
    .where(messages.c.booking_id == bindparam("booking"), messages.c.status == "queued")
    .values(status="cancelled", reason=bindparam("why"), claimed_by=None, claimed_until=None)
)
MAX_CHAIN = 200  # reschedules followed back to the first booking, at most


def _chain(connection: Connection, reference: str, replaces: int | None) -> tuple[str, int]:
    """The first booking's reference of a booking's reschedule chain, and how many reschedules
    led to it: the calendar event's UID and SEQUENCE."""
    root, depth = reference, 0
    while replaces is not None and depth < MAX_CHAIN:
        row = connection.execute(
            select(bookings.c.reference, bookings.c.replaces).where(bookings.c.id == replaces)
        ).one()
        root, replaces, depth = row.reference, row.replaces, depth + 1
    return root, depth


def _uid(settings: MessageSettings, root: str) -> str:
    return f"booking-{root}@{settings.id_domain}"


def _message_id(settings: MessageSettings, reference: str) -> str:
    return f"<{uuid.uuid4().hex}.{reference}@{settings.id_domain}>"


def queue(
    connection: Connection,
    settings: MessageSettings | None,
    *,
    kind: str,
    booking_id: int,
    reference: str,
    caller_id: int,
    starts_at: datetime,
    replaces: int | None = None,
    notify: bool = True,
) -> list[CallerMessage]:
    """Write the messages of one event (``kind``: booked, rescheduled, cancelled) in the
    caller's transaction; return them as the API shows them (none: nothing to send)."""
    if settings is None or not settings.enabled or not notify:
        return []
    contact = connection.execute(_CONTACT, {"caller": caller_id}).first()
    if contact is None or not contact.message_consent or contact.message_channel == "none":
        return []
    channel = contact.message_channel
    address = contact.email if channel == "email" else contact.mobile
    now = clock.now()
    root, depth = _chain(connection, reference, replaces)
    due = now + timedelta(seconds=settings.delay_seconds)
    base = {
        "booking_id": booking_id,
        "caller_id": caller_id,
        "channel": channel,
        "address": address,
        "language": message_language(contact.language),
        "ical_uid": _uid(settings, root),
        "created_at": now,
        "attempts": 0,
    }
    rows = [
        {
            **base,
            "kind": kind,
            "message_id": _message_id(settings, reference),
            "ical_sequence": depth + (1 if kind == "cancelled" else 0),
            "send_after": due,
            "next_attempt_at": due,
            "status": "queued" if address else "failed",
            "reason": None if address else _no_address(channel),
        }
    ]
    if kind != "cancelled" and address:
        remind_at = reminder_due(
            clock.to_db(starts_at), settings.reminder_days_before, settings.reminder_time
        )
        if remind_at is not None and due < remind_at < clock.to_db(starts_at):
            rows.append(
                {
                    **base,
                    "kind": "reminder",
                    "message_id": _message_id(settings, reference),
                    "ical_sequence": depth,
                    "send_after": remind_at,
                    "next_attempt_at": remind_at,
                    "status": "queued",
                    "reason": None,
                }
            )
    ids = connection.execute(_INSERT_RETURNING, rows).scalars().all()
    return [
        _model({**row, "id": ident, "sent_at": None}, reference)
        for row, ident in zip(rows, ids, strict=True)
    ]


def _no_address(channel: str) -> str:
    if channel == "email":
        return "The caller's card has no e-mail address."
    return "The caller's card has no mobile number."


def moot(connection: Connection, booking_id: int, why: str) -> int:
    """Withdraw a booking's messages that have not gone out yet (a claimed one may be on its
    way: it is left to finish). Returns how many."""
    return connection.execute(_MOOT, {"booking": booking_id, "why": why}).rowcount


def booked(
    connection: Connection,
    settings: MessageSettings | None,
    booking: Any,
    *,
    replaces: int | None = None,
    notify: bool = True,
) -> list[CallerMessage]:
    """The messages of a new booking (``replaces``: the booking it reschedules)."""
    return queue(
        connection,
        settings,
        kind="booked" if replaces is None else "rescheduled",
        booking_id=booking.id,
        reference=booking.reference,
        caller_id=booking.caller_id,
        starts_at=booking.slot.starts_at,
        replaces=replaces,
        notify=notify,
    )


def rescheduled(
    connection: Connection,
    settings: MessageSettings | None,
    old_id: int,
    booking: Any,
    *,
    notify: bool = True,
) -> list[CallerMessage]:
    """The old booking's pending messages made moot, the new one's queued."""
    moot(connection, old_id, f"The booking was rescheduled to {booking.reference}.")
    return booked(connection, settings, booking, replaces=old_id, notify=notify)


def cancelled(
    connection: Connection,
    settings: MessageSettings | None,
    booking: Any,
    *,
    replaces: int | None,
    notify: bool = True,
) -> list[CallerMessage]:
    moot(connection, booking.id, "The booking was cancelled.")
    return queue(
        connection,
        settings,
        kind="cancelled",
        booking_id=booking.id,
        reference=booking.reference,
        caller_id=booking.caller_id,
        starts_at=booking.slot.starts_at,
        replaces=replaces,
        notify=notify,
    )


# --- reading ------------------------------------------------------------------------------

_LISTED = select(messages, bookings.c.reference).join(
    bookings, bookings.c.id == messages.c.booking_id
)


def _model(row: Any, reference: str) -> CallerMessage:
    get = row.get if isinstance(row, dict) else row._mapping.get
    status = get("status")
    return CallerMessage(
        id=get("id"),
        booking_reference=reference,
        kind=get("kind"),
        channel=get("channel"),
        address=get("address"),
        status=status,
        reason=get("reason"),
        attempts=get("attempts") or 0,
        send_after=clock.from_db(get("send_after")),
        next_attempt_at=clock.from_db(get("next_attempt_at")) if status == "queued" else None,
        sent_at=clock.from_db(get("sent_at")),
        created_at=clock.from_db(get("created_at")),
        message_id=get("message_id"),
    )


def for_caller(connection: Connection, caller_id: int, limit: int = 100) -> list[CallerMessage]:
    """A caller's newest messages, newest first."""
    rows = connection.execute(
        _LISTED.where(messages.c.caller_id == caller_id).order_by(messages.c.id.desc()).limit(limit)
    )
    return [_model(row, row.reference) for row in rows]


def for_bookings(connection: Connection, booking_ids: Iterable[int]) -> dict[int, list]:
    """The messages of each of these bookings, oldest first, in one statement."""
    ids = list(booking_ids)
    found: dict[int, list[CallerMessage]] = defaultdict(list)
    if not ids:
        return found
    rows = connection.execute(_LISTED.where(messages.c.booking_id.in_(ids)).order_by(messages.c.id))
    for row in rows:
        found[row.booking_id].append(_model(row, row.reference))
    return found


def attach(connection: Connection, found: list) -> list:
    """Fill each booking's ``messages`` (one statement for the whole list)."""
    by_booking = for_bookings(connection, [booking.id for booking in found])
    for booking in found:
        booking.messages = by_booking.get(booking.id, [])
    return found


def withdraw(connection: Connection, booking_id: int) -> int:
    """The agent switched messages off for this booking after it was made: its messages that
    are still queued are withdrawn."""
    return moot(connection, booking_id, "Switched off by the agent.")


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """A Europe/Ljubljana day as naive UTC bounds [start, end)."""
    start = datetime.combine(day, time(0), tzinfo=TZ).astimezone(UTC).replace(tzinfo=None)
    after = day + timedelta(days=1)
    end = datetime.combine(after, time(0), tzinfo=TZ).astimezone(UTC).replace(tzinfo=None)
    return start, end


def counts_for_day(connection: Connection, day: date | None = None) -> MessageCounts:
    """Messages due on ``day`` (default: today in Europe/Ljubljana) by status: what the floor
    shows. A message counts on the day it was to go out (a reminder on its day, not on the
    booking's), whatever its retries."""
    if day is None:
        day = clock.from_db(clock.now()).astimezone(TZ).date()
    start, end = day_bounds(day)
    rows = connection.execute(
        select(messages.c.status, func.count())
        .where(messages.c.send_after >= start, messages.c.send_after < end)
        .group_by(messages.c.status)
    )
    counts = {str(status): int(number) for status, number in rows}
    return MessageCounts(day=day, **{s.value: counts.get(s.value, 0) for s in MessageStatus})
