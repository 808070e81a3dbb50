"""Bookings: confirm a held or free slot, cancel, and reschedule as one atomic supersede."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, Row, Select, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import ReturningInsert

from console.domain.calendar import TZ
from console.domain.errors import InvalidValue
from console.domain.models import (
    Agent,
    Booking,
    BookingIn,
    BookingStatus,
    Location,
    Role,
    Service,
    Slot,
    SlotStatus,
)
from console.domain.reference import (
    PROVISIONAL_PREFIX,
    format_reference,
    new_reference,
    parse_provisional,
    parse_reference,
    provisional_problem,
)
from console.server import audit, calls, changes, clock, holds
from console.server.catalogue import get_location, get_service
from console.server.errors import conflict, forbidden, not_found, unprocessable
from console.server.messages import outbox
from console.server.messages.settings import MessageSettings
from console.server.schema import bookings, callers, locations, services, slots
from console.server.schema import holds as holds_table
from console.server.slots import SLOT_COLUMNS, SLOT_TABLES, get_slot

ACTIVE = ("confirmed", "no_show")


def _reference_of(connection: Connection, booking_id: int | None) -> str | None:
    if booking_id is None:
        return None
    return connection.execute(
        select(bookings.c.reference).where(bookings.c.id == booking_id)
    ).scalar()


def to_model(connection: Connection, row: Row) -> Booking:
    slot = get_slot(connection, row.slot_id)
    service = get_service(connection, row.service_id)
    assert slot is not None and service is not None
    location = get_location(connection, slot.location_id)
    assert location is not None
    return Booking(
        id=row.id,
        reference=row.reference,
        reference_display=format_reference(row.reference),
        status=BookingStatus(row.status),
        caller_id=row.caller_id,
        slot=slot,
        service=service,
        location=location,
        created_at=clock.from_db(row.created_at),
        created_by=row.created_by,
        call_id=row.call_id,
        cancel_call_id=row.cancel_call_id,
        notes=row.notes,
        superseded_by=_reference_of(connection, row.superseded_by),
        replaces=_reference_of(connection, row.replaces),
        provisional_reference=row.provisional_reference,
    )


def get_row(connection: Connection, reference: str) -> Row:
    """The booking with this reference, or with this provisional one (``P-…``: the alias a
    desk gave the caller while offline)."""
    provisional = parse_provisional(reference)
    if provisional is not None:
        return _by_provisional(connection, provisional)
    try:
        code = parse_reference(reference)
    except InvalidValue as exc:
        # P and a mistyped code: say what is wrong with the code, not that it is 8 long.
        message = provisional_problem(reference) or exc.message
        raise unprocessable(message, "reference") from None
    row = connection.execute(select(bookings).where(bookings.c.reference == code)).first()
    if row is None:
        raise not_found("booking", format_reference(code))
    return row


def _by_provisional(connection: Connection, provisional: str) -> Row:
    rows = connection.execute(
        select(bookings).where(bookings.c.provisional_reference == provisional).limit(2)
    ).all()
    shown = PROVISIONAL_PREFIX + format_reference(provisional[len(PROVISIONAL_PREFIX) :])
    if not rows:
        raise not_found("booking", shown)
    if len(rows) > 1:  # two desks drew the same code offline: the agent tells them apart
        raise conflict(
            "ambiguous_reference",
            f"More than one booking was given the provisional reference {shown}; look the "
            "caller up by name or phone instead.",
        )
    return rows[0]


def provisional_reference(value: str | None) -> str | None:
    """A provisional reference sent with a write, as stored (``P-K7M4PXR``); 422 if it is
    not one."""
    if value is None:
        return None
    found = parse_provisional(value)
    if found is None:
        raise unprocessable(
            "A provisional reference is P- and a 7-symbol booking reference, e.g. P-K7M 4PX R.",
            "provisional_reference",
        )
    return found


def keep_provisional(
    connection: Connection, agent: Agent, reference: str, provisional: str
) -> Booking:
    """Keep ``provisional`` (the reference a desk gave the caller offline) as an alias of the
    booking ``reference``: the desk's booking went online, but its answer never came. Doing
    it again changes nothing; a booking that keeps another one already refuses (409)."""
    code = provisional_reference(provisional)
    row = get_row(connection, reference)
    if row.created_by != agent.id and agent.role is not Role.ADMIN:
        raise forbidden("Only the agent who made a booking gives it its provisional reference.")
    if row.provisional_reference not in (None, code):
        raise conflict(
            "provisional_reference_set",
            f"Booking {format_reference(row.reference)} already keeps another provisional "
            "reference.",
        )
    if row.provisional_reference is None:
        connection.execute(
            update(bookings).where(bookings.c.id == row.id).values(provisional_reference=code)
        )
        audit.record(
            connection,
            agent,
            "update",
            "booking",
            row.id,
            caller_id=row.caller_id,
            detail=f"provisional reference {code}",
        )
        changes.record(
            connection,
            "booking",
            row.id,
            "updated",
            agent.id,
            {**_feed(row), "provisional_reference": code},
        )
        row = connection.execute(select(bookings).where(bookings.c.id == row.id)).one()
    return to_model(connection, row)


def for_caller(connection: Connection, caller_id: int, include_past: bool) -> list[Booking]:
    query = select(bookings).where(bookings.c.caller_id == caller_id)
    if not include_past:
        query = query.where(
            bookings.c.slot_id.in_(select(slots.c.id).where(slots.c.starts_at >= clock.now()))
        )
    rows = connection.execute(query.order_by(bookings.c.created_at.desc()).limit(200)).all()
    found = [to_model(connection, row) for row in rows]
    return sorted(found, key=lambda b: b.slot.starts_at)


def _claimed_columns() -> Select:
    """The slot with all a booking's answer needs (provider, location, service) and whether
    the caller (bound as ``caller``) exists: one statement, built once."""
    caller_found = select(callers.c.id).where(callers.c.id == bindparam("caller")).scalar_subquery()
    return (
        select(
            *SLOT_COLUMNS,
            locations.c.code.label("location_code"),
            locations.c.kind.label("location_kind"),
            locations.c.address,
            locations.c.postcode,
            locations.c.town,
            locations.c.municipality,
            locations.c.phone,
            locations.c.opening_hours,
            services.c.code.label("service_code"),
            services.c.name.label("service_name"),
            services.c.name_en.label("service_name_en"),
            services.c.category,
            services.c.duration_minutes,
            services.c.documents,
            services.c.documents_en,
            services.c.one_booking_per_caller,
            caller_found.label("caller_found"),
        )
        .select_from(SLOT_TABLES.join(services, services.c.id == slots.c.service_id))
        .where(slots.c.id == bindparam("slot"))
    )


_CLAIM = _claimed_columns()
_CLAIM_LOCKED = _CLAIM.with_for_update(of=slots)


def _lock_claimed(connection: Connection, slot_id: int, caller_id: int | None) -> Row | None:
    """Read and lock the slot to book (PostgreSQL row lock; SQLite's writers hold the database
    lock already), with everything the answer needs."""
    query = _CLAIM_LOCKED if connection.dialect.name == "postgresql" else _CLAIM
    return connection.execute(query, {"slot": slot_id, "caller": caller_id}).first()


def _no_caller(caller_id: int) -> Exception:
    return unprocessable(f"No caller {caller_id}.", "caller_id", "caller_not_found")


def _caller_exists(connection: Connection, caller_id: int) -> bool:
    return (
        connection.execute(select(callers.c.id).where(callers.c.id == caller_id)).first()
        is not None
    )


_CONSUME_HOLDS = (
    update(holds_table)
    .where(
        holds_table.c.slot_id == bindparam("slot"),
        holds_table.c.released_at.is_(None),
    )
    .values(released_at=bindparam("now"))
    .returning(holds_table.c.agent_id, holds_table.c.expires_at)
)


def _claim_slot(
    connection: Connection,
    agent: Agent,
    hold_id: int | None,
    slot_id: int | None,
    caller_id: int | None = None,
) -> Row:
    """Resolve what to book (a hold of this agent's, or a free slot), lock that slot, check the
    caller (when given) and close the slot's holds; refuse, with the reason, what cannot be
    booked. The answer has the slot with its provider, location and service."""
    if (hold_id is None) == (slot_id is None):
        if caller_id is not None and not _caller_exists(connection, caller_id):
            raise _no_caller(caller_id)
        raise unprocessable("Send either hold_id or slot_id.", "hold_id")
    hold = None
    if hold_id is not None:
        hold = connection.execute(select(holds_table).where(holds_table.c.id == hold_id)).first()
        if hold is None:
            if caller_id is not None and not _caller_exists(connection, caller_id):
                raise _no_caller(caller_id)
            raise not_found("hold", hold_id)
        slot_id = hold.slot_id
    assert slot_id is not None
    slot = _lock_claimed(connection, slot_id, caller_id)
    if caller_id is not None and (
        slot.caller_found is None if slot is not None else not _caller_exists(connection, caller_id)
    ):
        raise _no_caller(caller_id)
    now = clock.now()
    if hold is not None:
        if hold.agent_id != agent.id:
            raise conflict("hold_not_yours", "This hold belongs to another agent.")
        if hold.released_at is not None:
            raise conflict("hold_released", "This hold was released; hold the slot again.")
        if hold.expires_at <= now:
            raise conflict(
                "hold_expired", "The hold expired and the slot may be taken; hold it again."
            )
    if slot is None:
        raise not_found("slot", slot_id)
    holds.check_bookable(slot)
    # Close the slot's holds (the booking consumes them); refuse if another agent's is open.
    # This reads the holds after the slot's lock, so it sees a hold committed meanwhile; on a
    # refusal the transaction rolls back and the holds stay as they were.
    for other in connection.execute(_CONSUME_HOLDS, {"slot": slot.id, "now": now}):
        if other.agent_id != agent.id and other.expires_at > now:
            raise holds.held_by_other(other)
    return slot


def check_caller_bookings(
    connection: Connection,
    caller_id: int,
    slot: Row,
    *,
    allow_overlap: bool,
    moving: int | None = None,
) -> None:
    """Refuse (409 ``caller_has_booking``) a booking of ``slot`` for a caller who already has
    an active booking at an overlapping time (unless ``allow_overlap``), or any active booking
    of the slot's service when the service allows one per caller (never overridden: reschedule
    the one there is). ``moving``: the booking a reschedule retires, which does not count.
    The caller's row is locked first (PostgreSQL), so two desks booking for one caller at once
    are checked one after the other."""
    if connection.dialect.name == "postgresql":
        connection.execute(select(callers.c.id).where(callers.c.id == caller_id).with_for_update())
    one_only = bool(slot.one_booking_per_caller)
    overlapping = (slots.c.starts_at < slot.ends_at) & (slots.c.ends_at > slot.starts_at)
    clash = overlapping | (bookings.c.service_id == slot.service_id) if one_only else overlapping
    query = (
        select(
            bookings.c.reference,
            bookings.c.service_id,
            slots.c.starts_at,
            slots.c.ends_at,
        )
        .join(slots, slots.c.id == bookings.c.slot_id)
        .where(
            bookings.c.caller_id == caller_id,
            bookings.c.status == "confirmed",
            slots.c.ends_at > clock.now(),
            clash,
        )
        .order_by(slots.c.starts_at)
        .limit(5)
    )
    if moving is not None:
        query = query.where(bookings.c.id != moving)
    rows = connection.execute(query).all()
    same_service = [r for r in rows if one_only and r.service_id == slot.service_id]
    overlap = [r for r in rows if r.starts_at < slot.ends_at and r.ends_at > slot.starts_at]
    if same_service:
        raise conflict(
            "caller_has_booking",
            f"This service allows one active booking per caller, and the caller has "
            f"{_listed(same_service)}: reschedule that one instead.",
            "caller_id",
        )
    if overlap and not allow_overlap:
        raise conflict(
            "caller_has_booking",
            f"The caller already has {_listed(overlap)} at an overlapping time; send "
            '"allow_overlap": true to book anyway.',
            "allow_overlap",
        )


def _listed(rows: list[Row]) -> str:
    """``booking K7M 4PX R (3. 12. 2030 08:00)``, for a message."""
    shown = []
    for row in rows:
        starts = clock.from_db(row.starts_at)
        assert starts is not None
        local = starts.astimezone(TZ)
        when = f"{local.day}. {local.month}. {local.year} {local:%H:%M}"
        shown.append(f"booking {format_reference(row.reference)} ({when})")
    return ", ".join(shown)


def _insert_statement(dialect: str) -> ReturningInsert[Any]:
    """INSERT … RETURNING id that does nothing (and returns no row) when the drawn reference is
    taken: a collision is drawn again without a savepoint. Other conflicts (the slot's active
    booking, the idempotency key) still raise."""
    construct = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (
        construct(bookings)
        .on_conflict_do_nothing(index_elements=[bookings.c.reference])
        .returning(bookings.c.id)
    )


_INSERTS = {dialect: _insert_statement(dialect) for dialect in ("postgresql", "sqlite")}
_BOOK_SLOT = (
    update(slots)
    .where(slots.c.id == bindparam("slot"), slots.c.status == "free")
    .values(status="booked")
)


def _insert(
    connection: Connection,
    agent: Agent,
    slot: Row,
    caller_id: int,
    call_id: int | None,
    notes: str,
    idempotency_key: str | None,
    replaces: int | None = None,
    provisional: str | None = None,
) -> tuple[int, dict]:
    """Insert the booking and mark its slot booked: (id, the values stored)."""
    values = dict(
        provisional_reference=provisional,
        slot_id=slot.id,
        caller_id=caller_id,
        service_id=slot.service_id,
        status="confirmed",
        created_at=clock.now(),
        created_by=agent.id,
        call_id=call_id,
        notes=notes,
        replaces=replaces,
        idempotency_key=idempotency_key,
    )
    statement = _INSERTS[connection.dialect.name]
    for _attempt in range(5):
        values["reference"] = new_reference()
        booking_id = connection.execute(statement, values).scalar()
        if booking_id is not None:
            break
    else:  # pragma: no cover - 5 collisions in 148 million codes
        raise conflict("reference_exhausted", "Could not draw a free booking reference.")
    updated = connection.execute(_BOOK_SLOT, {"slot": slot.id})
    if updated.rowcount != 1:  # pragma: no cover - the slot is locked and was free
        raise conflict("slot_booked", "This slot was just booked by someone else; pick another.")
    values["id"] = booking_id
    return booking_id, values


def _booked(slot: Row, values: dict, replaces: str | None = None) -> Booking:
    """The answer for a booking just made, from what was stored and the claimed slot's row."""
    return Booking(
        id=values["id"],
        reference=values["reference"],
        reference_display=format_reference(values["reference"]),
        status=BookingStatus.CONFIRMED,
        caller_id=values["caller_id"],
        slot=Slot(
            id=slot.id,
            starts_at=clock.from_db(slot.starts_at),
            ends_at=clock.from_db(slot.ends_at),
            status=SlotStatus.BOOKED,
            service_id=slot.service_id,
            provider_id=slot.provider_id,
            provider_name=slot.provider_name,
            location_id=slot.location_id,
            location_name=slot.location_name,
            region=slot.region,
        ),
        service=Service(
            id=slot.service_id,
            code=slot.service_code,
            name=slot.service_name,
            name_en=slot.service_name_en,
            category=slot.category,
            duration_minutes=slot.duration_minutes,
            documents=json.loads(slot.documents),
            documents_en=json.loads(slot.documents_en),
        ),
        location=Location(
            id=slot.location_id,
            code=slot.location_code,
            name=slot.location_name,
            kind=slot.location_kind,
            address=slot.address,
            postcode=slot.postcode,
            town=slot.town,
            municipality=slot.municipality,
            region=slot.region,
            phone=slot.phone,
            opening_hours=slot.opening_hours,
        ),
        created_at=clock.from_db(values["created_at"]),
        created_by=values["created_by"],
        call_id=values["call_id"],
        notes=values["notes"],
        superseded_by=None,
        replaces=replaces,
        provisional_reference=values["provisional_reference"],
    )


