"""Sledilnik's copy and corrections: facts beside the insurer's, matched, never invented.

The database tests run on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from directory_tables import table_contents
from sqlalchemy import func, select
from synthetic_lists import GENERAL, write_general_list, write_sledilnik

from console.server.db import Database
from console.server.importers import ListFormatError, Outcome, import_lists, import_sledilnik
from console.server.importers.sledilnik import read_snapshot
from console.server.schema import location_facts, locations, provider_facts, providers

# --- the real snapshot ------------------------------------------------------------------------


def test_the_real_snapshot_reads(real_data: Path) -> None:
    snapshot = read_snapshot(real_data / "zdravniki")
    assert snapshot.doctors_date == date(2026, 8, 22)
    assert snapshot.institutions_date == date(2026, 8, 20)
    assert len(snapshot.doctors) == 3126
    assert len(snapshot.institutions) == 795
    assert len(snapshot.overrides) + snapshot.undated_overrides == 1008
    kolar = next(d for d in snapshot.doctors if d.name == "Kolar Miran")
    assert (kolar.type, kolar.institution, kolar.accepts, kolar.fte, kolar.load) == (
        "gp",
        "4221648",
        False,
        1.0,
        1745.05,
    )


def _fact(database: Database, code: str, source: str):
    with database.read() as connection:
        return connection.execute(
            select(provider_facts)
            .join(providers, providers.c.id == provider_facts.c.provider_id)
            .where(providers.c.code == code, provider_facts.c.source == source)
        ).one_or_none()


def _row(database: Database, table, column, value):
    with database.read() as connection:
        return connection.execute(select(table).where(column == value)).one()


def test_the_real_snapshot_matches_every_listed_doctor(
    database: Database, real_data: Path, real_lists: list[Path]
) -> None:
    import_lists(database, real_lists)
    result = import_sledilnik(database, real_data / "zdravniki")
    assert result.outcome is Outcome.APPLIED
    assert (result.rows, result.matched) == (3126, 3092)  # every doctor on the insurer's lists
    # What does not match are Sledilnik's extra clinics for patients without a doctor.
    assert result.unmatched_examples == ["Dodatna ambulanta (gp-f)"]
    assert (result.institutions, result.institutions_matched) == (795, 795)
    assert result.overrides_matched > 600
    assert "3,092 matched" in result.message
    with database.read() as connection:
        counts = dict(
            connection.execute(
                select(provider_facts.c.source, func.count()).group_by(provider_facts.c.source)
            ).all()
        )
        # One row per clinic; one practice (Eršte Božena's) is missing from institutions.csv.
        sites = connection.execute(select(func.count()).select_from(location_facts)).scalar()
        assert sites == 792
    assert counts == {"sledilnik": 3092, "sledilnik-override": result.overrides_matched}

    kolar = _fact(database, "zzzs-7774-302001-31225", "sledilnik")
    assert (kolar.as_of, kolar.accepts, kolar.fte, kolar.load) == (
        date(2026, 8, 22),
        False,
        1.0,
        1745.05,
    )
    clinic = _row(database, locations, locations.c.code, "zzzs-31225")
    assert (clinic.municipality, clinic.municipality_folded, clinic.phone) == (
        "Celje",
        "celje",
        "03 543 42 31",
    )
    assert (clinic.lat, clinic.lon) == (46.25981, 15.29581)
    assert (clinic.address, clinic.town) == ("ZADOBROVA 49 B", "Škofja vas")  # the insurer's
    doctor = _row(database, providers, providers.c.code, "zzzs-7774-302001-31225")
    assert doctor.search_folded.endswith("skofja vas celje")

    # The insurer says she accepts; a dated correction says she is full: both stay.
    ilic = _row(database, providers, providers.c.code, "zzzs-13969-404103-5470")
    assert (ilic.accepts_new_patients, ilic.list_date) == (True, date(2026, 8, 22))
    correction = _fact(database, "zzzs-13969-404103-5470", "sledilnik-override")
    assert (correction.accepts, correction.as_of, correction.note) == (
        False,
        date(2026, 8, 19),
        "Ne sprejema novih pacientov.",
    )

    before = table_contents(database)
    again = import_sledilnik(database, real_data / "zdravniki")
    assert again.outcome is Outcome.UNCHANGED
    assert table_contents(database) == before
    # Re-importing the insurer's lists keeps Sledilnik's municipality.
    assert all(r.outcome is Outcome.UNCHANGED for r in import_lists(database, real_lists))
    assert table_contents(database) == before


# --- synthetic snapshots ----------------------------------------------------------------------

ZD_CELJE = {
    "id_inst": "604816",
    "zzzsSt": "604816",
    "name": "ZDRAVSTVENI DOM CELJE",
    "unit": "OE CELJE",
    "address": "Gregorčičeva ulica 5",
    "post": "3000 Celje",
    "city": "Celje",
    "municipality": "Celje",
    "lat": "46.23224",
    "lon": "15.26227",
    "phone": "(03) 543 40 00",
    "website": "http://www.zd-celje.si",
}
MEDIKMIKO = {
    "id_inst": "4221648",
    "zzzsSt": "4221648",
    "name": "MEDIKMIKO, STORITVE IN SVETOVANJE D.O.O.",
    "unit": "OE CELJE",
    "address": "Zadobrova 49b",
    "post": "3211 Škofja vas",
    "municipality": "Celje",
    "lat": "46.25981",
    "lon": "15.29581",
}
KOLAR_ROW = {"doctor": "Kolar Miran", "type": "gp", "id_inst": "4221648", "accepts": "n",
             "availability": "1.0", "load": "1745.05"}  # fmt: skip
ZNIDAR_ROW = {"doctor": "Žnidar Andrea", "type": "ped", "id_inst": "604816", "accepts": "n",
              "availability": "0.9", "load": "1351.31", "phone": "03 543 44 00",
              "orderform": "https://zd-celje.si/narocanje"}  # fmt: skip
MASTNAK_ROW = {"doctor": "Žitko Mastnak Miljana", "type": "gp", "id_inst": "604816",
               "accepts": "n", "availability": "0.2", "load": "1950.4",
               "date_override": "2026-05-04", "note_override": "Sprejema do konca avgusta.",
               "accepts_override": "y"}  # fmt: skip
EXTRA_ROW = {"doctor": "Dodatna ambulanta", "type": "gp-f", "id_inst": "604816", "accepts": "y"}
MASTNAK_OVERRIDE = {"doctor": "Žitko Mastnak Miljana", "type": "gp", "id_inst": "604816",
                    "date_override": "2026-05-04", "note_override": "Sprejema do konca avgusta.",
                    "accepts_override": "y", "phone": "03 543 45 00"}  # fmt: skip
GONE_OVERRIDE = {"doctor": "Nekdo Drug", "type": "gp", "id_inst": "604816",
                 "date_override": "2023-01-10", "accepts_override": "n"}  # fmt: skip


def _snapshot(folder: Path, **changes) -> Path:
    rows = {
        "doctors": [KOLAR_ROW, ZNIDAR_ROW, MASTNAK_ROW, EXTRA_ROW],
        "institutions": [ZD_CELJE, MEDIKMIKO],
        "overrides": [MASTNAK_OVERRIDE, GONE_OVERRIDE],
    }
    rows.update(changes)
    return write_sledilnik(folder, **rows)


def test_facts_stand_beside_the_insurer_and_never_overwrite_it(
    database: Database, tmp_path: Path
) -> None:
    import_lists(database, [write_general_list(tmp_path / "z.xlsx", GENERAL)])
    insurer_before = _row(database, providers, providers.c.code, "zzzs-5119-302001-2131")
    result = import_sledilnik(database, _snapshot(tmp_path / "zdravniki"))
    assert (result.rows, result.matched, result.overrides, result.overrides_matched) == (4, 3, 2, 1)
    assert result.unmatched_examples == ["Dodatna ambulanta (gp-f)"]
    assert (result.institutions, result.institutions_matched) == (2, 2)
    assert (result.added, result.changed, result.removed) == (3 + 1 + 2, 0, 0)

    # The insurer's flag stays "does not accept"; the correction says she does, as of May.
    mastnak = _row(database, providers, providers.c.code, "zzzs-5119-302001-2131")
    insurer_columns = [key for key in insurer_before._mapping if key != "search_folded"]
    assert [mastnak._mapping[k] for k in insurer_columns] == [
        insurer_before._mapping[k] for k in insurer_columns
    ]
    assert mastnak.accepts_new_patients is False
    correction = _fact(database, "zzzs-5119-302001-2131", "sledilnik-override")
    assert (correction.as_of, correction.accepts, correction.note, correction.phone) == (
        date(2026, 5, 4),
        True,
        "Sprejema do konca avgusta.",
        "03 543 45 00",
    )
    copy = _fact(database, "zzzs-5119-302001-2131", "sledilnik")
    assert (copy.as_of, copy.accepts, copy.fte) == (date(2026, 8, 22), False, 0.2)
    znidar = _fact(database, "zzzs-10104-327009-2131", "sledilnik")
    assert (znidar.phone, znidar.orderform) == ("03 543 44 00", "https://zd-celje.si/narocanje")
    assert _fact(database, "zzzs-10104-327009-2131", "sledilnik-override") is None
    # No provider was made up for the unmatched rows.
    with database.read() as connection:
        assert connection.execute(select(func.count()).select_from(providers)).scalar() == 5
    clinic = _row(database, locations, locations.c.code, "zzzs-2131")
    assert (clinic.phone, clinic.lat, clinic.name) == (
        "(03) 543 40 00",
        46.23224,
        "ZDRAVSTVENI DOM CELJE",
    )
    site = _row(database, location_facts, location_facts.c.location_id, clinic.id)
    assert (site.source, site.as_of, site.website) == (
        "sledilnik",
        date(2026, 8, 22),
        "http://www.zd-celje.si",
    )


def test_a_newer_snapshot_replaces_the_facts_and_an_older_one_changes_nothing(
    database: Database, tmp_path: Path
) -> None:
    import_lists(database, [write_general_list(tmp_path / "z.xlsx", GENERAL)])
    import_sledilnik(database, _snapshot(tmp_path / "first"))
    newer = _snapshot(
        tmp_path / "second",
        doctors=[KOLAR_ROW, ZNIDAR_ROW, {**MASTNAK_ROW, "date_override": ""}],
        overrides=[],
        snapshot=datetime(2026, 9, 1, 5, 0, tzinfo=UTC),
    )
    result = import_sledilnik(database, newer)
    assert result.outcome is Outcome.APPLIED
    assert (result.added, result.changed, result.removed) == (0, 5, 1)  # dates moved, 1 gone
    assert _fact(database, "zzzs-5119-302001-2131", "sledilnik-override") is None
    assert _fact(database, "zzzs-7774-302001-31225", "sledilnik").as_of == date(2026, 9, 1)

    before = table_contents(database)
    older = import_sledilnik(database, _snapshot(tmp_path / "third"))
    assert older.outcome is Outcome.OLDER
    assert "older than the list already loaded (1. 9. 2026)" in older.message
    assert table_contents(database) == before


def test_before_the_insurers_lists_nothing_matches_and_nothing_is_invented(
    database: Database, tmp_path: Path
) -> None:
    result = import_sledilnik(database, _snapshot(tmp_path / "zdravniki"))
    assert (result.matched, result.institutions_matched, result.added) == (0, 0, 0)
    with database.read() as connection:
        assert connection.execute(select(func.count()).select_from(providers)).scalar() == 0
        assert connection.execute(select(func.count()).select_from(locations)).scalar() == 0


def test_a_malformed_csv_names_file_row_and_column_and_writes_nothing(
    database: Database, tmp_path: Path
) -> None:
    import_lists(database, [write_general_list(tmp_path / "z.xlsx", GENERAL)])
    before = table_contents(database)
    folder = _snapshot(tmp_path / "zdravniki", doctors=[KOLAR_ROW, {**ZNIDAR_ROW, "accepts": "da"}])
    with pytest.raises(ListFormatError) as caught:
        import_sledilnik(database, folder)
    assert str(caught.value) == "doctors.csv, row 3, column 'accepts': expected y or n, found 'da'"
    (folder / "doctors.csv.timestamp").write_text("yesterday")
    with pytest.raises(ListFormatError, match=r"\.timestamp, row 1: 'yesterday' is not"):
        import_sledilnik(database, folder)
    (folder / "doctors.csv.timestamp").unlink()
    with pytest.raises(ListFormatError, match=r"doctors\.csv\.timestamp: no such file"):
        import_sledilnik(database, folder)
    assert table_contents(database) == before
