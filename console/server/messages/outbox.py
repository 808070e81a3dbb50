"""The outbox: messages written in the same transaction as the booking, cancel or reschedule.

A write that commits has its messages; one that rolls back (a refusal, a retried idempotency
key) has none: exactly one message per event. A booking queues its confirmation (after
``delay_seconds``, so the agent can still withdraw it from the booked dialog) and its
reminder (on the working day before, see :mod:`.timing`); a reschedule queues one message for
the new booking and its reminder; a cancel queues one. Either makes the old booking's messages
that are still queued moot (status ``cancelled``): its reminder above all.

**Only what the caller may have heard of is changed or cancelled.** A cancel queues the
cancellation only when a message about the booking's chain (the booking and the ones it
rescheduled: one calendar UID) has gone out or may have: :data:`TOLD`. Cancelled within
``delay_seconds`` of the booking, before its confirmation went out, it queues none (a caller
must not read "cancelled" about a booking never confirmed to them, nor get a METHOD:CANCEL
for an event their calendar never had); the moot confirmation says why. Past that window the
caller has known of the booking since its call, message or not (booked before they consented,
or a confirmation the sender never got out): the cancellation goes. A reschedule the same
way: the new booking's message is a change (``rescheduled``) when the caller may have heard of
the old one, else a plain confirmation (``booked``). The UID and SEQUENCE stay those of the
chain either way: a calendar that never had the event takes the first REQUEST it gets as new
(RFC 5545 lets a SEQUENCE start anywhere), and one that had it sees the SEQUENCE grow.

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

from sqlalchemy import Connection, bindparam, func, select, text, update
from sqlalchemy.types import DateTime

from console.domain.calendar import TZ
from console.domain.models import CallerMessage, MessageCounts, MessageStatus
from console.server import clock
from console.server.messages.contact import SLOVENIAN_READERS
from console.server.messages.settings import MessageSettings
from console.server.messages.timing import reminder_due
from console.server.schema import bookings, messages

# The event's message (and its reminder) written straight from the caller's row, in one
# statement, one round trip: nothing when the caller has not consented or chose no channel; a
# failed row saying why when the channel has no address. The row says where it went and in
# which language (Slovenian for sl, hr, bs, sr; English otherwise: see contact.py).
_ADDRESS = (
    "CASE WHEN c.message_channel = 'email' THEN c.email ELSE (SELECT p.number FROM caller_phones "
    "p WHERE p.caller_id = c.id AND p.label = 'mobile' ORDER BY p.position LIMIT 1) END"
)
_SLOVENIAN = ", ".join(f"'{code}'" for code in sorted(SLOVENIAN_READERS))
_SELECT = (
    "SELECT :booking, c.id, {kind}, c.message_channel, {address}, "
    f"CASE WHEN c.language IN ({_SLOVENIAN}) THEN 'sl' ELSE 'en' END, "
    "CASE WHEN ({address}) IS NULL THEN 'failed' ELSE 'queued' END, "
    "{message_id}, :uid, {sequence}, :now, {due}, {due}, 0, "
    "CASE WHEN ({address}) IS NULL THEN CASE WHEN c.message_channel = 'email' "
    "THEN :no_email ELSE :no_mobile END END "
    "FROM callers c WHERE c.id = :caller AND c.message_consent AND c.message_channel <> 'none'"
)
_EVENT = _SELECT.format(
    kind=":kind", address=_ADDRESS, message_id=":message_id", sequence=":sequence", due=":due"
)
_REMINDER = (
    _SELECT.format(
        kind="'reminder'",
        address=_ADDRESS,
        message_id=":reminder_id",
        sequence=":reminder_sequence",
        due=":reminder_due",
    )
    + f" AND ({_ADDRESS}) IS NOT NULL"
)
_INSERT_SQL = (
    "INSERT INTO messages (booking_id, caller_id, kind, channel, address, language, status, "
    "message_id, ical_uid, ical_sequence, created_at, send_after, next_attempt_at, attempts, "
    "reason) {select} RETURNING id, kind, channel, address, status, message_id, send_after, "
    "reason"
)
_TYPES = [bindparam(name, type_=DateTime) for name in ("now", "due", "reminder_due")]
_INSERTS = {
    False: text(_INSERT_SQL.format(select=_EVENT)).bindparams(*_TYPES[:2]),
    True: text(_INSERT_SQL.format(select=f"{_EVENT} UNION ALL {_REMINDER}")).bindparams(*_TYPES),
}
NO_EMAIL = "The caller's card has no e-mail address."
NO_MOBILE = "The caller's card has no mobile number."
_MOOT = (
    update(messages)
    .where(messages.c.booking_id == bindparam("booking"), messages.c.status == "queued")
    .values(status="cancelled", reason=bindparam("why"), claimed_by=None, claimed_until=None)
)
MAX_CHAIN = 200  # reschedules followed back to the first booking, at most

# Why a message became moot (the console words the ones it knows: widgets/caller_messages.py).
CANCELLED = "The booking was cancelled."
CANCELLED_UNTOLD = "The booking was cancelled before anything about it went out."
RESCHEDULED = "The booking was rescheduled to {reference}."
RESCHEDULED_UNTOLD = "The booking was rescheduled to {reference} before anything about it went out."

# A message that has gone out or may have: sent; claimed (``sending``: it may be at the server
# now); or tried before (``attempts`` counts the sender's claims: a try that timed out, or a
# sender killed mid-send, may have reached the server even though the message was queued again,
# or moot since). A message refused at its first try (``failed`` after one attempt: a 5xx, or no
# address at send time) never reached the caller. In doubt the caller is told: a cancellation
# of a booking they may not know of is a nuisance; an event left in their calendar is worse.
TOLD = (messages.c.attempts > 0) & ~((messages.c.status == "failed") & (messages.c.attempts == 1))


def _chain(connection: Connection, reference: str, replaces: int | None) -> tuple[str, int]:
    """The first booking's reference of a booking's reschedule chain, and how many reschedules
    led to it: the calendar event's UID and SEQUENCE."""
    root, depth, _ids = _walk(connection, reference, replaces)
    return root, depth


