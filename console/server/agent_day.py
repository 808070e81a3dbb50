"""One agent's day for the floor's drill-down: the calls with their times, service, disposition
and bookings, the day's totals, and the time spent in each state.

Who called is left out unless asked for (``include_caller``); then every caller shown is an
audited read, one audit row per caller, as opening the caller's record is.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

from sqlalchemy import Connection, Row, bindparam, func, or_, select, text
from sqlalchemy.types import DateTime

from console.domain.floor import (
    AgentDay,
    AgentDayCall,
    AgentState,
    BookingAction,
    CallBooking,
    FloorCaller,
    FloorState,
    StateTime,
)
from console.domain.models import Agent, Role
from console.domain.reference import format_reference
from console.server import agent_states, audit, clock
from console.server.errors import not_found
from console.server.floor.day import Day
from console.server.floor_settings import FloorSettings
from console.server.schema import (
    agent_presence,
    agents,
    bookings,
    caller_phones,
    callers,
    calls,
    services,
    slots,
)

CHUNK = 500  # call ids per IN (...) list


def chunks(values: list[int], size: int = CHUNK) -> Iterator[list[int]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def call_bookings(connection: Connection, call_ids: list[int]) -> dict[int, list[CallBooking]]:
    """What each call did to bookings: made (booked or rescheduled into) and cancelled."""
    found: dict[int, list[CallBooking]] = {}
    b = bookings.c
    for part in chunks(call_ids):
        rows = connection.execute(
            select(
                b.id, b.reference, b.status, b.call_id, b.cancel_call_id, b.replaces,
                b.service_id, services.c.name.label("service_name"),
                services.c.name_en.label("service_name_en"), slots.c.starts_at,
            )
            .select_from(
                bookings.join(services, services.c.id == b.service_id).join(
                    slots, slots.c.id == b.slot_id
                )
            )
            .where(or_(b.call_id.in_(part), b.cancel_call_id.in_(part)))
            .order_by(b.id)
        )  # fmt: skip
        wanted = set(part)
        for row in rows:
            made = BookingAction.BOOKED if row.replaces is None else BookingAction.RESCHEDULED
            for call_id, action in (
                (row.call_id, made),
                (
                    row.cancel_call_id if row.status == "cancelled" else None,
                    BookingAction.CANCELLED,
                ),
            ):
                if call_id in wanted:
                    found.setdefault(call_id, []).append(
                        CallBooking(
                            reference=row.reference,
                            reference_display=format_reference(row.reference),
                            action=action,
                            status=row.status,
                            service_id=row.service_id,
                            service_name=row.service_name,
                            service_name_en=row.service_name_en,
                            slot_starts_at=clock.from_db(row.starts_at),
                        )
                    )
    return found


def _seconds(later: datetime | None, earlier: datetime | None) -> int | None:
    if later is None or earlier is None:
        return None
    return max(round((later - earlier).total_seconds()), 0)


def _day_call(row: Row, made: list[CallBooking]) -> AgentDayCall:
    talk = _seconds(row.ended_at, row.started_at) if row.wrapped_at is not None else None
    acw = row.after_call_work_seconds if row.wrapped_at is not None else None
    first = next((b for b in made if b.action is not BookingAction.CANCELLED), None) or next(
        iter(made), None
    )
    return AgentDayCall(
        id=row.id,
        direction=row.direction,
        started_at=clock.from_db(row.started_at),
        ended_at=clock.from_db(row.ended_at),
        wrapped_at=clock.from_db(row.wrapped_at),
        talk_seconds=talk,
        after_call_work_seconds=acw,
        handle_seconds=talk + (acw or 0) if talk is not None else None,
        disposition=row.disposition,
        service_id=first.service_id if first else None,
        service_name=first.service_name if first else None,
        service_name_en=first.service_name_en if first else None,
        bookings=made,
    )


def _callers(connection: Connection, ids: set[int]) -> dict[int, FloorCaller]:
    if not ids:
        return {}
    first_phone = (
        select(caller_phones.c.number)
        .where(caller_phones.c.caller_id == callers.c.id)
        .order_by(caller_phones.c.position, caller_phones.c.number)
        .limit(1)
        .scalar_subquery()
    )
    found: dict[int, FloorCaller] = {}
    for part in chunks(sorted(ids)):
        rows = connection.execute(
            select(
                callers.c.id, callers.c.first_name, callers.c.last_name, first_phone.label("phone")
            ).where(callers.c.id.in_(part))
        )
        for row in rows:
            found[row.id] = FloorCaller(
                id=row.id, first_name=row.first_name, last_name=row.last_name, phone=row.phone
            )
    return found


def _counts(connection: Connection, agent_id: int, day: Day) -> tuple[int, int, int]:
    """Bookings made (new), reschedules made and cancellations by the agent that day."""
    b = bookings.c
    made = connection.execute(
        select(
            func.count().filter(b.replaces.is_(None)),
            func.count().filter(b.replaces.is_not(None)),
        ).where(b.created_by == agent_id, b.created_at >= day.start, b.created_at < day.end)
    ).one()
    cancelled = connection.execute(
        select(func.count()).where(
            b.cancelled_by == agent_id,
            b.status == "cancelled",
            b.cancelled_at >= day.start,
            b.cancelled_at < day.end,
        )
    ).scalar_one()
    return int(made[0]), int(made[1]), int(cancelled)


def _state_sql(connection: Connection) -> str:
    if connection.dialect.name == "postgresql":
        begin, end = "GREATEST(started_at, :start)", "LEAST(coalesce(ended_at, :open_end), :end)"
        seconds = f"date_part('epoch', {end} - {begin})"
    else:
        begin, end = "max(started_at, :start)", "min(coalesce(ended_at, :open_end), :end)"
        seconds = f"((julianday({end}) - julianday({begin})) * 86400.0)"
    intervals = (
        "SELECT state, started_at, ended_at FROM agent_states "
        "WHERE agent_id = :agent AND started_at >= :start AND started_at < :end "
        "UNION ALL SELECT * FROM (SELECT state, started_at, ended_at FROM agent_states "
        "WHERE agent_id = :agent AND started_at < :start ORDER BY started_at DESC LIMIT 1) k"
    )
    return f"SELECT state, sum({seconds}) AS seconds FROM ({intervals}) x GROUP BY state"


def time_in_state(
    connection: Connection, agent_id: int, day: Day, settings: FloorSettings
) -> list[StateTime]:
    """Seconds in each state that day; an open interval counts up to now, or, for a desk that
    went silent, up to its last report."""
    now = clock.now()
    presence = connection.execute(
        select(agent_presence.c.state, agent_presence.c.last_seen_at).where(
            agent_presence.c.agent_id == agent_id
        )
    ).first()
    open_end = now
    if presence is not None:
        shown = agent_states.effective_state(presence.state, presence.last_seen_at, now, settings)
        if shown is FloorState.UNREACHABLE:
            open_end = presence.last_seen_at
    statement = text(_state_sql(connection)).bindparams(
        *(bindparam(name, type_=DateTime) for name in ("start", "end", "open_end"))
    )
    rows = connection.execute(
        statement, {"agent": agent_id, "start": day.start, "end": day.end, "open_end": open_end}
    )
    totals = {row.state: max(round(float(row.seconds or 0)), 0) for row in rows}
    return [
        StateTime(state=state, seconds=totals[state.value])
        for state in AgentState
        if state.value in totals
    ]


def agent_day(
    connection: Connection,
    agent_id: int,
    day: date,
    settings: FloorSettings,
    *,
    reader: Agent | None = None,
    reader_call_id: int | None = None,
) -> AgentDay:
    """One agent's calls of ``day``; with ``reader``, who called too, each caller's read
    recorded in the audit log as ``reader``'s (the connection must be a writing one)."""
    agent = connection.execute(
        select(agents.c.id, agents.c.name, agents.c.role).where(agents.c.id == agent_id)
    ).first()
    if agent is None:
        raise not_found("agent", agent_id)
    bounds = Day.of(day)
    rows = connection.execute(
        select(calls)
        .where(
            calls.c.agent_id == agent_id,
            calls.c.started_at >= bounds.start,
            calls.c.started_at < bounds.end,
        )
        .order_by(calls.c.started_at, calls.c.id)
    ).all()
    made = call_bookings(connection, [row.id for row in rows])
    day_calls = [_day_call(row, made.get(row.id, [])) for row in rows]
    if reader is not None:
        who = _callers(connection, {row.caller_id for row in rows if row.caller_id is not None})
        for row, item in zip(rows, day_calls, strict=True):
            item.caller = who.get(row.caller_id) if row.caller_id is not None else None
        for caller_id in sorted(who):
            audit.record(
                connection,
                reader,
                "read",
                "caller",
                caller_id,
                caller_id=caller_id,
                call_id=reader_call_id,
                detail=f"floor: calls of agent {agent_id} on {day.isoformat()}",
            )
    wrapped = [item for item in day_calls if item.handle_seconds is not None]
    acw = [
        item.after_call_work_seconds for item in wrapped if item.after_call_work_seconds is not None
    ]
    booked, rescheduled, cancelled = _counts(connection, agent_id, bounds)
    return AgentDay(
        agent_id=agent.id,
        agent_name=agent.name,
        role=Role(agent.role),
        date=day,
        calls=day_calls,
        wrapped=len(wrapped),
        avg_handle_seconds=round(sum(i.handle_seconds or 0 for i in wrapped) / len(wrapped), 1)
        if wrapped
        else None,
        avg_after_call_work_seconds=round(sum(acw) / len(acw), 1) if acw else None,
        bookings=booked,
        cancellations=cancelled,
        reschedules=rescheduled,
        time_in_state=time_in_state(connection, agent_id, bounds, settings),
        caller_identity=reader is not None,
    )
