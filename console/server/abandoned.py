"""Calls left open too long are closed as ``abandoned`` by the service itself.

A desk that quit or crashed during a call leaves it open: no end, no disposition. The next
start of that desk offers it for wrap-up; one never wrapped up is closed here once it is older
than ``[retention] abandon_calls_after_hours`` (12 by default; 0: never): disposition
``abandoned`` (a code of the service's own, never offered to agents), its end left unknown
(``ended_at`` stays empty: no talk time is made up), a dated line in its notes, and one change
feed row each (entity ``call``, op ``abandoned``). A callback reached in such a call is closed
with it as done (``reached``: the caller was reached; see :mod:`console.server.callbacks`).
The supervisors' floor counts it among the day's dispositions. ``serve`` runs it in its
maintenance thread (:class:`console.server.retention.DailyPrune`, every minute); the embedded
service when it opens.

Each call is closed by an update conditional on its still being open, so two service processes
doing this at once, or a desk's wrap-up at the same moment, close it once: a late wrap-up gets
409 ``call_wrapped``.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select, update

from console.domain.calendar import TZ
from console.server import callbacks, changes, clock
from console.server.db import Database
from console.server.schema import calls

log = logging.getLogger(__name__)

ABANDONED = "abandoned"  # the disposition of a call the service closed
BATCH = 500  # calls closed per transaction


def abandoned_note(hours: float, now: datetime) -> str:
    """The line added to an abandoned call's notes (the service's language: Slovenian and
    English, as the change feed's readers differ)."""
    stamp = clock.from_db(now)  # stored naive UTC
    assert stamp is not None
    when = stamp.astimezone(TZ)
    return (
        f"[{when.day}. {when.month}. {when.year} {when:%H:%M}] "
        f"Klic zaprt kot opuščen: odprt dlje kot {hours:g} h. "
        f"/ Closed as abandoned: open longer than {hours:g} h."
    )


def close_abandoned(database: Database, hours: float, *, now: datetime | None = None) -> int:
    """Close every call left open longer than ``hours`` as abandoned; how many were closed."""
    if hours <= 0:
        return 0
    now = now or clock.now()
    cutoff = now - timedelta(hours=hours)
    note = abandoned_note(hours, now)
    closed = 0
    while True:
        with database.write() as connection:
            rows = connection.execute(
                select(calls.c.id, calls.c.agent_id, calls.c.caller_id, calls.c.notes)
                .where(calls.c.wrapped_at.is_(None), calls.c.started_at < cutoff)
                .order_by(calls.c.started_at, calls.c.id)
                .limit(BATCH)
            ).all()
            for row in rows:
                done = connection.execute(
                    update(calls)
                    .where(calls.c.id == row.id, calls.c.wrapped_at.is_(None))
                    .values(
                        disposition=ABANDONED,
                        wrapped_at=now,
                        notes=f"{row.notes}\n{note}" if row.notes else note,
                    )
                )
                if done.rowcount != 1:
                    continue
                closed += 1
                changes.record(
                    connection,
                    "call",
                    row.id,
                    ABANDONED,
                    row.agent_id,
                    {"caller_id": row.caller_id, "disposition": ABANDONED, "hours": hours},
                )
                # A callback reached in this call: the caller was reached; it is done.
                callbacks.call_closed(connection, row.id, now, None)
        if len(rows) < BATCH:
            break
    if closed:
        log.info("closed %d call(s) left open longer than %g h as abandoned", closed, hours)
    return closed
