"""Loading the insurer's lists: providers and clinics, what a newer list changes, one transaction.

Every test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import pytest
from directory_tables import table_contents
from sqlalchemy import func, insert, select
from synthetic_lists import (
    BRODEJ,
    GENERAL,
    KOLAR,
    MASTNAK,
    PEVEC,
    PRAZNIK,
    ZGANK,
    ZNIDAR,
    Doc,
    write_dental_list,
    write_general_list,
)

from console.server import demo_data
from console.server.db import Database
from console.server.importers import ListFormatError, Outcome, import_lists
from console.server.importers import load as load_module
from console.server.schema import (
    changes,
    directory_imports,
    locations,
    provider_history,
    provider_services,
    providers,
    services,
)


def add_health_services(database: Database) -> dict[str, int]:
    with database.write() as connection:
        for spec in demo_data.HEALTH_SERVICES:
            connection.execute(
                insert(services).values(
                    code=spec.code,
                    name=spec.name,
                    name_en=spec.name_en,
                    category=spec.category,
                    duration_minutes=spec.duration_minutes,
                    documents=json.dumps(spec.documents),
                    documents_en=json.dumps(spec.documents_en),
                )
            )
        return dict(connection.execute(select(services.c.code, services.c.id)).all())


def _count(database: Database, table, *where) -> int:
    with database.read() as connection:
        return connection.execute(select(func.count()).select_from(table).where(*where)).scalar()


def _provider(database: Database, doctor: int, activity: str, provider: int):
    with database.read() as connection:
        return connection.execute(
            select(providers).where(providers.c.code == f"zzzs-{doctor}-{activity}-{provider}")
        ).one()


def _history(database: Database) -> set[tuple]:
    with database.read() as connection:
        rows = connection.execute(
            select(
                providers.c.name,
                provider_history.c.change,
                provider_history.c.old_value,
                provider_history.c.new_value,
                provider_history.c.as_of,
                provider_history.c.source,
            ).join(providers, providers.c.id == provider_history.c.provider_id)
        ).all()
    return {tuple(row) for row in rows}


def _feed(database: Database) -> list[tuple]:
    with database.read() as connection:
        rows = connection.execute(select(changes).order_by(changes.c.seq)).all()
    return [(row.entity, row.entity_id, row.op, json.loads(row.data)) for row in rows]


# --- the real lists ---------------------------------------------------------------------------


def test_the_real_lists_load_and_loading_them_again_changes_nothing(
    database: Database, real_lists: list[Path]
) -> None:
    service_ids = add_health_services(database)
    results = import_lists(database, real_lists)
    assert [(r.list_name, r.list_date, r.rows, r.added, r.outcome) for r in results] == [
        ("SPLOŠNA DEJAVNOST", date(2026, 8, 21), 1453, 1453, Outcome.APPLIED),
        ("GINEKOLOGIJA", date(2026, 8, 22), 351, 351, Outcome.APPLIED),
        ("ZOBOZDRAVSTVO", date(2026, 8, 22), 1288, 1288, Outcome.APPLIED),
    ]
    assert all(r.without_service == 0 for r in results)
    assert _count(database, providers) == 3092
    assert _count(database, providers, providers.c.accepts_new_patients) == 168 + 174 + 736
    assert _count(database, provider_services) == 3092
    assert _count(database, locations) == 793
    assert _count(database, locations, locations.c.kind == "clinic") == 793
    assert _count(database, provider_history) == 0  # the first lists change nothing
    assert _count(database, directory_imports) == 3
    assert [(e, op) for e, _, op, _ in _feed(database)] == [("directory", "imported")] * 3

    kolar = _provider(database, 7774, "302001", 31225)
    assert (kolar.name, kolar.name_folded, kolar.kind, kolar.specialty) == (
        "Kolar Miran",
        "kolar miran",
        "doctor",
        "gp",
    )
    assert (kolar.accepts_new_patients, kolar.list_date, kolar.accepts_verified_by) == (
        False,
        date(2026, 8, 21),
        "ZZZS",
    )
    assert kolar.accepts_verified_at == datetime(2026, 8, 21)
    assert (kolar.fte, kolar.patients_per_team, kolar.capitation_per_team) == (1.0, 1584, 1745.05)
    assert (kolar.doctor_code, kolar.activity_code, kolar.active) == ("7774", "302001", True)
    assert kolar.search_folded == "kolar miran medikmiko, storitve in svetovanje d.o.o. skofja vas"
    with database.read() as connection:
        clinic = connection.execute(
            select(locations).where(locations.c.id == kolar.location_id)
        ).one()
        offered = connection.execute(
            select(provider_services.c.service_id).where(
                provider_services.c.provider_id == kolar.id
            )
        ).scalar_one()
    assert offered == service_ids["health-gp"]
    assert (clinic.code, clinic.kind, clinic.region, clinic.postcode, clinic.town) == (
        "zzzs-31225",
        "clinic",
        "Savinjska",
        "3211",
        "Škofja vas",
    )
    assert clinic.municipality == "Škofja vas"  # the post town until Sledilnik says otherwise
    assert clinic.opening_hours == demo_data.CLINIC_HOURS

    praznik = _provider(database, 4728, "302001", 19487)
    assert praznik.accepts_new_patients is True
    buser = _provider(database, 12636, "306007", 2727)
    assert (buser.specialty, buser.accepts_new_patients, buser.fte, buser.load_percent) == (
        "gyn",
        False,
        0.21,
        109.87,
    )
    zgank = _provider(database, 18413, "404101", 2131)
    assert (zgank.specialty, zgank.accepts_new_patients, zgank.list_date) == (
        "den",
        True,
        date(2026, 8, 22),
    )
    assert zgank.resident is None

    before = table_contents(database)
    again = import_lists(database, real_lists)
    assert [r.outcome for r in again] == [Outcome.UNCHANGED] * 3
    assert all("already loaded: nothing changed" in r.message for r in again)
    assert table_contents(database) == before


# --- a newer list -----------------------------------------------------------------------------

NOVI = Doc(13000, "NOVAK  NIKA ", accepts="DA", patients=300.0, capitation=400.0)


def test_a_newer_list_records_exactly_what_changed(database: Database, tmp_path: Path) -> None:
    add_health_services(database)
    first = import_lists(database, [write_general_list(tmp_path / "a.xlsx", GENERAL)])[0]
    assert (first.added, first.removed, first.changed) == (5, 0, 0)
    feed_before = len(_feed(database))

    newer = [
        KOLAR.but(accepts="DA"),  # flips to accepting
        # PRAZNIK is no longer listed
        ZNIDAR.but(patients=1010.0),  # a new load
        MASTNAK.but(fte=0.4),  # a new employment share
        PEVEC,  # unchanged
        NOVI,  # added
    ]
    path = write_general_list(tmp_path / "b.xlsx", newer, day="28.08.2026")
    result = import_lists(database, [path])[0]
    assert (result.outcome, result.added, result.removed, result.changed) == (
        Outcome.APPLIED,
        1,
        1,
        3,
    )
    assert result.message == (
        "b.xlsx: SPLOŠNA DEJAVNOST of 28. 8. 2026: 5 doctors; 1 added, 1 removed, 3 changed."
    )
    as_of = date(2026, 8, 28)
    assert _history(database) == {
        ("Kolar Miran", "accepts", "NE", "DA", as_of, "zzzs"),
        ("Žnidar Andrea", "load", "969", "1010", as_of, "zzzs"),
        ("Žitko Mastnak Miljana", "fte", "0.2", "0.4", as_of, "zzzs"),
        ("Praznik Igor", "removed", None, None, as_of, "zzzs"),
        ("Novak Nika", "added", None, "DA", as_of, "zzzs"),
    }
    feed = _feed(database)[feed_before:]
    kolar = _provider(database, 7774, "302001", 31225)
    praznik = _provider(database, 4728, "302001", 19487)
    novi = _provider(database, 13000, "302001", 2131)
    by_entity = {(entity, entity_id): (op, data) for entity, entity_id, op, data in feed}
    assert len(feed) == len(by_entity) == 6  # added, removed, 3 updated, the list imported
    assert by_entity[("provider", kolar.id)] == (
        "updated",
        {
            "source": "zzzs",
            "list_date": "2026-08-28",
            "name": "Kolar Miran",
            "changes": [{"change": "accepts", "old": "NE", "new": "DA"}],
        },
    )
    assert by_entity[("provider", praznik.id)][0] == "removed"
    assert by_entity[("provider", novi.id)] == (
        "added",
        {"source": "zzzs", "list_date": "2026-08-28", "name": "Novak Nika", "accepts": True},
    )
    assert feed[-1][0:3] == ("directory", result.import_id, "imported")
    assert feed[-1][3]["added"] == 1 and feed[-1][3]["removed"] == 1
    assert sorted(op for entity, _, op, _ in feed if entity == "provider") == [
        "added",
        "removed",
        "updated",
        "updated",
        "updated",
    ]

    # In place: same ids, the new date on every listed doctor, the removed one kept inactive.
    assert kolar.accepts_new_patients is True and kolar.list_date == as_of
    assert _provider(database, 12001, "302001", 4501).list_date == as_of  # unchanged flags
    assert (praznik.active, praznik.list_date) == (False, date(2026, 8, 21))
    assert _count(database, providers) == 6
    assert _count(database, provider_services) == 6

    # The same newer list again: nothing at all.
    before = table_contents(database)
    assert import_lists(database, [path])[0].outcome is Outcome.UNCHANGED
    assert table_contents(database) == before

    # An older list than the one loaded: nothing, and it says so.
    older = import_lists(database, [write_general_list(tmp_path / "c.xlsx", GENERAL)])[0]
    assert older.outcome is Outcome.OLDER
    assert older.message == (
        "c.xlsx: SPLOŠNA DEJAVNOST of 21. 8. 2026 is older than the list already loaded "
        "(28. 8. 2026): nothing changed."
    )
    assert table_contents(database) == before

    # Praznik is listed again: back, and active.
    later = write_general_list(tmp_path / "d.xlsx", [*newer, PRAZNIK], day="04.09.2026")
    back = import_lists(database, [later])[0]
    assert (back.added, back.removed, back.changed) == (0, 0, 1)
    assert ("Praznik Igor", "back", None, None, date(2026, 9, 4), "zzzs") in _history(database)
    assert _provider(database, 4728, "302001", 19487).active is True


def test_lists_of_other_kinds_do_not_remove_each_others_doctors(
    database: Database, tmp_path: Path
) -> None:
    add_health_services(database)
    import_lists(
        database,
        [
            write_general_list(tmp_path / "zdravniki.xlsx", GENERAL),
            write_dental_list(tmp_path / "zob.xlsx", [ZGANK, BRODEJ]),
        ],
    )
    # A dentists' list without youth dentists removes those, and no family doctor.
    result = import_lists(
        database,
        [write_dental_list(tmp_path / "zob2.xlsx", [ZGANK], prepared="29.08.2026 ob 07.00")],
    )[0]
    assert (result.added, result.removed, result.changed) == (0, 1, 0)
    assert _provider(database, 10633, "404103", 2131).active is False
    assert _count(database, providers, providers.c.active) == len(GENERAL) + 1
    # Both kinds share the clinic of ZD Celje.
    assert _count(database, locations, locations.c.code == "zzzs-2131") == 1


def test_without_the_bookable_services_the_doctors_are_listed_but_say_so(
    database: Database, tmp_path: Path
) -> None:
    result = import_lists(database, [write_general_list(tmp_path / "a.xlsx", GENERAL)])[0]
    assert result.without_service == 5
    assert "5 not bookable" in result.message
    assert _count(database, providers) == 5
    assert _count(database, provider_services) == 0


# --- one transaction --------------------------------------------------------------------------


def _drop_accepts(sheet) -> None:
    sheet["J4"] = "Opomba"


def _bad_fte(sheet) -> None:
    sheet["L6"] = "pol"


def _malformed(kind: str, path: Path) -> Path:
    if kind == "missing column":
        return write_general_list(path, GENERAL, day="30.08.2026", mutate=_drop_accepts)
    if kind == "bad date row":
        return write_general_list(path, GENERAL, day="30. avgust")
    if kind == "bad accepts":
        return write_general_list(path, [KOLAR.but(accepts="JA")], day="30.08.2026")
    if kind == "bad fte":
        return write_general_list(path, GENERAL, day="30.08.2026", mutate=_bad_fte)
    path.write_text("Območna enota izvajalca,Šifra izvajalca\nOE CELJE,31225\n")
    return path  # a CSV renamed .xlsx


@pytest.mark.parametrize(
    "kind", ["missing column", "bad date row", "bad accepts", "bad fte", "wrong file type"]
)
def test_a_malformed_file_leaves_the_database_as_it_was(
    database: Database, tmp_path: Path, kind: str
) -> None:
    add_health_services(database)
    import_lists(database, [write_general_list(tmp_path / "a.xlsx", GENERAL)])
    before = table_contents(database)
    good = write_general_list(tmp_path / "b.xlsx", [KOLAR.but(accepts="DA")], day="29.08.2026")
    bad = _malformed(kind, tmp_path / "2026-08-30_zdravniki.xlsx")
    with pytest.raises(ListFormatError) as caught:
        import_lists(database, [good, bad])
    assert str(caught.value).startswith("2026-08-30_zdravniki.xlsx")
    assert table_contents(database) == before


def test_a_failure_while_writing_rolls_every_list_back(
    database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_health_services(database)
    before = table_contents(database)
    real_apply = load_module.apply_list
    calls = []

    def failing(connection, item, **kwargs):
        calls.append(item.title)
        if len(calls) == 2:
            raise RuntimeError("the disk is full")
        return real_apply(connection, item, **kwargs)

    monkeypatch.setattr(load_module, "apply_list", failing)
    with pytest.raises(RuntimeError, match="disk is full"):
        import_lists(
            database,
            [
                write_general_list(tmp_path / "a.xlsx", GENERAL),
                write_dental_list(tmp_path / "b.xlsx", [ZGANK, BRODEJ]),
            ],
        )
    assert calls == ["SPLOŠNA DEJAVNOST", "ZOBOZDRAVSTVO"]
    assert table_contents(database) == before
