"""Bookings: confirm a held or free slot, cancel, and reschedule as one atomic supersede."""

from __future__ import annotations

from sqlalchemy import Connection, Row, insert, select, update
from sqlalchemy.exc import IntegrityError

from console.domain.errors import InvalidValue
from console.domain.models import Agent, Booking, BookingIn, BookingStatus, Role
from console.domain.reference import format_reference, new_reference, parse_reference
from console.server import audit, changes, clock, holds
from console.server.catalogue import get_location, get_service
from console.server.errors import conflict, forbidden, not_found, unprocessable
from console.server.schema import bookings, callers, slots
from console.server.slots import get_slot

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
        notes=row.notes,
        superseded_by=_reference_of(connection, row.superseded_by),
        replaces=_reference_of(connection, row.replaces),
    )


def get_row(connection: Connection, reference: str) -> Row:
    try:
        code = parse_reference(reference)
    except InvalidValue as exc:
        raise unprocessable(exc.message, "reference") from None
    row = connection.execute(select(bookings).where(bookings.c.reference == code)).first()
    if row is None:
        raise not_found("booking", format_reference(code))
    return row


def for_caller(connection: Connection, caller_id: int, include_past: bool) -> list[Booking]:
    query = select(bookings).where(bookings.c.caller_id == caller_id)
    if not include_past:
        query = query.where(
            bookings.c.slot_id.in_(select(slots.c.id).where(slots.c.starts_at >= clock.now()))
        )
    rows = connection.execute(query.order_by(bookings.c.created_at.desc()).limit(200)).all()
    found = [to_model(connection, row) for row in rows]
    return sorted(found, key=lambda b: b.slot.starts_at)


def _claim_slot(
    connection: Connection, agent: Agent, hold_id: int | None, slot_id: int | None
) -> Row:
    """Resolve what to book (a hold of this agent's, or a free slot) and lock that slot."""
    if (hold_id is None) == (slot_id is None):
        raise unprocessable("Send either hold_id or slot_id.", "hold_id")
    if hold_id is not None:
        hold = holds.get(connection, hold_id)
        if hold.agent_id != agent.id:
            raise conflict("hold_not_yours", "This hold belongs to another agent.")
        if hold.released_at is not None:
            raise conflict("hold_released", "This hold was released; hold the slot again.")
        if hold.expires_at <= clock.now():
            raise conflict(
                "hold_expired", "The hold expired and the slot may be taken; hold it again."
            )
        slot_id = hold.slot_id
    assert slot_id is not None
    slot = holds.lock_slot(connection, slot_id)
    holds.check_bookable(slot)
    other = holds.open_hold(connection, slot_id)
    if other is not None and other.agent_id != agent.id:
        raise holds.held_by_other(other)
    return slot


def _insert(
    connection: Connection,
    agent: Agent,
    slot: Row,
    caller_id: int,
    call_id: int | None,
    notes: str,
    idempotency_key: str | None,
    replaces: int | None = None,
) -> int:
    values = dict(
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
    for _attempt in range(5):
        try:
            with connection.begin_nested():
                booking_id = connection.execute(
                    insert(bookings)
                    .values(reference=new_reference(), **values)
                    .returning(bookings.c.id)
                ).scalar_one()
            break
        except IntegrityError as exc:
            if "reference" not in str(exc.orig).lower():
                raise  # the slot or the idempotency key: the caller decides what it means
    else:  # pragma: no cover - 5 collisions in 148 million codes
        raise conflict("reference_exhausted", "Could not draw a free booking reference.")
    updated = connection.execute(
        update(slots).where(slots.c.id == slot.id, slots.c.status == "free").values(status="booked")
    )
    if updated.rowcount != 1:
        raise conflict("slot_booked", "This slot was just booked by someone else; pick another.")
    holds.consume(connection, slot.id)
    return booking_id


def create(
    connection: Connection, agent: Agent, payload: BookingIn, idempotency_key: str | None
) -> Booking:
    if (
        connection.execute(select(callers.c.id).where(callers.c.id == payload.caller_id)).first()
        is None
    ):
        raise unprocessable(f"No caller {payload.caller_id}.", "caller_id", "caller_not_found")
    slot = _claim_slot(connection, agent, payload.hold_id, payload.slot_id)
    booking_id = _insert(
        connection,
        agent,
        slot,
        payload.caller_id,
        payload.call_id,
        payload.notes,
        idempotency_key,
    )
    row = connection.execute(select(bookings).where(bookings.c.id == booking_id)).one()
    audit.record(
        connection,
        agent,
        "create",
        "booking",
        booking_id,
        caller_id=payload.caller_id,
        call_id=payload.call_id,
        detail=row.reference,
    )
    booking = to_model(connection, row)
    changes.record_many(
        connection,
        [
            ("booking", booking_id, "created", _feed(row)),
            ("slot", slot.id, "booked", {"service_id": slot.service_id}),
        ],
        agent.id,
    )
    return booking


def _feed(row: Row) -> dict:
    return {
        "reference": row.reference,
        "caller_id": row.caller_id,
        "slot_id": row.slot_id,
        "status": row.status,
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
    connection: Connection, agent: Agent, reference: str, reason: str, call_id: int | None
) -> Booking:
    row = get_row(connection, reference)
    holds.lock_slot(connection, row.slot_id)
    _ensure_may_change(agent, row)
    now = clock.now()
    done = connection.execute(
        update(bookings)
        .where(bookings.c.id == row.id, bookings.c.status == "confirmed")
        .values(status="cancelled", cancelled_at=now, cancel_reason=reason or None)
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
        detail=reason,
    )
    updated = connection.execute(select(bookings).where(bookings.c.id == row.id)).one()
    booking = to_model(connection, updated)
    items = [("booking", row.id, "cancelled", _feed(updated))]
    if freed:
        items.append(("slot", row.slot_id, "freed", {"service_id": row.service_id}))
    changes.record_many(connection, items, agent.id)
    return booking


def reschedule(
    connection: Connection,
    agent: Agent,
    reference: str,
    hold_id: int | None,
    slot_id: int | None,
    call_id: int | None,
    idempotency_key: str | None,
) -> Booking:
    """Book the new slot and retire the old booking in one transaction: the old one ends as
    ``rescheduled`` pointing at its successor and can never become active again."""
    old = get_row(connection, reference)
    _ensure_may_change(agent, old)
    target = holds.get(connection, hold_id).slot_id if hold_id is not None else slot_id
    for locked in sorted({old.slot_id, target or old.slot_id}):  # one lock order: no deadlock
        holds.lock_slot(connection, locked)
    if target == old.slot_id:
        raise unprocessable("That is the slot already booked; pick a different one.", "slot_id")
    new_slot = _claim_slot(connection, agent, hold_id, slot_id)
    new_id = _insert(
        connection,
        agent,
        new_slot,
        old.caller_id,
        call_id or old.call_id,
        old.notes,
        idempotency_key,
        replaces=old.id,
    )
    done = connection.execute(
        update(bookings)
        .where(bookings.c.id == old.id, bookings.c.status == "confirmed")
        .values(status="rescheduled", superseded_by=new_id, cancelled_at=clock.now())
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
    return booking
