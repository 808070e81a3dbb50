"""The demo seed: counts, valid data, a calendar that respects holidays and hours, the index."""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import psycopg
import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.engine import make_url

from console.domain.calendar import TZ, OfficeHours, is_working_day
from console.domain.emso import emso_birth_date, emso_sex, parse_emso
from console.domain.phone import is_mobile, parse_phone
from console.server import bulk_load, demo_data
from console.server import seed as seed_module
from console.server.agents import agent_for_token
from console.server.callers import name_folded
from console.server.db import Database
from console.server.migrate import upgrade
from console.server.schema import (
    agents,
    caller_phones,
    callers,
    directory_imports,
    location_facts,
    locations,
    provider_facts,
    provider_history,
    provider_services,
    providers,
    services,
    slots,
)
from console.server.seed import SeedError, SeedReport, seed
from console.server.seed_people import NamePools

CALLERS = 2_000
# 22 Dec 2026 + 8 working days runs over Christmas (Fri 25 Dec), Independence Day (Sat 26 Dec)
# and New Year (1 and 2 Jan), into 4 Jan 2027.
START = date(2026, 12, 22)
DAYS = 8


def _counts(database: Database) -> dict[str, int]:
    with database.read() as connection:
        return {
            table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in (locations, services, providers, slots, callers, caller_phones, agents)
        }


def _assert_counts_match(database: Database, report: SeedReport) -> None:
    counts = _counts(database)
    assert counts["locations"] == report.locations
    assert counts["services"] == report.services
    assert counts["providers"] == report.providers
    assert counts["slots"] == report.slots
    assert counts["callers"] == report.callers
    assert counts["caller_phones"] == report.phones
    assert set(report.tokens) == {"agent", "supervisor", "admin"}


def _callers_digest(database: Database) -> str:
    """A fingerprint of every caller and phone, without the load's timestamps."""
    digest = hashlib.sha256()
    with database.read() as connection:
        rows = connection.execute(
            select(
                callers.c.id,
                callers.c.first_name,
                callers.c.last_name,
                callers.c.name_folded,
                callers.c.emso,
                callers.c.zzzs_number,
                callers.c.birth_date,
                callers.c.email,
                callers.c.language,
                callers.c.flags,
            ).order_by(callers.c.id)
        )
        for row in rows:
            digest.update(repr(tuple(row)).encode())
        for row in connection.execute(select(caller_phones).order_by(*caller_phones.c)):
            digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


def _slots_digest(database: Database) -> str:
    """A fingerprint of every slot, its id included."""
    digest = hashlib.sha256()
    with database.read() as connection:
        for row in connection.execute(select(slots).order_by(slots.c.id)):
            digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Database, SeedReport]:
    database = Database.open(tmp_path_factory.mktemp("seed") / "central.db")
    report = seed(database, callers=CALLERS, days=DAYS, start=START)
    yield database, report
    database.dispose()


def test_report_counts_match_the_tables(seeded: tuple[Database, SeedReport]) -> None:
    database, report = seeded
    _assert_counts_match(database, report)
    assert report.callers == CALLERS
    assert report.services == len(demo_data.SERVICES)
    assert 150 <= report.providers <= 250
    assert report.slots > 0
    assert CALLERS < report.phones < 2 * CALLERS
    assert report.seconds > 0
    assert {"callers", "slots", "search index", "commit"} <= set(report.phases)


def test_every_emso_is_valid_and_matches_birth_date_and_sex(
    seeded: tuple[Database, SeedReport],
) -> None:
    database, _ = seeded
    pools = NamePools()
    names_for = {"M": set(pools.males), "F": set(pools.females)}
    with database.read() as connection:
        rows = connection.execute(
            select(callers.c.emso, callers.c.birth_date, callers.c.first_name)
        ).all()
    assert len(rows) == CALLERS
    assert len({row.emso for row in rows}) == CALLERS
    for row in rows:
        assert parse_emso(row.emso) == row.emso
        assert emso_birth_date(row.emso) == row.birth_date
        assert date(1930, 1, 1) <= row.birth_date <= date(2025, 12, 31)
        assert row.first_name in names_for[emso_sex(row.emso)]


