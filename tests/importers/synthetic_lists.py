"""Small spreadsheets and CSV folders in the shape the insurer and Sledilnik publish.

The insurer's files as found: a title row, a date row (``Stanje podatkov na dan:`` beside the
date, or ``Datum in čas priprave datoteke:`` with the date on the next row), blank rows, the
header, then doctors with padded cells, codes as floats, ``PRIIMEK  IME`` and ``DA``/``NE``,
and subtotal rows. Importable from the tests in this folder as ``import synthetic_lists``.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

FTE_HEADER = (
    "Obseg zaposlitve \n\nZdravnik z obsegom zaposlitve \nmanj kot 1,0  ne dela  vse dni v "
    "tednu ali polni delovni čas (npr. zdravnik z obsegom zaposlitve 0,20 lahko dela le en dan "
    "v tednu) "
)
COMMON_HEADERS = [
    "Območna enota izvajalca",
    "Šifra izvajalca",
    "Naziv izvajalca",
    "Ulica",
    "Kraj",
    "Šifra zdravnika",
    "Priimek in ime zdravnika",
    "Šifra ZZZS dejavnosti",
    "Naziv ZZZS dejavnosti",
    "Zdravnik še sprejema zavarovane osebe",
]
GENERAL_HEADERS = [
    *COMMON_HEADERS,
    "Zdravnik mora  glede na št. opredeljenih oseb (stolpec M) sprejeti novorojenčke in "
    "dojenčke (otroci do enega leta)",
    FTE_HEADER,
    "Število opredeljenih oseb  preračunano na 1 tim zaposlitve",
    "Število glavarinskih količnikov  preračunano na 1 tim zaposlitve",
    "Specializant",
]
DENTAL_HEADERS = [
    *COMMON_HEADERS,
    FTE_HEADER,
    "Doseganje povprečja števila opredeljenih zavarovanih oseb v dejavnosti v območni enoti",
]
ACTIVITY_NAMES = {
    "302001": "Splošna dejavnost - splošna ambulanta   ",
    "327009": "Splošna dej.-otroški in šolski dispanzer",
    "404101": "ZOBOZDR. DEJAVNOST-ZDRAVLJENJE ODRASLIH ",
    "404103": "ZOBOZDR. DEJAVNOST-ZDRAVLJENJE MLADINE  ",
}


@dataclass(frozen=True)
class Doc:
    """One doctor row of a synthetic list."""

    doctor: int
    name: str  # as the insurer writes it: "KOLAR  MIRAN "
    provider: int = 2131
    activity: str = "302001"
    accepts: str = "NE"
    fte: float = 1.0
    patients: float | None = 1500.0
    capitation: float | None = 1700.0
    load: float | None = 100.0  # dental lists only
    resident: str = "  "
    unit: str = "OE CELJE                      "
    provider_name: str = "ZDRAVSTVENI DOM CELJE"
    street: str = "GREGORČIČEVA ULICA 5"
    place: str = "3000 CELJE"

    def but(self, **changes: object) -> Doc:
        return replace(self, **changes)  # type: ignore[arg-type]


KOLAR = Doc(7774, "KOLAR  MIRAN ", provider=31225, accepts="NE", patients=1584.0,
            capitation=1745.05, provider_name="MEDIKMIKO, STORITVE IN SVETOVANJE D.O.O.",
            street="ZADOBROVA 49 B", place="3211 ŠKOFJA VAS")  # fmt: skip
PRAZNIK = Doc(4728, "PRAZNIK  IGOR ", provider=19487, accepts="DA", patients=1242.0,
              capitation=1322.75, provider_name="PRAZNIK IGOR - ZASEBNA ZDRAVNIŠKA ORDINACIJA",
              street="CELJSKA CESTA 24 B", place="3212 VOJNIK")  # fmt: skip
ZNIDAR = Doc(10104, "ŽNIDAR  ANDREA ", activity="327009", fte=0.9, patients=969.0,
             capitation=1351.31)  # fmt: skip
MASTNAK = Doc(5119, "ŽITKO MASTNAK MILJANA ", fte=0.2, patients=1835.0, capitation=1950.4)
PEVEC = Doc(12001, "PEVEC-DABELIĆ BARBARA ", accepts="DA", resident="DA",
            unit="IZPOSTAVA ŠKOFJA LOKA         ", provider=4501,
            provider_name="ZDRAVSTVENI DOM ŠKOFJA LOKA", street="STARA CESTA 10",
            place="4220 ŠKOFJA LOKA")  # fmt: skip
GENERAL = (KOLAR, PRAZNIK, ZNIDAR, MASTNAK, PEVEC)

ZGANK = Doc(18413, "ŽGANK  KARIN ", activity="404101", accepts="DA", load=109.33)
BRODEJ = Doc(10633, "BRODEJ  MATEVŽ ", activity="404103", fte=1.11, load=115.19)
DENTAL = (ZGANK, BRODEJ)


def _general_row(doc: Doc) -> list[object]:
    return [
        doc.unit, float(doc.provider), doc.provider_name, doc.street, doc.place,
        float(doc.doctor), doc.name, doc.activity, ACTIVITY_NAMES[doc.activity], doc.accepts,
        None, doc.fte, doc.patients, doc.capitation, doc.resident,
    ]  # fmt: skip


def _dental_row(doc: Doc) -> list[object]:
    return [
        doc.unit, float(doc.provider), doc.provider_name, doc.street, doc.place,
        float(doc.doctor), doc.name, doc.activity, ACTIVITY_NAMES[doc.activity], doc.accepts,
        doc.fte, doc.load,
    ]  # fmt: skip


def write_general_list(
    path: Path,
    doctors: tuple[Doc, ...] | list[Doc],
    *,
    day: str = "21.08.2026",
    title: str = "SPLOŠNA DEJAVNOST",
    mutate: Callable[[Worksheet], None] | None = None,
) -> Path:
    """The family doctors' list: title, 'Stanje podatkov na dan:' | date, blank, header."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Splošna dejavnost"
    sheet.append([title])
    sheet.append(["Stanje podatkov na dan:", day])
    sheet.append([])
    sheet.append(GENERAL_HEADERS)
    for doc in doctors:
        sheet.append(_general_row(doc))
    sheet.append(["ZZZS SKUPAJ", None, "", "", "", None, "", "302001",
                  ACTIVITY_NAMES["302001"], "", None, None, 952.65, 1689.18, ""])  # fmt: skip
    sheet.append(["", None, "", "", "", None, "", "", "", "", None, None, None, None, ""])
    if mutate is not None:
        mutate(sheet)
    book.save(path)
    return path


