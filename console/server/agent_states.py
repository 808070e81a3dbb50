"""Agents' states, reported by their desks and moved by their calls.

A desk reports its agent's state (``PUT /v1/desk/state``) on every change and, unchanged, as
its heartbeat. The service keeps:

- ``agent_states``: every state as an interval (the open one, ``ended_at`` NULL, is the current
  state), so that time in each state can be counted;
- ``agent_presence``: one row per agent, the current state's copy, when the desk last reported
  and what it last said of its outbox (queued writes, sync issues, its last replay).

A heartbeat that changes nothing is one ``UPDATE`` of ``last_seen_at`` (a column no index
covers), matched on everything the report says: no interval, no feed row. Anything else (a new
state, reason or call, other counts, a replay, a desk back after being unreachable) takes the
presence row's lock and writes the change, with one change-feed row (entity ``agent_state``,
``entity_id`` the agent's id).

A desk is *unreachable* when it has not reported for ``unreachable_after_seconds``; that is
worked out when it is read (:func:`effective_state`), never by a timer. When such a desk reports
again, its old interval is closed at its last report, so the silence is counted in no state.

Calls move the state where that is unambiguous: starting a call puts its agent ``on_call``
(with the call); the wrap-up of the call the agent is on (or in after-call work for) records the
after-call work from the call's end to the wrap-up and makes the agent ``ready``. A wrap-up of
any other call leaves the state alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row, bindparam, case, insert, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.types import DateTime

from console.domain.floor import CALL_STATES, AgentState, DeskState, DeskStateIn, FloorState
from console.domain.models import Agent
from console.server import changes, clock
from console.server.errors import unprocessable
from console.server.floor_settings import FloorSettings
from console.server.schema import agent_presence, agent_states, calls, services

ENTITY = "agent_state"
P = agent_presence.c


@dataclass(frozen=True)
class _Next:
    state: AgentState
    reason: str | None
    call_id: int | None
    service_id: int | None


def effective_state(
    state: str | None, last_seen_at: datetime | None, now: datetime, settings: FloorSettings
) -> FloorState:
    """What the floor shows for a reported ``state`` last confirmed at ``last_seen_at``."""
    if state is None or state == AgentState.SIGNED_OUT:
        return FloorState.SIGNED_OUT
    if last_seen_at is None or now - last_seen_at > _silence(settings):
        return FloorState.UNREACHABLE
    return FloorState(state)


def is_reachable(connection: Connection, agent_id: int, settings: FloorSettings) -> bool:
    """True when the agent's desk is signed in and reported recently (not unreachable)."""
    row = connection.execute(select(P.state, P.last_seen_at).where(P.agent_id == agent_id)).first()
    if row is None:
        return False
    state = effective_state(row.state, row.last_seen_at, clock.now(), settings)
    return state not in (FloorState.SIGNED_OUT, FloorState.UNREACHABLE)


def _silence(settings: FloorSettings) -> timedelta:
    return timedelta(seconds=settings.unreachable_after_seconds)


def check(body: DeskStateIn, settings: FloorSettings) -> None:
    """Refuse what no state could mean (422 naming the field), before touching the database."""
    codes = settings.away_codes()
    if body.state is AgentState.AWAY:
        if not body.reason:
            raise unprocessable(
                f"Say why the agent is away: reason is one of {', '.join(codes)}.", "reason"
            )
        if body.reason not in codes:
            raise unprocessable(
                f"Unknown reason {body.reason!r} for being away; use one of: {', '.join(codes)}.",
                "reason",
            )
    elif body.reason is not None:
        raise unprocessable(
            f"A reason is given only with 'away', not {body.state.value!r}.", "reason"
        )
    if body.state not in CALL_STATES:
        for name in ("call_id", "service_id"):
            if getattr(body, name) is not None:
                raise unprocessable(f"{name} is given only with on_call or after_call_work.", name)


