"""Free slots and holds on them."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Response

from console.domain.models import Hold, HoldIn, Line, Slot, SlotPage, When
from console.server import clock, holds, idempotency
from console.server.deps import (
    AgentDep,
    DatabaseDep,
    IdempotencyKey,
    SettingsDep,
    WriterDep,
    path_id,
    query_id,
)
from console.server.errors import not_found, unprocessable
from console.server.openapi import errors
from console.server.responses import json_response
from console.server.slots import free_slots, get_slot

router = APIRouter(prefix="/v1", tags=["slots"])

DEFAULT_WINDOW_DAYS = 30


@router.get("/slots", response_model=SlotPage, responses=errors(422))
def slots(
    _agent: AgentDep,
    database: DatabaseDep,
    service: Annotated[int, query_id("service")],
    location: Annotated[int | None, query_id("location")] = None,
    region: Annotated[Line | None, Query(max_length=80)] = None,
    provider: Annotated[int | None, query_id("provider")] = None,
    from_: Annotated[
        When | None, Query(alias="from", description="ISO time, 2000-2099; default now")
    ] = None,
    to: Annotated[
        When | None,
        Query(description=f"ISO time, 2000-2099, after from; default from+{DEFAULT_WINDOW_DAYS}d"),
    ] = None,
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


@router.get("/slots/{slot_id}", response_model=Slot, responses=errors(404, 422))
def slot(slot_id: Annotated[int, path_id("slot")], _agent: AgentDep, database: DatabaseDep) -> Slot:
    with database.read() as connection:
        found = get_slot(connection, slot_id)
    if found is None:
        raise not_found("slot", slot_id)
    return found


@router.post(
    "/holds", response_model=Hold, status_code=201, responses=errors(403, 404, 409, 413, 422)
)
def hold(
    payload: HoldIn,
    agent: WriterDep,
    database: DatabaseDep,
    settings: SettingsDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> dict:
    """Hold a free slot for this agent for a few minutes; holding it again extends the hold."""

    def effect(connection) -> tuple[int, dict]:  # type: ignore[no-untyped-def]
        made = holds.create(connection, agent, payload.slot_id, settings.hold_minutes)
        return 201, made.model_dump(mode="json")

    status, body = idempotency.run(
        database, agent, idempotency_key, "POST /v1/holds", payload.model_dump(), effect
    )
    response.status_code = status
    return body


@router.delete("/holds/{hold_id}", status_code=204, responses=errors(403, 404, 422))
def release(
    hold_id: Annotated[int, path_id("hold")],
    agent: WriterDep,
    database: DatabaseDep,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Release a hold (this agent's; an admin's any); releasing it again changes nothing."""

    def effect(connection) -> tuple[int, None]:  # type: ignore[no-untyped-def]
        holds.release(connection, agent, hold_id)
        return 204, None

    idempotency.run(database, agent, idempotency_key, f"DELETE /v1/holds/{hold_id}", None, effect)
    return Response(status_code=204)
