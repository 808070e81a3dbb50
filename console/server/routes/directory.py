"""The doctor directory: search, filter lists, details; agents' reports and their list."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from sqlalchemy import Connection

from console.domain.models import (
    MAX_ID,
    DirectoryAreas,
    DirectoryDetail,
    DirectoryPage,
    DoctorType,
    Line,
    ProviderReport,
    ReportClose,
    ReportIn,
)
from console.server import directory, idempotency, reports
from console.server.deps import (
    AgentDep,
    CallIdDep,
    DatabaseDep,
    IdempotencyKey,
    WriterDep,
    path_id,
)
from console.server.openapi import errors

router = APIRouter(prefix="/v1", tags=["directory"])

ProviderId = Annotated[int, path_id("doctor (provider)")]


@router.get("/directory", response_model=DirectoryPage, responses=errors(422))
def search(
    _agent: AgentDep,
    database: DatabaseDep,
    q: Annotated[
        Line | None,
        Query(max_length=100, description="words of the doctor's or institution's name, town"),
    ] = None,
    type_: DoctorType | None = Query(None, alias="type", description="gp, ped, gyn, den, …"),
    municipality: Annotated[Line | None, Query(max_length=80)] = None,
    region: Annotated[Line | None, Query(max_length=80)] = None,
    accepting: bool | None = Query(
        None,
        description="true: the freshest evidence (insurer, correction, open report) says the "
        "doctor accepts new patients; false: says full",
    ),
    include_inactive: bool = Query(False, description="also doctors no longer on the list"),
    limit: int = Query(50, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=MAX_ID),
) -> DirectoryPage:
    """Doctors, accepting first, then by name; each row with every source's evidence."""
    filters = directory.DirectoryFilters(
        q=q,
        type=type_,
        municipality=municipality,
        region=region,
        accepting=accepting,
        include_inactive=include_inactive,
    )
    with database.read() as connection:
        return directory.search(connection, filters, limit=limit, offset=offset)


@router.get("/directory/areas", response_model=DirectoryAreas)
def areas(_agent: AgentDep, database: DatabaseDep) -> DirectoryAreas:
    """The regions and municipalities the directory can be filtered by."""
    with database.read() as connection:
        return directory.areas(connection)


@router.get("/directory/{provider_id}", response_model=DirectoryDetail, responses=errors(404, 422))
def detail(provider_id: ProviderId, _agent: AgentDep, database: DatabaseDep) -> DirectoryDetail:
    """One doctor: contacts, every source's facts, the list's change history, all reports."""
    with database.read() as connection:
        return directory.detail(connection, provider_id)


@router.post(
    "/directory/{provider_id}/reports",
    response_model=ProviderReport,
    status_code=201,
    responses=errors(403, 404, 413, 422),
)
def report(
    provider_id: ProviderId,
    payload: ReportIn,
    agent: WriterDep,
    database: DatabaseDep,
    call_id: CallIdDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> dict:
    """Report that the directory is wrong about a doctor; every desk sees it at once."""

    def effect(connection: Connection) -> tuple[int, dict]:
        made = reports.create(connection, agent, provider_id, payload, call_id)
        return 201, made.model_dump(mode="json")

    status, body = idempotency.run(
        database,
        agent,
        idempotency_key,
        f"POST /v1/directory/{provider_id}/reports",
        payload.model_dump(mode="json"),
        effect,
    )
    response.status_code = status
    return body


@router.get("/reports", response_model=list[ProviderReport], responses=errors(422))
def recent(
    _agent: AgentDep,
    database: DatabaseDep,
    status: str = Query("open", pattern="^(open|closed|all)$"),
    limit: int = Query(200, ge=1, le=2000),
) -> list[ProviderReport]:
    """Agents' reports, newest first, with the doctor, institution and type."""
    with database.read() as connection:
        return reports.recent(connection, status, limit)


@router.post(
    "/reports/{report_id}/close",
    response_model=ProviderReport,
    responses=errors(403, 404, 409, 413, 422),
)
def close(
    report_id: Annotated[int, path_id("report")],
    payload: ReportClose,
    agent: WriterDep,
    database: DatabaseDep,
    call_id: CallIdDep,
    idempotency_key: IdempotencyKey = None,
) -> dict:
    """Close a report (checked, or corrected at the source), with a resolution."""

    def effect(connection: Connection) -> tuple[int, dict]:
        closed = reports.close(connection, agent, report_id, payload, call_id)
        return 200, closed.model_dump(mode="json")

    return idempotency.run(
        database,
        agent,
        idempotency_key,
        f"POST /v1/reports/{report_id}/close",
        payload.model_dump(mode="json"),
        effect,
    )[1]
