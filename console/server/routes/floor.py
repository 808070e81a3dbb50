"""Agents' states, reported by their desks, and the supervisor's floor."""

from __future__ import annotations

import io
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from console.domain.floor import AgentDay, DeskState, DeskStateIn, Floor
from console.domain.models import MAX_ID, Agent, ApiError, Role
from console.server import agent_states, clock, export_calls, floor
from console.server.agent_day import agent_day
from console.server.deps import AgentDep, CallIdDep, DatabaseDep, SettingsDep, WriterDep
from console.server.errors import forbidden, unprocessable
from console.server.logs import mark_unchanged
from console.server.responses import json_response

router = APIRouter(prefix="/v1", tags=["floor"])

FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2099, 12, 31)


def _day_query() -> Any:
    """The ``date`` parameter: a day of the years 2000-2099, which the schema states (a date's
    format has no minimum; the pattern holds the years)."""
    return Query(
        None,
        alias="date",
        description=f"YYYY-MM-DD, from {FIRST_DAY} to {LAST_DAY}; default: today in "
        "Europe/Ljubljana",
        json_schema_extra={"pattern": r"^20[0-9]{2}-[0-9]{2}-[0-9]{2}$"},
    )


def _error(description: str) -> dict[str, Any]:
    return {"model": ApiError, "description": description}


UNAUTHORIZED: dict[int | str, dict[str, Any]] = {401: _error("no valid bearer token")}
INVALID: dict[int | str, dict[str, Any]] = {422: _error("bad input; `field` names it")}


async def supervisor(agent: AgentDep) -> Agent:
    """Supervisors and admins only (agents see only their own state)."""
    if agent.role not in (Role.SUPERVISOR, Role.ADMIN):
        raise forbidden("The floor is for supervisors and admins.")
    return agent


SupervisorDep = Annotated[Agent, Depends(supervisor)]
NOT_SUPERVISOR: dict[int | str, dict[str, Any]] = {
    403: _error("an agent's token: the floor is for supervisors and admins")
}


@router.put(
    "/desk/state",
    response_model=DeskState,
    responses={
        **UNAUTHORIZED,
        403: _error("a supervisor's token: supervisors take no calls"),
        **INVALID,
    },
)
def report_state(
    payload: DeskStateIn,
    agent: WriterDep,
    database: DatabaseDep,
    settings: SettingsDep,
    request: Request,
) -> Response:
    """Report this desk's agent's state: on every change (ready, on_call, after_call_work,
    away with a reason from `away_reasons`, signed_out on quit) and, unchanged, as the
    heartbeat every `heartbeat_seconds` (10 by default). A desk silent for
    `unreachable_after_seconds` shows as unreachable on the floor. The answer is the state as
    kept, with `changed` true when the report changed something (it then went into the change
    feed as entity `agent_state`). Starting a call and wrapping it up move the state on the
    service by themselves (on_call, then after-call work and ready)."""
    with database.write() as connection:
        state = agent_states.report(connection, agent, payload, settings.floor)
    if not state.changed:  # the heartbeat: in the log's summary a minute, not a line each
        mark_unchanged(request.scope)
    return json_response(state)


@router.get("/desk/state", response_model=DeskState, responses={**UNAUTHORIZED, **INVALID})
def read_state(agent: AgentDep, database: DatabaseDep, settings: SettingsDep) -> Response:
    """This agent's state as the service keeps it, the away reasons and the heartbeat interval
    (a console reads it when it starts)."""
    with database.read() as connection:
        state = agent_states.current(connection, agent.id, settings.floor)
    return json_response(state)


def _cache(request: Request) -> floor.FloorCache:
    cache = getattr(request.app.state, "floor_cache", None)
    if cache is None:
        cache = request.app.state.floor_cache = floor.FloorCache()
    return cache


@router.get("/floor", response_model=Floor, responses={**UNAUTHORIZED, **NOT_SUPERVISOR, **INVALID})
def read_floor(
    request: Request, _reader: SupervisorDep, database: DatabaseDep, settings: SettingsDep
) -> Response:
    """The floor now: every agent's state (unreachable when its desk stopped reporting) and
    day, each service's bookings today and free slots in the next working days, today's
    figures by hour and disposition, and alerts past the thresholds of `[floor]`. No caller
    identity. Follow the change feed (entity `agent_state`, `call`, `booking`) to know when to
    read it again."""
    with database.read() as connection:
        found = floor.compute(connection, settings.floor, _cache(request), settings.callbacks)
    return json_response(found)


CSV = "text/csv; charset=utf-8"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get(
    "/floor/calls/export",
    response_class=Response,
    responses={
        200: {
            "description": "the day's calls: CSV (UTF-8 with a byte-order mark) or a workbook",
            "content": {
                CSV: {"schema": {"type": "string"}},
                XLSX: {"schema": {"type": "string", "format": "binary"}},
            },
        },
        **UNAUTHORIZED,
        **NOT_SUPERVISOR,
        **INVALID,
    },
)
def export_day(
    _reader: SupervisorDep,
    database: DatabaseDep,
    day: date | None = _day_query(),
    format_: Literal["csv", "xlsx"] = Query("csv", alias="format"),
) -> Response:
    """Every call of a day with its agent, times, talk, after-call work, handle time,
    disposition and bookings; no caller identity (as `agent-console export calls`)."""
    day = _day(day)
    name = f"calls-{day.isoformat()}.{format_}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if format_ == "xlsx":
        data = io.BytesIO()
        export_calls.write_xlsx(database, day, data)
        return Response(data.getvalue(), media_type=XLSX, headers=headers)
    text = io.StringIO()
    export_calls.write_csv(database, day, text)
    return Response(("\ufeff" + text.getvalue()).encode(), media_type=CSV, headers=headers)


def _day(day: date | None) -> date:
    if day is None:
        return floor.Day.around(clock.now()).date
    if not FIRST_DAY <= day <= LAST_DAY:
        raise unprocessable(f"date must be between {FIRST_DAY} and {LAST_DAY}.", "date")
    return day


@router.get(
    "/floor/agents/{agent_id}/calls",
    response_model=AgentDay,
    responses={**UNAUTHORIZED, **NOT_SUPERVISOR, 404: _error("no such agent"), **INVALID},
)
def read_agent_day(
    reader: SupervisorDep,
    database: DatabaseDep,
    settings: SettingsDep,
    call_id: CallIdDep,
    agent_id: int = Path(ge=1, le=MAX_ID),
    day: date | None = _day_query(),
    include_caller: bool = Query(
        False, description="include who called: each caller shown is an audited read"
    ),
) -> Response:
    """One agent's calls of a day: times, talk and after-call work, disposition, service and
    what each call did to bookings; the day's averages and the time spent in each state."""
    day = _day(day)
    if include_caller:
        with database.write() as connection:
            found = agent_day(
                connection,
                agent_id,
                day,
                settings.floor,
                reader=reader,
                reader_call_id=call_id,
            )
    else:
        with database.read() as connection:
            found = agent_day(connection, agent_id, day, settings.floor)
    return json_response(found)
