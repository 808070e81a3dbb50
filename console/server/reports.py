"""Agents' reports that the doctor directory is wrong, and their export for the data's owner.

An agent on the phone learns that a doctor the insurer lists as accepting is full (or the
reverse, or that the phone number is wrong) and reports it from the directory's row. The report
is stored here, audited, and appended to the change feed (entity ``provider``, op ``reported``)
so every desk shows it on that row at once; it stays open until someone closes it (op
``report_closed``). :func:`export_reports_csv` writes them for the insurer or Sledilnik.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import TextIO

from sqlalchemy import Connection, Row, Select, and_, insert, select, update

from console.domain.calendar import TZ
from console.domain.models import (
    Agent,
    DoctorType,
    ProviderReport,
    ReportClose,
    ReportIn,
    ReportKind,
)
from console.server import audit, changes, clock
from console.server.calls import check_call
from console.server.db import Database
from console.server.errors import conflict, not_found, unprocessable
from console.server.schema import agents, locations, provider_reports, providers

STATUSES = ("open", "closed", "all")
INSURER_PREFIX = "zzzs-"  # location codes of the insurer's institutions: zzzs-<provider code>

_closer = agents.alias("closer")

CSV_COLUMNS = (
    "report_id",
    "created_at",  # Europe/Ljubljana
    "agent",
    "kind",
    "note",
    "doctor",
    "doctor_code",
    "activity_code",
    "institution",
    "institution_code",
    "municipality",
    "zzzs_accepts",  # the insurer's flag as it publishes it: DA / NE
    "zzzs_list_date",
    "status",
    "resolution",
)


def doctor_type(specialty: str | None) -> DoctorType | None:
    try:
        return DoctorType(specialty) if specialty else None
    except ValueError:
        return None


def report_query() -> Select:
    """Reports with their doctor, institution and agents' names."""
    return select(
        provider_reports,
        providers.c.name.label("provider_name"),
        providers.c.specialty,
        providers.c.doctor_code,
        providers.c.activity_code,
        providers.c.accepts_new_patients,
        providers.c.list_date,
        locations.c.name.label("institution"),
        locations.c.code.label("institution_code"),
        locations.c.municipality,
        agents.c.name.label("agent_name"),
        _closer.c.name.label("closed_by_name"),
    ).select_from(
        provider_reports.join(providers, provider_reports.c.provider_id == providers.c.id)
        .join(locations, providers.c.location_id == locations.c.id)
        .join(agents, provider_reports.c.agent_id == agents.c.id)
        .outerjoin(_closer, provider_reports.c.closed_by == _closer.c.id)
    )


def newest_first(query: Select) -> Select:
    return query.order_by(provider_reports.c.created_at.desc(), provider_reports.c.id.desc())


def to_model(row: Row) -> ProviderReport:
    return ProviderReport(
        id=row.id,
        provider_id=row.provider_id,
        provider_name=row.provider_name,
        institution=row.institution,
        type=doctor_type(row.specialty),
        kind=ReportKind(row.kind),
        note=row.note,
        agent_id=row.agent_id,
        agent_name=row.agent_name,
        call_id=row.call_id,
        created_at=clock.from_db(row.created_at),
        status=row.status,
        closed_at=clock.from_db(row.closed_at),
        closed_by_name=row.closed_by_name,
        resolution=row.resolution,
    )


def get(connection: Connection, report_id: int) -> ProviderReport:
    row = connection.execute(report_query().where(provider_reports.c.id == report_id)).first()
    if row is None:
        raise not_found("report", report_id)
    return to_model(row)


def _status_filter(query: Select, status: str) -> Select:
    if status not in STATUSES:
        raise unprocessable(f"status must be one of: {', '.join(STATUSES)}.", "status")
    if status != "all":
        query = query.where(provider_reports.c.status == status)
    return query


def recent(connection: Connection, status: str = "open", limit: int = 200) -> list[ProviderReport]:
    """Reports newest first: ``open``, ``closed`` or ``all``."""
    query = _status_filter(newest_first(report_query()), status).limit(limit)
    return [to_model(row) for row in connection.execute(query)]


def for_providers(
    connection: Connection, provider_ids: Select | Iterable[int], *, open_only: bool
) -> dict[int, list[ProviderReport]]:
    """Reports of these doctors (a list of ids or a select of them), newest first each."""
    query = newest_first(report_query()).where(provider_reports.c.provider_id.in_(provider_ids))
    if open_only:
        query = query.where(provider_reports.c.status == "open")
    found: dict[int, list[ProviderReport]] = {}
    for row in connection.execute(query):
        found.setdefault(row.provider_id, []).append(to_model(row))
    return found