def call_of(
    connection: Connection, agent: Agent, body_call_id: int | None, header_call_id: int | None
) -> int | None:
    """The call a write is made in: the body's ``call_id``, else ``X-Call-Id``; either must
    be a call of this agent's (422 ``call_not_found`` naming the one at fault)."""
    if body_call_id is not None:
        return calls.check_call(connection, agent, body_call_id, "call_id")
    return calls.check_call(connection, agent, header_call_id, "X-Call-Id")


def create(
    connection: Connection,
    agent: Agent,
    payload: BookingIn,
    idempotency_key: str | None,
    header_call_id: int | None = None,
    message_settings: MessageSettings | None = None,
) -> Booking:
    provisional = provisional_reference(payload.provisional_reference)
    slot = _claim_slot(connection, agent, payload.hold_id, payload.slot_id, payload.caller_id)
    call_id = call_of(connection, agent, payload.call_id, header_call_id)
    check_caller_bookings(connection, payload.caller_id, slot, allow_overlap=payload.allow_overlap)
    booking_id, values = _insert(
        connection,
        agent,
        slot,
        payload.caller_id,
        call_id,
        payload.notes,
        idempotency_key,
        provisional=provisional,
    )
    audit.record(
        connection,
        agent,
        "create",
        "booking",
        booking_id,
        caller_id=payload.caller_id,
        call_id=call_id,
        detail=values["reference"],
    )
    changes.record_many(
        connection,
        [
            ("booking", booking_id, "created", _feed(values)),
            ("slot", slot.id, "booked", {"service_id": slot.service_id}),
        ],
        agent.id,
    )
    booking = _booked(slot, values)
    # The confirmation and reminder, in this transaction (none when not wanted).
    booking.messages = outbox.booked(connection, message_settings, booking, notify=payload.notify)
    return booking


