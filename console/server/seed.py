"""Fill a database with demo data: the catalogue, a slot calendar, callers, and demo agents.

Built for two sizes: the small demo the embedded console starts with (seconds), and the national
benchmark dataset of two million callers, loaded in about a minute on SQLite. The bulk tables
(slots, callers, caller_phones) bypass SQLAlchemy: rows are generated in chunks of plain tuples
and written with the DB-API's ``executemany`` on SQLite and ``COPY`` on PostgreSQL, in one
transaction, with the caller search index suspended during the load and rebuilt after it.

Everything random comes from ``random.Random`` instances derived from ``random_seed``, so a seed
gives the same data every time (only agent tokens and the time of the load differ).
"""

from __future__ import annotations

import bisect
import gc
import itertools
import json
import math
import os
import pickle
import random
import sqlite3
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from faker.providers.person.sl_SI import Provider as SlovenianNames
from sqlalchemy import Connection, exists, func, insert, select

import console
from console.domain.calendar import TZ, OfficeHours, working_days
from console.domain.emso import emso_batch
from console.domain.phone import COUNTRY, MOBILE_PREFIXES
from console.domain.text import fold
from console.server import demo_data, search_index, seed_directory
from console.server.agents import create_agent
from console.server.db import Database
from console.server.importers.results import ImportResult
from console.server.migrate import upgrade
from console.server.schema import (
    agents,
    locations,
    provider_services,
    providers,
    services,
)
from console.server.schema import callers as callers_table
from console.server.seed_directory import DirectoryData, DirectoryDataError

ProgressCallback = Callable[[str, int, int], None]

DEMO_AGENTS = (("Demo agent", "agent"), ("Demo supervisor", "supervisor"), ("Demo admin", "admin"))
DEFAULT_DOCTORS = 150
CHUNK = 50_000
ACCEPTING_SHARE = 0.35
VERIFIED_WITHIN_DAYS = 90
BIRTH_FIRST = date(1930, 1, 1)
BIRTH_LAST = date(2025, 12, 31)
ZZZS_SHARE = 0.93
EMAIL_SHARE = 0.40
SECOND_PHONE_SHARE = 0.30
LANDLINE_FIRST_SHARE = 0.10
LANDLINE_SECOND_SHARE = 0.50
DOUBLE_SURNAME_SHARE = 0.03
FLAG_SHARE = 0.01
FEMALE_DOCTOR_SHARE = 0.65

# Every table the demo fills or that refers to what it fills, children before parents.
CLEAR_ORDER = (
    "callback_attempts",
    "callbacks",
    "telephony_calls",
    "telephony_extensions",
    "provider_reports",
    "provider_history",
    "provider_facts",
    "location_facts",
    "directory_imports",
    "messages",
    "bookings",
    "holds",
    "calls",
    "audit_log",
    "changes",
    "idempotency_keys",
    "caller_phones",
    "callers",
    "slots",
    "provider_services",
    "providers",
    "services",
    "locations",
)
# The tables loaded in bulk: their secondary indexes are built after the load.
BULK_TABLES = ("slots", "callers", "caller_phones")
# From this many callers on, they are generated in a second process (see _Producer).
PARALLEL_MIN_CALLERS = 200_000
# Tables whose ids the seed sets itself: PostgreSQL's sequences must be moved past them.
EXPLICIT_ID_TABLES = ("locations", "services", "providers", "callers")


class SeedError(ValueError):
    """The database cannot be seeded as asked (e.g. it already holds data)."""


@dataclass
class SeedReport:
    locations: int
    services: int
    providers: int
    slots: int
    callers: int
    tokens: dict[str, str]  # role -> bearer token of the demo agent with that role
    seconds: float
    phases: dict[str, float] = field(default_factory=dict)  # phase -> seconds
    phones: int = 0
    # The real lists loaded for the health providers (empty: generated clinics).
    directory: list[ImportResult] = field(default_factory=list)


