"""``agent-console export calls``: a day's calls as CSV and as an Excel workbook, run as a
separate process against a database whose calls were made through the API at known times;
both files are read back and compared with the rows worked out by hand."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
import support
from fastapi.testclient import TestClient
from floor_clock import FakeClock, today

from console.server.app import create_app
from console.server.db import Database
from console.server.export_calls import COLUMNS, HEADER
from console.server.migrate import upgrade
from console.server.settings import ServerSettings

COMMAND = [sys.executable, "-m", "console.cli"]


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*COMMAND, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ),
        cwd=cwd,
    )


def local(day: date, hour: int, minute: int, second: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, second)


@pytest.fixture
def day_of_calls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, date, list]:
    """A SQLite database with a day of calls; the day and the expected rows."""
    path = tmp_path / "central.db"
    database = Database.open(str(path))
    upgrade(database.engine)
    world = support.build_world(database)
    day = today()
    clock = FakeClock(FakeClock.local(day, 10)).install(monkeypatch)
    app = create_app(ServerSettings(database=str(path)), database, migrate=False)
    counter1 = support.slots_of(world, "counter-1")
    counter2 = support.slots_of(world, "counter-2")

    with TestClient(app) as client:

        def post(who: str, url: str, body: dict) -> dict:
            response = client.post(url, json=body, headers=world.headers(who))
            assert response.status_code in (200, 201), response.text
            return response.json()

        def at(hour: int, minute: int, second: int = 0, on: date = day) -> str:
            return FakeClock.wire(clock.set(FakeClock.local(on, hour, minute, second)))

        at(23, 59, 50, on=day - timedelta(days=1))
        post("agent", "/v1/calls", {})  # yesterday's: not in the export
        at(10, 0)
        one = post("agent", "/v1/calls", {"caller_id": world.callers["janez"]})["id"]
        r1 = post(
            "agent",
            "/v1/bookings",
            {"caller_id": world.callers["janez"], "slot_id": counter1[0], "call_id": one},
        )["reference"]
        ended = at(10, 4)
        at(10, 4, 50)
        post("agent", f"/v1/calls/{one}/wrapup", {"disposition": "booked", "ended_at": ended,
             "after_call_work_seconds": 50})  # fmt: skip
        at(10, 30)
        two = post("agent2", "/v1/calls", {"caller_id": world.callers["spela"]})["id"]
        at(10, 31)
        r2 = post(
            "agent2",
            "/v1/bookings",
            {"caller_id": world.callers["spela"], "slot_id": counter1[1], "call_id": two},
        )["reference"]
        at(10, 32)
        r3 = post(
            "agent2", f"/v1/bookings/{r2}/reschedule", {"slot_id": counter2[0], "call_id": two}
        )["reference"]
        ended = at(10, 33)
        at(10, 33, 20)
        post("agent2", f"/v1/calls/{two}/wrapup", {"disposition": "rescheduled",
             "ended_at": ended, "after_call_work_seconds": 20})  # fmt: skip
        at(11, 0)
        three = post("agent", "/v1/calls", {})["id"]
        at(11, 1)
        post("agent", f"/v1/bookings/{r1}/cancel", {"call_id": three})
        ended = at(11, 2, 30)
        at(11, 2, 40)
        post("agent", f"/v1/calls/{three}/wrapup", {"disposition": "cancelled",
             "ended_at": ended, "after_call_work_seconds": 10})  # fmt: skip
        at(23, 30)
        four = post("agent2", "/v1/calls", {})["id"]  # still open
        at(0, 0, 5, on=day + timedelta(days=1))
        post("agent", "/v1/calls", {})  # tomorrow's: not in the export
    database.dispose()
    a1, a2 = world.agents["agent"], world.agents["agent2"]
    expected = [
        [one, a1, "Test agent", "inbound", local(day, 10, 0), local(day, 10, 4),
         local(day, 10, 4, 50), 240, 50, 290, "booked", 1, 0, 0, f"{r1} booked",
         "Osebna izkaznica"],
        [two, a2, "Test agent2", "inbound", local(day, 10, 30), local(day, 10, 33),
         local(day, 10, 33, 20), 180, 20, 200, "rescheduled", 1, 1, 0,
         f"{r2} booked; {r3} rescheduled", "Osebna izkaznica"],
        [three, a1, "Test agent", "inbound", local(day, 11, 0), local(day, 11, 2, 30),
         local(day, 11, 2, 40), 150, 10, 160, "cancelled", 0, 0, 1, f"{r1} cancelled",
         "Osebna izkaznica"],
        [four, a2, "Test agent2", "inbound", local(day, 23, 30), None, None, None, None, None,
         None, 0, 0, 0, None, None],
    ]  # fmt: skip
    return path, day, expected


def as_text(row: list) -> list[str]:
    out = []
    for value in row:
        if value is None:
            out.append("")
        elif isinstance(value, datetime):
            out.append(value.strftime("%Y-%m-%d %H:%M:%S"))
        else:
            out.append(str(value))
    return out


def test_the_csv_has_every_call_of_the_day(day_of_calls, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    db, day, expected = day_of_calls
    out = tmp_path / "calls.csv"
    slovenian = f"{day.day}. {day.month}. {day.year}"
    result = run("export", "calls", "--date", slovenian, "-o", str(out), "--db", str(db))
    assert result.returncode == 0, result.stderr
    assert f"4 call(s) of {day.isoformat()} written to {out}" in result.stderr
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == list(HEADER)
    assert rows[1:] == [as_text(row) for row in expected]
    # To standard output, by ISO date.
    result = run("export", "calls", "--date", day.isoformat(), "--db", str(db))
    assert list(csv.reader(io.StringIO(result.stdout)))[1:] == [as_text(r) for r in expected]


def test_the_workbook_has_a_header_widths_and_real_dates(day_of_calls, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    db, day, expected = day_of_calls
    out = tmp_path / "calls.xlsx"
    result = run(
        "export", "calls", "--date", day.isoformat(), "--format", "xlsx", "-o", str(out),
        "--db", str(db),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    workbook = openpyxl.load_workbook(out)
    sheet = workbook.active
    assert sheet.title == f"Calls {day.isoformat()}"
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[0] == list(HEADER)
    assert values[1:] == expected
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    for index, column in enumerate(COLUMNS, start=1):
        letter = openpyxl.utils.get_column_letter(index)
        assert sheet.column_dimensions[letter].width == pytest.approx(column.width, abs=1)
    started = sheet.cell(row=2, column=HEADER.index("started_at") + 1)
    assert started.is_date and isinstance(started.value, datetime)
    assert started.number_format == "yyyy-mm-dd hh:mm:ss"


def test_the_default_workbook_name_and_a_bad_date(day_of_calls, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    db, day, _ = day_of_calls
    result = run("export", "calls", "--date", day.isoformat(), "--format", "xlsx", "--db",
                 str(db), cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert (tmp_path / f"calls-{day.isoformat()}.xlsx").is_file()
    result = run("export", "calls", "--date", "31. 2. 2026", "--db", str(db))
    assert result.returncode == 2 and "is not a date" in result.stderr
    result = run("export", "calls", "--format", "pdf", "--db", str(db))
    assert result.returncode == 2 and "invalid choice: 'pdf'" in result.stderr
    empty = day - timedelta(days=400)
    result = run("export", "calls", "--date", empty.isoformat(), "--db", str(db))
    assert result.returncode == 0 and result.stdout.strip() == ",".join(HEADER)


def test_the_floor_offers_the_same_export_over_http(day_of_calls, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    db, day, expected = day_of_calls
    database = Database.open(str(db))
    app = create_app(ServerSettings(database=str(db)), database, migrate=False)
    try:
        with TestClient(app) as client:
            supervisor = {"Authorization": f"Bearer {support.TOKENS['supervisor']}"}
            agent = {"Authorization": f"Bearer {support.TOKENS['agent']}"}
            url = "/v1/floor/calls/export"
            answer = client.get(url, params={"date": day.isoformat()}, headers=supervisor)
            assert answer.status_code == 200, answer.text
            assert answer.headers["content-type"].startswith("text/csv")
            assert f"calls-{day.isoformat()}.csv" in answer.headers["content-disposition"]
            assert answer.content.startswith(b"\xef\xbb\xbf")
            rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
            assert rows == [list(HEADER), *(as_text(row) for row in expected)]
            book = client.get(
                url, params={"date": day.isoformat(), "format": "xlsx"}, headers=supervisor
            )
            assert book.status_code == 200
            out = tmp_path / "over-http.xlsx"
            out.write_bytes(book.content)
            sheet = openpyxl.load_workbook(out).active
            assert [list(r) for r in sheet.iter_rows(values_only=True)][1:] == expected
            assert client.get(url, headers=agent).status_code == 403
            refused = client.get(url, params={"format": "pdf"}, headers=supervisor)
            assert refused.status_code == 422 and refused.json()["field"] == "format"
    finally:
        database.dispose()
