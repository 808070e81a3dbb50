"""The insurer's (ZZZS) published lists of doctors, read exactly as published.

Three spreadsheets, each a little different: a title row (the list's name, e.g. ``SPLOŠNA
DEJAVNOST``), then either ``Stanje podatkov na dan:`` with the date the data describes, or
``Datum in čas priprave datoteke:`` with the time the file was made on the next row, blank rows,
the header row, and one row per doctor x activity x provider, with subtotal rows (``ZZZS
SKUPAJ``, ``OE CELJE - SKUPAJ``) in between. Cells are padded with spaces, codes arrive as
floats (``31225.0``), names as ``PRIIMEK  IME``, flags as ``DA``/``NE``.

Columns are found by their header text, not their position: the files have different column
sets (patients per team and capitation for general practice, a percentage of the average load for
gynaecologists and dentists, a resident mark in some). Anything that does not fit raises
:class:`ListFormatError` naming the file, the row and the column.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from console.domain.directory import ACTIVITY_TYPES
from console.domain.models import DoctorType
from console.domain.text import fold
from console.server.importers.errors import ListFormatError
from console.server.importers.names import clean, person_name, place_name

ProgressCallback = Callable[[str, int, int], None]

STATE_LABEL = "Stanje podatkov na dan"  # the date the data describes (preferred)
PREPARED_LABEL = "Datum in čas priprave datoteke"  # when the file was made
HEADER_SEARCH_ROWS = 50  # the header row must be among the first rows
PROGRESS_EVERY = 250  # rows between progress reports

_DATE = re.compile(r"^\s*(\d{1,2})\.\s*(\d{1,2})\.\s*(\d{4})(?:\s+ob\s+(\d{1,2})[.:](\d{2}))?")
_PLACE = re.compile(r"^(\d{4})\s+(.+)$")
_CODE = re.compile(r"^\d+(?:\.0*)?$")


@dataclass(frozen=True)
class Column:
    field: str
    header: str  # how the insurer's header starts
    required: bool


COLUMNS: tuple[Column, ...] = (
    Column("unit", "Območna enota izvajalca", True),
    Column("provider_code", "Šifra izvajalca", True),
    Column("provider_name", "Naziv izvajalca", True),
    Column("street", "Ulica", True),
    Column("place", "Kraj", True),
    Column("doctor_code", "Šifra zdravnika", True),
    Column("doctor_name", "Priimek in ime zdravnika", True),
    Column("activity_code", "Šifra ZZZS dejavnosti", True),
    Column("activity_name", "Naziv ZZZS dejavnosti", False),
    Column("accepts", "Zdravnik še sprejema zavarovane osebe", True),
    Column("fte", "Obseg zaposlitve", True),
    Column("patients_per_team", "Število opredeljenih oseb", False),
    Column("capitation_per_team", "Število glavarinskih količnikov", False),
    Column("load_percent", "Doseganje povprečja", False),
    Column("resident", "Specializant", False),
)
# At least this many known headers make a row the header row (so a missing column is reported
# as missing, not as "no header row").
HEADER_MIN_MATCHES = 5


@dataclass(frozen=True)
class ListRow:
    """One doctor x activity x provider of a published list."""

    row: int  # the spreadsheet row, from 1
    unit: str  # the insurer's regional unit, e.g. "OE CELJE"
    provider_code: str  # Šifra izvajalca, e.g. "31225"
    provider_name: str
    street: str
    postcode: str
    town: str  # as Slovenians write it: "Škofja vas"
    doctor_code: str
    doctor_name: str  # "Kolar Miran" (surname first, as listed)
    activity_code: str
    activity_name: str
    type: DoctorType
    accepts: bool
    fte: float | None
    patients_per_team: float | None
    capitation_per_team: float | None
    load_percent: float | None
    resident: bool | None  # None: the list has no resident column

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.doctor_code, self.activity_code, self.provider_code)


@dataclass(frozen=True)
class InsurerList:
    path: Path
    title: str  # the list's name as published, e.g. "SPLOŠNA DEJAVNOST"
    list_date: date  # the date the data describes (else the day the file was made)
    prepared_at: datetime | None  # when the file was made, if it says
    rows: tuple[ListRow, ...]
    skipped: int  # subtotal rows (ZZZS SKUPAJ, OE … - SKUPAJ)

    @property
    def file_name(self) -> str:
        return self.path.name


def read_list(path: str | Path, progress: ProgressCallback | None = None) -> InsurerList:
    """Read one published spreadsheet; raise :class:`ListFormatError` if it does not fit."""
    path = Path(path)
    label = f"read {path.name}"
    sheet_rows, total = _sheet_rows(path)
    report = progress or _no_progress
    report(label, 0, total)
    above: list[tuple[int, tuple]] = []
    header_row: int | None = None
    columns: dict[str, int] = {}
    headers: dict[str, str] = {}
    rows: list[ListRow] = []
    seen: dict[tuple[str, str, str], int] = {}
    skipped = 0
    number = 0
    for number, values in sheet_rows:
        if header_row is None:
            found = _header_columns(values)
            if len(found) >= HEADER_MIN_MATCHES:
                header_row = number
                columns, headers = _check_header(path, number, values, found)
                continue
            if number > HEADER_SEARCH_ROWS:
                break
            above.append((number, values))
            continue
        if not any(clean(value) for value in values):
            continue  # a blank row
        parsed = _data_row(path, number, values, columns, headers)
        if parsed is None:
            skipped += 1
        else:
            first = seen.setdefault(parsed.key, number)
            if first != number:
                raise ListFormatError(
                    path,
                    f"doctor {parsed.doctor_code} ({parsed.doctor_name}) with activity "
                    f"{parsed.activity_code} at provider {parsed.provider_code} is listed twice, "
                    f"also in row {first}",
                    row=number,
                )
            rows.append(parsed)
        if number % PROGRESS_EVERY == 0:
            report(label, min(number, total), total)
    if header_row is None:
        if not above:
            raise ListFormatError(path, "the sheet is empty")
        expected = ", ".join(f"'{c.header}'" for c in COLUMNS[:3])
        raise ListFormatError(
            path, f"no header row (a row with {expected}, …) in the first {HEADER_SEARCH_ROWS} rows"
        )
    title = _title(path, above, header_row)
    list_date, prepared_at = _dates(path, above, header_row)
    if not rows:
        raise ListFormatError(path, "the list has no doctors", row=header_row + 1)
    report(label, total, total)
    return InsurerList(
        path=path,
        title=title,
        list_date=list_date,
        prepared_at=prepared_at,
        rows=tuple(rows),
        skipped=skipped,
    )


def _no_progress(_label: str, _done: int, _total: int) -> None:
    pass


# --- the workbook -----------------------------------------------------------------------------


def _sheet_rows(path: Path) -> tuple[Iterator[tuple[int, tuple]], int]:
    """(row number, values) of the first sheet, and about how many rows it has."""
    if not path.is_file():
        raise ListFormatError(path, "no such file")
    if path.stat().st_size == 0:
        raise ListFormatError(path, "the file is empty")
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ListFormatError(
            path,
            f"not an Excel workbook (.xlsx) as the insurer publishes ({exc.__class__.__name__})",
        ) from None
    if not workbook.worksheets:
        raise ListFormatError(path, "the workbook has no sheet")
    sheet = workbook.worksheets[0]
    total = max(sheet.max_row or 0, 1)

    def rows() -> Iterator[tuple[int, tuple]]:
        try:
            yield from enumerate(sheet.iter_rows(values_only=True), 1)
        finally:
            workbook.close()

    return rows(), total


# --- the header -------------------------------------------------------------------------------


def _header_columns(values: tuple) -> dict[str, int]:
    """Which known columns this row's cells name: field -> column index (from 0)."""
    found: dict[str, int] = {}
    for index, value in enumerate(values):
        if not isinstance(value, str):
            continue
        text = fold(value)
        for column in COLUMNS:
            if column.field not in found and text.startswith(fold(column.header)):
                found[column.field] = index
                break
    return found


