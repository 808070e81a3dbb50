"""``agent-console sync``: the desk's outbox without the console, run as a user would (a
separate process) against a real central service on loopback that is stopped and started."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import support
from harness import served_world
from served import Central
from sqlalchemy import select

from console.client.api import CentralApi
from console.client.store import Store
from console.desk import Desk
from console.server.db import Database
from console.server.schema import bookings

COMMAND = [sys.executable, "-m", "console.cli"]


@pytest.fixture
def central(tmp_path: Path, _sqlite_template: Path) -> Iterator[tuple[Central, Database]]:
    with served_world(_sqlite_template, tmp_path, days=2, slots_per_day=4) as (served, db, _):
        yield served, db


def sync(
    *args: str, server: str | None = None, token: str | None = None
) -> subprocess.CompletedProcess:
    """``agent-console [--server URL --token T] sync ARGS`` on this test's data directory."""
    options = [*(["--server", server] if server else []), *(["--token", token] if token else [])]
    return subprocess.run(
        [*COMMAND, *options, "sync", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "200"},
    )


async def test_sync_shows_the_outbox_refuses_while_down_and_replays_when_up(central) -> None:
    served, database = central
    token = support.TOKENS["agent"]
    # A desk that was online once, then booked for Marija while the service was down.
    data_path = Path(os.environ["AGENT_CONSOLE_DATA_DIR"])
    store = Store.open(CentralApi(served.url, token, timeout=1.0), data_path)
    try:
        assert await store.sync_once()
        desk = Desk(store)
        await desk.connect()
        found = await desk.search("01 234 56 78")
        await desk.open_caller(found.callers[0].id)
        slot = (await desk.find_slots(desk.services[0].id))[0]
        served.stop()
        await desk.hold_slot(slot.id)
        booking = await desk.confirm()
        assert booking.reference.startswith("P-")
        queued = store.outbox_size()
        assert queued == 1
    finally:
        await store.aclose()

    status = sync("--status", server=served.url)
    assert status.returncode == 0, status.stderr
    assert f"{queued} queued, 0 sent" in status.stdout
    assert booking.reference in status.stdout and "Marija Novak" in status.stdout
    assert "Last sync" in status.stdout

    down = sync(server=served.url, token=token)
    assert down.returncode == 1
    assert f"cannot reach the central service at {served.url}" in down.stderr
    assert "stay queued; nothing is lost" in down.stderr

    served.start()
    up = subprocess.run(  # the options may follow the subcommand too
        [*COMMAND, "sync", "--server", served.url, "--token", token],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert up.returncode == 0, up.stdout + up.stderr
    assert f"Sent {queued} queued write(s)" in up.stdout and "0 conflict(s)" in up.stdout
    with database.read() as connection:
        made = connection.execute(select(bookings)).all()
    assert [(b.slot_id, b.status) for b in made] == [(slot.id, "confirmed")]
    assert f"0 queued, {queued} sent" in sync("--status", server=served.url).stdout


def test_sync_without_a_token_says_how_to_give_one(central) -> None:
    served, _database = central
    result = sync(server=served.url)
    assert result.returncode == 2
    assert "no token for the central service" in result.stderr


def test_sync_status_before_any_offline_work_says_nothing_is_queued(central) -> None:
    served, _database = central
    result = sync("--status", server=served.url)
    assert result.returncode == 0
    assert "nothing is queued" in result.stdout
