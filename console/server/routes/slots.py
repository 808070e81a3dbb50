"""Free slots and holds on them."""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi import APIRouter, Query, Response

from console.domain.models import Hold, HoldIn, Slot, SlotPage
from console.server import clock, holds
from console.server.deps import AgentDep, DatabaseDep, SettingsDep, WriterDep
from console.server.errors import not_found, unprocessable
from console.server.responses import json_response
from console.server.slots import free_slots, get_slot

router = APIRouter(prefix="/v1", tags=["slots"])

DEFAULT_WINDOW_DAYS = 30


@router.get("/slots", response_model=SlotPage)
def slots(
    _agent: AgentDep,
    database: DatabaseDep,
    service: int = Query(..., description="service id"),
    location: int | None = None,
    region: str | None = None,
    provider: int | None = None,
    from_: datetime | None = Query(None, alias="from", description="ISO time; default now"),
    to: datetime | None = Query(None, description=f"default from + {DEFAULT_WINDOW_DAYS} days"),
    limit: int = Query(20, ge=1, le=500),
) -> Response:
    start = from_ or clock.from_db(clock.now())
    end = to or start + timedelta(days=DEFAULT_WINDOW_DAYS)
    if end <= start:
        raise unprocessable("'to' must be after 'from'.", "to")
    with database.read() as connection:
        found = free_slots(
            connection,
            service_id=service,
            start=start,
            end=end,
            location_id=location,
            region=region,
            provider_id=provider,
            limit=limit,
        )
    return json_response(SlotPage.model_construct(slots=found))


@router.get("/slots/{slot_id}", response_model=Slot)
def slot(slot_id: int, _agent: AgentDep, database: DatabaseDep) -> Slot:
    with database.read() as connection:
        found = get_slot(connection, slot_id)
    if found is None:
        raise not_found("slot", slot_id)
    return found


@router.post("/holds", response_model=Hold, status_code=201)
def hold(payload: HoldIn, agent: WriterDep, database: DatabaseDep, settings: SettingsDep) -> Hold:
    with database.write() as connection:
        return holds.create(connection, agent, payload.slot_id, settings.hold_minutes)


@router.delete("/holds/{hold_id}", status_code=204)
def release(hold_id: int, agent: WriterDep, database: DatabaseDep) -> Response:
    with database.write() as connection:
        holds.release(connection, agent, hold_id)
    return Response(status_code=204)
