"""Fill a database with demo data: the catalogue, a slot calendar, callers, and demo agents.

Built for two sizes: the small demo the embedded console starts with (seconds), and the national
benchmark dataset of two million callers, loaded in about a minute on SQLite. This module is the
one entry point and says what happens in which order, in one transaction; the parts have a job
each:

- :mod:`console.server.seed_catalogue`: services, offices and counters, clinics and doctors;
- :mod:`console.server.seed_directory`: the real lists' doctors instead of generated clinics;
- :mod:`console.server.seed_calendar`: the free slots, as row tuples;
- :mod:`console.server.seed_people`: name pools and the callers, as row tuples;
- :mod:`console.server.bulk_load`: writing those rows fast (``executemany`` on SQLite, ``COPY``
  on PostgreSQL, a producer process for a national load), with the search index suspended
  and the secondary indexes rebuilt after the load.

Everything random comes from ``random.Random`` instances derived from ``random_seed``, so a seed
gives the same data every time (only agent tokens and the time of the load differ).
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import Connection, exists, select

from console.domain.calendar import TZ, working_days
from console.server import bulk_load, search_index
from console.server.agents import create_agent
from console.server.db import Database
from console.server.importers.results import ImportResult
from console.server.migrate import upgrade
from console.server.schema import agents, locations
from console.server.schema import callers as callers_table
from console.server.seed_catalogue import Catalogue
from console.server.seed_directory import DirectoryData, DirectoryDataError

ProgressCallback = Callable[[str, int, int], None]

DEMO_AGENTS = (("Demo agent", "agent"), ("Demo supervisor", "supervisor"), ("Demo admin", "admin"))
CHUNK = 50_000  # rows per chunk of the bulk load

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
    "agent_presence",
    "agent_states",
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
# From this many callers on, they are generated in a second process (see bulk_load.Producer).
PARALLEL_MIN_CALLERS = 200_000


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
        bulk_load.Producer(
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
                bulk_load.sqlite_bulk_mode(driver, on=True)
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
                    recreate = bulk_load.drop_secondary_indexes(connection)
                    if existing:
                        _clear(connection)
                with _timed(phases, "catalogue"):
                    catalogue = Catalogue.build(
                        random_seed, providers_target, now, generated_clinics=real_lists is None
                    )
                    catalogue.write(connection)
                    tokens = _create_agents(connection)
                    if real_lists is not None:
                        if not sqlite:  # the lists' rows take ids after the catalogue's own
                            bulk_load.move_sequences(connection)
                        directory = catalogue.add_real_lists(connection, real_lists)
                    report_progress("catalogue", 1, 1)
                with _timed(phases, "slots"):
                    slot_count = bulk_load.write_slots(
                        connection,
                        catalogue,
                        working_days(first_day, days),
                        report_progress,
                        chunk=CHUNK,
                        producer=producer,
                    )
                with _timed(phases, "callers"):
                    phone_count = bulk_load.write_callers(
                        connection,
                        callers,
                        random_seed,
                        now,
                        report_progress,
                        chunk=CHUNK,
                        producer=producer,
                    )
                with _timed(phases, "indexes"):
                    report_progress("indexes", 0, len(recreate) or 1)
                    if not sqlite:
                        connection.exec_driver_sql("SET LOCAL maintenance_work_mem = '512MB'")
                        bulk_load.move_sequences(connection)
                    for done, statement in enumerate(recreate, 1):
                        connection.exec_driver_sql(statement)
                        report_progress("indexes", done, len(recreate))
                with _timed(phases, "search index"):
                    report_progress("search index", 0, 1)
                    search_index.rebuild(connection)
                    report_progress("search index", 1, 1)
                with _timed(phases, "analyze"):
                    bulk_load.analyze(connection)
                with _timed(phases, "commit"):
                    transaction.commit()
            finally:
                if transaction.is_active:
                    transaction.rollback()
                if sqlite:
                    bulk_load.sqlite_bulk_mode(driver, on=False)
        if not sqlite:
            with _timed(phases, "vacuum"):
                search_index.settle(database.engine)
    except bulk_load.BulkLoadError as exc:
        raise SeedError(str(exc)) from exc
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


# --- the demo's own rows ------------------------------------------------------------------------


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


def _create_agents(connection: Connection) -> dict[str, str]:
    tokens: dict[str, str] = {}
    for name, role in DEMO_AGENTS:
        _agent, token = create_agent(connection, name, role)
        tokens[role] = token
    return tokens