def seed(
    database: Database,
    *,
    callers: int = 20_000,
    days: int = 30,
    providers_target: int | None = None,
    start: date | None = None,
    random_seed: int = 2026,
    progress: ProgressCallback | None = None,
    replace: bool = False,
    directory_data: Path | None = None,
) -> SeedReport:
    """Migrate ``database`` to the newest schema and fill it with demo data.

    ``callers`` people, ``days`` working days of free slots from ``start`` (default: tomorrow in
    Ljubljana), about 200 providers or about ``providers_target`` (more clinics and doctors).
    With ``directory_data`` (a folder with the insurer's ``zzzs/*.xlsx`` and Sledilnik's
    ``zdravniki/``), the health providers are the real ones instead of generated clinics: the
    lists are imported as ``agent-console import`` would, and the doctors who accept new
    patients get slots (see :mod:`console.server.seed_directory`).
    Raises :class:`SeedError` if the database already has callers or locations, unless
    ``replace`` is true: then every demo table (and bookings, holds, calls, the change feed, the
    audit log and idempotency keys) is emptied first.
    """
    if callers < 0 or days < 0:
        raise SeedError("callers and days must not be negative")
    if providers_target is not None and providers_target < 1:
        raise SeedError("providers_target must be at least 1")
    if providers_target is not None and directory_data is not None:
        raise SeedError("providers_target scales generated clinics; the real lists have their own")
    started = time.perf_counter()
    report_progress = progress or _no_progress
    phases: dict[str, float] = {}
    now = datetime.now(UTC).replace(tzinfo=None)
    # The producer process starts first: its imports (seconds) overlap the migrations.
    producer = (
        _Producer(
            callers, random_seed, now, CHUNK, copy_text=database.engine.dialect.name != "sqlite"
        )
        if callers >= PARALLEL_MIN_CALLERS
        else None
    )
    try:
        upgrade(database.engine)
        first_day = start or (datetime.now(TZ).date() + timedelta(days=1))
        real_lists: DirectoryData | None = None
        directory: list[ImportResult] = []
        if directory_data is not None:
            with _timed(phases, "read lists"):
                try:
                    real_lists = DirectoryData.read(Path(directory_data), report_progress)
                except DirectoryDataError as exc:
                    raise SeedError(str(exc)) from exc
    except BaseException:
        if producer is not None:
            producer.close()
        raise

    gc_was_enabled = gc.isenabled()
    gc.disable()  # millions of tuples, no cycles: the collector would only slow the load
    try:
        with database.engine.connect() as connection:
            sqlite = connection.dialect.name == "sqlite"
            driver = connection.connection.driver_connection
            if sqlite:
                _sqlite_bulk_mode(driver, on=True)
            transaction = connection.begin()
            try:
                with _timed(phases, "prepare"):
                    existing = _has_data(connection)
                    if existing and not replace:
                        raise SeedError(
                            "The database already has callers or locations; seed an empty "
                            "database, or pass replace=True to delete the existing demo data "
                            "(and all bookings, calls and history) first."
                        )
                    search_index.suspend(connection)
                    recreate = _drop_secondary_indexes(connection)
                    if existing:
                        _clear(connection)
                with _timed(phases, "catalogue"):
                    catalogue = _Catalogue.build(
                        random_seed, providers_target, now, generated_clinics=real_lists is None
                    )
                    catalogue.write(connection)
                    tokens = _create_agents(connection)
                    if real_lists is not None:
                        directory = catalogue.add_real_lists(connection, real_lists)
                    report_progress("catalogue", 1, 1)
                with _timed(phases, "slots"):
                    slot_count = _write_slots(
                        connection,
                        catalogue,
                        working_days(first_day, days),
                        report_progress,
                        producer,
                    )
                with _timed(phases, "callers"):
                    phone_count = _write_callers(
                        connection, callers, random_seed, now, report_progress, producer
                    )
                with _timed(phases, "indexes"):
                    report_progress("indexes", 0, len(recreate) or 1)
                    if not sqlite:
                        connection.exec_driver_sql("SET LOCAL maintenance_work_mem = '512MB'")
                        _move_sequences(connection)
                    for done, statement in enumerate(recreate, 1):
                        connection.exec_driver_sql(statement)
                        report_progress("indexes", done, len(recreate))
                with _timed(phases, "search index"):
                    report_progress("search index", 0, 1)
                    search_index.rebuild(connection)
                    report_progress("search index", 1, 1)
                with _timed(phases, "analyze"):
                    _analyze(connection)
                with _timed(phases, "commit"):
                    transaction.commit()
            finally:
                if transaction.is_active:
                    transaction.rollback()
                if sqlite:
                    _sqlite_bulk_mode(driver, on=False)
        if not sqlite:
            with _timed(phases, "vacuum"):
                search_index.settle(database.engine)
    finally:
        if producer is not None:
            producer.close()
        if gc_was_enabled:
            gc.enable()

    return SeedReport(
        locations=len(catalogue.locations) + catalogue.imported_locations,
        services=len(catalogue.services),
        providers=len(catalogue.providers) + catalogue.listed_only,
        slots=slot_count,
        callers=callers,
        tokens=tokens,
        seconds=time.perf_counter() - started,
        phases={name: round(seconds, 3) for name, seconds in phases.items()},
        phones=phone_count,
        directory=directory,
    )


