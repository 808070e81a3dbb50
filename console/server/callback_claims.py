"""Claims on callbacks and the outcome of each try: a claim is a lease decided by one UPDATE;
see :mod:`console.server.callbacks` for the rules."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Connection,
    DateTime,
    Integer,
    Row,
    and_,
    bindparam,
    func,
    insert,
    or_,
    select,
    text,
    update,
)

from console.domain.calendar import to_local
from console.domain.callbacks import (
    AttemptIn,
    AttemptOutcome,
    Callback,
    CallbackResult,
    CallbackStatus,
)
from console.domain.models import Agent, Role
from console.server import clock
from console.server.callbacks import (
    _ACTIVE_SQL,
    ACTIVE,
    _merge_note,
    _models,
    _rank_of,
    _record,
    in_window,
    next_open,
)
from console.server.errors import ApiProblem, conflict, not_found, unprocessable
from console.server.schema import (
    callback_attempts,
    callbacks,
    calls,
)
from console.server.settings import CallbackSettings

# A replayed attempt may carry the time it was made: not in the future (clocks drift a little)
# and not older than this.
ATTEMPT_FUTURE_SLACK = timedelta(minutes=5)
ATTEMPT_MAX_AGE = timedelta(days=7)
_RESULT_STATUS = {
    CallbackResult.REACHED: CallbackStatus.DONE,
    CallbackResult.REACHED_US: CallbackStatus.DONE,
    CallbackResult.DECLINED: CallbackStatus.DONE,
    CallbackResult.WRONG_NUMBER: CallbackStatus.FAILED,
    CallbackResult.NO_ANSWER: CallbackStatus.FAILED,
    CallbackResult.BUSY: CallbackStatus.FAILED,
    CallbackResult.CANCELLED: CallbackStatus.CANCELLED,
}


# --- claims -------------------------------------------------------------------------------------


# Open callbacks, and claimed ones whose lease ran out (the desk went away): a lapsed lease is
# not swept back separately, the next claim takes it. The first term is the predicate of the
# partial index ``ix_callbacks_queue`` as it is written there (SQLite uses a partial index
# only for queries that repeat its terms).
_NOW = bindparam("now", type_=DateTime())
_AGENT = bindparam("agent", type_=Integer())


def _available() -> Any:
    return and_(
        text(_ACTIVE_SQL),
        or_(
            callbacks.c.status == "open",
            # a lapsed lease; never one reached and held by its call
            and_(callbacks.c.call_id.is_(None), callbacks.c.lease_expires_at <= _NOW),
        ),
    )


def _claimable() -> Any:
    return and_(
        _available(),
        callbacks.c.due_at <= _NOW,
        or_(
            callbacks.c.assigned_to.is_(None),
            callbacks.c.assigned_to == _AGENT,
            callbacks.c.due_at <= bindparam("pool_after", type_=DateTime()),
        ),
    )


def _claim_statement(postgres: bool, named: bool) -> Any:
    """The claim as one UPDATE (built once: claims are the hot path). The next one: chosen by a
    subquery, which on PostgreSQL locks it and skips rows other claims hold; SQLite runs one
    writer at a time, and the UPDATE checks again that the row is still available."""
    if named:
        target = and_(callbacks.c.id == bindparam("callback_id"), _claimable())
    else:
        chosen = (
            select(callbacks.c.id)
            .where(_claimable())
            .order_by(callbacks.c.rank_at, callbacks.c.id)
            .limit(1)
        )
        if postgres:
            chosen = chosen.with_for_update(skip_locked=True)
        target = callbacks.c.id == chosen.scalar_subquery()
    return (
        update(callbacks)
        .where(target, _available())
        .values(
            status="claimed",
            claimed_by=_AGENT,
            claimed_at=_NOW,
            lease_expires_at=bindparam("lease", type_=DateTime()),
        )
        .returning(callbacks)
    )


_CLAIMS = {
    (postgres, named): _claim_statement(postgres, named)
    for postgres in (False, True)
    for named in (False, True)
}


def claim(
    connection: Connection,
    agent: Agent,
    settings: CallbackSettings,
    now: datetime,
    callback_id: int | None = None,
) -> Callback | None:
    """Lease the next due callback (or ``callback_id``) to ``agent``; None when none is due."""
    hours = settings.office_hours
    holidays = settings.exclude_holidays
    if not in_window(hours, now, holidays=holidays):
        if callback_id is None:
            return None
        opens = next_open(hours, now, holidays=holidays)
        when = f"; they open again {to_local(opens):%d. %m. %Y %H:%M}" if opens else ""
        days = ", not on holidays" if holidays else ""
        raise conflict("outside_hours", f"Callbacks are made {hours.describe()}{days}{when}.")
    lease = now + timedelta(minutes=settings.lease_minutes)
    values = {
        "now": now,
        "agent": agent.id,
        "lease": lease,
        "pool_after": now - timedelta(minutes=settings.assigned_minutes),
    }
    if callback_id is not None:
        values["callback_id"] = callback_id
    statement = _CLAIMS[(connection.dialect.name == "postgresql", callback_id is not None)]
    row = connection.execute(statement, values).first()
    if row is None:
        if callback_id is None:
            return None
        return _claim_refused(connection, agent, callback_id, lease, settings, now)
    _record(connection, [row], "claimed", agent.id)
    return _models(connection, [row], settings, now)[0]


def _claim_refused(
    connection: Connection,
    agent: Agent,
    callback_id: int,
    lease: datetime,
    settings: CallbackSettings,
    now: datetime,
) -> Callback:
    row = connection.execute(select(callbacks).where(callbacks.c.id == callback_id)).first()
    if row is None:
        raise not_found("callback", callback_id)
    if row.status == "claimed" and row.claimed_by == agent.id:
        row = connection.execute(  # claimed again by its holder: the lease is renewed
            update(callbacks)
            .where(callbacks.c.id == callback_id)
            .values(lease_expires_at=lease)
            .returning(callbacks)
        ).one()
        _record(connection, [row], "claimed", agent.id)
        return _models(connection, [row], settings, now)[0]
    raise _state_problem(row, agent, now)


def _state_problem(row: Row, agent: Agent, now: datetime) -> ApiProblem:
    if row.status not in ACTIVE:
        return conflict(
            "callback_closed",
            f"This callback is already closed ({row.status}, {row.result}); nothing was changed.",
        )
    if row.status == "claimed" and row.claimed_by != agent.id:
        return conflict("callback_claimed", "Another agent is working on this callback.")
    if row.due_at > now:
        when = to_local(row.due_at)
        return conflict("callback_not_due", f"This callback is not due before {when:%H:%M}.")
    if row.assigned_to not in (None, agent.id):
        return conflict("callback_assigned", "This callback is kept for another agent for now.")
    return conflict("callback_not_claimed", "Claim this callback first.")


def _locked(connection: Connection, callback_id: int) -> Row:
    query = select(callbacks).where(callbacks.c.id == callback_id)
    if connection.dialect.name == "postgresql":
        query = query.with_for_update()
    row = connection.execute(query).first()
    if row is None:
        raise not_found("callback", callback_id)
    return row


def _held_by(row: Row, agent: Agent, now: datetime) -> None:
    """Refuse unless ``agent`` holds ``row`` (a lapsed lease of theirs that nobody took since
    still counts: a desk replays what it did while the service was out of reach)."""
    if row.status not in ACTIVE:
        raise _state_problem(row, agent, now)
    in_call = row.status == "claimed" and row.call_id is not None
    if row.claimed_by != agent.id:
        if row.status == "claimed" and (in_call or row.lease_expires_at > now):
            raise conflict("callback_claimed", "Another agent is working on this callback.")
        raise conflict("callback_not_claimed", "Claim this callback first.")
    if in_call:
        raise conflict(
            "callback_in_call",
            f"This callback was reached in call {row.call_id}: the call's wrap-up closes it; "
            "nothing was changed.",
        )


def attempt(
    connection: Connection,
    agent: Agent,
    callback_id: int,
    payload: AttemptIn,
    settings: CallbackSettings,
    now: datetime,
) -> Callback:
    """Record one try at calling back, and what it means for the callback."""
    row = _locked(connection, callback_id)
    _held_by(row, agent, now)
    at = clock.to_db(payload.at) if payload.at else now
    if at > now + ATTEMPT_FUTURE_SLACK:
        raise unprocessable("An attempt cannot be in the future.", "at")
    if at < now - ATTEMPT_MAX_AGE:
        raise unprocessable("An attempt older than a week cannot be recorded.", "at")
    outcome = payload.outcome
    call = _call_of(connection, agent, payload.call_id, outcome)
    connection.execute(
        insert(callback_attempts).values(
            callback_id=callback_id,
            at=at,
            agent_id=agent.id,
            outcome=outcome.value,
            note=payload.note,
            call_id=payload.call_id,
        )
    )
    values: dict[str, Any] = {"attempt_count": row.attempt_count + 1, "lease_expires_at": None}
    if outcome in (AttemptOutcome.NO_ANSWER, AttemptOutcome.BUSY):
        unanswered = connection.execute(
            select(func.count()).where(
                callback_attempts.c.callback_id == callback_id,
                callback_attempts.c.outcome.in_(["no_answer", "busy"]),
            )
        ).scalar_one()
        if unanswered >= settings.max_attempts:
            result = CallbackResult(outcome.value)
            values |= _closed(result, at)
        else:
            retry = max(row.due_at, at + timedelta(minutes=settings.retry_after(unanswered)))
            values |= {
                "status": "open",
                "due_at": retry,
                "rank_at": _rank_of(row, settings, due_at=retry),
            }
    elif outcome is AttemptOutcome.REACHED and call is not None and call.wrapped_at is None:
        # The call goes on: the callback stays with this agent, held by the call, until the
        # call's wrap-up closes it (console.server.callbacks.call_closed).
        values |= {
            "status": "claimed",
            "claimed_by": agent.id,
            "claimed_at": row.claimed_at or at,
            "lease_expires_at": row.lease_expires_at or at,  # kept; the call holds it
            "call_id": call.id,
        }
    elif outcome is AttemptOutcome.REACHED and call is not None:
        # A replay after the call's wrap-up: the wrap-up has closed it already.
        values |= _closed(CallbackResult.REACHED, max(at, call.wrapped_at)) | {"call_id": call.id}
    else:
        result = {
            AttemptOutcome.DECLINED: CallbackResult.DECLINED,
            AttemptOutcome.WRONG_NUMBER: CallbackResult.WRONG_NUMBER,
        }[outcome]
        values |= _closed(result, at)
    updated = connection.execute(
        update(callbacks).where(callbacks.c.id == callback_id).values(**values).returning(callbacks)
    ).one()
    op = "attempted" if updated.status in ACTIVE else "closed"
    _record(connection, [updated], op, agent.id)
    return _models(connection, [updated], settings, now)[0]


def _call_of(
    connection: Connection, agent: Agent, call_id: int | None, outcome: AttemptOutcome
) -> Row | None:
    """The console call an attempt names (required for ``reached``: the call goes on, and its
    wrap-up closes the callback; it must be this agent's)."""
    if call_id is None:
        if outcome is AttemptOutcome.REACHED:
            raise unprocessable(
                "A reached callback goes on as a call: name it (call_id); its wrap-up closes "
                "the callback.",
                "call_id",
            )
        return None
    row = connection.execute(
        select(calls.c.id, calls.c.agent_id, calls.c.wrapped_at).where(calls.c.id == call_id)
    ).first()
    if row is None:
        raise unprocessable(f"No call {call_id}.", "call_id", "call_not_found")
    if outcome is AttemptOutcome.REACHED and row.agent_id != agent.id:
        raise unprocessable(f"Call {call_id} is another agent's.", "call_id")
    return row


def _closed(result: CallbackResult, at: datetime) -> dict[str, Any]:
    return {"status": _RESULT_STATUS[result].value, "result": result.value, "closed_at": at}


def release(
    connection: Connection,
    agent: Agent,
    callback_id: int,
    settings: CallbackSettings,
    now: datetime,
) -> Callback:
    """Give a claimed callback back to the queue, untouched (a release of one already back in
    the queue answers the same)."""
    row = _locked(connection, callback_id)
    _held_by(row, agent, now)
    if row.status == "claimed":
        row = connection.execute(
            update(callbacks)
            .where(callbacks.c.id == callback_id)
            .values(status="open", lease_expires_at=None)
            .returning(callbacks)
        ).one()
        _record(connection, [row], "released", agent.id)
    return _models(connection, [row], settings, now)[0]


def cancel(
    connection: Connection,
    agent: Agent,
    callback_id: int,
    reason: str,
    settings: CallbackSettings,
    now: datetime,
) -> Callback:
    row = _locked(connection, callback_id)
    if row.status not in ACTIVE:
        raise _state_problem(row, agent, now)
    if (
        row.status == "claimed"
        and row.claimed_by != agent.id
        and row.lease_expires_at > now
        and agent.role is not Role.ADMIN
    ):
        raise conflict("callback_claimed", "Another agent is working on this callback.")
    values = _closed(CallbackResult.CANCELLED, now) | {"lease_expires_at": None}
    if reason:
        values["note"] = _merge_note(row.note, reason)
    row = connection.execute(
        update(callbacks).where(callbacks.c.id == callback_id).values(**values).returning(callbacks)
    ).one()
    _record(connection, [row], "closed", agent.id)
    return _models(connection, [row], settings, now)[0]
