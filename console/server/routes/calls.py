"""Calls, their wrap-ups, and the change feed."""

from __future__ import annotations

from fastapi import APIRouter, Query, Response

from console.domain.models import ApiError, Call, CallIn, CallNote, CallPatch, ChangePage, WrapUpIn
from console.server import calls, changes, idempotency
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
    response: Response,
    settings: SettingsDep,
    idempotency_key: IdempotencyKey = None,
) -> dict:
    """Start a call, now or (a call a desk made offline) at ``started_at``."""

    def effect(connection) -> tuple[int, dict]:  # type: ignore[no-untyped-def]
        call = calls.start(
            connection,
            agent,
            payload.caller_id,
            payload.direction,
            payload.started_at,
            oldest_days=settings.retention.idempotency_days,
        )
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
        return 200, call.model_dump(mode="json")

    return idempotency.run(
        database,
        agent,
        idempotency_key,
        f"POST /v1/calls/{call_id}/wrapup",
        payload.model_dump(),
        effect,
    )[1]


@router.post("/calls/{call_id}/notes", response_model=Call)
def add_note(
    call_id: int,
    payload: CallNote,
    agent: WriterDep,
    database: DatabaseDep,
    idempotency_key: IdempotencyKey = None,
) -> dict:
    """Add a dated, signed line to a call's record, also after its wrap-up (what finally
    became of a booking the replay after an outage could not confirm)."""

    def effect(connection) -> tuple[int, dict]:  # type: ignore[no-untyped-def]
        return 200, calls.add_note(connection, agent, call_id, payload.note).model_dump(mode="json")

    return idempotency.run(
        database,
        agent,
        idempotency_key,
        f"POST /v1/calls/{call_id}/notes",
        payload.model_dump(),
        effect,
    )[1]


@router.get("/changes/latest", response_model=ChangePage)
def change_feed_end(_agent: AgentDep, database: DatabaseDep) -> ChangePage:
    """Where the feed ends now: start following from ``last_seq`` without reading history."""
    with database.read() as connection:
        return ChangePage(changes=[], last_seq=changes.last_seq(connection))


@router.get(
    "/changes",
    response_model=ChangePage,
    responses={
        410: {
            "model": ApiError,
            "description": "`resync`: the service no longer keeps every change after `since` "
            "(`[retention] changes_days`, 30 by default), or `since` is past the end of the "
            "feed (the database was restored from a copy). Reload the cache from scratch, "
            "take the new cursor from `/v1/changes/latest` and follow from there.",
        }
    },
)
def change_feed(
    _agent: AgentDep,
    database: DatabaseDep,
    settings: SettingsDep,
    since: int = Query(0, ge=0, description="the last sequence number you have seen"),
    limit: int = Query(500, ge=1),
) -> ChangePage:
    """The changes after `since`, oldest first. A cursor older than the oldest change kept
    answers 410 `resync` (see `/v1/retention` for how long changes are kept)."""
    with database.read() as connection:
        found = changes.since(connection, since, min(limit, settings.max_changes_page))
    return ChangePage(changes=found, last_seq=found[-1].seq if found else since)