def report(
    connection: Connection, agent: Agent, body: DeskStateIn, settings: FloorSettings
) -> DeskState:
    """Apply one report from ``agent``'s desk (see the module docstring)."""
    check(body, settings)
    now = clock.now()
    if not body.replayed:
        row = _heartbeat(connection, agent.id, body, now, settings)
        if row is not None:
            return to_model(row, settings, changed=False)
    row, created = _locked(connection, agent.id, now)
    before = None if created else row
    unreachable = before is not None and _was_unreachable(before, now, settings)
    nxt = _next(connection, agent, body, before)
    if nxt is None:  # a late report about a call already wrapped up: keep the state
        connection.execute(
            update(agent_presence).where(P.agent_id == agent.id).values(last_seen_at=now)
        )
        return current(connection, agent.id, settings)
    state_changed = (
        before is None
        or unreachable
        or before.state != nxt.state
        or before.reason != nxt.reason
        or (nxt.state in CALL_STATES and before.call_id != nxt.call_id)
    )
    queued = body.queued_writes if body.queued_writes is not None else row.queued_writes
    issues = body.sync_issues if body.sync_issues is not None else row.sync_issues
    values: dict[str, Any] = {
        "state": nxt.state.value,
        "reason": nxt.reason,
        "call_id": nxt.call_id,
        "service_id": nxt.service_id,
        "last_seen_at": now,
        "queued_writes": queued,
        "sync_issues": issues,
    }
    if state_changed:
        closed_at = before.last_seen_at if (before is not None and unreachable) else now
        _transition(connection, agent.id, nxt, start=now, close_at=closed_at)
        values["since"] = now
    if body.replayed:
        values["replayed"] = body.replayed
        values["replayed_at"] = now
    changed = (
        state_changed
        or bool(body.replayed)
        or queued != row.queued_writes
        or issues != row.sync_issues
        or nxt.service_id != row.service_id
    )
    connection.execute(update(agent_presence).where(P.agent_id == agent.id).values(**values))
    if changed:
        if state_changed:
            op = "changed"
        elif body.replayed:
            op = "replayed"
        else:
            op = "updated"
        previous = None if before is None else ("unreachable" if unreachable else before.state)
        _feed(connection, agent.id, op, previous, "desk", values, row)
    return current(connection, agent.id, settings, changed=changed)


_PRESENCE_COLUMNS = ", ".join(column.name for column in agent_presence.c)
# The heartbeat's statement for each shape of report (which fields it carries), written once:
# a heartbeat is the most frequent request there is, and building the statement anew each time
# cost more than running it.
_HEARTBEATS: dict[tuple[bool, ...], Any] = {}


def _heartbeat_statement(shape: tuple[bool, ...]) -> Any:
    statement = _HEARTBEATS.get(shape)
    if statement is not None:
        return statement
    has_reason, has_call, has_service, has_queued, has_issues, may_go_silent = shape
    conditions = [
        "agent_id = :agent",
        "state = :state",
        "reason = :reason" if has_reason else "reason IS NULL",
    ]
    conditions += ["call_id = :call"] if has_call else []
    conditions += ["service_id = :service"] if has_service else []
    conditions += ["queued_writes = :queued"] if has_queued else []
    conditions += ["sync_issues = :issues"] if has_issues else []
    conditions += ["last_seen_at >= :cutoff"] if may_go_silent else []
    typed = [bindparam("now", type_=DateTime)]
    typed += [bindparam("cutoff", type_=DateTime)] if may_go_silent else []
    statement = (
        text(
            f"UPDATE agent_presence SET last_seen_at = :now WHERE {' AND '.join(conditions)} "
            f"RETURNING {_PRESENCE_COLUMNS}"
        )
        .bindparams(*typed)
        .columns(*agent_presence.c)
    )
    _HEARTBEATS[shape] = statement
    return statement


