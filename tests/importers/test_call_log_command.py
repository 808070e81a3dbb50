"""``agent-console import queue-log`` and ``import cdr`` run as a user would: a separate
process, its exit code, its summary and its refusal of a bad line."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from synthetic_calls import Call, at, write_cdr, write_queue_log

COMMAND = [sys.executable, "-m", "console.cli"]
CALLS = [
    Call("1764661500.1", "041234567", at(2026, 11, 24, 8, 5), "abandon"),
    Call("1764661800.2", "031555111", at(2026, 11, 24, 8, 10), "answered"),
]


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*COMMAND, *args], capture_output=True, text=True, timeout=120, env=dict(os.environ)
    )


def _count(db: Path, table: str) -> int:
    with sqlite3.connect(db) as connection:
        return connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_import_queue_log_summarises_and_shows_progress(tmp_path: Path) -> None:
    db = tmp_path / "central.db"
    log = write_queue_log(tmp_path / "queue_log", CALLS)
    first = run("import", "queue-log", str(log), "--db", str(db))
    assert first.returncode == 0, first.stderr
    assert "queue_log (queue_log): 2 calls, 2 new" in first.stdout
    assert "callbacks: 1 opened" in first.stdout
    assert "Reading queue_log" in first.stderr and "Updating callbacks" in first.stderr
    again = run("import", "queue-log", str(log), "--db", str(db))
    assert "0 new, 0 updated, 2 already known" in again.stdout
    assert _count(db, "callbacks") == 1


def test_import_cdr_refuses_a_bad_line_of_any_file_and_writes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "central.db"
    good = write_cdr(tmp_path / "Master-1.csv", CALLS)
    bad = write_cdr(tmp_path / "Master.csv", CALLS, extra=['"","0412","600"'])
    result = run("import", "cdr", str(good), str(bad), "--db", str(db))
    assert result.returncode == 2
    assert "Master.csv, line 3, field columns: expected 16 fields" in result.stderr
    assert "Nothing was imported." in result.stderr
    assert _count(db, "telephony_calls") == 0


def test_the_commands_are_described() -> None:
    listed = run("import", "--help").stdout
    assert "queue-log" in listed and "cdr" in listed
    assert "ENTERQUEUE" in run("import", "queue-log", "--help").stdout
    assert "--context" in run("import", "cdr", "--help").stdout
    assert "telephony" in run("token", "create", "--help").stdout
