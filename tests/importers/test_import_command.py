"""``agent-console import``, run as a user would: a separate process, exit codes, summaries."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from synthetic_lists import GENERAL, KOLAR, write_general_list, write_sledilnik

COMMAND = [sys.executable, "-m", "console.cli"]


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*COMMAND, *args], capture_output=True, text=True, timeout=120, env=dict(os.environ)
    )


def _count(db: Path, table: str) -> int:
    with sqlite3.connect(db) as connection:
        return connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_help_names_the_import_commands() -> None:
    result = run("import", "--help")
    assert result.returncode == 0
    assert "zzzs" in result.stdout and "sledilnik" in result.stdout
    assert "zzzs" in run("--help").stdout


def test_import_zzzs_summarises_and_a_second_run_changes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "central.db"
    lists = write_general_list(tmp_path / "2026-08-22_zdravniki.xlsx", GENERAL)
    first = run("import", "zzzs", str(lists), "--db", str(db))
    assert first.returncode == 0, first.stderr
    assert (
        "2026-08-22_zdravniki.xlsx: SPLOŠNA DEJAVNOST of 21. 8. 2026: 5 doctors; 5 added, "
        "0 removed, 0 changed." in first.stdout
    )
    assert "5 not bookable" in first.stdout  # a bare database has no services
    assert "Imported in" in first.stdout
    assert "load 2026-08-22_zdravniki.xlsx" in first.stderr  # the progress bar
    assert _count(db, "providers") == 5

    second = run("import", "zzzs", str(lists), "--db", str(db))
    assert second.returncode == 0
    assert "is already loaded: nothing changed." in second.stdout


def test_a_malformed_file_exits_2_naming_the_row_and_column(tmp_path: Path) -> None:
    db = tmp_path / "central.db"
    good = write_general_list(tmp_path / "a.xlsx", GENERAL)
    assert run("import", "zzzs", str(good), "--db", str(db)).returncode == 0
    newer = write_general_list(tmp_path / "b.xlsx", [KOLAR.but(accepts="DA")], day="28.08.2026")
    bad = write_general_list(tmp_path / "c.xlsx", [KOLAR.but(accepts="JA")], day="29.08.2026")
    result = run("import", "zzzs", str(newer), str(bad), "--db", str(db))
    assert result.returncode == 2
    assert (
        "agent-console import: c.xlsx, row 5, column J ('Zdravnik še sprejema zavarovane "
        "osebe'): expected DA or NE, found 'JA'" in result.stderr
    )
    assert "Nothing was imported." in result.stderr
    assert _count(db, "directory_imports") == 1
    with sqlite3.connect(db) as connection:
        flag = connection.execute(
            "SELECT accepts_new_patients FROM providers WHERE code = 'zzzs-7774-302001-31225'"
        ).fetchone()[0]
    assert flag == 0  # the newer list in the same run was not applied either

    missing = run("import", "zzzs", str(tmp_path / "none.xlsx"), "--db", str(db))
    assert missing.returncode == 2
    assert "none.xlsx: no such file" in missing.stderr


def test_import_sledilnik_reports_the_match(tmp_path: Path) -> None:
    db = tmp_path / "central.db"
    lists = write_general_list(tmp_path / "a.xlsx", GENERAL)
    assert run("import", "zzzs", str(lists), "--db", str(db)).returncode == 0
    folder = write_sledilnik(
        tmp_path / "zdravniki",
        doctors=[
            {"doctor": "Kolar Miran", "type": "gp", "id_inst": "4221648", "accepts": "n"},
            {"doctor": "Dodatna ambulanta", "type": "gp-f", "id_inst": "4221648"},
        ],
        institutions=[
            {
                "id_inst": "4221648",
                "name": "MEDIKMIKO, STORITVE IN SVETOVANJE D.O.O.",
                "post": "3211 Škofja vas",
                "municipality": "Celje",
            }
        ],
        overrides=[],
    )
    result = run("import", "sledilnik", str(folder), "--db", str(db))
    assert result.returncode == 0, result.stderr
    assert "zdravniki: Sledilnik of 22. 8. 2026: 2 doctor rows, 1 matched" in result.stdout
    assert "not matched (e.g. Dodatna ambulanta (gp-f))" in result.stdout

    (folder / "institutions.csv").write_text("id,naziv\n1,x\n")
    broken = run("import", "sledilnik", str(folder), "--db", str(db))
    assert broken.returncode == 2
    assert "institutions.csv, row 1: the header has no column 'id_inst'" in broken.stderr


# --- agent-console seed with the real lists ---------------------------------------------------


def test_seed_uses_the_real_lists_when_asked(tmp_path: Path, real_data: Path) -> None:
    db = tmp_path / "central.db"
    result = run(
        "seed", "--db", str(db), "--callers", "100", "--days", "1",
        "--directory-data", str(real_data),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Health providers from the real lists:" in result.stdout
    assert "2026-08-22_zdravniki.xlsx: SPLOŠNA DEJAVNOST of 21. 8. 2026: 1,453 doctors" in (
        result.stdout
    )
    assert "zdravniki: Sledilnik of 22. 8. 2026: 3,126 doctor rows, 3,092 matched" in (
        result.stdout
    )
    assert _count(db, "locations") == 14 + 793


def test_seed_without_the_lists_says_it_generates_clinics(tmp_path: Path) -> None:
    db = tmp_path / "central.db"
    result = run("seed", "--db", str(db), "--callers", "50", "--days", "1")
    assert result.returncode == 0, result.stderr
    # The tests' configuration file is in a temporary folder: ../shared/data is not beside it.
    assert "No doctor lists at " in result.stderr
    assert "generated clinics instead." in result.stderr
    assert "Health providers from the real lists" not in result.stdout

    wrong = run("seed", "--db", str(tmp_path / "x.db"), "--directory-data", str(tmp_path))
    assert wrong.returncode == 1
    assert "no zzzs/ folder with the insurer's lists" in wrong.stderr
