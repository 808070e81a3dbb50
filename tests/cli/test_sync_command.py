"""``agent-console sync``: the desk's outbox without the console, run as a user would (a
separate process) against a real central service on loopback that is stopped and started."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
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
    # The product's timeout: the first sync reads everything, and CI's load made 1 s too short
    # for it; the service "down" below refuses connections, which no timeout waits for.
    store = Store.open(CentralApi(served.url, token, timeout=5.0), data_path)
    try:
        assert await store.sync_once(), store.last_error
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


# -- without --server: every outbox of this home, as the README shows it ---------------------------


def home_files() -> set[str]:
    """The databases in this home (the replay's lock file aside)."""
    return {p.name for p in Path(os.environ["AGENT_CONSOLE_DATA_DIR"]).glob("*.db")}


def readme_sync(*args: str, token: str | None = None) -> subprocess.CompletedProcess:
    """``agent-console sync ARGS`` exactly as the README shows it (no --server); the token,
    as a networked desk has it, from its environment."""
    env = {**os.environ, "COLUMNS": "200"}
    if token:
        env["AGENT_CONSOLE_TOKEN"] = token
    return subprocess.run(
        [*COMMAND, "sync", *args], capture_output=True, text=True, timeout=120, env=env
    )


async def queue_offline_booking(served: Central) -> tuple[Store, str]:
    """A desk started with --server (nothing in its config) books while the service is
    down; returns the desk's Store (closed) and the provisional reference."""
    data_path = Path(os.environ["AGENT_CONSOLE_DATA_DIR"])
    store = Store.open(CentralApi(served.url, support.TOKENS["agent"], timeout=5.0), data_path)
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
    finally:
        await store.aclose()
    return store, booking.reference


async def test_sync_without_server_finds_the_outbox_of_every_service_this_home_used(
    central,
) -> None:  # type: ignore[no-untyped-def]
    served, database = central
    _store, reference = await queue_offline_booking(served)
    before = home_files()

    status = readme_sync("--status")
    assert status.returncode == 0, status.stderr
    assert f"Central service {served.url}" in status.stdout
    assert "1 queued, 0 sent" in status.stdout and reference in status.stdout
    assert "No local cache" not in status.stdout and "nothing is queued" not in status.stdout

    down = readme_sync(token=support.TOKENS["agent"])
    assert down.returncode == 1, down.stdout + down.stderr
    assert f"cannot reach the central service at {served.url}" in down.stderr
    assert home_files() == before  # nothing seeded, nothing created

    served.start()
    up = readme_sync(token=support.TOKENS["agent"])
    assert up.returncode == 0, up.stdout + up.stderr
    assert f"Sent 1 queued write(s) to {served.url}" in up.stdout
    with database.read() as connection:
        assert len(connection.execute(select(bookings)).all()) == 1
    assert home_files() == before
    again = readme_sync("--status")
    assert "0 queued, 1 sent" in again.stdout


def test_sync_in_a_home_without_an_outbox_seeds_nothing() -> None:
    for args in (("--status",), ()):
        result = readme_sync(*args)
        assert result.returncode == 0, result.stderr
        assert "nothing is queued" in result.stdout
    assert home_files() == set()  # no demo database, no cache: nothing was made


async def test_a_settled_conflict_is_not_listed_as_a_write_not_done(central) -> None:  # type: ignore[no-untyped-def]
    served, _database = central
    data_path = Path(os.environ["AGENT_CONSOLE_DATA_DIR"])
    _store, reference = await queue_offline_booking(served)
    served.start()
    with httpx.Client(base_url=served.url, headers=support.World().headers("agent2")) as other:
        pending = Store.open(
            CentralApi(served.url, support.TOKENS["agent"], timeout=5.0), data_path
        )
        try:
            entry = pending.outbox.pending()[0]
            taken = other.post(
                "/v1/bookings",
                json={"caller_id": entry.payload["caller_id"], "slot_id": entry.payload["slot_id"]},
            )
            assert taken.status_code == 201, taken.text
            assert await pending.sync_once()
            [issue] = pending.conflicts()
            shown = readme_sync("--status").stdout
            assert "Writes not (yet) done" in shown and reference in shown
            pending.issues.dismiss(issue, "called her: she will call again")
        finally:
            await pending.aclose()
    shown = readme_sync("--status").stdout
    assert "1 conflicts, 0 refused (1 of them settled by the agent)" in shown
    assert "Writes not (yet) done" not in shown and "No open sync issues." in shown
