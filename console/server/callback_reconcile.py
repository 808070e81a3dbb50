"""Bringing a number's callback in line with the telephone system's calls (events as they
come, or Asterisk's queue_log and CDR imported in any order): open exactly when the number's
last call did not get through, closed as ``reached_us`` by an answered one. Split from
:mod:`console.server.callbacks`, which keeps the queue itself (claims, attempts, closing)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from console.domain.callbacks import CallbackResult, CallbackSource, CallbackStatus
from console.server import clock
from console.server.callbacks import (
    _ACTIVE_SQL,
    _chunks,
    _naive,
    _rank_of,
    _record,
    chunk_size,
    one_of,
    rank_at,
)
from console.server.schema import callbacks, telephony_calls
from console.server.settings import CallbackSettings


@dataclass
class Reconciled:
    opened: int = 0
    updated: int = 0
    closed: int = 0


def reconcile(
    connection: Connection,
    numbers: Iterable[str | None],
    settings: CallbackSettings,
    now: datetime,
) -> Reconciled:
    """Bring the callbacks of ``numbers`` in line with the telephone system's calls.

    For each number: the last answered call (A) and the last time a callback of it was closed
    (C) make the barrier B = max(A, C). An open callback that was waiting at A is closed as
    ``reached_us``. The calls after B that did not get through are the number's tries: with any,
    it has an open callback (opened, or its tries, first wait and due time brought up to date).
    So after any order of events and imports the number's callback is open exactly when its last
    call did not get through (and no callback of ours reached it since).
    """
    outcome = Reconciled()
    wanted = sorted({n for n in numbers if n})
    for chunk in _chunks(wanted, chunk_size(connection)):
        for _attempt in range(2):
            done = Reconciled()
            try:
                with connection.begin_nested():
                    _reconcile_chunk(connection, chunk, settings, now, done)
            except IntegrityError:
                # Another writer opened one of these numbers' callbacks at the same moment
                # (PostgreSQL): read again, and merge into it.
                if _attempt == 1:
                    raise
                continue
            outcome.opened += done.opened
            outcome.updated += done.updated
            outcome.closed += done.closed
            break
    return outcome


def _reconcile_chunk(
    connection: Connection,
    chunk: list[str],
    settings: CallbackSettings,
    now: datetime,
    outcome: Reconciled,
) -> None:
    open_query = select(callbacks).where(
        one_of(connection, callbacks.c.number, chunk), text(_ACTIVE_SQL)
    )
    if connection.dialect.name == "postgresql":
        open_query = open_query.with_for_update()
    open_rows = {row.number: row for row in connection.execute(open_query)}
    closed = dict(
        connection.execute(
            select(callbacks.c.number, func.max(callbacks.c.closed_at))
            .where(
                one_of(connection, callbacks.c.number, chunk), callbacks.c.closed_at.is_not(None)
            )
            .group_by(callbacks.c.number)
        ).all()
    )
    answered: dict[str, datetime] = {}
    missed: dict[str, list[datetime]] = defaultdict(list)
    for number, state, started in connection.execute(
        select(
            telephony_calls.c.number, telephony_calls.c.state, telephony_calls.c.started_at
        ).where(
            one_of(connection, telephony_calls.c.number, chunk),
            telephony_calls.c.state.in_(("answered", "missed")),
        )
    ):
        started = clock.to_db(started)
        if state == "missed":
            missed[number].append(started)
        elif number not in answered or started > answered[number]:
            answered[number] = started
    closing: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    opening: list[dict[str, Any]] = []
    for number in chunk:
        last_answered = _naive(answered.get(number))
        barrier = _latest(last_answered, _naive(closed.get(number)))
        row = open_rows.get(number)
        reached = row is not None and row.call_id is not None  # its call's wrap-up closes it
        if (
            row is not None
            and not reached
            and last_answered is not None
            and last_answered >= row.waiting_since
        ):
            closing.append({"id": row.id, "closed_at": last_answered})
            row = None
        tries = sorted(t for t in missed.get(number, []) if barrier is None or t > barrier)
        if not tries:
            continue
        first, last = tries[0], tries[-1]
        if row is None:
            opening.append(
                {
                    "number": number,
                    "source": CallbackSource.MISSED_CALL.value,
                    "status": "open",
                    "note": "",
                    "created_at": now,
                    "waiting_since": first,
                    "tries": len(tries),
                    "last_tried_at": last,
                    "due_at": first,
                    "rank_at": rank_at(first, len(tries), settings),
                    "attempt_count": 0,
                }
            )
            continue
        count = max(row.tries, len(tries))
        since = min(row.waiting_since, first)
        newest = _latest(row.last_tried_at, last)
        due = row.due_at
        if row.last_tried_at is None or last > row.last_tried_at:
            due = min(due, last)  # they called again: call them back now, not after a back-off
        if (count, since, newest, due) != (
            row.tries,
            row.waiting_since,
            row.last_tried_at,
            row.due_at,
        ):
            changed.append(
                {
                    "id": row.id,
                    "tries": count,
                    "waiting_since": since,
                    "last_tried_at": newest,
                    "due_at": due,
                    "rank_at": _rank_of(
                        row, settings, waiting_since=since, tries=count, due_at=due
                    ),
                }
            )
    for values in closing:
        row = connection.execute(
            update(callbacks)
            .where(callbacks.c.id == values["id"])
            .values(
                status=CallbackStatus.DONE.value,
                result=CallbackResult.REACHED_US.value,
                closed_at=values["closed_at"],
                lease_expires_at=None,
            )
            .returning(callbacks)
        ).one()
        _record(connection, [row], "closed", None)
        outcome.closed += 1
    for values in changed:
        row = connection.execute(
            update(callbacks)
            .where(callbacks.c.id == values.pop("id"))
            .values(**values)
            .returning(callbacks)
        ).one()
        _record(connection, [row], "updated", None)
        outcome.updated += 1
    if opening:
        # Inserted without RETURNING (psycopg sends the rows in a pipeline; RETURNING would
        # make one long statement per batch for it to parse), then read back for the feed.
        connection.execute(insert(callbacks), opening)
        rows = connection.execute(
            select(callbacks).where(
                one_of(connection, callbacks.c.number, [row["number"] for row in opening]),
                text(_ACTIVE_SQL),
            )
        ).all()
        _record(connection, rows, "created", None)
        outcome.opened += len(rows)


def _latest(*values: datetime | None) -> datetime | None:
    present = [v for v in values if v is not None]
    return max(present) if present else None