def write_dental_list(
    path: Path,
    doctors: tuple[Doc, ...] | list[Doc],
    *,
    prepared: str = "22.08.2026 ob 07.00",
    title: str = "ZOBOZDRAVSTVO",
    mutate: Callable[[Worksheet], None] | None = None,
) -> Path:
    """The dentists' list: title, blanks, 'Datum in čas priprave datoteke:', the time on the
    next row, blanks, header; subtotals per regional unit."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Podatki"
    sheet.append([title])
    for _ in range(4):
        sheet.append([])
    sheet.append(["Datum in čas priprave datoteke:"])
    sheet.append([prepared])
    sheet.append([])
    sheet.append([])
    sheet.append(DENTAL_HEADERS)
    for doc in doctors:
        sheet.append(_dental_row(doc))
    sheet.append(["OE CELJE - SKUPAJ", 0.0, "", "", "", 0.0, "", "404101",
                  ACTIVITY_NAMES["404101"], "", 70.35, 100.0])  # fmt: skip
    if mutate is not None:
        mutate(sheet)
    book.save(path)
    return path


# --- Sledilnik --------------------------------------------------------------------------------

DOCTOR_FIELDS = [
    "doctor", "type", "id_inst", "accepts", "availability", "load", "date_override",
    "note_override", "accepts_override", "availability_override", "phone", "website", "email",
    "orderform", "address", "post", "city", "municipalityPart", "municipality", "lat", "lon",
]  # fmt: skip
INSTITUTION_FIELDS = [
    "id_inst", "zzzsSt", "name", "unit", "address", "post", "city", "municipalityPart",
    "municipality", "lat", "lon", "phone", "website",
]  # fmt: skip
OVERRIDE_FIELDS = [
    "doctor", "type", "id_inst", "date_override", "note_override", "accepts_override",
    "availability_override", "address", "city", "post", "phone", "website", "email", "orderform",
]  # fmt: skip


def write_sledilnik(
    folder: Path,
    *,
    doctors: list[dict[str, str]],
    institutions: list[dict[str, str]],
    overrides: list[dict[str, str]],
    snapshot: datetime = datetime(2026, 8, 22, 5, 32, 52, tzinfo=UTC),
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, fields, rows in (
        ("doctors.csv", DOCTOR_FIELDS, doctors),
        ("institutions.csv", INSTITUTION_FIELDS, institutions),
        ("overrides.csv", OVERRIDE_FIELDS, overrides),
    ):
        with (folder / name).open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=fields)
            writer.writeheader()
            for row in rows:
                writer.writerow({field: row.get(field, "") for field in fields})
    stamp = str(int(snapshot.timestamp()))
    (folder / "doctors.csv.timestamp").write_text(stamp + "\n")
    (folder / "institutions.csv.timestamp").write_text(stamp + "\n")
    return folder
