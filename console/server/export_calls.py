"""``agent-console export calls``: every call of a day with its agent, times, handle time,
after-call work, disposition and bookings, as CSV or as an Excel workbook.

No caller identity: the export is for the call centre's figures, not a list of who called.
Times are Europe/Ljubljana's wall clock (the workbook's cells are real dates). Calls are read in
pages, with the bookings of each page, so a busy day never sits in memory whole.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, BinaryIO, TextIO

from sqlalchemy import Connection, select

from console.domain.calendar import TZ
from console.domain.floor import BookingAction, CallBooking
from console.server.agent_day import call_bookings
from console.server.db import Database
from console.server.floor.day import Day
from console.server.schema import agents, calls

PAGE = 1000
DATE_FORMAT = "yyyy-mm-dd hh:mm:ss"  # the workbook's date cells


@dataclass(frozen=True)
class Column:
    name: str
    width: float  # in the workbook, in characters
    kind: str = "text"  # text | int | time


COLUMNS: tuple[Column, ...] = (
    Column("call_id", 10, "int"),
    Column("agent_id", 9, "int"),
    Column("agent", 26),
    Column("direction", 10),
    Column("started_at", 20, "time"),  # Europe/Ljubljana
    Column("ended_at", 20, "time"),
    Column("wrapped_at", 20, "time"),
    Column("talk_seconds", 13, "int"),
    Column("after_call_work_seconds", 13, "int"),
    Column("handle_seconds", 13, "int"),  # talk + after-call work
    Column("disposition", 16),
    Column("bookings", 10, "int"),  # new bookings made in the call
    Column("reschedules", 12, "int"),
    Column("cancellations", 13, "int"),
    Column("references", 34),  # e.g. "K7M4PXY booked; H3N9RTA cancelled"
    Column("services", 40),
)
HEADER = tuple(column.name for column in COLUMNS)


def _local(value: datetime | None) -> datetime | None:
    """A stored (naive UTC) time as Ljubljana's wall clock, without a zone (as a sheet holds)."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC).astimezone(TZ).replace(tzinfo=None, microsecond=0)


def _row(call: Any, made: list[CallBooking]) -> dict[str, Any]:
    wrapped = call.wrapped_at is not None
    talk = None
    if wrapped and call.ended_at is not None:
        talk = max(round((call.ended_at - call.started_at).total_seconds()), 0)
    acw = call.after_call_work_seconds if wrapped else None
    actions = [booking.action for booking in made]
    services = dict.fromkeys(booking.service_name for booking in made)
    return {
        "call_id": call.id,
        "agent_id": call.agent_id,
        "agent": call.agent_name,
        "direction": call.direction,
        "started_at": _local(call.started_at),
        "ended_at": _local(call.ended_at) if wrapped else None,
        "wrapped_at": _local(call.wrapped_at),
        "talk_seconds": talk,
        "after_call_work_seconds": acw,
        "handle_seconds": talk + (acw or 0) if talk is not None else None,
        "disposition": call.disposition,
        "bookings": actions.count(BookingAction.BOOKED),
        "reschedules": actions.count(BookingAction.RESCHEDULED),
        "cancellations": actions.count(BookingAction.CANCELLED),
        "references": "; ".join(f"{b.reference} {b.action.value}" for b in made),
        "services": "; ".join(services),
    }


def rows(connection: Connection, day: date) -> Iterator[dict[str, Any]]:
    """The day's calls (started that Ljubljana day), earliest first, page by page."""
    bounds = Day.of(day)
    after: tuple[datetime, int] | None = None
    while True:
        query = (
            select(calls, agents.c.name.label("agent_name"))
            .select_from(calls.join(agents, agents.c.id == calls.c.agent_id))
            .where(calls.c.started_at >= bounds.start, calls.c.started_at < bounds.end)
            .order_by(calls.c.started_at, calls.c.id)
            .limit(PAGE)
        )
        if after is not None:
            started, last_id = after
            query = query.where(
                (calls.c.started_at > started)
                | ((calls.c.started_at == started) & (calls.c.id > last_id))
            )
        page = connection.execute(query).all()
        if not page:
            return
        made = call_bookings(connection, [call.id for call in page])
        for call in page:
            yield _row(call, made.get(call.id, []))
        if len(page) < PAGE:
            return
        after = (page[-1].started_at, page[-1].id)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return str(value)


def write_csv(database: Database, day: date, out: TextIO) -> int:
    """Write the day's calls as CSV to ``out``; return how many."""
    writer = csv.writer(out)
    writer.writerow(HEADER)
    count = 0
    with database.read() as connection:
        for row in rows(connection, day):
            writer.writerow([_text(row[name]) for name in HEADER])
            count += 1
    return count


def write_xlsx(database: Database, day: date, path: str | Path | BinaryIO) -> int:
    """Write the day's calls as an Excel workbook at ``path`` (or into a binary file): a bold
    header row that stays in view, column widths, real date cells, a filter on every column;
    return how many."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(f"Calls {day.isoformat()}")
    for index, column in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for name in HEADER:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    count = 0
    with database.read() as connection:
        for row in rows(connection, day):
            cells: list[Any] = []
            for column in COLUMNS:
                value = row[column.name]
                if column.kind == "time" and value is not None:
                    cell = WriteOnlyCell(sheet, value=value)
                    cell.number_format = DATE_FORMAT
                    cells.append(cell)
                else:
                    cells.append(value if value != "" else None)
            sheet.append(cells)
            count += 1
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{count + 1}"
    workbook.save(path if hasattr(path, "write") else str(path))
    return count