def _check_header(
    path: Path, number: int, values: tuple, found: dict[str, int]
) -> tuple[dict[str, int], dict[str, str]]:
    for column in COLUMNS:
        if column.required and column.field not in found:
            raise ListFormatError(
                path, f"the header row has no column '{column.header}'", row=number
            )
    headers = {field: str(values[index]) for field, index in found.items()}
    return found, headers


# --- the title and the date -------------------------------------------------------------------


def _is_label(value: Any, label: str) -> bool:
    return isinstance(value, str) and fold(value).startswith(fold(label))


def _title(path: Path, above: list[tuple[int, tuple]], header_row: int) -> str:
    """The first text above the header, unless the date rows come first."""
    for _number, values in above:
        first = next((value for value in values if clean(value)), None)
        if first is None:
            continue
        if _is_label(first, STATE_LABEL) or _is_label(first, PREPARED_LABEL):
            break
        return clean(first)
    raise ListFormatError(
        path,
        "no title row (the list's name, e.g. 'SPLOŠNA DEJAVNOST') above the header row",
        row=header_row,
    )


def _dates(
    path: Path, above: list[tuple[int, tuple]], header_row: int
) -> tuple[date, datetime | None]:
    state: date | None = None
    prepared: datetime | None = None
    for position, (number, values) in enumerate(above):
        for index, value in enumerate(values):
            for label in (STATE_LABEL, PREPARED_LABEL):
                if not _is_label(value, label):
                    continue
                row, column, cell = _value_after(above, position, index)
                if cell is None:
                    raise ListFormatError(
                        path, f"no date after '{label}:'", row=number, column=index + 1
                    )
                moment = _moment(path, row, column, cell, label)
                if label == STATE_LABEL:
                    state = moment.date()
                else:
                    prepared = moment
    if state is not None:
        return state, prepared
    if prepared is not None:
        return prepared.date(), prepared
    raise ListFormatError(
        path,
        f"no date row above the header row: expected '{STATE_LABEL}:' or '{PREPARED_LABEL}:' "
        "with a date",
        row=header_row,
    )


