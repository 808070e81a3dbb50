"""Callers: search, create, read (audited), update."""

from __future__ import annotations

from fastapi import APIRouter, Query, Response
from sqlalchemy import Connection

from console.domain.models import Caller, CallerIn, CallerPatch, CallerSearch
from console.domain.query import QUERY_TOO_SHORT, is_too_short
from console.server import audit, callers, idempotency
from console.server.deps import (
    AgentDep,
    CallIdDep,
    DatabaseDep,
    IdempotencyKey,
    SettingsDep,
    WriterDep,
)
from console.server.errors import unprocessable
from console.server.responses import json_response

router = APIRouter(prefix="/v1/callers", tags=["callers"])


@router.get("", response_model=CallerSearch)
def search(
    agent: AgentDep,
    database: DatabaseDep,
    settings: SettingsDep,
    call_id: CallIdDep,
    q: str = Query(..., max_length=100, description="name, phone, EMŠO, ZZZS or reference"),
    limit: int = Query(20, ge=1),
) -> Response:
    query = q.strip()
    if is_too_short(query):
        raise unprocessable(QUERY_TOO_SHORT, "q", "query_too_short")
    with database.read() as connection:
        kind, found, more = callers.search(
            connection, query, min(limit, settings.max_search_results)
        )
    return json_response(
        CallerSearch.model_construct(query=query, kind=kind, callers=found, more=more)
    )


@router.post("", response_model=Caller, status_code=201)
def create(
    payload: CallerIn,
    agent: WriterDep,
    database: DatabaseDep,
    call_id: CallIdDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> dict:
    def effect(connection: Connection) -> tuple[int, dict]:
        caller_id = callers.create(connection, agent, payload, call_id)
        return 201, callers.get(connection, caller_id).model_dump(mode="json")

    status, body = idempotency.run(
        database, agent, idempotency_key, "POST /v1/callers", payload.model_dump(), effect
    )
    response.status_code = status
    return body


@router.get("/{caller_id}", response_model=Caller)
def read(caller_id: int, agent: AgentDep, database: DatabaseDep, call_id: CallIdDep) -> Caller:
    with database.write() as connection:
        caller = callers.get(connection, caller_id)
        audit.record(
            connection, agent, "read", "caller", caller_id, caller_id=caller_id, call_id=call_id
        )
    return caller


@router.patch("/{caller_id}", response_model=Caller)
def patch(
    caller_id: int,
    payload: CallerPatch,
    agent: WriterDep,
    database: DatabaseDep,
    call_id: CallIdDep,
) -> Caller:
    with database.write() as connection:
        callers.patch(connection, agent, caller_id, payload, call_id)
        return callers.get(connection, caller_id)
