"""Holds: a short lease on a free slot by one agent while the caller decides."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Connection, Row, and_, insert, select, update
from sqlalchemy.exc import IntegrityError

from console.domain.calendar import format_time
from console.domain.models import Agent, Hold, Role
from console.server import changes, clock
from console.server.errors import conflict, forbidden, not_found
from console.server.schema import holds, slots
from console.server.slots import get_slot


def lock_slot(connection: Connection, slot_id: int) -> Row:
    """Read a slot row and lock it for the rest of the transaction (PostgreSQL row lock;
    SQLite's writers hold the database lock already)."""
    query = select(slots).where(slots.c.id == slot_id)
    if connection.dialect.name == "postgresql":
        query = query.with_for_update()
    row = connection.execute(query).first()
    if row is None:
        raise not_found("slot", slot_id)
    return row


def check_bookable(slot: Row) -> None:
    """Refuse, with the reason, a slot that cannot be held or booked now."""
    if slot.status == "booked":
        raise conflict("slot_booked", "This slot was just booked by someone else; pick another.")
    if slot.status == "blocked":
        raise conflict("slot_blocked", "This slot is blocked by the office; pick another.")
    if slot.starts_at <= clock.now():
        raise conflict("slot_past", "This slot has already started; pick a later one.")


def sweep_expired(connection: Connection, slot_id: int) -> None:
    connection.execute(
        update(holds)
        .where(
            holds.c.slot_id == slot_id,
            holds.c.released_at.is_(None),
            holds.c.expires_at <= clock.now(),
        )
        .values(released_at=holds.c.expires_at)
    )


def open_hold(connection: Connection, slot_id: int) -> Row | None:
    return connection.execute(
        select(holds).where(
            and_(
                holds.c.slot_id == slot_id,
                holds.c.released_at.is_(None),
                holds.c.expires_at > clock.now(),
            )
        )
    ).first()


def held_by_other(hold: Row) -> Exception:
    until = format_time(clock.from_db(hold.expires_at))
    return conflict(
        "slot_held",
        f"Another agent is holding this slot until {until}; pick another or try again then.",
    )


def _to_model(connection: Connection, row: Row) -> Hold:
    slot = get_slot(connection, row.slot_id)
    assert slot is not None
    return Hold(
        id=row.id,
        slot_id=row.slot_id,
        agent_id=row.agent_id,
        expires_at=clock.from_db(row.expires_at),
        slot=slot,
    )


def create(connection: Connection, agent: Agent, slot_id: int, minutes: float) -> Hold:
    slot = lock_slot(connection, slot_id)
    check_bookable(slot)
    sweep_expired(connection, slot_id)
    now = clock.now()
    expires = now + timedelta(minutes=minutes)
    current = open_hold(connection, slot_id)
    if current is not None:
        if current.agent_id != agent.id:
            raise held_by_other(current)
        connection.execute(update(holds).where(holds.c.id == current.id).values(expires_at=expires))
        hold_id = current.id
    else:
        try:
            with connection.begin_nested():
                hold_id = connection.execute(
                    insert(holds)
                    .values(slot_id=slot_id, agent_id=agent.id, created_at=now, expires_at=expires)
                    .returning(holds.c.id)
                ).scalar_one()
        except IntegrityError:
            other = open_hold(connection, slot_id)
            raise (
                held_by_other(other)
                if other
                else conflict("slot_held", "Another agent is holding this slot; pick another.")
            ) from None
    row = connection.execute(select(holds).where(holds.c.id == hold_id)).one()
    result = _to_model(connection, row)
    changes.record(
        connection,
        "slot",
        slot_id,
        "held",
        agent.id,
        {"until": expires.isoformat() + "Z", "service_id": slot.service_id},
    )
    return result


def get(connection: Connection, hold_id: int) -> Row:
    row = connection.execute(select(holds).where(holds.c.id == hold_id)).first()
    if row is None:
        raise not_found("hold", hold_id)
    return row


def release(connection: Connection, agent: Agent, hold_id: int) -> None:
    row = get(connection, hold_id)
    if row.agent_id != agent.id and agent.role is not Role.ADMIN:
        raise forbidden("This hold belongs to another agent.")
    if row.released_at is not None:
        return
    now = clock.now()
    connection.execute(update(holds).where(holds.c.id == hold_id).values(released_at=now))
    service_id = connection.execute(
        select(slots.c.service_id).where(slots.c.id == row.slot_id)
    ).scalar_one()
    changes.record(
        connection, "slot", row.slot_id, "released", agent.id, {"service_id": service_id}
    )


def consume(connection: Connection, slot_id: int) -> None:
    """Close every open hold on a slot that has just been booked."""
    connection.execute(
        update(holds)
        .where(holds.c.slot_id == slot_id, holds.c.released_at.is_(None))
        .values(released_at=clock.now())
    )
