"""SQLite gives the space of pruned rows back: a new database file is created with incremental
auto-vacuum and shrinks after ``prune``; an older one is told how to switch, and ``prune
--vacuum`` switches it once."""

from __future__ import annotations

import os
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
import support
from fastapi.testclient import TestClient

from console import cli
from console.server import clock
from console.server.app import create_app
from console.server.db import Database
from console.server.migrate import upgrade
from console.server.retention import auto_vacuum_mode
from console.server.settings import ServerSettings


def file_bytes(path: Path) -> int:
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    return path.stat().st_size + (
        os.path.getsize(f"{path}-wal") if Path(f"{path}-wal").exists() else 0
    )


def many_keyed_writes(path: Path, count: int = 300) -> None:
    """New callers, each with an Idempotency-Key (the stored answer is most of a key's bytes)."""
    database = Database.open(path)
    upgrade(database.engine)
    world = support.build_world(database)
    app = create_app(ServerSettings(database=str(path)), database, migrate=False)
    with TestClient(app) as client:
        for number in range(count):
            made = client.post(
                "/v1/callers",
                json={"first_name": "Ana", "last_name": f"Kos{number}", "notes": "x" * 800},
                headers={**world.headers(), "Idempotency-Key": f"desk1-{number:06d}"},
            )
            assert made.status_code == 201, made.text
    database.dispose()


def later(monkeypatch: pytest.MonkeyPatch) -> None:
    real = clock.now
    monkeypatch.setattr(clock, "now", lambda: real() + timedelta(days=45))


def test_a_new_database_shrinks_after_a_prune(tmp_path: Path, monkeypatch, capsys) -> None:
    path = tmp_path / "central.db"
    many_keyed_writes(path)
    database = Database.open(path)
    assert auto_vacuum_mode(database) == "incremental"
    database.dispose()
    before = file_bytes(path)
    later(monkeypatch)
    assert cli.main(["prune", "--db", str(path)]) == 0
    printed = capsys.readouterr().out
    assert "given back to the file system" in printed
    assert file_bytes(path) < before


def test_an_older_database_is_told_and_switched_once(tmp_path: Path, monkeypatch, capsys) -> None:
    path = tmp_path / "central.db"
    with sqlite3.connect(path) as old:  # as an earlier version created its files
        old.execute("PRAGMA journal_mode=WAL").fetchall()
    many_keyed_writes(path)
    database = Database.open(path)
    assert auto_vacuum_mode(database) == "none"
    database.dispose()
    later(monkeypatch)

    assert cli.main(["prune", "--db", str(path)]) == 0
    told = capsys.readouterr().out
    assert "reuses the space" in told and "agent-console prune --vacuum" in told
    kept = file_bytes(path)  # the space is free inside the file, not given back

    assert cli.main(["prune", "--vacuum", "--db", str(path)]) == 0
    switched = capsys.readouterr().out
    assert "Rewriting the file" in switched
    database = Database.open(path)
    assert auto_vacuum_mode(database) == "incremental"
    database.dispose()
    assert file_bytes(path) < kept
    assert cli.main(["prune", "--vacuum", "--db", str(path)]) == 0
    assert "already gives pruned space back" in capsys.readouterr().out
