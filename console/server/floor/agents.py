"""Each agent's line of the floor: state, current call and the day's figures."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Row, func, or_, select

from console.domain.floor import CALL_STATES, AgentState, FloorAgent, FloorCall, FloorState
from console.domain.models import Role
from console.server import agent_states
from console.server.floor.figures import Figures
from console.server.floor_settings import FloorSettings
from console.server.schema import agent_presence, agents, bookings, calls

P = agent_presence.c


def agent_query() -> Any:
    first_booking_service = (
        select(bookings.c.service_id)
        .where(bookings.c.call_id == P.call_id)
        .order_by(bookings.c.id)
        .limit(1)
        .scalar_subquery()
    )
    query = (
        select(
            agents.c.id,
            agents.c.name,
            agents.c.role,
            P.state,
            P.reason,
            P.since,
            P.last_seen_at,
            P.call_id,
            P.queued_writes,
            P.sync_issues,
            P.replayed,
            P.replayed_at,
            calls.c.started_at.label("call_started_at"),
            func.coalesce(P.service_id, first_booking_service).label("call_service_id"),
        )
        .select_from(
            agents.outerjoin(agent_presence, P.agent_id == agents.c.id).outerjoin(
                calls, calls.c.id == P.call_id
            )
        )
        .where(agents.c.active.is_(True), or_(agents.c.role == "agent", P.agent_id.is_not(None)))
        .order_by(agents.c.name, agents.c.id)
    )
    return query


_AGENTS = agent_query()


def agent_rows(connection: Connection) -> list[Row]:
    return list(connection.execute(_AGENTS))


def _aware(value: datetime | None) -> datetime | None:
    """A stored time read by the driver (naive UTC) as an aware one."""
    return value.replace(tzinfo=UTC) if value is not None else None


_STATES = {state.value: state for state in AgentState}
_ROLES = {role.value: role for role in Role}


def floor_agent(
    row: Row,
    now: datetime,
    figures: Figures,
    names: dict[int, Row],
    settings: FloorSettings,
) -> FloorAgent:
    """One agent's line of the floor (200 of them on every read: kept lean; the row is
    unpacked once, in the order of :func:`agent_query`'s columns)."""
    (agent_id, name, role, stored, reason, since, seen, call_id, queued, issues, replayed,
     replayed_at, call_started, call_service) = row  # fmt: skip
    reported = _STATES.get(stored) if stored else None
    state = agent_states.effective_state(reported, seen, now, settings)
    if state is FloorState.UNREACHABLE:
        since = seen
    call = None
    if call_id is not None and reported in CALL_STATES:
        talk_end = now if reported is AgentState.ON_CALL else row.since
        service = names.get(call_service) if call_service else None
        call = FloorCall(
            id=call_id,
            started_at=_aware(call_started),
            talk_seconds=max(int((talk_end - call_started).total_seconds()), 0),
            service_id=call_service,
            service_name=service.name if service else None,
            service_name_en=service.name_en if service else None,
        )
    return FloorAgent(
        id=agent_id,
        name=name,
        role=_ROLES[role],
        state=state,
        reported_state=reported,
        reason=reason if reported is AgentState.AWAY else None,
        since=_aware(since),
        seconds_in_state=max(int((now - since).total_seconds()), 0) if since else None,
        last_seen_at=_aware(seen),
        call=call,
        calls_today=figures.calls,
        wrapped_today=figures.wrapped,
        avg_handle_seconds=figures.avg_handle,
        avg_after_call_work_seconds=figures.avg_acw,
        bookings_today=figures.booked,
        cancellations_today=figures.cancelled,
        reschedules_today=figures.rescheduled,
        queued_writes=queued or 0,
        sync_issues=issues or 0,
        replayed=replayed or 0,
        replayed_at=_aware(replayed_at),
    )
