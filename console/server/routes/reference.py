"""Who am I, and the reference data: services, locations, providers, wrap-up codes."""

from __future__ import annotations

from fastapi import APIRouter, Query, Response

from console.domain.models import Agent, Disposition, Location, Provider, Service
from console.server import catalogue
from console.server.deps import AgentDep, DatabaseDep, SettingsDep
from console.server.responses import json_response

router = APIRouter(prefix="/v1", tags=["reference"])


@router.get("/me", response_model=Agent)
async def me(agent: AgentDep) -> Response:
    return json_response(agent)


@router.get("/services", response_model=list[Service])
def services(_agent: AgentDep, database: DatabaseDep) -> list[Service]:
    with database.read() as connection:
        return catalogue.list_services(connection)


@router.get("/locations", response_model=list[Location])
def locations(_agent: AgentDep, database: DatabaseDep, region: str | None = None) -> list[Location]:
    with database.read() as connection:
        return catalogue.list_locations(connection, region)


@router.get("/providers", response_model=list[Provider])
def providers(
    _agent: AgentDep,
    database: DatabaseDep,
    service: int | None = None,
    location: int | None = None,
    specialty: str | None = None,
    accepting: bool | None = None,
    limit: int = Query(500, ge=1, le=5000),
) -> list[Provider]:
    with database.read() as connection:
        return catalogue.list_providers(
            connection,
            service_id=service,
            location_id=location,
            specialty=specialty,
            accepting=accepting,
            limit=limit,
        )


@router.get("/dispositions", response_model=list[Disposition])
def dispositions(_agent: AgentDep, settings: SettingsDep) -> list[Disposition]:
    return list(settings.dispositions)
