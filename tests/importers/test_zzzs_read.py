"""Reading the insurer's spreadsheets exactly as published: the real files and synthetic ones."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from pathlib import Path

import pytest
from synthetic_lists import (
    DENTAL,
    GENERAL,
    KOLAR,
    PEVEC,
    write_dental_list,
    write_general_list,
)

from console.domain.models import DoctorType
from console.server import demo_data
from console.server.importers.errors import ListFormatError
from console.server.importers.names import person_name, place_name
from console.server.importers.regions import UNIT_REGIONS, region_for
from console.server.importers.zzzs import InsurerList, ListRow, read_list

# --- the real lists ---------------------------------------------------------------------------

REAL = {
    # file: (title, list date, doctor rows, accepting)
    "2026-08-22_zdravniki.xlsx": ("SPLOŠNA DEJAVNOST", date(2026, 8, 21), 1453, 168),
    "2026-08-22_ginekologi.xlsx": ("GINEKOLOGIJA", date(2026, 8, 22), 351, 174),
    "2026-08-22_zobozdravniki.xlsx": ("ZOBOZDRAVSTVO", date(2026, 8, 22), 1288, 736),
}


@pytest.fixture(scope="module")
def real() -> dict[str, InsurerList]:
    import shared_data

    folder = shared_data.shared_data_or_skip() / "zzzs"
    return {name: read_list(folder / name) for name in REAL}


def _find(lists: dict[str, InsurerList], file: str, doctor: str, activity: str) -> ListRow:
    found = [r for r in lists[file].rows if r.doctor_code == doctor and r.activity_code == activity]
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize("file", sorted(REAL))
def test_each_real_list_has_its_title_date_and_rows(real: dict[str, InsurerList], file: str):
    title, list_date, count, accepting = REAL[file]
    parsed = real[file]
    assert parsed.title == title
    assert parsed.list_date == list_date
    assert len(parsed.rows) == count
    assert sum(row.accepts for row in parsed.rows) == accepting
    assert len({row.key for row in parsed.rows}) == count  # (doctor, activity, provider) unique
    assert parsed.skipped > 0  # the subtotal rows
    for row in parsed.rows:
        assert row.doctor_code.isdigit() and row.provider_code.isdigit()
        assert not row.doctor_code.endswith(".0")
        assert row.doctor_name == row.doctor_name.strip() and "  " not in row.doctor_name
        assert row.unit == row.unit.strip()
        assert len(row.postcode) == 4 and row.postcode.isdigit()
        assert row.fte is not None and 0 < row.fte <= 2


def test_the_date_the_data_describes_wins_over_the_preparation_date(
    real: dict[str, InsurerList],
) -> None:
    assert real["2026-08-22_zdravniki.xlsx"].prepared_at is None
    assert real["2026-08-22_ginekologi.xlsx"].prepared_at == datetime(2026, 8, 22, 7, 0)
    assert real["2026-08-22_zobozdravniki.xlsx"].prepared_at == datetime(2026, 8, 22, 7, 0)


def test_known_doctors_of_the_real_lists(real: dict[str, InsurerList]) -> None:
    kolar = _find(real, "2026-08-22_zdravniki.xlsx", "7774", "302001")
    assert (kolar.doctor_name, kolar.provider_code, kolar.type) == ("Kolar Miran", "31225", "gp")
    assert kolar.accepts is False
    assert (kolar.fte, kolar.patients_per_team, kolar.capitation_per_team) == (1.0, 1584, 1745.05)
    assert kolar.load_percent is None and kolar.resident is False
    assert (kolar.unit, kolar.street, kolar.postcode, kolar.town) == (
        "OE CELJE",
        "ZADOBROVA 49 B",
        "3211",
        "Škofja vas",
    )
    assert kolar.provider_name == "MEDIKMIKO, STORITVE IN SVETOVANJE D.O.O."

    praznik = _find(real, "2026-08-22_zdravniki.xlsx", "4728", "302001")
    assert (praznik.doctor_name, praznik.accepts, praznik.patients_per_team) == (
        "Praznik Igor",
        True,
        1242,
    )
    resident = _find(real, "2026-08-22_zdravniki.xlsx", "17278", "302068")
    assert (resident.doctor_name, resident.resident, resident.type) == (
        "Radivojević Vladimir",
        True,
        DoctorType.GP,
    )
    child = _find(real, "2026-08-22_zdravniki.xlsx", "10104", "327009")
    assert (child.doctor_name, child.type, child.fte) == ("Žnidar Andrea", DoctorType.PED, 0.9)

    buser = _find(real, "2026-08-22_ginekologi.xlsx", "12636", "306007")
    assert (buser.doctor_name, buser.type, buser.accepts, buser.fte) == (
        "Buser Goran",
        DoctorType.GYN,
        False,
        0.21,
    )
    assert (buser.load_percent, buser.patients_per_team, buser.resident) == (109.87, None, False)

    zgank = _find(real, "2026-08-22_zobozdravniki.xlsx", "18413", "404101")
    assert (zgank.doctor_name, zgank.type, zgank.accepts, zgank.fte, zgank.load_percent) == (
        "Žgank Karin",
        DoctorType.DEN,
        True,
        1.0,
        109.33,
    )
    assert zgank.resident is None  # the dentists' list has no resident column
    types = Counter(row.type for row in real["2026-08-22_zobozdravniki.xlsx"].rows)
    assert types == {DoctorType.DEN: 862, DoctorType.DEN_Y: 413, DoctorType.DEN_S: 13}


def test_every_real_regional_unit_has_a_statistical_region(real: dict[str, InsurerList]) -> None:
    units = {row.unit for parsed in real.values() for row in parsed.rows}
    assert len(units) == 55
    assert units <= set(UNIT_REGIONS)
    assert {region_for(unit) for unit in units} == set(demo_data.REGIONS)


# --- synthetic lists in the same shape --------------------------------------------------------


def test_a_synthetic_general_list_reads_like_the_real_one(tmp_path: Path) -> None:
    parsed = read_list(write_general_list(tmp_path / "zdravniki.xlsx", GENERAL))
    assert (parsed.title, parsed.list_date, parsed.skipped) == (
        "SPLOŠNA DEJAVNOST",
        date(2026, 8, 21),
        1,
    )
    assert [row.row for row in parsed.rows] == [5, 6, 7, 8, 9]
    kolar, praznik, znidar, mastnak, pevec = parsed.rows
    assert kolar == ListRow(
        row=5,
        unit="OE CELJE",
        provider_code="31225",
        provider_name="MEDIKMIKO, STORITVE IN SVETOVANJE D.O.O.",
        street="ZADOBROVA 49 B",
        postcode="3211",
        town="Škofja vas",
        doctor_code="7774",
        doctor_name="Kolar Miran",
        activity_code="302001",
        activity_name="Splošna dejavnost - splošna ambulanta",
        type=DoctorType.GP,
        accepts=False,
        fte=1.0,
        patients_per_team=1584.0,
        capitation_per_team=1745.05,
        load_percent=None,
        resident=False,
    )
    assert praznik.accepts is True
    assert znidar.type is DoctorType.PED
    assert mastnak.doctor_name == "Žitko Mastnak Miljana"
    assert (pevec.doctor_name, pevec.resident, pevec.unit) == (
        "Pevec-Dabelić Barbara",
        True,
        "IZPOSTAVA ŠKOFJA LOKA",
    )


def test_a_synthetic_dental_list_takes_the_preparation_date(tmp_path: Path) -> None:
    parsed = read_list(write_dental_list(tmp_path / "zobozdravniki.xlsx", DENTAL))
    assert parsed.list_date == date(2026, 8, 22)
    assert parsed.prepared_at == datetime(2026, 8, 22, 7, 0)
    assert parsed.skipped == 1  # OE CELJE - SKUPAJ
    zgank, brodej = parsed.rows
    assert (zgank.row, zgank.type, zgank.accepts, zgank.load_percent) == (
        11,
        DoctorType.DEN,
        True,
        109.33,
    )
    assert (brodej.type, brodej.fte, brodej.patients_per_team) == (DoctorType.DEN_Y, 1.11, None)


def test_both_dates_present_the_state_date_wins(tmp_path: Path) -> None:
    def add_prepared(sheet) -> None:
        sheet["C2"] = "Datum in čas priprave datoteke:"
        sheet["D2"] = "23.08.2026 ob 06.30"

    parsed = read_list(write_general_list(tmp_path / "l.xlsx", GENERAL, mutate=add_prepared))
    assert parsed.list_date == date(2026, 8, 21)
    assert parsed.prepared_at == datetime(2026, 8, 23, 6, 30)


def test_codes_given_as_text_or_integers_read_the_same(tmp_path: Path) -> None:
    def as_text(sheet) -> None:
        sheet["B5"] = " 31225 "
        sheet["F5"] = 7774
        sheet["H5"] = 302001.0

    parsed = read_list(write_general_list(tmp_path / "l.xlsx", [KOLAR], mutate=as_text))
    assert parsed.rows[0].key == ("7774", "302001", "31225")


# --- malformed files --------------------------------------------------------------------------


def _error(path: Path) -> ListFormatError:
    with pytest.raises(ListFormatError) as caught:
        read_list(path)
    return caught.value


def test_a_missing_column_is_named(tmp_path: Path) -> None:
    def drop_accepts(sheet) -> None:
        sheet["J4"] = "Opomba"

    error = _error(write_general_list(tmp_path / "zdravniki.xlsx", GENERAL, mutate=drop_accepts))
    assert error.row == 4
    assert str(error) == (
        "zdravniki.xlsx, row 4: the header row has no column "
        "'Zdravnik še sprejema zavarovane osebe'"
    )


def test_a_bad_date_names_the_cell(tmp_path: Path) -> None:
    error = _error(write_general_list(tmp_path / "zdravniki.xlsx", GENERAL, day="21/08/2026"))
    assert (error.row, error.column) == (2, 2)
    assert str(error) == (
        "zdravniki.xlsx, row 2, column B ('Stanje podatkov na dan:'): "
        "'21/08/2026' is not a date like 21.08.2026"
    )
    error = _error(write_dental_list(tmp_path / "zob.xlsx", DENTAL, prepared="jutri ob 7"))
    assert (error.row, error.column) == (7, 1)


def test_a_missing_date_row_is_an_error(tmp_path: Path) -> None:
    def no_date(sheet) -> None:
        sheet["A2"] = None
        sheet["B2"] = None

    error = _error(write_general_list(tmp_path / "zdravniki.xlsx", GENERAL, mutate=no_date))
    assert error.row == 4
    assert "no date row above the header row" in str(error)
    assert "'Stanje podatkov na dan:'" in str(error)


def test_a_missing_title_is_an_error(tmp_path: Path) -> None:
    error = _error(write_dental_list(tmp_path / "zob.xlsx", DENTAL, title=""))
    assert "no title row" in str(error)


def test_a_bad_accepts_flag_names_row_and_column(tmp_path: Path) -> None:
    rows = [KOLAR, PEVEC.but(accepts="MOGOČE")]
    error = _error(write_general_list(tmp_path / "zdravniki.xlsx", rows))
    assert (error.row, error.column) == (6, 10)
    assert str(error) == (
        "zdravniki.xlsx, row 6, column J ('Zdravnik še sprejema zavarovane osebe'): "
        "expected DA or NE, found 'MOGOČE'"
    )
    error = _error(write_general_list(tmp_path / "z2.xlsx", [KOLAR.but(accepts="  ")]))
    assert "expected DA or NE, found an empty cell" in str(error)


def test_a_non_numeric_fte_names_row_and_column(tmp_path: Path) -> None:
    def text_fte(sheet) -> None:
        sheet["L5"] = "polni čas"

    error = _error(write_general_list(tmp_path / "zdravniki.xlsx", GENERAL, mutate=text_fte))
    assert (error.row, error.column) == (5, 12)
    assert str(error).startswith("zdravniki.xlsx, row 5, column L ('Obseg zaposlitve'): ")
    assert str(error).endswith("'polni čas' is not a number")


def test_an_unknown_activity_code_is_an_error(tmp_path: Path) -> None:
    def other_activity(sheet) -> None:
        sheet["H6"] = "999999"

    error = _error(write_general_list(tmp_path / "z.xlsx", GENERAL, mutate=other_activity))
    assert (error.row, error.column) == (6, 8)
    assert "unknown activity code '999999'" in str(error)


def test_a_doctor_listed_twice_is_an_error(tmp_path: Path) -> None:
    error = _error(write_general_list(tmp_path / "z.xlsx", [KOLAR, PEVEC, KOLAR]))
    assert error.row == 7
    assert "is listed twice, also in row 5" in str(error)


def test_a_doctor_without_a_code_is_an_error(tmp_path: Path) -> None:
    def no_code(sheet) -> None:
        sheet["F6"] = None

    error = _error(write_general_list(tmp_path / "z.xlsx", GENERAL, mutate=no_code))
    assert (error.row, error.column) == (6, 6)
    assert "no doctor code for PRAZNIK IGOR" in str(error)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"", "the file is empty"),
        (
            "Območna enota izvajalca;Šifra izvajalca\nOE CELJE;31225\n".encode(),
            "not an Excel workbook (.xlsx)",
        ),
        (b"PK\x03\x04 not really a zip", "not an Excel workbook (.xlsx)"),
    ],
    ids=["empty", "csv-renamed", "broken-zip"],
)
def test_a_file_that_is_not_a_workbook_is_refused(
    tmp_path: Path, content: bytes, problem: str
) -> None:
    path = tmp_path / "2026-08-22_zdravniki.xlsx"
    path.write_bytes(content)
    error = _error(path)
    assert str(error).startswith("2026-08-22_zdravniki.xlsx: ")
    assert problem in str(error)


def test_a_workbook_without_the_header_is_refused(tmp_path: Path) -> None:
    def blank_header(sheet) -> None:
        for cell in sheet[4]:
            cell.value = None

    error = _error(write_general_list(tmp_path / "z.xlsx", GENERAL, mutate=blank_header))
    assert "no header row" in str(error)


# --- names ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("listed", "shown"),
    [
        ("KOLAR  MIRAN ", "Kolar Miran"),
        ("ŽVIŽEJ CVETIĆ ANA ", "Žvižej Cvetić Ana"),
        ("PEVEC-DABELIĆ BARBARA ", "Pevec-Dabelić Barbara"),
        ("DRAGANOVIĆ  GABRIJELA-VIDOSAVA", "Draganović Gabrijela-Vidosava"),
        ("ĐORĐEVIĆ  STEVAN ", "Đorđević Stevan"),
        ("O'NEILL  MARY", "O'Neill Mary"),
    ],
)
def test_person_names_read_in_title_case(listed: str, shown: str) -> None:
    assert person_name(listed) == shown


@pytest.mark.parametrize(
    ("listed", "shown"),
    [
        ("ŠKOFJA VAS", "Škofja vas"),
        ("NOVO MESTO", "Novo mesto"),
        ("RAVNE NA KOROŠKEM", "Ravne na Koroškem"),
        ("SLOVENSKE KONJICE", "Slovenske Konjice"),
        ("LJUBLJANA - ŠENTVID", "Ljubljana - Šentvid"),
        ("VAS", "Vas"),
    ],
)
def test_post_towns_read_as_slovenians_write_them(listed: str, shown: str) -> None:
    assert place_name(listed) == shown


def test_regions() -> None:
    assert set(UNIT_REGIONS.values()) == set(demo_data.REGIONS)
    assert region_for("IZPOSTAVA PTUJ              ") == "Podravska"
    assert region_for("IZPOSTAVA ŠKOFJA LOKA") == "Gorenjska"
    assert region_for("IZPOSTAVA RIBNICA") == "Jugovzhodna Slovenija"
    assert region_for("  IZPOSTAVA  NOVA ") == "IZPOSTAVA NOVA"  # unknown: its own name
