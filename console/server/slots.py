"""Free slots, earliest first, in one query (no N+1 round trips)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, Select, and_, exists, select

from console.domain.models import Slot, SlotStatus
from console.server import clock
from console.server.schema import holds, locations, providers, slots


def _open_hold(now: datetime):  # type: ignore[no-untyped-def]
    return and_(
        holds.c.slot_id == slots.c.id,
        holds.c.released_at.is_(None),
        holds.c.expires_at > now,
    )


def _slot_columns(now: datetime) -> Select:
    held_until = select(holds.c.expires_at).where(_open_hold(now)).limit(1).scalar_subquery()
    return select(
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
        held_until.label("held_until"),
    ).select_from(
        slots.join(providers, providers.c.id == slots.c.provider_id).join(
            locations, locations.c.id == slots.c.location_id
        )
    )


def slot_from_row(row) -> Slot:  # type: ignore[no-untyped-def]
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
    """The earliest free, unheld slots for a service in ``[start, end)``."""
    now = clock.now()
    start = max(clock.to_db(start), now)
    query = (
        _slot_columns(now)
        .where(
            slots.c.service_id == service_id,
            slots.c.status == "free",
            slots.c.starts_at >= start,
            slots.c.starts_at < clock.to_db(end),
            ~exists().where(_open_hold(now)),
        )
        .order_by(slots.c.starts_at, slots.c.id)
        .limit(limit)
    )
    if location_id is not None:
        query = query.where(slots.c.location_id == location_id)
    if region:
        query = query.where(locations.c.region == region)
    if provider_id is not None:
        query = query.where(slots.c.provider_id == provider_id)
    return [slot_from_row(row) for row in connection.execute(query)]


def get_slot(connection: Connection, slot_id: int) -> Slot | None:
    row = connection.execute(_slot_columns(clock.now()).where(slots.c.id == slot_id)).first()
    return slot_from_row(row) if row else None
