"""Who am I, and the reference data: services, locations, providers, wrap-up codes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from console.domain.models import Agent, Disposition, Line, Location, Provider, Service
from console.server import catalogue
from console.server.deps import AgentDep, DatabaseDep, SettingsDep, query_id
from console.server.openapi import errors
from console.server.responses import json_response

router = APIRouter(prefix="/v1", tags=["reference"])


@router.get("/me", response_model=Agent)
async def me(agent: AgentDep) -> Response:
    return json_response(agent)


@router.get("/services", response_model=list[Service])
def services(_agent: AgentDep, database: DatabaseDep) -> list[Service]:
    with database.read() as connection:
        return catalogue.list_services(connection)


@router.get("/locations", response_model=list[Location], responses=errors(422))
def locations(
    _agent: AgentDep,
    database: DatabaseDep,
    region: Annotated[Line | None, Query(max_length=80)] = None,
) -> list[Location]:
    with database.read() as connection:
        return catalogue.list_locations(connection, region)


@router.get("/providers", response_model=list[Provider], responses=errors(422))
def providers(
    _agent: AgentDep,
    database: DatabaseDep,
    service: Annotated[int | None, query_id("service")] = None,
    location: Annotated[int | None, query_id("location")] = None,
    specialty: Annotated[Line | None, Query(max_length=16)] = None,
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
