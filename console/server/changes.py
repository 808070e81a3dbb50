"""The change feed: every write appends rows with a monotonic sequence number.

A reader polling ``since=N`` must never skip a committed row, so every row it is given must
have a smaller sequence number than any row still to commit.

SQLite serialises writers, so sequence numbers are committed in order.

On PostgreSQL, sequence values are handed out at insert time but become visible at commit, so
two writers could commit out of order. Writers do not queue for each other: each takes the feed
lock in *shared* mode just before it draws its numbers, and holds it until its commit. A reader
takes the same lock *exclusively*, for an instant, to learn the highest sequence number at a
moment when no writer was between drawing and committing (``_stable_end``): every number up to
it is then settled, and every number drawn later is larger. It answers only rows up to there.

The rows are appended as the last statement of the transaction (``Database.write`` defers them
to just before the commit), so a writer holding the lock in shared mode never waits for another
lock after it: a reader waiting for the exclusive lock waits only for commits.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, insert, select, text

from console.domain.models import Change
from console.server import clock
from console.server.schema import changes

CHANGE_FEED_LOCK = 7_031_226  # an arbitrary application-wide advisory lock number

_PENDING = "console.changes.pending"
_INSERT = insert(changes)
_SHARED_LOCK = text(f"SELECT pg_advisory_xact_lock_shared({CHANGE_FEED_LOCK})")
_LOCK = text(f"SELECT pg_advisory_lock({CHANGE_FEED_LOCK})")
_END_AND_UNLOCK = text(
    f"SELECT coalesce((SELECT max(seq) FROM changes), 0), pg_advisory_unlock({CHANGE_FEED_LOCK})"
)
_LAST_SQLITE = text("SELECT coalesce(max(seq), 0) FROM changes")


def record(
    connection: Connection,
    entity: str,
    entity_id: int,
    op: str,
    agent_id: int | None,
    data: dict[str, Any] | None = None,
) -> None:
    """Append one change (at the end of the transaction, see the module docstring)."""
    record_many(connection, [(entity, entity_id, op, data or {})], agent_id)


def record_many(
    connection: Connection,
    items: list[tuple[str, int, str, dict[str, Any]]],
    agent_id: int | None,
) -> None:
    if not items:
        return
    at = clock.now()
    rows = [
        {
            "at": at,
            "entity": entity,
            "entity_id": entity_id,
            "op": op,
            "agent_id": agent_id,
            "data": json.dumps(data, default=str, separators=(",", ":")),
        }
        for entity, entity_id, op, data in items
    ]
    pending = connection.info.get(_PENDING)
    if pending is not None:
        pending.extend(rows)
    else:  # a transaction not opened by Database.write: append now, as its last statement
        _append(connection, rows)


def defer(connection: Connection) -> None:
    """Collect the rows recorded on ``connection`` until ``flush`` (``Database.write``)."""
    connection.info[_PENDING] = []


def flush(connection: Connection) -> None:
    """Append the collected rows: the last statement before the commit."""
    rows = connection.info.get(_PENDING)
    if rows:
        connection.info[_PENDING] = []
        _append(connection, rows)


def forget(connection: Connection) -> None:
    connection.info.pop(_PENDING, None)


def _append(connection: Connection, rows: list[dict[str, Any]]) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(_SHARED_LOCK)
    connection.execute(_INSERT, rows)


def _stable_end(connection: Connection) -> int:
    """The highest sequence number below which no row can still appear (see the docstring)."""
    if connection.dialect.name != "postgresql":
        return connection.execute(_LAST_SQLITE).scalar_one()
    # A session lock, released by the very next statement; if that fails, the connection is
    # dropped rather than returned to the pool still holding the lock.
    try:
        connection.execute(_LOCK)
        return connection.execute(_END_AND_UNLOCK).one()[0]
    except BaseException:
        connection.invalidate()
        raise


def since(connection: Connection, seq: int, limit: int) -> list[Change]:
    query = select(changes).where(changes.c.seq > seq)
    if connection.dialect.name == "postgresql":
        query = query.where(changes.c.seq <= _stable_end(connection))
    rows = connection.execute(query.order_by(changes.c.seq).limit(limit)).all()
    return [
        Change(
            seq=row.seq,
            at=clock.from_db(row.at),
            entity=row.entity,
            entity_id=row.entity_id,
            op=row.op,
            agent_id=row.agent_id,
            data=json.loads(row.data),
        )
        for row in rows
    ]


def last_seq(connection: Connection) -> int:
    """Where the feed ends now: a reader starting here misses nothing committed later."""
    return int(_stable_end(connection))
