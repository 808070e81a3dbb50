"""The demo's catalogue: services, the administrative units' offices and counters, and the
health side (generated clinics and doctors, or the real lists' doctors who accept new patients).

Deterministic: the same ``random_seed`` gives the same catalogue. The ids are set here, so the
slots (:mod:`console.server.seed_calendar`) can refer to them before anything is written.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, insert, select

from console.domain.calendar import OfficeHours
from console.domain.text import fold
from console.server import demo_data, seed_directory
from console.server.importers.load_zzzs import search_text
from console.server.importers.results import ImportResult
from console.server.schema import locations, provider_services, providers, services
from console.server.seed_directory import DirectoryData
from console.server.seed_people import NamePools

DEFAULT_DOCTORS = 150
ACCEPTING_SHARE = 0.35
VERIFIED_WITHIN_DAYS = 90
FEMALE_DOCTOR_SHARE = 0.65


@dataclass
class Provider:
    id: int
    code: str
    name: str
    kind: str
    specialty: str | None
    location_id: int
    service_ids: list[int]
    hours: OfficeHours | None  # a doctor's shift; None: the location's hours
    accepts_new_patients: bool | None = None
    accepts_verified_at: datetime | None = None


@dataclass
class Catalogue:
    services: list[dict]
    locations: list[dict]
    providers: list[Provider]
    durations: dict[int, int]  # service id -> minutes
    hours: dict[int, OfficeHours]  # location id -> opening hours
    imported_locations: int = 0  # clinics from the real lists (not in ``locations``)
    listed_only: int = 0  # listed doctors without slots (not in ``providers``)

    @classmethod
    def build(
        cls,
        random_seed: int,
        providers_target: int | None,
        now: datetime,
        *,
        generated_clinics: bool = True,
    ) -> Catalogue:
        """Services, offices and counters; and, if ``generated_clinics``, clinics and doctors."""
        rnd = random.Random(f"{random_seed}:catalogue")
        service_rows: list[dict] = []
        service_ids: dict[str, int] = {}
        for number, spec in enumerate(demo_data.SERVICES, start=1):
            service_ids[spec.code] = number
            service_rows.append(
                {
                    "id": number,
                    "code": spec.code,
                    "name": spec.name,
                    "name_en": spec.name_en,
                    "category": spec.category,
                    "duration_minutes": spec.duration_minutes,
                    "documents": json.dumps(list(spec.documents), ensure_ascii=False),
                    "documents_en": json.dumps(list(spec.documents_en), ensure_ascii=False),
                }
            )
        durations = {row["id"]: row["duration_minutes"] for row in service_rows}

        location_rows: list[dict] = []
        hours: dict[int, OfficeHours] = {}
        provider_list: list[Provider] = []

        def add_location(spec: Any, kind: str) -> int:
            location_id = len(location_rows) + 1
            location_rows.append(
                {
                    "id": location_id,
                    "code": spec.code,
                    "name": spec.name,
                    "kind": kind,
                    "address": spec.address,
                    "postcode": spec.postcode,
                    "town": spec.town,
                    "municipality": spec.municipality,
                    "municipality_folded": fold(spec.municipality),
                    "region": spec.region,
                    "phone": spec.phone,
                    "opening_hours": spec.opening_hours,
                    "lat": spec.lat,
                    "lon": spec.lon,
                }
            )
            hours[location_id] = OfficeHours.parse(spec.opening_hours)
            return location_id

        for office in demo_data.OFFICES:
            location_id = add_location(office, "office")
            offered = [service_ids[code] for code in office.services]
            for number, subset in enumerate(_counter_services(offered, office.counters), 1):
                provider_list.append(
                    Provider(
                        id=len(provider_list) + 1,
                        code=f"{office.code}-okence-{number}",
                        name=f"Okence {number}",
                        kind="counter",
                        specialty=None,
                        location_id=location_id,
                        service_ids=subset,
                        hours=None,
                    )
                )

        if not generated_clinics:
            return cls(service_rows, location_rows, provider_list, durations, hours)
        clinics = [c for c in demo_data.CLINICS if c.core or providers_target is not None]
        counters = len(provider_list)
        doctors = (
            DEFAULT_DOCTORS
            if providers_target is None
            else max(len(clinics), providers_target - counters)
        )
        shifts = [OfficeHours.parse(text) for text in demo_data.DOCTOR_SHIFTS]
        names = NamePools()
        for clinic, count in zip(
            clinics, _share_out(doctors, [c.weight for c in clinics]), strict=True
        ):
            location_id = add_location(clinic, "clinic")
            for number in range(count):
                specialty = demo_data.SPECIALTY_CYCLE[number % len(demo_data.SPECIALTY_CYCLE)]
                service_id = service_ids[demo_data.SPECIALTY_SERVICE[specialty]]
                female = rnd.random() < FEMALE_DOCTOR_SHARE
                first = (
                    names.first_female(rnd.random()) if female else names.first_male(rnd.random())
                )
                last = names.last(rnd.random())
                accepting = specialty == "nodoc" or rnd.random() < ACCEPTING_SHARE
                verified = now - timedelta(seconds=rnd.randrange(VERIFIED_WITHIN_DAYS * 86_400))
                provider_list.append(
                    Provider(
                        id=len(provider_list) + 1,
                        code=f"{clinic.code}-{specialty}-{number + 1}",
                        name=f"dr. {first} {last}",
                        kind="doctor",
                        specialty=specialty,
                        location_id=location_id,
                        service_ids=[service_id],
                        hours=shifts[(number // len(demo_data.SPECIALTY_CYCLE) + number) % 2],
                        accepts_new_patients=accepting,
                        accepts_verified_at=verified.replace(microsecond=0),
                    )
                )
        return cls(service_rows, location_rows, provider_list, durations, hours)

    def add_real_lists(self, connection: Connection, data: DirectoryData) -> list[ImportResult]:
        """Load the real lists (after :meth:`write`, and on PostgreSQL after the sequences were
        moved past the catalogue's ids); their accepting doctors and the clinics for patients
        without a doctor join the providers that get slots."""
        results = seed_directory.load(connection, data)
        shifts = [OfficeHours.parse(text) for text in demo_data.DOCTOR_SHIFTS]
        position: dict[int, int] = {}
        doctors = seed_directory.accepting_doctors(connection)
        clinics = seed_directory.add_no_doctor_clinics(connection, data)
        parsed: dict[str, OfficeHours] = {}
        for bookable in doctors + clinics:
            hours = parsed.setdefault(
                bookable.opening_hours, OfficeHours.parse(bookable.opening_hours)
            )
            self.hours.setdefault(bookable.location_id, hours)
            if bookable.specialty == seed_directory.NO_DOCTOR_SPECIALTY:
                shift = hours  # open all day
            else:
                # Doctors of one clinic alternate between the morning and the afternoon shift.
                number = position[bookable.location_id] = position.get(bookable.location_id, -1) + 1
                shift = shifts[number % 2]
            self.providers.append(
                Provider(
                    id=bookable.id,
                    code=bookable.code,
                    name=bookable.name,
                    kind="doctor",
                    specialty=bookable.specialty,
                    location_id=bookable.location_id,
                    service_ids=[bookable.service_id],
                    hours=shift,
                )
            )
        listed = connection.execute(
            select(func.count()).select_from(providers).where(providers.c.code.like("zzzs-%"))
        ).scalar_one()
        self.listed_only = listed - len(doctors)
        self.imported_locations = connection.execute(
            select(func.count()).select_from(locations).where(locations.c.code.like("zzzs-%"))
        ).scalar_one()
        return results

    def write(self, connection: Connection) -> None:
        connection.execute(insert(services), self.services)
        connection.execute(insert(locations), self.locations)
        where = {row["id"]: row for row in self.locations}
        connection.execute(
            insert(providers),
            [
                {
                    "id": p.id,
                    "code": p.code,
                    "name": p.name,
                    "name_folded": fold(p.name),
                    # The directory's search covers the institution and the place, as the
                    # real lists' loader makes it (load_zzzs.search_text).
                    "search_folded": (
                        search_text(
                            p.name,
                            where[p.location_id]["name"],
                            where[p.location_id]["town"],
                            where[p.location_id]["municipality"],
                        )
                        if p.kind == "doctor"
                        else None
                    ),
                    "kind": p.kind,
                    "specialty": p.specialty,
                    "location_id": p.location_id,
                    "accepts_new_patients": p.accepts_new_patients,
                    "accepts_verified_at": p.accepts_verified_at,
                    "accepts_verified_by": (
                        demo_data.ZZZS_SOURCE if p.accepts_verified_at else None
                    ),
                    "active": True,
                }
                for p in self.providers
            ],
        )
        connection.execute(
            insert(provider_services),
            [
                {"provider_id": p.id, "service_id": service_id}
                for p in self.providers
                for service_id in p.service_ids
            ],
        )


def _counter_services(offered: list[int], counters: int) -> list[list[int]]:
    """Which services each of an office's counters books: overlapping windows that cover all."""
    if counters <= 1:
        return [list(offered)] * counters
    n = len(offered)
    width = min(n, max(3, math.ceil(2 * n / counters)))
    return [
        sorted({offered[(k * n // counters + j) % n] for j in range(width)})
        for k in range(counters)
    ]


def _share_out(total: int, weights: Sequence[int]) -> list[int]:
    """``total`` split in proportion to ``weights`` (largest remainder), each at least one."""
    if total <= len(weights):
        return [1] * len(weights)
    spare = total - len(weights)
    whole = sum(weights)
    exact = [spare * w / whole for w in weights]
    shares = [int(x) for x in exact]
    by_remainder = sorted(range(len(weights)), key=lambda i: (shares[i] - exact[i], i))
    for i in by_remainder[: spare - sum(shares)]:
        shares[i] += 1
    return [share + 1 for share in shares]