def _heartbeat(
    connection: Connection, agent_id: int, body: DeskStateIn, now: datetime, settings: FloorSettings
) -> Row | None:
    """The unchanged report: one UPDATE of last_seen_at, matched on everything the report
    says; the presence row, or None when something differs (or there is no row yet)."""
    on_call = body.state in CALL_STATES
    shape = (
        body.reason is not None,
        on_call and body.call_id is not None,
        on_call and body.service_id is not None,
        body.queued_writes is not None,
        body.sync_issues is not None,
        body.state is not AgentState.SIGNED_OUT,
    )
    params = {
        "agent": agent_id,
        "state": body.state.value,
        "reason": body.reason,
        "call": body.call_id,
        "service": body.service_id,
        "queued": body.queued_writes,
        "issues": body.sync_issues,
        "now": now,
        "cutoff": now - _silence(settings),
    }
    return connection.execute(_heartbeat_statement(shape), params).first()


def _insert_presence(connection: Connection):  # type: ignore[no-untyped-def]
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    return dialect.insert(agent_presence)


def _locked(connection: Connection, agent_id: int, now: datetime) -> tuple[Row, bool]:
    """The agent's presence row, locked until the commit; created (signed out) if missing.
    Also whether it was created now."""
    created = connection.execute(
        _insert_presence(connection)
        .values(
            agent_id=agent_id,
            state=AgentState.SIGNED_OUT.value,
            since=now,
            last_seen_at=now,
        )
        .on_conflict_do_nothing(index_elements=["agent_id"])
        .returning(P.agent_id)
    ).first()
    row = connection.execute(
        select(agent_presence).where(P.agent_id == agent_id).with_for_update()
    ).one()
    return row, created is not None


def _was_unreachable(row: Row, now: datetime, settings: FloorSettings) -> bool:
    return row.state != AgentState.SIGNED_OUT and now - row.last_seen_at > _silence(settings)


def _next(
    connection: Connection, agent: Agent, body: DeskStateIn, before: Row | None
) -> _Next | None:
    """The state this report asks for, its call and service filled in from what is known; None
    for a report about a call already wrapped up."""
    if body.state not in CALL_STATES:
        return _Next(body.state, body.reason, None, None)
    same_call = before is not None and before.state in CALL_STATES
    call_id = body.call_id
    if call_id is None:
        call_id = before.call_id if same_call and before is not None else None
    elif not (same_call and before is not None and before.call_id == call_id):
        call = connection.execute(
            select(calls.c.agent_id, calls.c.wrapped_at).where(calls.c.id == call_id)
        ).first()
        if call is None or call.agent_id != agent.id:
            raise unprocessable(f"Call {call_id} is not one of this agent's calls.", "call_id")
        if call.wrapped_at is not None:
            return None
    service_id = body.service_id
    if service_id is None and same_call and before is not None and before.call_id == call_id:
        service_id = before.service_id
    elif service_id is not None and (before is None or before.service_id != service_id):
        found = connection.execute(select(services.c.id).where(services.c.id == service_id)).first()
        if found is None:
            raise unprocessable(f"No service {service_id}.", "service_id")
    return _Next(body.state, None, call_id, service_id)


def _transition(
    connection: Connection, agent_id: int, nxt: _Next, *, start: datetime, close_at: datetime
) -> None:
    """Close the agent's open interval at ``close_at`` (never before it began) and open one
    for ``nxt`` at ``start``."""
    _close(connection, agent_id, close_at)
    connection.execute(
        insert(agent_states).values(
            agent_id=agent_id,
            state=nxt.state.value,
            reason=nxt.reason,
            call_id=nxt.call_id,
            started_at=start,
        )
    )


def _close(connection: Connection, agent_id: int, at: datetime) -> None:
    column = agent_states.c
    connection.execute(
        update(agent_states)
        .where(column.agent_id == agent_id, column.ended_at.is_(None))
        .values(ended_at=case((column.started_at > at, column.started_at), else_=at))
    )


def _feed(
    connection: Connection,
    agent_id: int,
    op: str,
    previous: str | None,
    source: str,
    values: dict[str, Any],
    row: Row,
) -> None:
    data = {
        "state": values["state"],
        "previous": previous,
        "reason": values.get("reason"),
        "call_id": values.get("call_id"),
        "service_id": values.get("service_id"),
        "since": clock.from_db(values.get("since", row.since)).isoformat(),
        "queued_writes": values.get("queued_writes", row.queued_writes),
        "sync_issues": values.get("sync_issues", row.sync_issues),
        "replayed": values.get("replayed", 0),
        "source": source,
    }
    changes.record(connection, ENTITY, agent_id, op, agent_id, data)