def create(
    connection: Connection,
    agent: Agent,
    provider_id: int,
    payload: ReportIn,
    header_call_id: int | None = None,
) -> ProviderReport:
    """Store a report, audit it, and tell every desk through the change feed."""
    doctor = connection.execute(
        select(providers.c.id).where(
            and_(providers.c.id == provider_id, providers.c.kind == "doctor")
        )
    ).first()
    if doctor is None:
        raise not_found("doctor", provider_id)
    if payload.call_id is not None:
        call_id = check_call(connection, agent, payload.call_id, "call_id")
    else:
        call_id = check_call(connection, agent, header_call_id, "X-Call-Id")
    now = clock.now()
    report_id = connection.execute(
        insert(provider_reports)
        .values(
            provider_id=provider_id,
            agent_id=agent.id,
            call_id=call_id,
            kind=payload.kind.value,
            note=payload.note.strip(),
            created_at=now,
            status="open",
        )
        .returning(provider_reports.c.id)
    ).scalar_one()
    report = get(connection, report_id)
    audit.record(
        connection,
        agent,
        "report",
        "provider",
        provider_id,
        call_id=call_id,
        detail=f"report {report_id} {report.kind.value}: {report.note}",
    )
    changes.record(
        connection,
        "provider",
        provider_id,
        "reported",
        agent.id,
        {
            "report_id": report_id,
            "kind": report.kind.value,
            "note": report.note,
            "agent_name": report.agent_name,
            "created_at": report.model_dump(mode="json")["created_at"],
        },
    )
    return report


def close(
    connection: Connection,
    agent: Agent,
    report_id: int,
    payload: ReportClose,
    call_id: int | None = None,
) -> ProviderReport:
    """Close an open report with a resolution (409 if it is closed already)."""
    current = get(connection, report_id)
    call_id = check_call(connection, agent, call_id, "X-Call-Id")
    if current.status != "open":
        raise conflict("report_closed", f"Report {report_id} is already closed.")
    resolution = payload.resolution.strip()
    closed = connection.execute(
        update(provider_reports)
        .where(and_(provider_reports.c.id == report_id, provider_reports.c.status == "open"))
        .values(status="closed", closed_at=clock.now(), closed_by=agent.id, resolution=resolution)
    )
    if closed.rowcount != 1:  # closed by someone else since it was read
        raise conflict("report_closed", f"Report {report_id} is already closed.")
    audit.record(
        connection,
        agent,
        "close",
        "provider",
        current.provider_id,
        call_id=call_id,
        detail=f"report {report_id}: {resolution}",
    )
    changes.record(
        connection,
        "provider",
        current.provider_id,
        "report_closed",
        agent.id,
        {"report_id": report_id, "kind": current.kind.value, "resolution": resolution},
    )
    return get(connection, report_id)


def _csv_row(row: Row) -> list[str]:
    created = clock.from_db(row.created_at).astimezone(TZ)
    code = row.institution_code or ""
    flag = {True: "DA", False: "NE"}.get(row.accepts_new_patients, "")
    return [
        str(row.id),
        created.strftime("%Y-%m-%d %H:%M:%S"),
        row.agent_name,
        row.kind,
        row.note,
        row.provider_name,
        row.doctor_code or "",
        row.activity_code or "",
        row.institution,
        code.removeprefix(INSURER_PREFIX),
        row.municipality,
        flag,
        row.list_date.isoformat() if row.list_date else "",
        row.status,
        row.resolution or "",
    ]


def export_reports_csv(
    connection_or_database: Connection | Database, out: TextIO, status: str = "open"
) -> int:
    """Write reports (``open``, ``closed`` or ``all``), oldest first, as CSV with a header
    row; times in Europe/Ljubljana. Returns how many reports were written."""
    if isinstance(connection_or_database, Database):
        with connection_or_database.read() as connection:
            return export_reports_csv(connection, out, status)
    query = _status_filter(report_query(), status).order_by(
        provider_reports.c.created_at, provider_reports.c.id
    )
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    count = 0
    for row in connection_or_database.execute(query):
        writer.writerow(_csv_row(row))
        count += 1
    return count