def _feed(row: Row | dict) -> dict:
    get = row.get if isinstance(row, dict) else row._mapping.get
    return {
        "reference": get("reference"),
        "caller_id": get("caller_id"),
        "slot_id": get("slot_id"),
        "status": get("status"),
    }


def _ensure_may_change(agent: Agent, row: Row) -> None:
    if row.status != "confirmed":
        when = row.cancelled_at.strftime("%d. %m. %Y") if row.cancelled_at else ""
        raise conflict(
            f"booking_{row.status}",
            f"Booking {format_reference(row.reference)} is {row.status.replace('_', '-')}"
            + (f" since {when}" if when else "")
            + "; it cannot be changed.",
        )
    if agent.role is Role.SUPERVISOR:  # pragma: no cover - routes refuse earlier
        raise forbidden("Supervisors have read-only access.")


def _free_slot(connection: Connection, slot_id: int) -> bool:
    """Give a slot back, unless it has already started."""
    result = connection.execute(
        update(slots)
        .where(slots.c.id == slot_id, slots.c.status == "booked", slots.c.starts_at > clock.now())
        .values(status="free")
    )
    return result.rowcount == 1


def cancel(
    connection: Connection,
    agent: Agent,
    reference: str,
    reason: str,
    call_id: int | None,
    header_call_id: int | None = None,
    message_settings: MessageSettings | None = None,
    notify: bool = True,
) -> Booking:
    """Cancel a confirmed booking. Any agent may cancel any agent's booking (a caller phones
    whichever line answers); the audit log records who did, and whose booking it was."""
    row = get_row(connection, reference)
    call_id = call_of(connection, agent, call_id, header_call_id)
    holds.lock_slot(connection, row.slot_id)
    row = get_row(connection, reference)  # as it is now that the slot is locked
    _ensure_may_change(agent, row)
    now = clock.now()
    done = connection.execute(
        update(bookings)
        .where(bookings.c.id == row.id, bookings.c.status == "confirmed")
        .values(
            status="cancelled",
            cancelled_at=now,
            cancel_reason=reason or None,
            cancelled_by=agent.id,
            cancel_call_id=call_id,
        )
    )
    if done.rowcount != 1:  # pragma: no cover - the slot lock makes this unreachable
        raise conflict("booking_changed", "The booking changed meanwhile; reload it.")
    freed = _free_slot(connection, row.slot_id)
    audit.record(
        connection,
        agent,
        "cancel",
        "booking",
        row.id,
        caller_id=row.caller_id,
        call_id=call_id,
        detail=_cancel_detail(row, agent, reason),
    )
    updated = connection.execute(select(bookings).where(bookings.c.id == row.id)).one()
    booking = to_model(connection, updated)
    items = [("booking", row.id, "cancelled", _feed(updated))]
    if freed:
        items.append(("slot", row.slot_id, "freed", {"service_id": row.service_id}))
    changes.record_many(connection, items, agent.id)
    booking.messages = outbox.cancelled(
        connection, message_settings, booking, replaces=row.replaces, notify=notify
    )
    return booking


