"""``agent-console export audit``: the audit log as CSV, and which rows have been exported.

Audit rows are kept at least a year and deleted only where an operator set ``[retention]
audit_days``, and only once they were exported. Each row records when it was written out
(``audit_log.exported_at``), set only after the whole file was written: a row is never marked
exported unless it is in a complete export, even on PostgreSQL where a row with a smaller id
can commit after a larger one (a single "exported up to id N" mark could skip such a row).
The last export (when, how many rows, up to which id) is kept in ``meta_info`` for operators.
"""

from __future__ import annotations

import csv
import json
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TextIO

from sqlalchemy import func, select, update

from console.domain.calendar import TZ
from console.server import clock
from console.server.db import Database
from console.server.retention import get_meta, set_meta
from console.server.schema import agents, audit_log

LAST_EXPORT_KEY = "audit.last_export"
MARK_BATCH = 1_000
CSV_COLUMNS = (
    "id",
    "at",  # Europe/Ljubljana, ISO 8601 with the offset
    "agent_id",
    "agent",
    "call_id",
    "action",
    "entity",
    "entity_id",
    "caller_id",
    "detail",
)


@dataclass
class AuditExport:
    rows: int = 0
    first_id: int | None = None
    last_id: int | None = None
    unmarked: array = field(default_factory=lambda: array("q"))  # ids to mark exported


def _local(value: datetime) -> str:
    return value.replace(tzinfo=UTC).astimezone(TZ).isoformat(timespec="seconds")


def write_csv(database: Database, out: TextIO, *, everything: bool = False) -> AuditExport:
    """Write the audit rows not exported yet (``everything``: all of them), oldest first, as
    CSV with a header row. Marks nothing: call :func:`mark_exported` once ``out`` is safely
    written."""
    result = AuditExport()
    query = (
        select(audit_log, agents.c.name.label("agent_name"))
        .select_from(audit_log.outerjoin(agents, agents.c.id == audit_log.c.agent_id))
        .order_by(audit_log.c.id)
    )
    if not everything:
        query = query.where(audit_log.c.exported_at.is_(None))
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    with database.read() as connection:
        for row in connection.execution_options(yield_per=2_000).execute(query):
            writer.writerow(
                (
                    row.id,
                    _local(row.at),
                    row.agent_id,
                    row.agent_name or "",
                    row.call_id if row.call_id is not None else "",
                    row.action,
                    row.entity,
                    row.entity_id if row.entity_id is not None else "",
                    row.caller_id if row.caller_id is not None else "",
                    row.detail,
                )
            )
            result.rows += 1
            result.first_id = row.id if result.first_id is None else result.first_id
            result.last_id = row.id
            if row.exported_at is None:
                result.unmarked.append(row.id)
    return result


def _chunks(ids: array, size: int) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield list(ids[start : start + size])


def mark_exported(database: Database, export: AuditExport, target: str) -> None:
    """Record that the rows of ``export`` were written out (to ``target``), a batch at a time."""
    at = clock.now()
    for chunk in _chunks(export.unmarked, MARK_BATCH):
        with database.write() as connection:
            connection.execute(
                update(audit_log)
                .where(audit_log.c.id.in_(chunk), audit_log.c.exported_at.is_(None))
                .values(exported_at=at)
            )
    with database.write() as connection:
        set_meta(
            connection,
            LAST_EXPORT_KEY,
            json.dumps(
                {
                    "at": at.isoformat(),
                    "rows": export.rows,
                    "first_id": export.first_id,
                    "last_id": export.last_id,
                    "to": target,
                }
            ),
        )


def status(database: Database) -> tuple[dict | None, int]:
    """The last export's record (None: never), and how many rows are not exported yet."""
    with database.read() as connection:
        value = get_meta(connection, LAST_EXPORT_KEY)
        waiting = connection.execute(
            select(func.count()).where(audit_log.c.exported_at.is_(None))
        ).scalar_one()
    return (json.loads(value) if value else None), int(waiting)