# --- calls move the state -------------------------------------------------------------------


def call_started(
    connection: Connection, agent_id: int, call_id: int, at: datetime, settings: FloorSettings
) -> None:
    """A call began at ``at``: its agent is on it (from ``at``, or from when the agent's
    present state began if that is later: intervals never overlap)."""
    row, created = _locked(connection, agent_id, at)
    if not created and row.state == AgentState.ON_CALL and row.call_id == call_id:
        return
    if not created and at < row.since:
        at = row.since
    nxt = _Next(AgentState.ON_CALL, None, call_id, None)
    unreachable = not created and _was_unreachable(row, at, settings)
    previous = None if created else ("unreachable" if unreachable else row.state)
    _transition(
        connection, agent_id, nxt, start=at, close_at=row.last_seen_at if unreachable else at
    )
    values = _presence_values(nxt, at)
    connection.execute(update(agent_presence).where(P.agent_id == agent_id).values(**values))
    _feed(connection, agent_id, "changed", previous, "call", values, row)


def call_wrapped(
    connection: Connection, agent_id: int, call_id: int, ended_at: datetime, at: datetime
) -> None:
    """The call ``call_id`` was wrapped up at ``at`` after ending at ``ended_at``: if its agent
    is on it or in its after-call work, that work is recorded and the agent is ready."""
    row = connection.execute(
        select(agent_presence).where(P.agent_id == agent_id).with_for_update()
    ).first()
    if row is None or row.call_id != call_id or row.state not in CALL_STATES:
        return
    if row.state == AgentState.ON_CALL:
        talk_ended = min(max(ended_at, row.since), at)
        _close(connection, agent_id, talk_ended)
        if talk_ended < at:
            connection.execute(
                insert(agent_states).values(
                    agent_id=agent_id,
                    state=AgentState.AFTER_CALL_WORK.value,
                    call_id=call_id,
                    started_at=talk_ended,
                    ended_at=at,
                )
            )
    nxt = _Next(AgentState.READY, None, None, None)
    _transition(connection, agent_id, nxt, start=at, close_at=at)
    values = _presence_values(nxt, at)
    connection.execute(update(agent_presence).where(P.agent_id == agent_id).values(**values))
    _feed(connection, agent_id, "changed", row.state, "wrapup", values, row)


def _presence_values(nxt: _Next, at: datetime) -> dict[str, Any]:
    return {
        "state": nxt.state.value,
        "reason": nxt.reason,
        "call_id": nxt.call_id,
        "service_id": nxt.service_id,
        "since": at,
        "last_seen_at": at,
    }


# --- reading --------------------------------------------------------------------------------


def current(
    connection: Connection, agent_id: int, settings: FloorSettings, *, changed: bool = False
) -> DeskState:
    row = connection.execute(select(agent_presence).where(P.agent_id == agent_id)).first()
    if row is None:
        return DeskState(
            agent_id=agent_id,
            state=AgentState.SIGNED_OUT,
            heartbeat_seconds=settings.heartbeat_seconds,
            unreachable_after_seconds=settings.unreachable_after_seconds,
            away_reasons=list(settings.away_reasons),
        )
    return to_model(row, settings, changed=changed)


def to_model(row: Row, settings: FloorSettings, *, changed: bool) -> DeskState:
    return DeskState(
        agent_id=row.agent_id,
        state=AgentState(row.state),
        reason=row.reason,
        since=clock.from_db(row.since),
        call_id=row.call_id,
        service_id=row.service_id,
        last_seen_at=clock.from_db(row.last_seen_at),
        queued_writes=row.queued_writes,
        sync_issues=row.sync_issues,
        replayed=row.replayed,
        replayed_at=clock.from_db(row.replayed_at),
        changed=changed,
        heartbeat_seconds=settings.heartbeat_seconds,
        unreachable_after_seconds=settings.unreachable_after_seconds,
        away_reasons=list(settings.away_reasons),
    )
