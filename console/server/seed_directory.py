"""The demo's health providers from the real lists: the insurer's doctors and Sledilnik's facts.

Used by :func:`console.server.seed.seed` when it is given a folder with ``zzzs/*.xlsx`` (and,
optionally, Sledilnik's ``zdravniki/``): the lists are read before the seed's transaction opens,
then loaded inside it with the importers' own loader, so the demo database holds exactly what
``agent-console import`` would have made.

Which doctors get bookable slots: those the insurer lists as accepting new patients (about a
thousand). The clinics for patients without a chosen doctor (``health-no-doctor``) are the real
ones: Sledilnik lists them as "Dodatna ambulanta" (type ``gp-f``) at some 30 health centres;
each becomes one clinic provider there. Without Sledilnik's folder, every health centre
("ZDRAVSTVENI DOM …") gets one instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, insert, select

from console.domain.text import fold
from console.server.importers.errors import ListFormatError
from console.server.importers.load_sledilnik import (
    NO_DOCTOR_TYPE,
    apply_snapshot,
    match_institutions,
)
from console.server.importers.load_zzzs import CODE_PREFIX, apply_list
from console.server.importers.results import ImportResult
from console.server.importers.sledilnik import Snapshot, read_snapshot
from console.server.importers.zzzs import InsurerList, read_list
from console.server.schema import locations, provider_services, providers, services

ProgressCallback = Callable[[str, int, int], None]

NO_DOCTOR_SERVICE = "health-no-doctor"
NO_DOCTOR_NAME = "Ambulanta za neopredeljene paciente"
NO_DOCTOR_SPECIALTY = "nodoc"
HEALTH_CENTRE = "zdravstveni dom"


class DirectoryDataError(ValueError):
    """The folder of real lists cannot be used; the message says which file and why."""


@dataclass
class DirectoryData:
    folder: Path
    lists: list[InsurerList]
    snapshot: Snapshot | None

    @classmethod
    def read(cls, folder: Path, progress: ProgressCallback | None = None) -> DirectoryData:
        """Read ``folder/zzzs/*.xlsx`` and, if present, ``folder/zdravniki/``."""
        report = progress or (lambda _label, _done, _total: None)
        paths = sorted((folder / "zzzs").glob("*.xlsx"))
        if not paths:
            raise DirectoryDataError(f"{folder}: no insurer's lists (zzzs/*.xlsx) there")
        sledilnik = folder / "zdravniki"
        steps = len(paths) + 1
        try:
            lists = []
            for done, path in enumerate(paths):
                report("catalogue", done, steps)
                lists.append(read_list(path))
            snapshot = read_snapshot(sledilnik) if sledilnik.is_dir() else None
        except ListFormatError as exc:
            raise DirectoryDataError(str(exc)) from exc
        lists.sort(key=lambda item: item.list_date)
        return cls(folder, lists, snapshot)


@dataclass(frozen=True)
class Bookable:
    """A doctor (or clinic) that gets slots: id, where, which service, the place's hours."""

    id: int
    code: str
    name: str
    specialty: str
    location_id: int
    service_id: int
    opening_hours: str


def load(connection: Connection, data: DirectoryData) -> list[ImportResult]:
    """Import the lists, then Sledilnik's facts, on the seed's connection."""
    results = [apply_list(connection, item) for item in data.lists]
    if data.snapshot is not None:
        results.append(apply_snapshot(connection, data.snapshot))
    return results


def accepting_doctors(connection: Connection) -> list[Bookable]:
    """The listed doctors who accept new patients, with their service, by location and id."""
    rows = connection.execute(
        select(
            providers.c.id,
            providers.c.code,
            providers.c.name,
            providers.c.specialty,
            providers.c.location_id,
            provider_services.c.service_id,
            locations.c.opening_hours,
        )
        .join(provider_services, provider_services.c.provider_id == providers.c.id)
        .join(locations, locations.c.id == providers.c.location_id)
        .where(
            providers.c.code.like(f"{CODE_PREFIX}%"),
            providers.c.active,
            providers.c.accepts_new_patients,
        )
        .order_by(providers.c.location_id, providers.c.id)
    )
    return [Bookable(*row) for row in rows]


def add_no_doctor_clinics(connection: Connection, data: DirectoryData) -> list[Bookable]:
    """One clinic for patients without a chosen doctor at each place that has one (see the
    module docstring); returns them. None when the service is not in the catalogue."""
    service_id = connection.execute(
        select(services.c.id).where(services.c.code == NO_DOCTOR_SERVICE)
    ).scalar()
    if service_id is None:
        return []
    sites = connection.execute(
        select(locations.c.id, locations.c.code, locations.c.name, locations.c.opening_hours)
        .where(locations.c.code.like(f"{CODE_PREFIX}%"))
        .order_by(locations.c.id)
    ).all()
    chosen: set[int] = set()
    if data.snapshot is not None:
        matched = match_institutions(connection, data.snapshot.institutions).locations
        chosen = {
            matched[row.institution]
            for row in data.snapshot.doctors
            if row.type == NO_DOCTOR_TYPE and row.institution in matched
        }
    if not chosen:
        chosen = {site.id for site in sites if fold(site.name).startswith(HEALTH_CENTRE)}
    made: list[Bookable] = []
    for site in sites:
        if site.id not in chosen:
            continue
        code = f"{NO_DOCTOR_SPECIALTY}-{site.code}"
        provider_id = connection.execute(
            insert(providers)
            .values(
                code=code,
                name=NO_DOCTOR_NAME,
                name_folded=fold(NO_DOCTOR_NAME),
                kind="doctor",
                specialty=NO_DOCTOR_SPECIALTY,
                location_id=site.id,
                active=True,
            )
            .returning(providers.c.id)
        ).scalar_one()
        connection.execute(
            insert(provider_services).values(provider_id=provider_id, service_id=service_id)
        )
        made.append(
            Bookable(
                provider_id,
                code,
                NO_DOCTOR_NAME,
                NO_DOCTOR_SPECIALTY,
                site.id,
                service_id,
                site.opening_hours,
            )
        )
    return made