def _no_progress(_label: str, _done: int, _total: int) -> None:
    pass


@contextmanager
def _timed(into: dict[str, float], name: str) -> Iterator[None]:
    began = time.perf_counter()
    yield
    into[name] = time.perf_counter() - began


# --- set-up and tear-down ---------------------------------------------------------------------


def _sqlite_bulk_mode(driver: Any, *, on: bool) -> None:
    """Pragmas for one big load on this connection (outside a transaction), and back."""
    cursor = driver.cursor()
    if on:
        # No fsync (a crash mid-load loses only the load), a cache big enough for the indexes,
        # and no foreign-key lookups for rows that are consistent by construction.
        statements = (
            "PRAGMA synchronous=OFF",
            "PRAGMA cache_size=-1000000",
            "PRAGMA temp_store=MEMORY",
            "PRAGMA foreign_keys=OFF",
            "PRAGMA threads=2",  # helper threads for the sorts that build indexes
        )
    else:
        statements = (
            "PRAGMA synchronous=NORMAL",
            "PRAGMA cache_size=-2000",
            "PRAGMA temp_store=DEFAULT",
            "PRAGMA foreign_keys=ON",
            "PRAGMA threads=0",
            "PRAGMA journal_mode=WAL",  # as Database.open sets it
        )
    for statement in statements:
        cursor.execute(statement)
    if on and _sqlite_is_empty(cursor):
        _sqlite_rollback_journal(cursor)
    cursor.close()


def _sqlite_is_empty(cursor: Any) -> bool:
    found = cursor.execute(
        "SELECT EXISTS (SELECT 1 FROM callers) OR EXISTS (SELECT 1 FROM locations)"
    ).fetchone()
    return not found[0]


def _sqlite_rollback_journal(cursor: Any) -> None:
    """Load an empty database with a rollback journal instead of the WAL: the commit then
    writes each page once, into the database file, instead of into the WAL and again at the
    checkpoint (a gigabyte on the national dataset; the journal of an empty database stays
    small, and a failed load still rolls back). Only when this is the file's one connection
    (the switch needs that; it is not waited for): a server already serving it keeps the WAL
    and with it its readers during the load. Back to the WAL when the load is over."""
    timeout = cursor.execute("PRAGMA busy_timeout").fetchone()[0]
    cursor.execute("PRAGMA busy_timeout=0")
    try:
        cursor.execute("PRAGMA journal_mode=DELETE").fetchall()
    except sqlite3.OperationalError:  # another connection has the file open: keep the WAL
        pass
    finally:
        cursor.execute(f"PRAGMA busy_timeout={int(timeout)}")


def _has_data(connection: Connection) -> bool:
    return bool(
        connection.execute(
            select(exists().select_from(callers_table) | exists().select_from(locations))
        ).scalar()
    )


def _clear(connection: Connection) -> None:
    """Empty the demo tables and everything that refers to them; drop the demo agents."""
    if connection.dialect.name == "sqlite":
        for table in CLEAR_ORDER:
            connection.exec_driver_sql(f"DELETE FROM {table}")
    else:
        connection.exec_driver_sql(f"TRUNCATE {', '.join(CLEAR_ORDER)}")
    connection.execute(agents.delete().where(agents.c.name.in_([n for n, _ in DEMO_AGENTS])))