def test_callers_are_well_formed(seeded: tuple[Database, SeedReport]) -> None:
    database, _ = seeded
    with database.read() as connection:
        rows = connection.execute(select(callers)).all()
        phones = connection.execute(select(caller_phones)).all()
    for row in rows:
        assert row.name_folded == name_folded(row.first_name, row.last_name)
        assert row.zzzs_number is None or (len(row.zzzs_number) == 9 and row.zzzs_number.isdigit())
        assert row.email is None or "@" in row.email
        assert isinstance(json.loads(row.flags), list)
        assert row.notes == ""
        assert row.created_at == row.updated_at
    zzzs = [row.zzzs_number for row in rows if row.zzzs_number]
    assert len(zzzs) == len(set(zzzs)) > CALLERS * 0.85
    emails = sum(row.email is not None for row in rows)
    assert CALLERS * 0.3 < emails < CALLERS * 0.5
    languages = Counter(row.language for row in rows)
    assert languages.most_common(1)[0][0] == "sl"
    surnames = Counter(row.last_name for row in rows)
    assert surnames.most_common(1)[0][0] == "Novak"
    assert any(" " in name or "-" in name for name in surnames)  # double surnames
    assert any(json.loads(row.flags) for row in rows)
    # Phones: E.164, one or two per caller, mostly mobiles.
    per_caller = Counter(phone.caller_id for phone in phones)
    assert set(per_caller) == {row.id for row in rows}
    assert set(per_caller.values()) <= {1, 2}
    for phone in phones:
        assert parse_phone(phone.number) == phone.number
        assert phone.label == ("mobile" if is_mobile(phone.number) else "landline")
    labels = Counter(phone.label for phone in phones)
    assert labels["mobile"] > labels["landline"] > 0


def test_no_slot_on_a_weekend_or_a_holiday(seeded: tuple[Database, SeedReport]) -> None:
    database, _ = seeded
    with database.read() as connection:
        starts = connection.execute(select(slots.c.starts_at)).scalars().all()
    local_days = {start.replace(tzinfo=UTC).astimezone(TZ).date() for start in starts}
    assert all(is_working_day(day) for day in local_days)
    assert date(2026, 12, 25) not in local_days
    assert date(2027, 1, 1) not in local_days
    # Eight working days, including some on both sides of the holidays.
    assert min(local_days) == START
    assert max(local_days) == date(2027, 1, 4)


def test_slots_lie_within_opening_hours_in_ljubljana_time(
    seeded: tuple[Database, SeedReport],
) -> None:
    database, _ = seeded
    with database.read() as connection:
        hours = {
            row.id: OfficeHours.parse(row.opening_hours)
            for row in connection.execute(select(locations.c.id, locations.c.opening_hours))
        }
        durations = dict(
            connection.execute(select(services.c.id, services.c.duration_minutes)).all()
        )
        offered = {(row.provider_id, row.service_id) for row in connection.execute(
            select(provider_services)
        )}  # fmt: skip
        located = dict(connection.execute(select(providers.c.id, providers.c.location_id)).all())
        rows = connection.execute(select(slots).order_by(slots.c.provider_id, slots.c.starts_at))
        previous: dict[int, datetime] = {}
        for row in rows:
            assert row.status == "free"
            assert row.ends_at - row.starts_at == timedelta(minutes=durations[row.service_id])
            assert (row.provider_id, row.service_id) in offered
            assert located[row.provider_id] == row.location_id
            start = row.starts_at.replace(tzinfo=UTC).astimezone(TZ)
            end = row.ends_at.replace(tzinfo=UTC).astimezone(TZ)
            assert start.date() == end.date()
            intervals = hours[row.location_id].days.get(start.weekday(), [])
            assert any(
                opening <= start.time() and end.time() <= closing for opening, closing in intervals
            ), (row, intervals)
            # A provider's slots never overlap.
            if row.provider_id in previous:
                assert row.starts_at >= previous[row.provider_id]
            previous[row.provider_id] = row.ends_at


