"""Free slots, earliest first, in one query (no N+1 round trips)."""

from __future__ import annotations

import functools
from datetime import datetime

from sqlalchemy import (
    ColumnElement,
    Connection,
    DateTime,
    Row,
    Select,
    TextClause,
    and_,
    bindparam,
    select,
    text,
)

from console.domain.models import Slot, SlotStatus
from console.server import clock
from console.server.schema import holds, locations, providers, slots


def _open_hold(now: datetime) -> ColumnElement[bool]:
    return and_(
        holds.c.slot_id == slots.c.id,
        holds.c.released_at.is_(None),
        holds.c.expires_at > now,
    )


# The columns a Slot is read from (see slot_from_row, with ``held_until``) and their tables.
SLOT_COLUMNS = (
    slots.c.id,
    slots.c.starts_at,
    slots.c.ends_at,
    slots.c.status,
    slots.c.service_id,
    slots.c.provider_id,
    providers.c.name.label("provider_name"),
    slots.c.location_id,
    locations.c.name.label("location_name"),
    locations.c.region,
)
SLOT_TABLES = slots.join(providers, providers.c.id == slots.c.provider_id).join(
    locations, locations.c.id == slots.c.location_id
)


def _slot_columns(now: datetime) -> Select:
    held_until = select(holds.c.expires_at).where(_open_hold(now)).limit(1).scalar_subquery()
    return select(*SLOT_COLUMNS, held_until.label("held_until")).select_from(SLOT_TABLES)


def slot_from_row(row: Row) -> Slot:
    status = SlotStatus(row.status)
    if status is SlotStatus.FREE and row.held_until is not None:
        status = SlotStatus.HELD
    return Slot(
        id=row.id,
        starts_at=clock.from_db(row.starts_at),
        ends_at=clock.from_db(row.ends_at),
        status=status,
        service_id=row.service_id,
        provider_id=row.provider_id,
        provider_name=row.provider_name,
        location_id=row.location_id,
        location_name=row.location_name,
        region=row.region,
        held_until=clock.from_db(row.held_until) if status is SlotStatus.HELD else None,
    )


def free_slots(
    connection: Connection,
    *,
    service_id: int,
    start: datetime,
    end: datetime,
    location_id: int | None = None,
    region: str | None = None,
    provider_id: int | None = None,
    limit: int = 20,
) -> list[Slot]:
    """The earliest free, unheld slots for a service in ``[start, end)``.

    One prepared statement per combination of filters: building the query with SQLAlchemy's
    expression language on every request cost several times the query itself. The slots are
    built without validation (``model_construct``) from the database's own columns.
    """
    now = clock.now()
    params = {
        "service": service_id,
        "start": max(clock.to_db(start), now),
        "end": clock.to_db(end),
        "now": now,
        "limit": limit,
        "location": location_id,
        "region": region or None,
        "provider": provider_id,
    }
    statement = _free_slots_statement(
        location_id is not None, bool(region), provider_id is not None
    )
    from_db = clock.from_db
    free = SlotStatus.FREE
    return [
        Slot.model_construct(
            id=row.id,
            starts_at=from_db(row.starts_at),
            ends_at=from_db(row.ends_at),
            status=free,
            service_id=row.service_id,
            provider_id=row.provider_id,
            provider_name=row.provider_name,
            location_id=row.location_id,
            location_name=row.location_name,
            region=row.region,
            held_until=None,  # an open hold keeps a slot out of this list
        )
        for row in connection.execute(statement, params)
    ]


@functools.cache
def _free_slots_statement(by_location: bool, by_region: bool, by_provider: bool) -> TextClause:
    filters = "".join(
        condition
        for wanted, condition in (
            (by_location, " AND s.location_id = :location"),
            (by_region, " AND l.region = :region"),
            (by_provider, " AND s.provider_id = :provider"),
        )
        if wanted
    )
    return text(
        "SELECT s.id, s.starts_at, s.ends_at, s.service_id, s.provider_id, "
        "p.name AS provider_name, s.location_id, l.name AS location_name, l.region "
        "FROM slots s JOIN providers p ON p.id = s.provider_id "
        "JOIN locations l ON l.id = s.location_id "
        "WHERE s.service_id = :service AND s.status = 'free' "
        f"AND s.starts_at >= :start AND s.starts_at < :end{filters} "
        "AND NOT EXISTS (SELECT 1 FROM holds h WHERE h.slot_id = s.id "
        "AND h.released_at IS NULL AND h.expires_at > :now) "
        "ORDER BY s.starts_at, s.id LIMIT :limit"
    ).bindparams(
        bindparam("start", type_=DateTime),
        bindparam("end", type_=DateTime),
        bindparam("now", type_=DateTime),
    )


def get_slot(connection: Connection, slot_id: int) -> Slot | None:
    row = connection.execute(_slot_columns(clock.now()).where(slots.c.id == slot_id)).first()
    return slot_from_row(row) if row else None