def _value_after(above: list[tuple[int, tuple]], position: int, index: int) -> tuple[int, int, Any]:
    """The first non-empty cell right of a label, else the first of the next row:
    (row number, column from 1, value); value None when there is none."""
    number, values = above[position]
    for later in range(index + 1, len(values)):
        if clean(values[later]):
            return number, later + 1, values[later]
    if position + 1 < len(above):
        following, next_values = above[position + 1]
        for column, value in enumerate(next_values, 1):
            if clean(value):
                return following, column, value
    return number, index + 1, None


def _moment(path: Path, row: int, column: int, value: Any, label: str) -> datetime:
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime.combine(value, time())
    match = _DATE.match(clean(value))
    if match:
        day, month, year, hour, minute = match.groups()
        try:
            return datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0))
        except ValueError:
            pass
    raise ListFormatError(
        path,
        f"'{clean(value)}' is not a date like 21.08.2026",
        row=row,
        column=column,
        header=f"{label}:",
    )


# --- data rows --------------------------------------------------------------------------------


class _Cells:
    """One data row's cells, read by field, with errors naming row and column."""

    def __init__(
        self, path: Path, number: int, values: tuple, columns: dict[str, int], headers: dict
    ) -> None:
        self.path = path
        self.row_number = number
        self.values = values
        self.columns = columns
        self.headers = headers

    def raw(self, field: str) -> Any:
        index = self.columns.get(field)
        if index is None or index >= len(self.values):
            return None
        return self.values[index]

    def error(self, field: str, problem: str) -> ListFormatError:
        index = self.columns.get(field)
        return ListFormatError(
            self.path,
            problem,
            row=self.row_number,
            column=None if index is None else index + 1,
            header=self.headers.get(field),
        )

    def text(self, field: str) -> str:
        return clean(self.raw(field))

    def code(self, field: str) -> str | None:
        """A code as text without the float's ``.0``; None when empty or 0."""
        value = self.raw(field)
        if value is None or isinstance(value, bool):
            if isinstance(value, bool):
                raise self.error(field, f"'{value}' is not a code")
            return None
        if isinstance(value, int):
            return str(value) if value else None
        if isinstance(value, float):
            if not value.is_integer():
                raise self.error(field, f"'{value}' is not a code")
            return str(int(value)) if value else None
        text = clean(value)
        if not text:
            return None
        if not _CODE.match(text):
            raise self.error(field, f"'{text}' is not a code")
        number = int(text.split(".")[0])
        return str(number) if number else None

    def number(self, field: str) -> float | None:
        value = self.raw(field)
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, bool):
            raise self.error(field, f"'{value}' is not a number")
        if isinstance(value, int | float):
            return float(value)
        text = clean(value).replace(",", ".")
        try:
            return float(text)
        except ValueError:
            raise self.error(field, f"'{clean(value)}' is not a number") from None

    def yes_no(self, field: str, *, blank: bool | None) -> bool | None:
        """``DA`` -> True, ``NE`` -> False; a blank cell gives ``blank`` (None: an error)."""
        text = self.text(field).upper()
        if text == "DA":
            return True
        if text == "NE":
            return False
        if not text and blank is not None:
            return blank
        shown = f"'{self.text(field)}'" if text else "an empty cell"
        raise self.error(field, f"expected DA or NE, found {shown}")