def _walk(
    connection: Connection, reference: str, replaces: int | None
) -> tuple[str, int, list[int]]:
    """:func:`_chain`, and the ids of the bookings before this one in its chain."""
    root, depth, ids = reference, 0, []
    while replaces is not None and depth < MAX_CHAIN:
        ids.append(replaces)
        row = connection.execute(
            select(bookings.c.reference, bookings.c.replaces).where(bookings.c.id == replaces)
        ).one()
        root, replaces, depth = row.reference, row.replaces, depth + 1
    return root, depth, ids


def told(
    connection: Connection,
    booking_id: int,
    replaces: int | None,
    settings: MessageSettings | None = None,
) -> bool:
    """Whether the caller may know of this booking's chain (the booking and the ones it
    rescheduled): a message about it has gone out or may have (:data:`TOLD`), or the chain is
    older than the withdraw window (``delay_seconds``): the caller has known of it since the
    call it was made in, whether or not a message said so (booked before they consented, with
    messages switched off, or a confirmation the sender has not got out yet). Only a booking
    undone within that window, before anything about it went out, is unknown to them."""
    chain = [booking_id, *_walk(connection, "", replaces)[2]]  # the reference plays no part
    found = connection.execute(
        select(messages.c.id).where(messages.c.booking_id.in_(chain), TOLD).limit(1)
    ).first()
    if found is not None:
        return True
    window = timedelta(seconds=settings.delay_seconds if settings is not None else 0.0)
    first_made = connection.execute(
        select(func.min(bookings.c.created_at)).where(bookings.c.id.in_(chain))
    ).scalar_one()
    return first_made is not None and first_made <= clock.now() - window


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
    now = clock.now()
    root, depth = _chain(connection, reference, replaces)
    due = now + timedelta(seconds=settings.delay_seconds)
    params: dict[str, Any] = {
        "booking": booking_id,
        "caller": caller_id,
        "kind": kind,
        "uid": _uid(settings, root),
        "message_id": _message_id(settings, reference),
        "sequence": depth + (1 if kind == "cancelled" else 0),
        "now": now,
        "due": due,
        "no_email": NO_EMAIL,
        "no_mobile": NO_MOBILE,
    }
    remind_at = None
    if kind != "cancelled":
        starts = clock.to_db(starts_at)
        remind_at = reminder_due(starts, settings.reminder_days_before, settings.reminder_time)
        if remind_at is not None and not due < remind_at < starts:
            remind_at = None
    if remind_at is not None:
        params.update(
            reminder_id=_message_id(settings, reference),
            reminder_sequence=depth,
            reminder_due=remind_at,
        )
    rows = connection.execute(_INSERTS[remind_at is not None], params).all()
    found = [
        CallerMessage(
            id=row.id,
            booking_reference=reference,
            kind=row.kind,
            channel=row.channel,
            address=row.address,
            status=row.status,
            reason=row.reason,
            attempts=0,
            send_after=clock.from_db(row.send_after),
            next_attempt_at=clock.from_db(row.send_after) if row.status == "queued" else None,
            created_at=clock.from_db(now),
            message_id=row.message_id,
        )
        for row in rows
    ]
    return sorted(found, key=lambda message: message.id)