def test_providers(seeded: tuple[Database, SeedReport]) -> None:
    database, _ = seeded
    with database.read() as connection:
        rows = connection.execute(select(providers)).all()
        kinds = dict(connection.execute(select(locations.c.id, locations.c.kind)).all())
        offered = Counter(row.provider_id for row in connection.execute(select(provider_services)))
    counters = [row for row in rows if row.kind == "counter"]
    doctors = [row for row in rows if row.kind == "doctor"]
    assert counters and doctors
    assert all(kinds[row.location_id] == "office" for row in counters)
    assert all(kinds[row.location_id] == "clinic" for row in doctors)
    assert all(row.name.startswith("Okence ") for row in counters)
    assert all(offered[row.id] >= 1 for row in counters)
    assert all(offered[row.id] == 1 for row in doctors)
    assert {row.specialty for row in doctors} == {"gp", "ped", "gyn", "den", "den-y", "nodoc"}
    now = datetime.now(UTC).replace(tzinfo=None)
    for row in doctors:
        assert row.name.startswith("dr. ")
        assert row.accepts_verified_by == demo_data.ZZZS_SOURCE
        assert now - timedelta(days=91) < row.accepts_verified_at <= now
    accepting = sum(row.accepts_new_patients for row in doctors if row.specialty != "nodoc")
    assert 0.15 < accepting / len(doctors) < 0.55


def test_the_search_index_finds_callers_by_folded_surname_prefix(
    seeded: tuple[Database, SeedReport],
) -> None:
    database, _ = seeded
    with database.read() as connection:
        found = set(
            connection.exec_driver_sql(
                "SELECT rowid FROM callers_fts WHERE callers_fts MATCH '\"novak\"*'"
            ).scalars()
        )
        expected = set(
            connection.execute(
                select(callers.c.id).where(callers.c.last_name.like("%Novak%"))
            ).scalars()
        )
        assert found and found >= expected
        # A surname with a caron, found without it and by a prefix.
        caller_id = connection.execute(
            select(callers.c.id)
            .where(callers.c.last_name == "Kovačič")
            .order_by(callers.c.id)
            .limit(1)
        ).scalar_one()
        hits = connection.exec_driver_sql(
            "SELECT rowid FROM callers_fts WHERE callers_fts MATCH '\"kovaci\"*'"
        ).scalars()
        assert caller_id in set(hits)


def test_the_demo_agents_tokens_work(seeded: tuple[Database, SeedReport]) -> None:
    database, report = seeded
    with database.read() as connection:
        for role, token in report.tokens.items():
            agent = agent_for_token(connection, token)
            assert agent is not None and agent.role == role


def test_the_connection_is_back_to_normal_after_the_load(
    seeded: tuple[Database, SeedReport],
) -> None:
    database, _ = seeded
    with database.read() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
        # Loaded with a rollback journal (an empty file), then back to the WAL.
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        indexes = set(
            connection.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'index'"
            ).scalars()
        )
        triggers = set(
            connection.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'trigger'"
            ).scalars()
        )
    assert {
        "ix_callers_name_folded",
        "ix_caller_phones_number",
        "ix_slots_free_service_start",
        "ix_slots_location_start",
    } <= indexes
    assert {"callers_fts_insert", "callers_fts_delete", "callers_fts_update"} <= triggers


def test_seeding_twice_is_refused_unless_replacing(tmp_path) -> None:
    database = Database.open(tmp_path / "twice.db")
    try:
        first = seed(database, callers=300, days=2, start=START)
        before = _callers_digest(database)
        with pytest.raises(SeedError, match="already has callers"):
            seed(database, callers=100, days=1, start=START)
        assert _callers_digest(database) == before  # nothing changed
        _assert_counts_match(database, first)

        second = seed(database, callers=200, days=1, start=START, random_seed=7, replace=True)
        _assert_counts_match(database, second)
        assert second.callers == 200
        with database.read() as connection:
            names = connection.execute(select(agents.c.name)).scalars().all()
            assert sorted(names) == sorted(name for name, _ in seed_module.DEMO_AGENTS)
            # Search still works on the new rows, and keeps up with new ones (triggers back).
            last_name = connection.execute(
                select(callers.c.name_folded).where(callers.c.id == 1)
            ).scalar_one()
        with database.write() as connection:
            connection.execute(
                insert(callers).values(
                    first_name="Ema",
                    last_name="Čtrtnik",
                    name_folded=name_folded("Ema", "Čtrtnik"),
                    created_at=datetime(2026, 1, 1),
                    updated_at=datetime(2026, 1, 1),
                )
            )
        with database.read() as connection:
            word = last_name.split()[0]
            assert 1 in set(
                connection.exec_driver_sql(
                    f"SELECT rowid FROM callers_fts WHERE callers_fts MATCH '\"{word}\"*'"
                ).scalars()
            )
            assert (
                connection.exec_driver_sql(
                    "SELECT count(*) FROM callers_fts WHERE callers_fts MATCH 'ctrtnik'"
                ).scalar()
                == 1
            )
    finally:
        database.dispose()


