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

Retention (``agent-console prune``, ``[retention] changes_days``) removes the oldest changes. It
turns the newest change it removes into a marker row (entity ``feed``, op ``pruned``) and
deletes every row before it, in one transaction, a batch at a time: the oldest row left is
then always the marker, if anything was ever pruned. A reader whose cursor is at or past the
marker misses nothing (the rows after it are all there); one before it would be handed the
marker first, and gets ``410 resync`` instead (:class:`FeedGone`), as a Kubernetes watch whose
resourceVersion is too old. No extra statement per poll: the marker comes with the page. A
cursor past the end of the feed (the database was restored from a backup older than the desk's
cache) gets the same answer. Sequence numbers are never reused (AUTOINCREMENT on SQLite, a
sequence on PostgreSQL), so a cursor never points at a later change by mistake.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, text, update

from console.domain.models import Change
from console.server import clock
from console.server.errors import ApiProblem
from console.server.schema import changes

CHANGE_FEED_LOCK = 7_031_226  # an arbitrary application-wide advisory lock number
# The marker row retention leaves where it cut the feed (see the module docstring).
PRUNED_ENTITY = "feed"
PRUNED_OP = "pruned"

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


class FeedGone(ApiProblem):
    """410 ``resync``: the changes after this cursor are no longer all kept (or it is past the
    end of the feed). The desk reloads its cache and follows from ``/v1/changes/latest``."""

    def __init__(self, message: str) -> None:
        super().__init__(410, "resync", message, "since")


def since(connection: Connection, seq: int, limit: int) -> list[Change]:
    """The changes after ``seq``, oldest first, at most ``limit``; :class:`FeedGone` when some
    of them were pruned, or ``seq`` is past the end of the feed."""
    query = select(changes).where(changes.c.seq > seq)
    end: int | None = None
    if connection.dialect.name == "postgresql":
        end = _stable_end(connection)
        query = query.where(changes.c.seq <= end)
    rows = connection.execute(query.order_by(changes.c.seq).limit(limit)).all()
    if rows and rows[0].entity == PRUNED_ENTITY:
        raise FeedGone(
            f"The change feed no longer holds the changes after #{seq}: it keeps those after "
            f"#{rows[0].seq}. Reload the cache from scratch, then follow the feed from "
            "/v1/changes/latest."
        )
    if not rows and seq > 0:
        if end is None:
            end = connection.execute(_LAST_SQLITE).scalar_one()
        if seq > end:
            raise FeedGone(
                f"The change feed ends at #{end}, before #{seq}: this service's database was "
                "restored from an earlier copy. Reload the cache from scratch, then follow the "
                "feed from /v1/changes/latest."
            )
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


# --- retention ------------------------------------------------------------------------------


def pruned_through(connection: Connection) -> int:
    """The sequence number of the retention marker (0: nothing was ever pruned): a cursor at
    or past it misses nothing."""
    row = connection.execute(
        select(changes.c.seq, changes.c.entity).order_by(changes.c.seq).limit(1)
    ).first()
    return int(row.seq) if row is not None and row.entity == PRUNED_ENTITY else 0


def prunable_through(connection: Connection, cutoff: datetime) -> int:
    """The newest change of the run of changes older than ``cutoff`` at the start of the feed
    (0: none). Walks the feed from its start and stops at the first newer change."""
    first_kept = connection.execute(
        select(changes.c.seq).where(changes.c.at >= cutoff).order_by(changes.c.seq).limit(1)
    ).scalar()
    query = select(func.max(changes.c.seq))
    if first_kept is not None:
        query = query.where(changes.c.seq < first_kept)
    return int(connection.execute(query).scalar() or 0)


def count_prunable(connection: Connection, through: int) -> int:
    """How many changes :func:`prune_batch` would remove up to ``through`` (dry run)."""
    return int(
        connection.execute(
            select(func.count()).where(changes.c.seq <= through, changes.c.entity != PRUNED_ENTITY)
        ).scalar_one()
    )


def prune_batch(connection: Connection, through: int, batch: int) -> int:
    """Remove at most ``batch`` of the oldest changes, none after ``through``, and move the
    marker to the newest one removed; returns how many changes were removed (0: done)."""
    marker = pruned_through(connection)
    if through <= marker:
        return 0
    top = connection.execute(
        select(changes.c.seq)
        .where(changes.c.seq > marker, changes.c.seq <= through)
        .order_by(changes.c.seq)
        .offset(max(batch - 1, 0))
        .limit(1)
    ).scalar()
    if top is None:
        top = connection.execute(
            select(func.max(changes.c.seq)).where(changes.c.seq <= through)
        ).scalar_one()
    deleted = connection.execute(delete(changes).where(changes.c.seq < top)).rowcount
    connection.execute(
        update(changes)
        .where(changes.c.seq == top)
        .values(entity=PRUNED_ENTITY, op=PRUNED_OP, entity_id=0, agent_id=None, data="{}")
    )
    return deleted - (1 if marker else 0) + 1