def moot(connection: Connection, booking_id: int, why: str) -> int:
    """Withdraw a booking's messages that have not gone out yet (a claimed one may be on its
    way: it is left to finish). Returns how many."""
    return connection.execute(_MOOT, {"booking": booking_id, "why": why}).rowcount


def booked(
    connection: Connection,
    settings: MessageSettings | None,
    booking: Any,
    *,
    notify: bool = True,
) -> list[CallerMessage]:
    """The messages of a new booking (a reschedule's: :func:`rescheduled`)."""
    return _queue_about(connection, settings, "booked", booking, notify=notify)


def _queue_about(
    connection: Connection,
    settings: MessageSettings | None,
    kind: str,
    booking: Any,
    *,
    replaces: int | None = None,
    notify: bool = True,
) -> list[CallerMessage]:
    """:func:`queue` the messages of an event (``kind``) about ``booking`` (a row with its
    ``slot``)."""
    return queue(
        connection,
        settings,
        kind=kind,
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
    """The old booking's pending messages made moot, the new one's queued: a change
    (``rescheduled``) when the caller may have heard of the old booking (:func:`told`), else a
    plain confirmation (``booked``), in the chain's calendar UID and SEQUENCE all the same."""
    old_replaces = connection.execute(
        select(bookings.c.replaces).where(bookings.c.id == old_id)
    ).scalar_one()
    heard = told(connection, old_id, old_replaces, settings)
    why = RESCHEDULED if heard else RESCHEDULED_UNTOLD
    moot(connection, old_id, why.format(reference=booking.reference))
    kind = "rescheduled" if heard else "booked"
    return _queue_about(connection, settings, kind, booking, replaces=old_id, notify=notify)


def cancelled(
    connection: Connection,
    settings: MessageSettings | None,
    booking: Any,
    *,
    replaces: int | None,
    notify: bool = True,
) -> list[CallerMessage]:
    """The booking's pending messages made moot and, when the caller may have heard of the
    booking (:func:`told`), its cancellation queued; none when they never did (its
    confirmation had not gone out yet). Returns all the booking's messages: what became of
    each, and the cancellation if one was queued."""
    heard = told(connection, booking.id, replaces, settings)
    moot(connection, booking.id, CANCELLED if heard else CANCELLED_UNTOLD)
    if heard:
        _queue_about(connection, settings, "cancelled", booking, replaces=replaces, notify=notify)
    return for_bookings(connection, [booking.id]).get(booking.id, [])


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
    """A caller's newest messages, newest first (found through the caller's bookings)."""
    rows = connection.execute(
        _LISTED.where(bookings.c.caller_id == caller_id, messages.c.caller_id == caller_id)
        .order_by(messages.c.id.desc())
        .limit(limit)
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
