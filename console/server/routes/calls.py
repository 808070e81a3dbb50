"""Calls, their wrap-ups, and the change feed."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import Connection
from starlette.concurrency import run_in_threadpool

from console.domain.models import (
    MAX_ID,
    ApiError,
    Call,
    CallIn,
    CallNote,
    CallPatch,
    Change,
    ChangePage,
    WrapUpIn,
)
from console.server import agent_states, calls, changes, clock, feed_wait, idempotency
from console.server.db import Database
from console.server.deps import (
    AgentDep,
    DatabaseDep,
    IdempotencyKey,
    SettingsDep,
    WriterDep,
    path_id,
    query_id,
)
from console.server.openapi import errors

router = APIRouter(prefix="/v1", tags=["calls"])

CallId = Annotated[int, path_id("call")]


@router.post("/calls", response_model=Call, status_code=201, responses=errors(403, 413, 422))
def start(
    payload: CallIn,
    agent: WriterDep,
    database: DatabaseDep,
    settings: SettingsDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> dict:
    """Start a call, now or (a call a desk made offline) at ``started_at``. A call that began
    minutes or hours ago (the desk recorded it offline and sends it after the fact) is kept
    with its own times but does not move the agent's live state on the floor."""

    def effect(connection: Connection) -> tuple[int, dict]:
        call = calls.start(
            connection,
            agent,
            payload.caller_id,
            payload.direction,
            payload.started_at,
            oldest_days=settings.retention.idempotency_days,
        )
        started = clock.to_db(call.started_at)
        if payload.started_at is None or started >= clock.now() - calls.CLOCK_SKEW:
            agent_states.call_started(connection, call.agent_id, call.id, started, settings.floor)
        return 201, call.model_dump(mode="json")

    status, body = idempotency.run(
        database, agent, idempotency_key, "POST /v1/calls", payload.model_dump(), effect
    )
    response.status_code = status
    return body


@router.get("/calls", response_model=list[Call], responses=errors(422))
def recent(
    agent: AgentDep,
    database: DatabaseDep,
    caller: Annotated[int | None, query_id("caller")] = None,
    mine: bool = False,
    open: bool = Query(
        False,
        description="only calls not wrapped up yet (no disposition): with `mine=true`, the "
        "calls a desk left open, to offer them for wrap-up",
    ),
    limit: int = Query(20, ge=1, le=200),
) -> list[Call]:
    """Calls, newest first: a caller's (``caller``), this agent's (``mine``), open ones only
    (``open``)."""
    with database.read() as connection:
        return calls.recent(
            connection,
            caller_id=caller,
            agent_id=agent.id if mine else None,
            limit=limit,
            open_only=open,
        )


@router.get("/calls/{call_id}", response_model=Call, responses=errors(404, 422))
def read(call_id: CallId, _agent: AgentDep, database: DatabaseDep) -> Call:
    with database.read() as connection:
        return calls.get(connection, call_id)


@router.patch("/calls/{call_id}", response_model=Call, responses=errors(403, 404, 409, 413, 422))
def attach(
    call_id: CallId,
    payload: CallPatch,
    agent: WriterDep,
    database: DatabaseDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> dict:
    """Attach a caller to an open call of this agent's (null: detach)."""

    def effect(connection) -> tuple[int, dict]:  # type: ignore[no-untyped-def]
        call = calls.attach_caller(connection, agent, call_id, payload.caller_id)
        return 200, call.model_dump(mode="json")

    status, body = idempotency.run(
        database,
        agent,
        idempotency_key,
        f"PATCH /v1/calls/{call_id}",
        payload.model_dump(),
        effect,
    )
    response.status_code = status
    return body


@router.post(
    "/calls/{call_id}/wrapup", response_model=Call, responses=errors(403, 404, 409, 413, 422)
)
def wrap_up(
    call_id: CallId,
    payload: WrapUpIn,
    agent: WriterDep,
    database: DatabaseDep,
    settings: SettingsDep,
    idempotency_key: IdempotencyKey = None,
) -> dict:
    """Wrap up (and end) an open call of this agent's; a second wrap-up is 409."""

    def effect(connection: Connection) -> tuple[int, dict]:
        call = calls.wrap_up(
            connection,
            agent,
            call_id,
            payload,
            settings.disposition_codes(),
            settings.callbacks,
        )
        assert call.wrapped_at is not None  # it was just wrapped up
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


@router.post(
    "/calls/{call_id}/notes", response_model=Call, responses=errors(403, 404, 409, 413, 422)
)
def add_note(
    call_id: CallId,
    payload: CallNote,
    agent: WriterDep,
    database: DatabaseDep,
    idempotency_key: IdempotencyKey = None,
) -> dict:
    """Add a dated, signed line to a call's record, also after its wrap-up (what finally
    became of a booking the replay after an outage could not confirm)."""

    def effect(connection: Connection) -> tuple[int, dict]:
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
        **errors(422),
        410: {
            "model": ApiError,
            "description": "`resync`: the service no longer keeps every change after `since` "
            "(`[retention] changes_days`, 30 by default), or `since` is past the end of the "
            "feed (the database was restored from a copy). Reload the cache from scratch, "
            "take the new cursor from `/v1/changes/latest` and follow from there.",
        },
    },
)
async def change_feed(
    request: Request,
    _agent: AgentDep,
    database: DatabaseDep,
    settings: SettingsDep,
    since: int = Query(0, ge=0, le=MAX_ID, description="the last sequence number you have seen"),
    limit: int = Query(500, ge=1, le=100_000, description="at most this many (capped)"),
    wait: float = Query(
        0,
        ge=0,
        le=feed_wait.MAX_WAIT_SECONDS,
        description="long poll: with nothing after `since`, answer as soon as a change is "
        "made, or after this many seconds with none (keep it below your client's timeout)",
    ),
) -> ChangePage:
    """Every write after ``since``, in order. Besides slots, bookings, callers, calls and holds:
    ``callback`` (the queue: ops created, updated, claimed, attempted, released, closed) and
    ``ringing`` (the telephone system's calls: op ringing with call_id, line, extension,
    number, the ``caller_ids`` matched by the number and the ``agent_id`` whose desk declared
    the extension; then op answered or missed). With ``wait`` the answer comes as soon as a
    change exists: a desk learns of a call ringing on its extension within a second. A cursor
    older than the oldest change kept answers 410 `resync` (see `/v1/retention` for how long
    changes are kept)."""
    page = min(limit, settings.max_changes_page)
    found = await run_in_threadpool(_changes_since, database, since, page)
    if not found and wait > 0:
        watcher: feed_wait.FeedWatcher = request.app.state.feed_watcher
        deadline = time.monotonic() + wait
        seen = since
        while not found:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            # In slices: the wait of a desk that went away (it quit, it gave up on the request)
            # ends within a slice instead of holding a worker's task to the end.
            end = await watcher.wait_past(seen, min(left, feed_wait.DISCONNECT_CHECK_SECONDS))
            if end is None:
                if await request.is_disconnected():
                    break
                continue
            seen = end
            found = await run_in_threadpool(_changes_since, database, since, page)
    return ChangePage(changes=found, last_seq=found[-1].seq if found else since)


def _changes_since(database: Database, since: int, limit: int) -> list[Change]:
    with database.read() as connection:
        return changes.since(connection, since, limit)