def _cancel_detail(row: Row, agent: Agent, reason: str) -> str:
    """The audit log's note on a cancellation: the reference, whose booking it was when it was
    not this agent's, and the reason."""
    parts = [row.reference]
    if row.created_by != agent.id:
        parts.append(f"booked by agent {row.created_by}")
    if reason:
        parts.append(reason)
    return "; ".join(parts)


def reschedule(
    connection: Connection,
    agent: Agent,
    reference: str,
    hold_id: int | None,
    slot_id: int | None,
    call_id: int | None,
    idempotency_key: str | None,
    header_call_id: int | None = None,
    message_settings: MessageSettings | None = None,
    notify: bool = True,
    provisional: str | None = None,
    allow_overlap: bool = False,
) -> Booking:
    """Book the new slot and retire the old booking in one transaction: the old one ends as
    ``rescheduled`` pointing at its successor and can never become active again.
    ``provisional``: the reference the desk gave the caller for the new one while offline."""
    provisional = provisional_reference(provisional)
    old = get_row(connection, reference)
    call_id = call_of(connection, agent, call_id, header_call_id)
    _ensure_may_change(agent, old)
    target = holds.get(connection, hold_id).slot_id if hold_id is not None else slot_id
    for locked in sorted({old.slot_id, target or old.slot_id}):  # one lock order: no deadlock
        holds.lock_slot(connection, locked)
    if target == old.slot_id:
        raise unprocessable("That is the slot already booked; pick a different one.", "slot_id")
    new_slot = _claim_slot(connection, agent, hold_id, slot_id)
    check_caller_bookings(
        connection, old.caller_id, new_slot, allow_overlap=allow_overlap, moving=old.id
    )
    new_id, _ = _insert(
        connection,
        agent,
        new_slot,
        old.caller_id,
        call_id or old.call_id,
        old.notes,
        idempotency_key,
        replaces=old.id,
        provisional=provisional,
    )
    done = connection.execute(
        update(bookings)
        .where(bookings.c.id == old.id, bookings.c.status == "confirmed")
        .values(
            status="rescheduled",
            superseded_by=new_id,
            cancelled_at=clock.now(),
            cancelled_by=agent.id,
            cancel_call_id=call_id,
        )
    )
    if done.rowcount != 1:  # pragma: no cover - the slot lock makes this unreachable
        raise conflict("booking_changed", "The booking changed meanwhile; reload it.")
    freed = _free_slot(connection, old.slot_id)
    new_row = connection.execute(select(bookings).where(bookings.c.id == new_id)).one()
    audit.record(
        connection,
        agent,
        "reschedule",
        "booking",
        old.id,
        caller_id=old.caller_id,
        call_id=call_id,
        detail=f"{old.reference} -> {new_row.reference}",
    )
    booking = to_model(connection, new_row)
    old_row = connection.execute(select(bookings).where(bookings.c.id == old.id)).one()
    items = [
        ("booking", old.id, "rescheduled", _feed(old_row)),
        ("booking", new_id, "created", _feed(new_row)),
        ("slot", new_slot.id, "booked", {"service_id": new_slot.service_id}),
    ]
    if freed:
        items.append(("slot", old.slot_id, "freed", {"service_id": old.service_id}))
    changes.record_many(connection, items, agent.id)
    booking.messages = outbox.rescheduled(
        connection, message_settings, old.id, booking, notify=notify
    )
    return booking
