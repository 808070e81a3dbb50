"""Callers: search (audited), create, read (audited), update."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from sqlalchemy import Connection

from console.domain.models import Caller, CallerIn, CallerPatch, CallerSearch, SearchText
from console.domain.query import QUERY_TOO_SHORT, is_too_short
from console.server import audit, callers, idempotency
from console.server.calls import check_call
from console.server.deps import (
    AgentDep,
    CallIdDep,
    DatabaseDep,
    IdempotencyKey,
    SettingsDep,
    WriterDep,
    path_id,
)
from console.server.errors import unprocessable
from console.server.openapi import errors
from console.server.responses import json_response

router = APIRouter(prefix="/v1/callers", tags=["callers"])

CallerId = Annotated[int, path_id("caller")]


@router.get("", response_model=CallerSearch, responses=errors(422))
def search(
    agent: AgentDep,
    database: DatabaseDep,
    settings: SettingsDep,
    call_id: CallIdDep,
    q: Annotated[
        SearchText,
        Query(
            max_length=100,
            description="name, phone, EMŠO, ZZZS or reference; at least 2 characters other "
            "than spaces",
        ),
    ],
    limit: int = Query(20, ge=1, le=1000, description="at most this many (the service caps it)"),
) -> Response:
    """Find callers. Every search is audited: who searched, how the query was read, how many
    callers it showed, during which call (not the query itself)."""
    query = q.strip()
    if is_too_short(query):
        raise unprocessable(QUERY_TOO_SHORT, "q", "query_too_short")
    with database.read() as connection:
        kind, found, more = callers.search(
            connection, query, min(limit, settings.max_search_results)
        )
    with database.write() as connection:
        call_id = check_call(connection, agent, call_id, "X-Call-Id")
        audit.record(
            connection,
            agent,
            "search",
            "caller",
            None,
            call_id=call_id,
            detail=f"{kind}: {len(found)}{'+' if more else ''} shown",
        )
    return json_response(
        CallerSearch.model_construct(query=query, kind=kind, callers=found, more=more)
    )


@router.post("", response_model=Caller, status_code=201, responses=errors(403, 409, 413, 422))
def create(
    payload: CallerIn,
    agent: WriterDep,
    database: DatabaseDep,
    call_id: CallIdDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> dict:
    def effect(connection: Connection) -> tuple[int, dict]:
        checked = check_call(connection, agent, call_id, "X-Call-Id")
        caller_id = callers.create(connection, agent, payload, checked)
        return 201, callers.get(connection, caller_id).model_dump(mode="json")

    status, body = idempotency.run(
        database, agent, idempotency_key, "POST /v1/callers", payload.model_dump(), effect
    )
    response.status_code = status
    return body


@router.get("/{caller_id}", response_model=Caller, responses=errors(404, 422))
def read(caller_id: CallerId, agent: AgentDep, database: DatabaseDep, call_id: CallIdDep) -> Caller:
    """One caller's card; the read is audited (who, when, during which call)."""
    with database.write() as connection:
        caller = callers.get(connection, caller_id)
        call_id = check_call(connection, agent, call_id, "X-Call-Id")
        audit.record(
            connection, agent, "read", "caller", caller_id, caller_id=caller_id, call_id=call_id
        )
    return caller


@router.patch("/{caller_id}", response_model=Caller, responses=errors(403, 404, 409, 413, 422))
def patch(
    caller_id: CallerId,
    payload: CallerPatch,
    agent: WriterDep,
    database: DatabaseDep,
    call_id: CallIdDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> dict:
    """Change the fields sent (at least one); see CallerPatch for which may be null."""

    def effect(connection) -> tuple[int, dict]:  # type: ignore[no-untyped-def]
        checked = check_call(connection, agent, call_id, "X-Call-Id")
        callers.patch(connection, agent, caller_id, payload, checked)
        return 200, callers.get(connection, caller_id).model_dump(mode="json")

    status, body = idempotency.run(
        database,
        agent,
        idempotency_key,
        f"PATCH /v1/callers/{caller_id}",
        payload.model_dump(mode="json", exclude_unset=True),
        effect,
    )
    response.status_code = status
    return body
