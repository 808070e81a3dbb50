"""Calls and their wrap-ups.

A desk reports a call's own times (its start with the call, its end with the wrap-up): a call
made offline reaches the service minutes or days later, and its record keeps when it really
happened. A time in the future beyond ``CLOCK_SKEW`` is refused (a desk's clock may run a
little ahead), and so is a start older than the idempotency window: a desk never replays a
write older than that.

A call is claimed for a change (a caller attached, the wrap-up) under a row lock on
PostgreSQL (SQLite's writers hold the database's write lock already), and the wrap-up's update
is conditional on the call being open: of two wrap-ups at once, one wins and the other gets
409 ``call_wrapped``, and the audit log and the feed hold one ``wrapped`` entry.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Connection, Row, insert, select, update

from console.domain.calendar import TZ
from console.domain.models import Agent, Call, CallDirection, Role, WrapUpIn
from console.server import audit, callbacks, changes, clock
from console.server.agents import agent_names
from console.server.errors import conflict, forbidden, not_found, unprocessable
from console.server.schema import callers, calls, providers
from console.server.settings import CallbackSettings

# A desk may say a call started or ended up to this long after the service's clock (desks'
# clocks drift a little; such a time is taken as now); later is refused.
CLOCK_SKEW = timedelta(minutes=5)
MAX_NOTES = 8000 + 4000  # a wrap-up's notes and the lines added to them later


def desk_time(value: datetime | None, field: str, *, oldest_days: int | None = None) -> datetime:
    """A time a desk reports for a call, as stored (naive UTC); None: now. Refused (422 naming
    ``field``) beyond ``CLOCK_SKEW`` in the future or more than ``oldest_days`` ago; a time
    within the skew ahead is taken as now."""
    now = clock.now()
    if value is None:
        return now
    stored = clock.to_db(value)
    if stored > now + CLOCK_SKEW:
        raise unprocessable(
            f"{field} is in the future (the desk's clock may be wrong).", field, "time_in_future"
        )
    if oldest_days is not None and stored < now - timedelta(days=oldest_days):
        raise unprocessable(
            f"{field} is more than {oldest_days} days ago: older calls are not accepted.",
            field,
            "time_too_old",
        )
    return min(stored, now)


def to_model(
    row: Row, names: dict[int, str] | None = None, doctors: dict[int, str] | None = None
) -> Call:
    return Call(
        id=row.id,
        agent_id=row.agent_id,
        agent_name=(names or {}).get(row.agent_id),
        caller_id=row.caller_id,
        direction=CallDirection(row.direction),
        started_at=clock.from_db(row.started_at),
        ended_at=clock.from_db(row.ended_at),
        disposition=row.disposition,
        notes=row.notes,
        follow_up_at=clock.from_db(row.follow_up_at),
        follow_up_note=row.follow_up_note,
        after_call_work_seconds=row.after_call_work_seconds,
        wrapped_at=clock.from_db(row.wrapped_at),
        referred_provider_id=row.referred_provider_id,
        referred_provider_name=(doctors or {}).get(row.referred_provider_id),
    )


def _is_doctor(connection: Connection, provider_id: int) -> bool:
    found = connection.execute(
        select(providers.c.id).where(providers.c.id == provider_id, providers.c.kind == "doctor")
    ).first()
    return found is not None


def doctor_names(connection: Connection, provider_ids: set[int | None]) -> dict[int, str]:
    """The names of the doctors calls referred callers to."""
    wanted = {i for i in provider_ids if i is not None}
    if not wanted:
        return {}
    rows = connection.execute(
        select(providers.c.id, providers.c.name).where(providers.c.id.in_(wanted))
    )
    return {row.id: row.name for row in rows}


def get_row(connection: Connection, call_id: int) -> Row:
    row = connection.execute(select(calls).where(calls.c.id == call_id)).first()
    if row is None:
        raise not_found("call", call_id)
    return row


def get(connection: Connection, call_id: int) -> Call:
    row = get_row(connection, call_id)
    return to_model(
        row,
        agent_names(connection, {row.agent_id}),
        doctor_names(connection, {row.referred_provider_id}),
    )


def check_call(connection: Connection, agent: Agent, call_id: int | None, field: str) -> int | None:
    """``call_id`` if it names a call of this agent's (any call, for an admin), else 422
    ``call_not_found`` naming ``field`` (``call_id`` in a body, ``X-Call-Id``)."""
    if call_id is None:
        return None
    owner = connection.execute(select(calls.c.agent_id).where(calls.c.id == call_id)).scalar()
    if owner is None:
        raise unprocessable(f"No call {call_id}.", field, "call_not_found")
    if owner != agent.id and agent.role is not Role.ADMIN:
        raise unprocessable(f"Call {call_id} is another agent's.", field, "call_not_found")
    return call_id


def check_caller(connection: Connection, caller_id: int | None, field: str = "caller_id") -> None:
    """422 ``caller_not_found`` if ``caller_id`` names no caller."""
    if caller_id is None:
        return
    found = connection.execute(select(callers.c.id).where(callers.c.id == caller_id)).first()
    if found is None:
        raise unprocessable(f"No caller {caller_id}.", field, "caller_not_found")


def start(
    connection: Connection,
    agent: Agent,
    caller_id: int | None,
    direction: CallDirection,
    started_at: datetime | None = None,
    *,
    oldest_days: int = 30,
) -> Call:
    """Start a call, at ``started_at`` when the desk says when it began (see
    :func:`desk_time`)."""
    began = desk_time(started_at, "started_at", oldest_days=oldest_days)
    check_caller(connection, caller_id)
    call_id = connection.execute(
        insert(calls)
        .values(
            agent_id=agent.id,
            caller_id=caller_id,
            direction=direction.value,
            started_at=began,
        )
        .returning(calls.c.id)
    ).scalar_one()
    audit.record(connection, agent, "create", "call", call_id, caller_id=caller_id, call_id=call_id)
    changes.record(connection, "call", call_id, "started", agent.id, {"caller_id": caller_id})
    if caller_id is not None and direction is CallDirection.INBOUND:
        # The callbacks waiting when the caller called (a call made offline: then, not now).
        callbacks.caller_reached_us(connection, caller_id, began, agent.id)
    return get(connection, call_id)


def _own_open_call(connection: Connection, agent: Agent, call_id: int) -> Row:
    """The call, locked for this transaction, if this agent may change it and it is open."""
    query = select(calls).where(calls.c.id == call_id)
    if connection.dialect.name == "postgresql":
        query = query.with_for_update()
    row = connection.execute(query).first()
    if row is None:
        raise not_found("call", call_id)
    if row.agent_id != agent.id and agent.role is not Role.ADMIN:
        raise forbidden("This call belongs to another agent.")
    if row.wrapped_at is not None:
        raise conflict("call_wrapped", "This call is already wrapped up.")
    return row


def attach_caller(
    connection: Connection, agent: Agent, call_id: int, caller_id: int | None
) -> Call:
    row = _own_open_call(connection, agent, call_id)
    check_caller(connection, caller_id)
    connection.execute(update(calls).where(calls.c.id == call_id).values(caller_id=caller_id))
    audit.record(connection, agent, "update", "call", call_id, caller_id=caller_id, call_id=call_id)
    changes.record(connection, "call", call_id, "updated", agent.id, {"caller_id": caller_id})
    if caller_id is not None and row.direction == CallDirection.INBOUND.value:
        callbacks.caller_reached_us(connection, caller_id, clock.now(), agent.id)
    return get(connection, call_id)


def wrap_up(
    connection: Connection,
    agent: Agent,
    call_id: int,
    payload: WrapUpIn,
    codes: set[str],
    callback_settings: CallbackSettings | None = None,
) -> Call:
    """Wrap the call up; its follow-up (if any) becomes a callback (see
    :func:`console.server.callbacks.follow_up`)."""
    row = _own_open_call(connection, agent, call_id)
    if payload.disposition not in codes:
        raise unprocessable(
            f"Unknown disposition {payload.disposition!r}; use one of: {', '.join(sorted(codes))}.",
            "disposition",
        )
    now = clock.now()
    # Beyond CLOCK_SKEW in the future: 422 time_in_future (desk_time).
    ended = desk_time(payload.ended_at, "ended_at") if payload.ended_at else (row.ended_at or now)
    if ended < row.started_at:
        raise unprocessable("The call cannot end before it started.", "ended_at")
    follow_up = clock.to_db(payload.follow_up_at) if payload.follow_up_at else None
    if follow_up is not None and follow_up < row.started_at:
        raise unprocessable("A follow-up must be after the call.", "follow_up_at")
    referred = payload.referred_provider_id
    if referred is not None and not _is_doctor(connection, referred):
        raise unprocessable(
            f"No doctor {referred} in the directory to refer the caller to.",
            "referred_provider_id",
            "provider_not_found",
        )
    claimed = connection.execute(
        update(calls)
        .where(calls.c.id == call_id, calls.c.wrapped_at.is_(None))
        .values(
            ended_at=ended,
            disposition=payload.disposition,
            # Lines added before the wrap-up (a sync issue settled during the call) stay.
            notes=f"{payload.notes}\n{row.notes}".strip() if row.notes else payload.notes,
            follow_up_at=follow_up,
            follow_up_note=payload.follow_up_note or None,
            after_call_work_seconds=payload.after_call_work_seconds,
            wrapped_at=now,
            referred_provider_id=referred,
        )
    )
    if claimed.rowcount != 1:  # pragma: no cover - the row lock makes this unreachable
        raise conflict("call_wrapped", "This call is already wrapped up.")
    audit.record(
        connection,
        agent,
        "wrapup",
        "call",
        call_id,
        caller_id=row.caller_id,
        call_id=call_id,
        detail=payload.disposition,
    )
    changes.record(
        connection,
        "call",
        call_id,
        "wrapped",
        agent.id,
        {
            "caller_id": row.caller_id,
            "disposition": payload.disposition,
            "referred_provider_id": referred,
        },
    )
    # A callback reached in this call is done now, the call linked.
    callbacks.call_closed(connection, call_id, now, agent.id)
    if follow_up is not None:
        callbacks.follow_up(
            connection,
            agent,
            row,
            follow_up,
            payload.follow_up_note,
            payload.follow_up_number,
            payload.follow_up_assign,
            callback_settings or CallbackSettings(),
        )
    return get(connection, call_id)


def add_note(connection: Connection, agent: Agent, call_id: int, note: str) -> Call:
    """Add a line to a call's record, wrapped up or not: what finally became of something the
    call did (a booking the replay after an outage could not confirm, rebooked or turned into
    a callback). Dated and signed; the notes before it stay as they were."""
    row = get_row(connection, call_id)
    if row.agent_id != agent.id and agent.role is not Role.ADMIN:
        raise forbidden("This call belongs to another agent.")
    stamp = clock.from_db(clock.now())
    assert stamp is not None
    local = stamp.astimezone(TZ)  # as Slovenians write it: 4. 12. 2026 09:05
    line = f"[{local.day}. {local.month}. {local.year} {local:%H:%M} {agent.name}] {note.strip()}"
    notes = f"{row.notes}\n{line}" if row.notes else line
    if len(notes) > MAX_NOTES:
        raise unprocessable("This call's notes are full: no more lines can be added.", "note")
    connection.execute(update(calls).where(calls.c.id == call_id).values(notes=notes))
    audit.record(
        connection, agent, "update", "call", call_id, caller_id=row.caller_id, call_id=call_id
    )
    changes.record(connection, "call", call_id, "noted", agent.id, {"caller_id": row.caller_id})
    return get(connection, call_id)


def recent(
    connection: Connection,
    *,
    caller_id: int | None,
    agent_id: int | None,
    limit: int,
    open_only: bool = False,
) -> list[Call]:
    """Calls, newest first; ``open_only``: those not wrapped up yet."""
    query = select(calls).order_by(calls.c.started_at.desc(), calls.c.id.desc()).limit(limit)
    if open_only:
        query = query.where(calls.c.wrapped_at.is_(None))
    if caller_id is not None:
        query = query.where(calls.c.caller_id == caller_id)
    if agent_id is not None:
        query = query.where(calls.c.agent_id == agent_id)
    rows = connection.execute(query).all()
    names = agent_names(connection, {row.agent_id for row in rows})
    doctors = doctor_names(connection, {row.referred_provider_id for row in rows})
    return [to_model(row, names, doctors) for row in rows]