def test_the_same_seed_gives_the_same_callers_and_slots_in_either_process(
    tmp_path, monkeypatch
) -> None:
    first = Database.open(tmp_path / "a.db")
    second = Database.open(tmp_path / "b.db")
    third = Database.open(tmp_path / "c.db")
    try:
        here = seed(first, callers=700, days=2, start=START)
        # Past the threshold the slots and callers come from a child process: same rows,
        # same ids (several chunks of each).
        monkeypatch.setattr(seed_module, "PARALLEL_MIN_CALLERS", 1)
        monkeypatch.setattr(seed_module, "CHUNK", 256)
        report = seed(second, callers=700, days=2, start=START)
        seed(third, callers=700, days=2, start=START, random_seed=1)
        assert report.callers == 700
        assert report.slots == here.slots > 3 * 256
        _assert_counts_match(second, report)
        assert _callers_digest(first) == _callers_digest(second)
        assert _slots_digest(first) == _slots_digest(second)
        assert _callers_digest(first) != _callers_digest(third)
    finally:
        for database in (first, second, third):
            database.dispose()


def test_an_empty_file_is_loaded_with_a_rollback_journal_unless_another_connection_has_it(
    tmp_path, monkeypatch
) -> None:
    """The rollback journal (each page written once) is only for a file the seed has to
    itself: with a reader connected, the load goes through the WAL, as before, and the reader
    is not locked out. Either way the file is in WAL mode afterwards."""
    during: list[str] = []
    switch = bulk_load._sqlite_rollback_journal

    def recorded(cursor) -> None:
        switch(cursor)
        during.append(cursor.execute("PRAGMA journal_mode").fetchone()[0])

    monkeypatch.setattr(bulk_load, "_sqlite_rollback_journal", recorded)
    alone = Database.open(tmp_path / "alone.db")
    path = tmp_path / "shared.db"
    database = Database.open(path)
    reader = Database.open(path)
    try:
        seed(alone, callers=100, days=1, start=START)
        upgrade(database.engine)
        with reader.read() as connection:  # read, and kept open in the pool
            assert connection.execute(select(func.count()).select_from(callers)).scalar() == 0
        report = seed(database, callers=300, days=1, start=START)
        _assert_counts_match(database, report)
        assert during == ["delete", "wal"]
        with reader.read() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.execute(select(func.count()).select_from(callers)).scalar() == 300
        with alone.read() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    finally:
        for opened in (reader, database, alone):
            opened.dispose()


def test_a_refused_seed_leaves_no_producer_process_behind(tmp_path, monkeypatch) -> None:
    """The producer starts before the migrations; a seed refused at any point stops it."""
    monkeypatch.setattr(seed_module, "PARALLEL_MIN_CALLERS", 1)
    started: list[bulk_load.Producer] = []

    class Recorded(bulk_load.Producer):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            started.append(self)

    monkeypatch.setattr(bulk_load, "Producer", Recorded)
    database = Database.open(tmp_path / "refused.db")
    try:
        report = seed(database, callers=50, days=1, start=START)
        _assert_counts_match(database, report)
        with pytest.raises(SeedError, match="already has callers"):
            seed(database, callers=50, days=1, start=START)
        with pytest.raises(SeedError):
            seed(database, callers=50, days=1, start=START, directory_data=tmp_path / "none")
        assert len(started) == 3
        assert all(producer.process.poll() is not None for producer in started)
        _assert_counts_match(database, report)
    finally:
        database.dispose()


