"""``agent-console backup`` while desks book: the copy holds every booking acknowledged before
the backup began, is consistent, and serves again once restored."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
import support
from fastapi.testclient import TestClient
from served import Central

from console import cli
from console.server.app import create_app
from console.server.db import Database
from console.server.migrate import upgrade
from console.server.settings import ServerSettings

COMMAND = [sys.executable, "-m", "console.cli"]
WRITERS = 8


class Storm:
    """Desks booking free slots as fast as the service answers, each its own share of them;
    every acknowledged booking is noted with the moment its answer came."""

    def __init__(self, url: str, world: support.World) -> None:
        self.url = url
        self.world = world
        self.acknowledged: list[tuple[float, str]] = []
        self.stopping = threading.Event()
        self.errors: list[str] = []
        self._lock = threading.Lock()
        self._threads = [
            threading.Thread(target=self._desk, args=(n,), daemon=True) for n in range(WRITERS)
        ]

    def _desk(self, number: int) -> None:
        mine = self.world.slots[number::WRITERS]
        callers = list(self.world.callers.values())
        with httpx.Client(base_url=self.url, headers=self.world.headers(), timeout=30) as client:
            for index, slot in enumerate(mine):
                if self.stopping.is_set():
                    return
                answer = client.post(
                    "/v1/bookings",
                    json={"caller_id": callers[index % len(callers)], "slot_id": slot},
                    headers={"Idempotency-Key": f"storm-{number}-{index:05d}"},
                )
                if answer.status_code != 201:
                    self.errors.append(answer.text)
                    return
                with self._lock:
                    self.acknowledged.append((time.monotonic(), answer.json()["reference"]))

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self.stopping.set()
        for thread in self._threads:
            thread.join(30)

    def running(self) -> bool:
        return all(thread.is_alive() for thread in self._threads)

    def count(self) -> int:
        with self._lock:
            return len(self.acknowledged)

    def before(self, moment: float) -> set[str]:
        with self._lock:
            return {reference for at, reference in self.acknowledged if at < moment}


@pytest.fixture
def served(tmp_path: Path):  # type: ignore[no-untyped-def]
    path = tmp_path / "central.db"
    database = Database.open(path)
    upgrade(database.engine)
    # Slots enough that the desks are still booking when the backup ends (3,000).
    world = support.build_world(database, days=25, slots_per_day=40)
    central = Central(database, str(path))
    central.start()
    yield path, central, world
    central.stop()
    database.dispose()


def test_a_backup_under_a_storm_of_bookings_holds_every_acknowledged_one(
    served, tmp_path: Path
) -> None:
    path, central, world = served
    copy = tmp_path / "backups" / "central-copy.db"
    copy.parent.mkdir()
    storm = Storm(central.url, world)
    storm.start()
    try:
        deadline = time.monotonic() + 60
        while storm.count() < 40 and time.monotonic() < deadline:
            time.sleep(0.01)
        began = time.monotonic()
        done = subprocess.run(
            [*COMMAND, "backup", "--db", str(path), "--to", str(copy)],
            capture_output=True,
            text=True,
            timeout=120,
            env=os.environ,
        )
        ended = time.monotonic()
        while storm.count() < len(storm.before(ended)) + 20 and storm.running():
            time.sleep(0.01)
        assert storm.running(), "the desks ran out of slots before the backup ended"
    finally:
        storm.stop()
    assert done.returncode == 0, done.stderr
    assert "Backed up" in done.stdout and "checked" in done.stdout
    assert not storm.errors, storm.errors[:3]
    acknowledged_before = storm.before(began)
    assert len(acknowledged_before) >= 40

    assert not Path(f"{copy}-wal").exists()  # one self-contained file
    reader = sqlite3.connect(copy)
    try:
        in_copy = {row[0] for row in reader.execute("SELECT reference FROM bookings")}
        booked_slots = reader.execute("SELECT count(*) FROM slots WHERE status = 'booked'")
        booked_slots = booked_slots.fetchone()[0]
        keys = reader.execute("SELECT count(*) FROM idempotency_keys").fetchone()[0]
        assert reader.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        reader.close()
    assert acknowledged_before <= in_copy
    # One moment's database: each booking with its slot taken and its key stored.
    assert booked_slots == len(in_copy) == keys
    assert len(in_copy) <= storm.count()


def test_a_restored_copy_serves_its_bookings(served, tmp_path: Path) -> None:
    path, central, world = served
    with httpx.Client(base_url=central.url, headers=world.headers()) as client:
        booked = client.post(
            "/v1/bookings", json={"caller_id": world.callers["janez"], "slot_id": world.slots[0]}
        ).json()
    copy = tmp_path / "copy.db"
    assert cli.main(["backup", "--db", str(path), "--to", str(copy)]) == 0
    restored_path = tmp_path / "restored" / "central.db"
    restored_path.parent.mkdir()
    restored_path.write_bytes(copy.read_bytes())  # the README's restore: copy it into place
    restored = Database.open(restored_path)
    app = create_app(ServerSettings(database=str(restored_path)), restored)
    with TestClient(app) as client:
        found = client.get(f"/v1/bookings/{booked['reference']}", headers=world.headers())
        assert found.status_code == 200 and found.json()["status"] == "confirmed"
    restored.dispose()


def test_backup_refuses_what_it_cannot_do(served, tmp_path: Path, capsys) -> None:
    path, _central, _world = served
    copy = tmp_path / "copy.db"
    assert cli.main(["backup", "--db", str(path), "--to", str(copy)]) == 0
    assert cli.main(["backup", "--db", str(path), "--to", str(copy)]) == 2
    assert "exists" in capsys.readouterr().err
    assert cli.main(["backup", "--db", str(path), "--to", str(copy), "--force"]) == 0
    assert cli.main(["backup", "--db", str(path), "--to", str(path)]) == 2
    assert cli.main(["backup", "--db", str(tmp_path / "none.db"), "--to", str(copy)]) == 2
    assert "no such database file" in capsys.readouterr().err
    assert not (tmp_path / "none.db").exists()
    url = "postgresql://ac:secret@db.example/agent_console"
    assert cli.main(["backup", "--db", url, "--to", str(copy)]) == 2
    said = capsys.readouterr().err
    assert "pg_dump --format=custom" in said and "pg_restore" in said
