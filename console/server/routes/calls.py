"""Calls, their wrap-ups, and the change feed."""

from __future__ import annotations

from fastapi import APIRouter, Query, Response

from console.domain.models import Call, CallIn, CallPatch, ChangePage, WrapUpIn
from console.server import agent_states, calls, changes, clock, idempotency
from console.server.deps import (
    AgentDep,
    DatabaseDep,
    IdempotencyKey,
    SettingsDep,
    WriterDep,
)

router = APIRouter(prefix="/v1", tags=["calls"])


@router.post("/calls", response_model=Call, status_code=201)
def start(
    payload: CallIn,
    agent: WriterDep,
    database: DatabaseDep,
    settings: SettingsDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> dict:
    def effect(connection) -> tuple[int, dict]:  # type: ignore[no-untyped-def]
        call = calls.start(connection, agent, payload.caller_id, payload.direction)
        started = clock.to_db(call.started_at)
        agent_states.call_started(connection, call.agent_id, call.id, started, settings.floor)
        return 201, call.model_dump(mode="json")

    status, body = idempotency.run(
        database, agent, idempotency_key, "POST /v1/calls", payload.model_dump(), effect
    )
    response.status_code = status
    return body


@router.get("/calls", response_model=list[Call])
def recent(
    agent: AgentDep,
    database: DatabaseDep,
    caller: int | None = None,
    mine: bool = False,
    limit: int = Query(20, ge=1, le=200),
) -> list[Call]:
    with database.read() as connection:
        return calls.recent(
            connection, caller_id=caller, agent_id=agent.id if mine else None, limit=limit
        )


@router.get("/calls/{call_id}", response_model=Call)
def read(call_id: int, _agent: AgentDep, database: DatabaseDep) -> Call:
    with database.read() as connection:
        return calls.get(connection, call_id)


@router.patch("/calls/{call_id}", response_model=Call)
def attach(call_id: int, payload: CallPatch, agent: WriterDep, database: DatabaseDep) -> Call:
    with database.write() as connection:
        return calls.attach_caller(connection, agent, call_id, payload.caller_id)


@router.post("/calls/{call_id}/wrapup", response_model=Call)
def wrap_up(
    call_id: int,
    payload: WrapUpIn,
    agent: WriterDep,
    database: DatabaseDep,
    settings: SettingsDep,
    idempotency_key: IdempotencyKey = None,
) -> dict:
    def effect(connection) -> tuple[int, dict]:  # type: ignore[no-untyped-def]
        call = calls.wrap_up(connection, agent, call_id, payload, settings.disposition_codes())
        ended, wrapped = clock.to_db(call.ended_at or call.started_at), clock.to_db(call.wrapped_at)
        agent_states.call_wrapped(connection, call.agent_id, call.id, ended, wrapped)
        return 200, call.model_dump(mode="json")

    return idempotency.run(
        database,
        agent,
        idempotency_key,
        f"POST /v1/calls/{call_id}/wrapup",
        payload.model_dump(),
        effect,
    )[1]


@router.get("/changes/latest", response_model=ChangePage)
def change_feed_end(_agent: AgentDep, database: DatabaseDep) -> ChangePage:
    """Where the feed ends now: start following from ``last_seq`` without reading history."""
    with database.read() as connection:
        return ChangePage(changes=[], last_seq=changes.last_seq(connection))


@router.get("/changes", response_model=ChangePage)
def change_feed(
    _agent: AgentDep,
    database: DatabaseDep,
    settings: SettingsDep,
    since: int = Query(0, ge=0, description="the last sequence number you have seen"),
    limit: int = Query(500, ge=1),
) -> ChangePage:
    with database.read() as connection:
        found = changes.since(connection, since, min(limit, settings.max_changes_page))
    return ChangePage(changes=found, last_seq=found[-1].seq if found else since)