def _drop_secondary_indexes(connection: Connection) -> list[str]:
    """Drop the bulk tables' secondary indexes; return the statements that recreate them.

    Building an index once from the loaded rows (a sort) is far cheaper than updating it for
    every row. On SQLite that covers the indexes made with CREATE INDEX (the UNIQUE
    constraints of CREATE TABLE cannot be dropped); on PostgreSQL also the unique constraints.
    Primary keys stay. All of it is inside the seed's transaction: a failed load restores them.
    """
    recreate: list[str] = []
    tables = ", ".join(f"'{table}'" for table in BULK_TABLES)
    if connection.dialect.name == "sqlite":
        rows = connection.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            f"AND tbl_name IN ({tables}) ORDER BY name"
        ).all()
        for name, sql in rows:
            connection.exec_driver_sql(f'DROP INDEX "{name}"')
            recreate.append(sql)
        return recreate
    constraints = connection.exec_driver_sql(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
        f"WHERE contype = 'u' AND conrelid::regclass::text IN ({tables}) ORDER BY conname"
    ).all()
    for table, name, definition in constraints:
        connection.exec_driver_sql(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        recreate.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    indexes = connection.exec_driver_sql(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i "
        f"WHERE i.schemaname = current_schema() AND i.tablename IN ({tables}) "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = "
        "(quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))::regclass) "
        "ORDER BY i.indexname"
    ).all()
    for name, definition in indexes:
        connection.exec_driver_sql(f'DROP INDEX "{name}"')
        recreate.append(definition)
    return recreate


def _create_agents(connection: Connection) -> dict[str, str]:
    tokens: dict[str, str] = {}
    for name, role in DEMO_AGENTS:
        _agent, token = create_agent(connection, name, role)
        tokens[role] = token
    return tokens


def _move_sequences(connection: Connection) -> None:
    """PostgreSQL: move each serial past the ids the seed set itself."""
    for table in EXPLICIT_ID_TABLES:
        connection.exec_driver_sql(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"coalesce((SELECT max(id) FROM {table}), 0) + 1, false)"
        )


def _analyze(connection: Connection) -> None:
    """Fresh planner statistics for the tables that were just loaded."""
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("ANALYZE")
    else:
        for table in ("locations", "services", "providers", "provider_services", "slots",
                      "callers", "caller_phones", "provider_facts", "location_facts"):  # fmt: skip
            connection.exec_driver_sql(f"ANALYZE {table}")


# --- the catalogue ----------------------------------------------------------------------------


@dataclass
class _Provider:
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
class _Catalogue:
    services: list[dict]
    locations: list[dict]
    providers: list[_Provider]
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
    ) -> _Catalogue:
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
        provider_list: list[_Provider] = []

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
                    _Provider(
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
        names = _NamePools()
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
                    _Provider(
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
        """Load the real lists (after :meth:`write`); their accepting doctors and the clinics
        for patients without a doctor join the providers that get slots."""
        if connection.dialect.name != "sqlite":
            _move_sequences(connection)  # the loader's rows take ids after the seed's own
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
                _Provider(
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
        connection.execute(
            insert(providers),
            [
                {
                    "id": p.id,
                    "code": p.code,
                    "name": p.name,
                    "name_folded": fold(p.name),
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


# --- names ------------------------------------------------------------------------------------


def _unique_names(names: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for name in names:
        seen.setdefault(name[:1].upper() + name[1:], None)
    return list(seen)


def _zipf(count: int, offset: float) -> list[float]:
    """Cumulative weights for a frequency-ranked list: rank r weighs 1 / (r + offset)."""
    return list(itertools.accumulate(1 / (rank + offset) for rank in range(count)))


class _NamePools:
    """Faker's sl_SI name lists (ranked by frequency), drawn with a skew toward the top."""

    def __init__(self) -> None:
        self.males = _unique_names(SlovenianNames.first_names_male)
        self.females = _unique_names(SlovenianNames.first_names_female)
        self.lasts = _unique_names(SlovenianNames.last_names)
        self.male_cum = _zipf(len(self.males), 8)
        self.female_cum = _zipf(len(self.females), 8)
        self.last_cum = _zipf(len(self.lasts), 20)

    @staticmethod
    def _pick(names: list[str], cum: list[float], r: float) -> str:
        return names[bisect.bisect(cum, r * cum[-1])]

    def first_male(self, r: float) -> str:
        return self._pick(self.males, self.male_cum, r)

    def first_female(self, r: float) -> str:
        return self._pick(self.females, self.female_cum, r)

    def last(self, r: float) -> str:
        return self._pick(self.lasts, self.last_cum, r)


# --- slots ------------------------------------------------------------------------------------


def _naive(intervals: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    return [(a.replace(tzinfo=None), b.replace(tzinfo=None)) for a, b in intervals]


def _intersect(
    first: list[tuple[datetime, datetime]], second: list[tuple[datetime, datetime]]
) -> list[tuple[datetime, datetime]]:
    out = []
    for a_start, a_end in first:
        for b_start, b_end in second:
            lo, hi = max(a_start, b_start), min(a_end, b_end)
            if lo < hi:
                out.append((lo, hi))
    return sorted(out)


def _run(start: datetime, end: datetime, minutes: int) -> list[tuple[str, str]]:
    """Back-to-back slots of ``minutes`` from ``start`` that end by ``end``, as stored text."""
    step = timedelta(minutes=minutes)
    out = []
    while start + step <= end:
        out.append((_stored(start), _stored(start + step)))
        start += step
    return out


def _stored(moment: datetime) -> str:
    """A naive UTC time as SQLAlchemy stores DateTime on SQLite (``2026-12-22 07:00:00.000000``);
    PostgreSQL's COPY reads it too."""
    return moment.isoformat(sep=" ", timespec="microseconds")


def _slot_rows(catalogue: _Catalogue, days: list[date]) -> Iterator[tuple]:
    """(provider_id, location_id, service_id, starts_at, ends_at) for every slot."""
    opening: dict[tuple[int, date], list[tuple[datetime, datetime]]] = {}
    runs: dict[tuple, list[tuple[str, str]]] = {}
    shift_cache: dict[tuple[int, date], list[tuple[datetime, datetime]]] = {}
    for day_number, day in enumerate(days):
        for p in catalogue.providers:
            key = (p.location_id, day)
            if key not in opening:
                opening[key] = _naive(catalogue.hours[p.location_id].intervals(day))
            intervals = opening[key]
            if not intervals:
                continue
            if p.hours is not None:  # a doctor: their shift within the clinic's hours
                shift_key = (id(p.hours), p.location_id, day)
                if shift_key not in shift_cache:
                    shift_cache[shift_key] = _intersect(intervals, _naive(p.hours.intervals(day)))
                service_id = p.service_ids[0]
                run_key = (shift_key, service_id)
                if run_key not in runs:
                    minutes = catalogue.durations[service_id]
                    runs[run_key] = [
                        s for lo, hi in shift_cache[shift_key] for s in _run(lo, hi, minutes)
                    ]
                for starts, ends in runs[run_key]:
                    yield (p.id, p.location_id, service_id, starts, ends)
                continue
            # A counter: each hour of the day books one of its services, in turn.
            services_of = p.service_ids
            hour = 0
            for lo, hi in intervals:
                block = lo
                while block < hi:
                    block_end = min(block + timedelta(hours=1), hi)
                    service_id = services_of[(day_number + hour + p.id) % len(services_of)]
                    run_key = (block, block_end, service_id)
                    if run_key not in runs:
                        runs[run_key] = _run(block, block_end, catalogue.durations[service_id])
                    for starts, ends in runs[run_key]:
                        yield (p.id, p.location_id, service_id, starts, ends)
                    block = block_end
                    hour += 1


SLOT_COLUMNS = "provider_id, location_id, service_id, starts_at, ends_at"


def _write_slots(
    connection: Connection,
    catalogue: _Catalogue,
    days: list[date],
    progress: ProgressCallback,
    producer: _Producer | None = None,
) -> int:
    """Every slot; generated by the producer process when there is one (this process only
    writes them), else here. The same rows in the same order either way."""
    if producer is not None:
        chunks = producer.slot_chunks(catalogue, days)
        total = next(chunks)
    else:
        rows = list(_slot_rows(catalogue, days))
        total = len(rows)
        chunks = (rows[lo : lo + CHUNK] for lo in range(0, total, CHUNK))
    progress("slots", 0, max(total, 1))
    done = 0
    for chunk in chunks:
        writer = _BulkWriter(connection, "slots", SLOT_COLUMNS, 5, constants={"status": "'free'"})
        done += writer.write(chunk)
        writer.close()
        progress("slots", min(total, done), total)
    if done != total:
        raise SeedError(f"the slot generator stopped after {done} of {total} slots")
    if not total:
        progress("slots", 1, 1)
    return total


# --- bulk writing -----------------------------------------------------------------------------


class _BulkWriter:
    """Appends rows to one table: ``executemany`` on SQLite, one ``COPY`` on PostgreSQL."""

    def __init__(
        self,
        connection: Connection,
        table: str,
        columns: str,
        width: int,
        constants: dict[str, str] | None = None,
    ) -> None:
        self.sqlite = connection.dialect.name == "sqlite"
        driver = connection.connection.driver_connection
        self.cursor = driver.cursor()
        constants = constants or {}
        if self.sqlite:
            names = ", ".join([columns, *constants])
            values = ", ".join(["?"] * width + list(constants.values()))
            self.sql = f"INSERT INTO {table} ({names}) VALUES ({values})"
            self.copy = None
        else:
            # Columns left out of the COPY take their defaults (status 'free', notes '').
            self.copy_manager = self.cursor.copy(f"COPY {table} ({columns}) FROM STDIN")
            self.copy = self.copy_manager.__enter__()

    def write(self, rows: Iterable[tuple] | bytes) -> int:
        """Write ``rows`` (or ready COPY text); return how many rows there were."""
        if isinstance(rows, bytes):
            assert self.copy is not None, "COPY text is only for PostgreSQL"
            self.copy.write(rows)
            return rows.count(b"\n")
        if self.copy is None:
            self.cursor.executemany(self.sql, rows)
            return self.cursor.rowcount
        write_row = self.copy.write_row
        count = 0
        for count, row in enumerate(rows, 1):  # noqa: B007
            write_row(row)
        return count

    def close(self) -> None:
        if self.copy is not None:
            self.copy_manager.__exit__(None, None, None)
        self.cursor.close()


# --- callers ----------------------------------------------------------------------------------


def _cumulative(weighted: Sequence[tuple[str, int]]) -> tuple[list[str], list[float]]:
    values = [value for value, _ in weighted]
    cum = list(itertools.accumulate(weight for _, weight in weighted))
    return values, [c / cum[-1] for c in cum]


def _email_local(first: str, last: str) -> str:
    return "".join(ch for ch in fold(f"{first}.{last}") if ch.isalnum() or ch in ".-")


def _caller_chunks(
    count: int, random_seed: int, now: str, chunk: int
) -> Iterator[tuple[list[tuple], list[tuple]]]:
    """Callers as (caller rows, phone rows) per chunk, ids 1..count."""
    rnd = random.Random(f"{random_seed}:callers")
    random_ = rnd.random
    names = _NamePools()
    emsos = emso_batch(rnd, count, BIRTH_FIRST, BIRTH_LAST)
    with_zzzs = [random_() < ZZZS_SHARE for _ in range(count)]
    # Insurance numbers rise with the caller id, as numbers issued over the years would; it
    # also turns the unique index's inserts into appends, several seconds on a national load.
    zzzs_iter = iter(sorted(rnd.sample(range(1_000_000_000), sum(with_zzzs))))

    def pool(values: list[str]) -> list[tuple[str, str, str]]:
        # (name, folded, e-mail part) for every name, computed once.
        return [(v, fold(v), _email_local(v, "").rstrip(".")) for v in values]

    males, females, lasts = pool(names.males), pool(names.females), pool(names.lasts)
    for name, folded, mail in males + females + lasts:
        if any(ch in text for text in (name, folded, mail) for ch in "\t\n\r\\"):
            raise SeedError(f"the name {name!r} has a character the bulk load cannot take")
    male_cum = [c / names.male_cum[-1] for c in names.male_cum]
    female_cum = [c / names.female_cum[-1] for c in names.female_cum]
    last_cum = [c / names.last_cum[-1] for c in names.last_cum]
    domains, domain_cum = _cumulative(demo_data.EMAIL_DOMAINS)
    languages, language_cum = _cumulative(demo_data.LANGUAGES)
    areas, area_cum = _cumulative(demo_data.LANDLINE_AREAS)
    flags = demo_data.FLAGS
    mobiles = [f"+{COUNTRY}{prefix}" for prefix in MOBILE_PREFIXES]
    landlines = [f"+{COUNTRY}{area}" for area in areas]
    n_mobiles = len(mobiles)
    bisect_ = bisect.bisect
    birth_cache: dict[str, str] = {}

    def birth(emso: str) -> str:
        head = emso[:7]
        found = birth_cache.get(head)
        if found is None:
            yyy = head[4:7]
            year = ("1" if yyy >= "800" else "2") + yyy
            found = birth_cache[head] = f"{year}-{head[2:4]}-{head[0:2]}"
        return found

    def mobile() -> str:
        return f"{mobiles[int(random_() * n_mobiles)]}{int(random_() * 1_000_000):06d}"

    def landline() -> str:
        # The subscriber number starts with 2, 4, 5 or 6: never a mobile or VoIP prefix.
        area = landlines[bisect_(area_cum, random_())]
        return f"{area}{'2456'[int(random_() * 4)]}{int(random_() * 1_000_000):06d}"

    for lo in range(0, count, chunk):
        hi = min(count, lo + chunk)
        rows: list[tuple] = []
        phones: list[tuple] = []
        add_row, add_phone = rows.append, phones.append
        for i in range(lo, hi):
            emso = emsos[i]
            if emso[9] < "5":
                first, first_folded, first_mail = males[bisect_(male_cum, random_())]
            else:
                first, first_folded, first_mail = females[bisect_(female_cum, random_())]
            last, last_folded, last_mail = lasts[bisect_(last_cum, random_())]
            if random_() < DOUBLE_SURNAME_SHARE:
                second, second_folded, second_mail = lasts[bisect_(last_cum, random_())]
                if second != last:
                    joiner = " " if random_() < 0.6 else "-"
                    last = f"{last}{joiner}{second}"
                    last_folded = f"{last_folded}{joiner}{second_folded}"
                    last_mail = f"{last_mail}{second_mail}"
            r = random_()
            if r < EMAIL_SHARE:
                domain = domains[bisect_(domain_cum, random_())]
                if r < EMAIL_SHARE * 0.5:
                    email = f"{first_mail}.{last_mail}@{domain}"
                elif r < EMAIL_SHARE * 0.8:
                    email = f"{first_mail}.{last_mail}{emso[5:7]}@{domain}"
                else:
                    email = f"{first_mail[0]}{last_mail}{int(random_() * 1000)}@{domain}"
            else:
                email = None
            r = random_()
            language = "sl" if r < language_cum[0] else languages[bisect_(language_cum, r)]
            caller_id = i + 1
            add_row(
                (
                    caller_id,
                    first,
                    last,
                    f"{last_folded} {first_folded}",
                    emso,
                    f"{next(zzzs_iter):09d}" if with_zzzs[i] else None,
                    birth(emso),
                    email,
                    language,
                    flags[int(random_() * len(flags))] if random_() < FLAG_SHARE else "[]",
                    now,
                    now,
                )
            )
            if random_() < LANDLINE_FIRST_SHARE:
                number, label = landline(), "landline"
            else:
                number, label = mobile(), "mobile"
            add_phone((caller_id, number, label, 0))
            if random_() < SECOND_PHONE_SHARE:
                if random_() < LANDLINE_SECOND_SHARE:
                    other, other_label = landline(), "landline"
                else:
                    other, other_label = mobile(), "mobile"
                if other != number:
                    add_phone((caller_id, other, other_label, 1))
        yield rows, phones


CALLER_COLUMNS = (
    "id, first_name, last_name, name_folded, emso, zzzs_number, birth_date, email, language, "
    "flags, created_at, updated_at"
)
PHONE_COLUMNS = "caller_id, number, label, position"


def _write_callers(
    connection: Connection,
    count: int,
    random_seed: int,
    now: datetime,
    progress: ProgressCallback,
    producer: _Producer | None,
) -> int:
    progress("callers", 0, max(count, 1))
    stamp = _stored(now)
    chunks = (
        producer.chunks()
        if producer is not None
        else (
            (rows, phones, len(rows))
            for rows, phones in _caller_chunks(count, random_seed, stamp, CHUNK)
        )
    )
    phone_count = 0
    done = 0
    for rows, phones, size in chunks:
        writer = _BulkWriter(connection, "callers", CALLER_COLUMNS, 12, {"notes": "''"})
        writer.write(rows)
        writer.close()
        writer = _BulkWriter(connection, "caller_phones", PHONE_COLUMNS, 4)
        phone_count += writer.write(phones)
        writer.close()
        done += size
        progress("callers", done, count)
    if count == 0:
        progress("callers", 1, 1)
    if done != count:
        raise SeedError(f"the caller generator stopped after {done} of {count} callers")
    return phone_count


# --- generating callers in a second process ----------------------------------------------------


class _Producer:
    """Generates callers in a child process while this one writes them to the database.

    Worth it from a few hundred thousand callers on: generating a row costs about a third as
    much as writing it, and the two overlap on a machine with two cores. It generates the
    slots first (:meth:`slot_chunks`: the catalogue reaches it through a file once it is
    built), then the callers: this process only writes rows. For SQLite, chunks
    cross the pipe column by column (cheaper to pickle than row tuples); for PostgreSQL, as
    ready-made ``COPY`` text, so this process only passes bytes on. Either way the rows are
    the ones :func:`_caller_chunks` gives in-process.

    The child is a plain ``python -c`` running :func:`_produce`, not a multiprocessing
    process: spawning one re-imports the caller's ``__main__``, which reruns any script that
    calls :func:`seed` without an ``if __name__ == "__main__"`` guard.
    """

    def __init__(
        self, count: int, random_seed: int, now: datetime, chunk: int, copy_text: bool
    ) -> None:
        package_root = str(Path(console.__file__).resolve().parent.parent)
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
        arguments = [str(count), str(random_seed), _stored(now), str(chunk), str(int(copy_text))]
        self.process = subprocess.Popen(
            [sys.executable, "-c", _CHILD, *arguments],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )
        assert self.process.stdout is not None and self.process.stdin is not None
        self.stream = self.process.stdout
        self.orders = self.process.stdin

    def _message(self) -> Any:
        header = _read_exactly(self.stream, _HEADER.size)
        data = _read_exactly(self.stream, _HEADER.unpack(header)[0]) if header else b""
        if not data:
            code = self.process.wait()
            raise SeedError(f"the generator process ended unexpectedly (exit {code})")
        return pickle.loads(data)

    def _order(self, line: str) -> None:
        """Tell the child which slots to generate (a file) or none (an empty line)."""
        if not self.orders.closed:
            try:
                self.orders.write(line.encode() + b"\n")
                self.orders.close()
            except BrokenPipeError:
                pass  # it died: reading from it says so

    def slot_chunks(self, catalogue: _Catalogue, days: list[date]) -> Iterator[Any]:
        """The number of slots, then the slot rows per chunk (as :func:`_slot_rows` gives them
        here), generated by the child from ``catalogue``."""
        fd, path = tempfile.mkstemp(prefix="agent-console-seed-", suffix=".pickle")
        try:
            with os.fdopen(fd, "wb") as file:
                pickle.dump((catalogue, days), file, protocol=pickle.HIGHEST_PROTOCOL)
            self._order(path)
            _, total = self._message()
        finally:
            Path(path).unlink(missing_ok=True)  # the child read it before it answered
        yield total
        while True:
            size, columns = self._message()
            if size == 0:
                return
            yield columns if isinstance(columns, bytes) else zip(*columns, strict=True)

    def chunks(self) -> Iterator[tuple[Iterable[tuple] | bytes, Iterable[tuple] | bytes, int]]:
        """(caller rows, phone rows, number of callers) per chunk."""
        self._order("")  # no slots were asked for: straight to the callers
        while True:
            size, rows, phones = self._message()
            if size == 0:
                return
            if isinstance(rows, bytes):
                yield rows, phones, size
            else:
                yield zip(*rows, strict=True), zip(*phones, strict=True), size

    def close(self) -> None:
        self._order("")
        self.stream.close()
        if self.process.poll() is None:
            self.process.terminate()
        self.process.wait(timeout=30)


def _read_exactly(stream: Any, size: int) -> bytes:
    """``size`` bytes from a pipe, or fewer only at its end."""
    data = stream.read(size)
    while data and len(data) < size:
        more = stream.read(size - len(data))
        if not more:
            break
        data += more
    return data


_HEADER = struct.Struct("<Q")
_CHILD = "import sys; from console.server.seed import _produce; _produce(sys.argv[1:])"


def _produce(arguments: list[str]) -> None:
    """The child process: write each chunk to stdout, length first, then an empty chunk."""
    gc.disable()
    count, random_seed, now, chunk, copy_text = arguments
    out = sys.stdout.buffer

    def send(message: tuple) -> None:
        data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        out.write(_HEADER.pack(len(data)))
        out.write(data)

    try:
        callers = _caller_chunks(int(count), int(random_seed), now, int(chunk))
        slots_from = sys.stdin.readline().strip()
        if slots_from:
            with open(slots_from, "rb") as file:
                catalogue, days = pickle.load(file)
            rows = list(_slot_rows(catalogue, days))
            send(("slots", len(rows)))
            for lo in range(0, len(rows), int(chunk)):
                part = rows[lo : lo + int(chunk)]
                if copy_text == "1":
                    send((len(part), _slot_copy_text(part)))
                else:
                    send((len(part), tuple(zip(*part, strict=True))))
            send((0, ()))
            del rows
        for rows, phones in callers:
            if copy_text == "1":
                send((len(rows), _caller_copy_text(rows), _phone_copy_text(phones)))
            else:
                send(
                    (
                        len(rows),
                        tuple(zip(*rows, strict=True)),
                        tuple(zip(*phones, strict=True)),
                    )
                )
        send((0, (), ()))
        out.flush()
    except BrokenPipeError:
        pass  # the parent stopped reading: it failed or was interrupted


_NULL = "\\N"


def _caller_copy_text(rows: list[tuple]) -> bytes:
    """Rows in COPY's text format. No value holds a tab, newline or backslash: the name pools
    are checked for them once (see :func:`_caller_chunks`), the rest is digits and ASCII."""
    return "".join(
        [
            f"{i}\t{first}\t{last}\t{folded}\t{emso}\t{zzzs or _NULL}\t{birth}\t"
            f"{email or _NULL}\t{language}\t{flags}\t{stamps[0]}\t{stamps[1]}\n"
            for i, first, last, folded, emso, zzzs, birth, email, language, flags, *stamps in rows
        ]
    ).encode()


def _slot_copy_text(rows: list[tuple]) -> bytes:
    return "".join(
        [f"{provider}\t{location}\t{service}\t{starts}\t{ends}\n"
         for provider, location, service, starts, ends in rows]
    ).encode()  # fmt: skip


def _phone_copy_text(rows: list[tuple]) -> bytes:
    return "".join(
        [f"{caller}\t{number}\t{label}\t{position}\n" for caller, number, label, position in rows]
    ).encode()
