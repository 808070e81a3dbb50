"""Sledilnik's copy of the doctor lists (``sledilnik/zdravniki-data``), read as published.

A folder with ``doctors.csv`` (one row per doctor x type x institution: the insurer's flag and
load as Sledilnik last copied them, plus contact details and coordinates), ``institutions.csv``
(providers with address, municipality, coordinates, phone), ``overrides.csv`` (dated
corrections from people who phoned the doctors) and ``*.timestamp`` files holding the Unix time
of the snapshot. Sledilnik's ``id_inst`` is its own institution id, not the insurer's provider
code: the loader matches institutions by name (see :mod:`console.server.importers.load_sledilnik`).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from console.domain.calendar import TZ
from console.server.importers.errors import ListFormatError
from console.server.importers.names import clean

ProgressCallback = Callable[[str, int, int], None]

DOCTORS = "doctors.csv"
INSTITUTIONS = "institutions.csv"
OVERRIDES = "overrides.csv"

DOCTOR_COLUMNS = ("doctor", "type", "id_inst", "accepts", "availability", "load")
INSTITUTION_COLUMNS = ("id_inst", "name", "post", "municipality")
OVERRIDE_COLUMNS = ("doctor", "type", "id_inst", "date_override", "accepts_override")


@dataclass(frozen=True)
class Contact:
    phone: str | None = None
    website: str | None = None
    email: str | None = None
    orderform: str | None = None
    address: str | None = None
    post: str | None = None  # "3211 Škofja vas"
    municipality: str | None = None
    lat: float | None = None
    lon: float | None = None


@dataclass(frozen=True)
class Correction:
    """A dated correction (``date_override``) from someone who phoned the doctor."""

    as_of: date
    accepts: bool | None
    fte: float | None
    note: str | None
    contact: Contact


@dataclass(frozen=True)
class SledilnikDoctor:
    row: int
    name: str  # "Kolar Miran", as Sledilnik writes it
    type: str  # gp, ped, gyn, den, den-y, den-s; "" and gp-f are Sledilnik's own (see loader)
    institution: str  # Sledilnik's id_inst
    accepts: bool | None
    fte: float | None
    load: float | None
    contact: Contact
    correction: Correction | None  # the override columns of doctors.csv

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.name, self.type, self.institution)


@dataclass(frozen=True)
class SledilnikInstitution:
    row: int
    id: str
    name: str
    unit: str | None
    contact: Contact


@dataclass(frozen=True)
class SledilnikOverride:
    row: int
    name: str
    type: str
    institution: str
    correction: Correction

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.name, self.type, self.institution)


@dataclass(frozen=True)
class Snapshot:
    directory: Path
    doctors_date: date  # doctors.csv.timestamp: the snapshot's date
    institutions_date: date  # institutions.csv.timestamp (else the snapshot's date)
    doctors: tuple[SledilnikDoctor, ...]
    institutions: tuple[SledilnikInstitution, ...]
    overrides: tuple[SledilnikOverride, ...]  # rows without a date are left out
    undated_overrides: int


def read_snapshot(directory: str | Path, progress: ProgressCallback | None = None) -> Snapshot:
    """Read a Sledilnik folder; raise :class:`ListFormatError` if a file does not fit."""
    directory = Path(directory)
    report = progress or (lambda _label, _done, _total: None)
    if not directory.is_dir():
        raise ListFormatError(directory, "no such folder")
    report("read sledilnik", 0, 3)
    doctors_date = _timestamp(directory / f"{DOCTORS}.timestamp")
    institutions_stamp = directory / f"{INSTITUTIONS}.timestamp"
    institutions_date = (
        _timestamp(institutions_stamp) if institutions_stamp.exists() else doctors_date
    )
    doctors = tuple(_doctor(row) for row in _rows(directory / DOCTORS, DOCTOR_COLUMNS))
    report("read sledilnik", 1, 3)
    institutions = tuple(
        _institution(row) for row in _rows(directory / INSTITUTIONS, INSTITUTION_COLUMNS)
    )
    report("read sledilnik", 2, 3)
    overrides: list[SledilnikOverride] = []
    undated = 0
    overrides_path = directory / OVERRIDES
    if overrides_path.exists():
        for row in _rows(overrides_path, OVERRIDE_COLUMNS):
            correction = row.correction()
            if correction is None:
                undated += 1
                continue
            overrides.append(
                SledilnikOverride(
                    row=row.number,
                    name=row.text("doctor") or "",
                    type=row.text("type") or "",
                    institution=row.text("id_inst") or "",
                    correction=correction,
                )
            )
    report("read sledilnik", 3, 3)
    return Snapshot(
        directory=directory,
        doctors_date=doctors_date,
        institutions_date=institutions_date,
        doctors=doctors,
        institutions=institutions,
        overrides=tuple(overrides),
        undated_overrides=undated,
    )


def _timestamp(path: Path) -> date:
    if not path.is_file():
        raise ListFormatError(path, "no such file (the snapshot's Unix time)")
    text = path.read_text(encoding="utf-8").strip()
    try:
        return datetime.fromtimestamp(int(float(text)), TZ).date()
    except (ValueError, OverflowError, OSError):
        raise ListFormatError(path, f"'{text[:40]}' is not a Unix time", row=1) from None


class _Row:
    """One CSV row, read by column name, with errors naming file, line and column."""

    def __init__(self, path: Path, number: int, values: dict[str, str | None]) -> None:
        self.path = path
        self.number = number
        self.values = values

    def error(self, column: str, problem: str) -> ListFormatError:
        return ListFormatError(self.path, problem, row=self.number, header=column)

    def text(self, column: str) -> str | None:
        return clean(self.values.get(column)) or None

    def number_value(self, column: str) -> float | None:
        text = self.text(column)
        if text is None:
            return None
        try:
            return float(text.replace(",", "."))
        except ValueError:
            raise self.error(column, f"'{text}' is not a number") from None

    def yes_no(self, column: str) -> bool | None:
        text = (self.text(column) or "").lower()
        if text in ("y", "n"):
            return text == "y"
        if not text:
            return None
        raise self.error(column, f"expected y or n, found '{self.text(column)}'")

    def day(self, column: str) -> date | None:
        text = self.text(column)
        if text is None:
            return None
        try:
            return date.fromisoformat(text[:10])
        except ValueError:
            raise self.error(column, f"'{text}' is not a date like 2026-08-22") from None

    def contact(self) -> Contact:
        municipality = self.text("municipality")
        return Contact(
            phone=self.text("phone"),
            website=self.text("website"),
            email=self.text("email"),
            orderform=self.text("orderform"),
            address=self.text("address"),
            post=self.text("post"),
            municipality=None if municipality in (None, "???") else municipality,
            lat=self.number_value("lat"),
            lon=self.number_value("lon"),
        )

    def correction(self) -> Correction | None:
        as_of = self.day("date_override")
        if as_of is None:
            return None
        return Correction(
            as_of=as_of,
            accepts=self.yes_no("accepts_override"),
            fte=self.number_value("availability_override"),
            note=self.text("note_override"),
            contact=self.contact(),
        )


def _rows(path: Path, required: tuple[str, ...]) -> Iterator[_Row]:
    if not path.is_file():
        raise ListFormatError(path, "no such file")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        if not header:
            raise ListFormatError(path, "the file is empty")
        for column in required:
            if column not in header:
                raise ListFormatError(path, f"the header has no column '{column}'", row=1)
        for values in reader:
            if None in values:
                raise ListFormatError(
                    path, f"{len(header) + len(values[None])} fields, the header has {len(header)}",
                    row=reader.line_num,
                )  # fmt: skip
            yield _Row(path, reader.line_num, values)


def _doctor(row: _Row) -> SledilnikDoctor:
    return SledilnikDoctor(
        row=row.number,
        name=row.text("doctor") or "",
        type=row.text("type") or "",
        institution=row.text("id_inst") or "",
        accepts=row.yes_no("accepts"),
        fte=row.number_value("availability"),
        load=row.number_value("load"),
        contact=row.contact(),
        correction=row.correction(),
    )


def _institution(row: _Row) -> SledilnikInstitution:
    return SledilnikInstitution(
        row=row.number,
        id=row.text("id_inst") or "",
        name=row.text("name") or "",
        unit=row.text("unit"),
        contact=row.contact(),
    )
