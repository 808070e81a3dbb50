"""Reference data: services, locations, providers."""

from __future__ import annotations

import json

from sqlalchemy import Connection, Row, select

from console.domain.models import Location, Provider, Service
from console.server import clock
from console.server.schema import locations, provider_services, providers, services


def service_from_row(row: Row) -> Service:
    return Service(
        id=row.id,
        code=row.code,
        name=row.name,
        name_en=row.name_en,
        category=row.category,
        duration_minutes=row.duration_minutes,
        documents=json.loads(row.documents),
        documents_en=json.loads(row.documents_en),
        one_booking_per_caller=bool(row.one_booking_per_caller),
    )


def location_from_row(row: Row) -> Location:
    return Location(
        id=row.id,
        code=row.code,
        name=row.name,
        kind=row.kind,
        address=row.address,
        postcode=row.postcode,
        town=row.town,
        municipality=row.municipality,
        region=row.region,
        phone=row.phone,
        opening_hours=row.opening_hours,
    )


def list_services(connection: Connection) -> list[Service]:
    rows = connection.execute(select(services).order_by(services.c.category, services.c.name))
    return [service_from_row(row) for row in rows]


def get_service(connection: Connection, service_id: int) -> Service | None:
    row = connection.execute(select(services).where(services.c.id == service_id)).first()
    return service_from_row(row) if row else None


def get_service_by_code(connection: Connection, code: str) -> Service | None:
    row = connection.execute(select(services).where(services.c.code == code)).first()
    return service_from_row(row) if row else None


def list_locations(connection: Connection, region: str | None = None) -> list[Location]:
    query = select(locations).order_by(locations.c.region, locations.c.name)
    if region:
        query = query.where(locations.c.region == region)
    return [location_from_row(row) for row in connection.execute(query)]


def get_location(connection: Connection, location_id: int) -> Location | None:
    row = connection.execute(select(locations).where(locations.c.id == location_id)).first()
    return location_from_row(row) if row else None


def list_providers(
    connection: Connection,
    *,
    service_id: int | None = None,
    location_id: int | None = None,
    specialty: str | None = None,
    accepting: bool | None = None,
    limit: int = 500,
) -> list[Provider]:
    query = select(providers).where(providers.c.active.is_(True))
    if service_id is not None:
        query = query.where(
            providers.c.id.in_(
                select(provider_services.c.provider_id).where(
                    provider_services.c.service_id == service_id
                )
            )
        )
    if location_id is not None:
        query = query.where(providers.c.location_id == location_id)
    if specialty:
        query = query.where(providers.c.specialty == specialty)
    if accepting is not None:
        query = query.where(providers.c.accepts_new_patients.is_(accepting))
    rows = connection.execute(query.order_by(providers.c.name).limit(limit)).all()
    offered = _services_of(connection, [row.id for row in rows])
    return [
        Provider(
            id=row.id,
            code=row.code,
            name=row.name,
            kind=row.kind,
            specialty=row.specialty,
            location_id=row.location_id,
            service_ids=offered.get(row.id, []),
            accepts_new_patients=row.accepts_new_patients,
            accepts_verified_at=clock.from_db(row.accepts_verified_at),
            accepts_verified_by=row.accepts_verified_by,
        )
        for row in rows
    ]


def _services_of(connection: Connection, provider_ids: list[int]) -> dict[int, list[int]]:
    offered: dict[int, list[int]] = {}
    for start in range(0, len(provider_ids), 500):
        chunk = provider_ids[start : start + 500]
        rows = connection.execute(
            select(provider_services).where(provider_services.c.provider_id.in_(chunk))
        )
        for row in rows:
            offered.setdefault(row.provider_id, []).append(row.service_id)
    return offered