def _data_row(
    path: Path, number: int, values: tuple, columns: dict[str, int], headers: dict[str, str]
) -> ListRow | None:
    """A doctor's row, or None for a subtotal row."""
    cells = _Cells(path, number, values, columns, headers)
    unit = cells.text("unit")
    if fold(unit).endswith("skupaj"):
        return None  # ZZZS SKUPAJ, OE CELJE - SKUPAJ: totals
    doctor_code = cells.code("doctor_code")
    name = cells.text("doctor_name")
    if doctor_code is None:
        if not name:
            return None  # a subtotal row without the word SKUPAJ
        raise cells.error("doctor_code", f"no doctor code for {name}")
    if not name:
        raise cells.error("doctor_name", f"no name for doctor {doctor_code}")
    provider_code = cells.code("provider_code")
    if provider_code is None:
        raise cells.error("provider_code", "no provider code")
    activity_code = cells.code("activity_code")
    doctor_type = ACTIVITY_TYPES.get(activity_code or "")
    if activity_code is None or doctor_type is None:
        known = ", ".join(sorted(ACTIVITY_TYPES))
        raise cells.error(
            "activity_code", f"unknown activity code '{cells.text('activity_code')}' ({known})"
        )
    place = cells.text("place")
    match = _PLACE.match(place)
    postcode, town = (match.group(1), match.group(2)) if match else ("", place)
    accepts = cells.yes_no("accepts", blank=None)
    assert accepts is not None
    return ListRow(
        row=number,
        unit=unit,
        provider_code=provider_code,
        provider_name=cells.text("provider_name"),
        street=cells.text("street"),
        postcode=postcode,
        town=place_name(town),
        doctor_code=doctor_code,
        doctor_name=person_name(name),
        activity_code=activity_code,
        activity_name=cells.text("activity_name"),
        type=doctor_type,
        accepts=accepts,
        fte=cells.number("fte"),
        patients_per_team=cells.number("patients_per_team"),
        capitation_per_team=cells.number("capitation_per_team"),
        load_percent=cells.number("load_percent"),
        resident=cells.yes_no("resident", blank=False) if "resident" in columns else None,
    )
