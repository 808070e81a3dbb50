"""The change feed: every write appends a row with a monotonic sequence number.

On PostgreSQL, sequence values are handed out at insert time but become visible at commit, so
two writers could commit out of order and a reader polling ``since=N`` would skip a row. Each
writer therefore takes a transaction-level advisory lock just before it appends, which orders
the appends by commit. The append is the last statement of every write, so the lock is held
only for the commit itself. SQLite serialises writers already.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, func, insert, select

from console.domain.models import Change
from console.server import clock
from console.server.schema import changes

CHANGE_FEED_LOCK = 7_031_226  # an arbitrary application-wide advisory lock number


def record(
    connection: Connection,
    entity: str,
    entity_id: int,
    op: str,
    agent_id: int | None,
    data: dict[str, Any] | None = None,
) -> None:
    """Append one change; call it last in the transaction (see the module docstring)."""
    record_many(connection, [(entity, entity_id, op, data or {})], agent_id)


def record_many(
    connection: Connection,
    items: list[tuple[str, int, str, dict[str, Any]]],
    agent_id: int | None,
) -> None:
    if not items:
        return
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({CHANGE_FEED_LOCK})")
    at = clock.now()
    connection.execute(
        insert(changes),
        [
            {
                "at": at,
                "entity": entity,
                "entity_id": entity_id,
                "op": op,
                "agent_id": agent_id,
                "data": json.dumps(data, default=str, separators=(",", ":")),
            }
            for entity, entity_id, op, data in items
        ],
    )


def since(connection: Connection, seq: int, limit: int) -> list[Change]:
    rows = connection.execute(
        select(changes).where(changes.c.seq > seq).order_by(changes.c.seq).limit(limit)
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
    return connection.execute(select(func.coalesce(func.max(changes.c.seq), 0))).scalar_one()