def test_a_failed_load_leaves_the_database_as_it_was(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(seed_module, "PARALLEL_MIN_CALLERS", 1)
    monkeypatch.setattr(bulk_load, "_CHILD", "import sys; sys.exit(3)")
    database = Database.open(tmp_path / "failed.db")
    try:
        with pytest.raises(SeedError, match="ended unexpectedly"):
            seed(database, callers=100, days=1, start=START)
        assert not any(_counts(database).values())
        report = seed(database, callers=0, days=1, start=START)  # the real one still can
        _assert_counts_match(database, report)
    finally:
        database.dispose()


def test_progress_is_reported_per_task(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(seed_module, "CHUNK", 500)
    calls: list[tuple[str, int, int]] = []
    database = Database.open(tmp_path / "progress.db")
    try:
        seed(database, callers=1_200, days=2, start=START, progress=lambda *a: calls.append(a))
    finally:
        database.dispose()
    labels = [label for label, _, _ in calls]
    assert {"catalogue", "slots", "callers", "search index"} <= set(labels)
    callers_done = [done for label, done, _ in calls if label == "callers"]
    assert callers_done == [0, 500, 1_000, 1_200]
    for label in set(labels):
        last = [(done, total) for name, done, total in calls if name == label][-1]
        assert last[0] == last[1]


def test_providers_target_scales_the_health_side(tmp_path) -> None:
    database = Database.open(tmp_path / "national.db")
    try:
        report = seed(database, callers=0, days=1, start=START, providers_target=600)
        _assert_counts_match(database, report)
        assert report.providers == 600
        assert report.locations == len(demo_data.OFFICES) + len(demo_data.CLINICS)
        with database.read() as connection:
            regions = set(connection.execute(select(locations.c.region)).scalars())
        assert regions == set(demo_data.REGIONS)
    finally:
        database.dispose()


def test_bad_arguments_are_refused(tmp_path) -> None:
    database = Database.open(tmp_path / "bad.db")
    try:
        with pytest.raises(SeedError):
            seed(database, callers=-1)
        with pytest.raises(SeedError):
            seed(database, providers_target=0)
    finally:
        database.dispose()


def test_the_catalogue_is_consistent() -> None:
    codes = [s.code for s in demo_data.SERVICES]
    assert len(codes) == len(set(codes))
    assert set(demo_data.SPECIALTY_SERVICE.values()) <= set(codes)
    for service in demo_data.SERVICES:
        assert 5 <= service.duration_minutes <= 60
        assert len(service.documents) == len(service.documents_en) > 0
    location_codes = [o.code for o in demo_data.OFFICES] + [c.code for c in demo_data.CLINICS]
    assert len(location_codes) == len(set(location_codes))
    for office in demo_data.OFFICES:
        assert set(office.services) <= set(codes)
        assert OfficeHours.parse(office.opening_hours).days
    for clinic in demo_data.CLINICS:
        assert clinic.region in demo_data.REGIONS
        assert OfficeHours.parse(clinic.opening_hours).days


# --- PostgreSQL -------------------------------------------------------------------------------


@pytest.fixture
def seed_pg_url() -> str:
    """A fresh scratch database on the test server, dropped afterwards."""
    url = os.environ.get("AGENT_CONSOLE_TEST_PG_URL")
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail("AGENT_CONSOLE_TEST_PG_URL is not set (CI must test PostgreSQL)")
        pytest.skip("AGENT_CONSOLE_TEST_PG_URL is not set")
    base = make_url(url)
    admin = base.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"seedtest_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.postgres
def test_seed_on_postgresql(seed_pg_url: str, monkeypatch) -> None:
    database = Database.open(seed_pg_url)
    try:
        report = seed(database, callers=CALLERS, days=DAYS, start=START)
        _assert_counts_match(database, report)
        digest = _callers_digest(database)
        with database.read() as connection:
            starts = connection.execute(select(slots.c.starts_at)).scalars().all()
            assert all(is_working_day(s.replace(tzinfo=UTC).astimezone(TZ).date()) for s in starts)
            emsos = connection.execute(select(callers.c.emso, callers.c.birth_date)).all()
            assert all(emso_birth_date(row.emso) == row.birth_date for row in emsos)
            hits = connection.execute(
                select(func.count()).where(callers.c.name_folded.like("%novak%"))
            ).scalar()
            assert hits > 0
            indexes = set(
                connection.exec_driver_sql(
                    "SELECT indexname FROM pg_indexes WHERE tablename IN "
                    "('callers', 'caller_phones', 'slots', 'caller_words', 'caller_word_list')"
                ).scalars()
            )
        assert {
            "caller_words_pkey",  # the name search's word lists (search_index)
            "caller_word_list_pkey",
            "ix_callers_name_folded",
            "uq_callers_emso",
            "uq_callers_zzzs_number",
            "uq_caller_phones_caller_number",
            "uq_slots_provider_start",
            "ix_slots_free_service_start",
        } <= indexes
        assert "ix_callers_name_trgm" not in indexes  # unused since the word lists (0005)
        # The sequences were moved past the ids the seed set: new rows get fresh ids.
        with database.write() as connection:
            new_id = connection.execute(
                insert(callers)
                .values(
                    first_name="Ema",
                    last_name="Čtrtnik",
                    name_folded=name_folded("Ema", "Čtrtnik"),
                    created_at=datetime(2026, 1, 1),
                    updated_at=datetime(2026, 1, 1),
                )
                .returning(callers.c.id)
            ).scalar_one()
            assert new_id == CALLERS + 1
            location_id = connection.execute(
                insert(locations)
                .values(
                    code="test-office",
                    name="Test",
                    kind="office",
                    address="Test 1",
                    postcode="1000",
                    town="Ljubljana",
                    municipality="Ljubljana",
                    municipality_folded="ljubljana",
                    region="Osrednjeslovenska",
                    opening_hours=demo_data.UE_HOURS,
                )
                .returning(locations.c.id)
            ).scalar_one()
            assert location_id == report.locations + 1

        with pytest.raises(SeedError):
            seed(database, callers=10, days=1, start=START)
        # Replacing, with the callers from a child process as COPY text: the same rows.
        monkeypatch.setattr(seed_module, "PARALLEL_MIN_CALLERS", 1)
        monkeypatch.setattr(seed_module, "CHUNK", 700)
        again = seed(database, callers=CALLERS, days=DAYS, start=START, replace=True)
        _assert_counts_match(database, again)
        assert _callers_digest(database) == digest
    finally:
        database.dispose()


# --- health providers from the real lists -----------------------------------------------------


def _real_data():
    import shared_data

    return shared_data.shared_data_or_skip()


def _check_real_lists_seed(database: Database, report: SeedReport) -> None:
    """What a seed with the real lists must hold, on either backend."""
    _assert_counts_match(database, report)
    assert [(r.source, r.list_name, r.rows) for r in report.directory] == [
        ("zzzs", "SPLOŠNA DEJAVNOST", 1453),
        ("zzzs", "GINEKOLOGIJA", 351),
        ("zzzs", "ZOBOZDRAVSTVO", 1288),
        ("sledilnik", "Sledilnik", 3126),
    ]
    with database.read() as connection:
        codes = set(connection.execute(select(locations.c.code)).scalars())
        assert codes == {o.code for o in demo_data.OFFICES} | {
            code for code in codes if code.startswith("zzzs-")
        }
        assert len(codes) == len(demo_data.OFFICES) + 793  # no generated clinic left
        doctors = connection.execute(select(providers).where(providers.c.kind == "doctor")).all()
        with_slots = set(connection.execute(select(slots.c.provider_id).distinct()).scalars())
        facts = connection.execute(select(func.count()).select_from(provider_facts)).scalar()
        no_doctor = connection.execute(
            select(locations.c.name, services.c.code)
            .select_from(providers)
            .join(locations, locations.c.id == providers.c.location_id)
            .join(provider_services, provider_services.c.provider_id == providers.c.id)
            .join(services, services.c.id == provider_services.c.service_id)
            .where(providers.c.specialty == "nodoc")
        ).all()
        slot_services = set(
            connection.execute(
                select(services.c.code).join(slots, slots.c.service_id == services.c.id).distinct()
            ).scalars()
        )
    listed = [row for row in doctors if row.code.startswith("zzzs-")]
    assert len(listed) == 3092
    accepting = {row.id for row in listed if row.accepts_new_patients}
    assert len(accepting) == 168 + 174 + 736  # about a thousand bookable doctors
    doctor_ids = {row.id for row in doctors}
    clinics = {row.id for row in doctors if row.specialty == "nodoc"}
    assert with_slots & doctor_ids == accepting | clinics
    # The clinics for patients without a doctor are Sledilnik's, at health centres.
    assert len(no_doctor) == 34
    assert {service for _, service in no_doctor} == {"health-no-doctor"}
    assert all("ZD" in name or "ZDRAVSTVENI DOM" in name for name, _ in no_doctor)
    assert {"health-gp", "health-ped", "health-gyn", "health-den", "health-den-y",
            "health-den-s", "health-no-doctor"} <= slot_services  # fmt: skip
    assert facts == 3092 + report.directory[-1].overrides_matched


def test_seed_with_the_real_lists(tmp_path) -> None:
    data = _real_data()
    database = Database.open(tmp_path / "real.db")
    try:
        report = seed(database, callers=200, days=2, start=START, directory_data=data)
        _check_real_lists_seed(database, report)
        assert {"read lists", "catalogue", "slots"} <= set(report.phases)
        # Replacing empties the directory's tables too; then the generated clinics are back.
        again = seed(database, callers=100, days=1, start=START, replace=True)
        _assert_counts_match(database, again)
        with database.read() as connection:
            for table in (provider_facts, location_facts, directory_imports, provider_history):
                assert connection.execute(select(func.count()).select_from(table)).scalar() == 0
            assert not connection.execute(
                select(func.count()).where(providers.c.code.like("zzzs-%"))
            ).scalar()
    finally:
        database.dispose()


def test_unusable_real_lists_are_refused_before_anything_is_written(tmp_path) -> None:
    folder = tmp_path / "data"
    (folder / "zzzs").mkdir(parents=True)
    database = Database.open(tmp_path / "bad.db")
    try:
        with pytest.raises(SeedError, match=r"no insurer's lists \(zzzs/\*\.xlsx\)"):
            seed(database, callers=10, days=1, start=START, directory_data=folder)
        (folder / "zzzs" / "2026-08-22_zdravniki.xlsx").write_text("Območna enota;Šifra\n")
        with pytest.raises(SeedError, match=r"2026-08-22_zdravniki\.xlsx: not an Excel workbook"):
            seed(database, callers=10, days=1, start=START, directory_data=folder)
        with pytest.raises(SeedError, match="providers_target"):
            seed(database, providers_target=300, directory_data=folder)
        assert not any(_counts(database).values())
    finally:
        database.dispose()


def test_the_configured_directory_data_is_found_relative_to_the_config_file(tmp_path) -> None:
    from console.config import PROJECT_ROOT, Config, load_config

    config_file = tmp_path / "etc" / "config.toml"
    config_file.parent.mkdir()
    config_file.write_text('[demo]\ndirectory_data = "../lists"\n')
    config = load_config(config_file)
    assert config.demo_directory_data == (tmp_path / "lists").resolve()
    assert config.demo_lists() is None  # not there: generated clinics
    (tmp_path / "lists" / "zzzs").mkdir(parents=True)
    assert config.demo_lists() == (tmp_path / "lists").resolve()

    config_file.write_text('[demo]\ndirectory_data = ""\n')
    assert load_config(config_file).demo_directory_data is None
    # No configuration file: from the project's root, where ../shared/data sits beside it.
    assert Config().demo_directory_data == (PROJECT_ROOT / ".." / "shared" / "data").resolve()


@pytest.mark.postgres
def test_seed_with_the_real_lists_on_postgresql(seed_pg_url: str) -> None:
    data = _real_data()
    database = Database.open(seed_pg_url)
    try:
        report = seed(database, callers=200, days=2, start=START, directory_data=data)
        _check_real_lists_seed(database, report)
        # Replacing truncates the directory's tables with the rest, and new rows get fresh ids.
        again = seed(database, callers=200, days=2, start=START, directory_data=data, replace=True)
        _check_real_lists_seed(database, again)
        with database.write() as connection:
            highest = connection.execute(select(func.max(locations.c.id))).scalar()
            location_id = connection.execute(
                insert(locations)
                .values(
                    code="test-clinic",
                    name="Test",
                    kind="clinic",
                    address="Test 1",
                    postcode="1000",
                    town="Ljubljana",
                    municipality="Ljubljana",
                    municipality_folded="ljubljana",
                    region="Osrednjeslovenska",
                    opening_hours=demo_data.CLINIC_HOURS,
                )
                .returning(locations.c.id)
            ).scalar_one()
        assert location_id == highest + 1
    finally:
        database.dispose()
