"""``agent-console export reports``: the agents' reports as CSV for the data owner, run as a
separate process against a database with a known directory."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import directory_fixture
from support import build_world

from console.domain.models import Agent, ReportClose, ReportIn, ReportKind, Role
from console.server import reports
from console.server.db import Database
from console.server.migrate import upgrade
from console.server.reports import CSV_COLUMNS

COMMAND = [sys.executable, "-m", "console.cli"]


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*COMMAND, *args], capture_output=True, text=True, timeout=120, env=dict(os.environ)
    )


def _database_with_reports(path: Path) -> dict[str, int]:
    database = Database.open(str(path))
    upgrade(database.engine)
    world = build_world(database)
    found = directory_fixture.build_directory(database)
    agent = Agent(id=world.agents["agent"], name="Mojca", role=Role.AGENT)
    ids = {}
    with database.write() as connection:
        zupan = found.doctors["zupan"]
        ids["open"] = reports.create(
            connection, agent, zupan, ReportIn(kind=ReportKind.FULL, note="ambulanta: polni")
        ).id
        closed = reports.create(connection, agent, zupan, ReportIn(kind=ReportKind.CONTACT)).id
        reports.close(connection, agent, closed, ReportClose(resolution="phone fixed"))
        ids["closed"] = closed
    database.dispose()
    return ids


def test_open_reports_go_to_a_file_readable_by_spreadsheets(tmp_path: Path) -> None:
    db = tmp_path / "central.db"
    ids = _database_with_reports(db)
    out = tmp_path / "reports.csv"
    result = run("export", "reports", "-o", str(out), "--db", str(db))
    assert result.returncode == 0, result.stderr
    assert "1 open report(s) written" in result.stderr
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # a BOM: spreadsheet programs then read UTF-8
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == list(CSV_COLUMNS)
    assert len(rows) == 2
    assert str(ids["open"]) in rows[1]
    assert "ambulanta: polni" in rows[1]


def test_all_reports_to_standard_output(tmp_path: Path) -> None:
    db = tmp_path / "central.db"
    ids = _database_with_reports(db)
    result = run("export", "reports", "--status", "all", "--db", str(db))
    assert result.returncode == 0, result.stderr
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert {row[0] for row in rows[1:]} == {str(ids["open"]), str(ids["closed"])}
    assert "phone fixed" in result.stdout
    assert "2 all report(s) written to standard output" in result.stderr


def test_a_bad_status_is_refused_by_the_command_line(tmp_path: Path) -> None:
    result = run("export", "reports", "--status", "pending", "--db", str(tmp_path / "x.db"))
    assert result.returncode == 2
    assert "invalid choice: 'pending'" in result.stderr
