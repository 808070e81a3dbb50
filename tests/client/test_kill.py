"""Durability: SIGKILL the console with writes in its outbox, SIGKILL the server mid-replay —
nothing is lost and nothing happens twice."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import support
from sqlalchemy import func, select

from console.client.api import CentralApi
from console.client.cache import LocalCache
from console.client.outbox import DONE, PENDING, Outbox
from console.client.store import Store
from console.server.app import create_app
from console.server.db import Database
from console.server.schema import bookings, changes, idempotency_keys
from console.server.settings import ServerSettings

CONSOLE = """
import asyncio, json, sys
from console.client.api import CentralApi
from console.client.cache import LocalCache
from console.client.store import Store

async def main(url, token, cache_file, caller_id, slot_ids, pause):
    store = Store(CentralApi(url, token, timeout=2.0), LocalCache(cache_file))
    for slot_id in slot_ids:
        booking = await store.book(caller_id, slot_id=slot_id)
        print("queued", booking.reference, store.state, flush=True)
        await asyncio.sleep(pause)
    print("all queued", flush=True)
    await asyncio.sleep(3600)

asyncio.run(main(*json.loads(sys.argv[1])))
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class CentralProcess:
    """``uvicorn`` serving the central service in its own process, on a fixed port."""

    def __init__(self, database: str, log: Path) -> None:
        self.database = database
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        env = {**os.environ, "AGENT_CONSOLE_DATABASE": self.database}
        with self.log.open("a") as log:
            self.process = subprocess.Popen(
                [
                    *(sys.executable, "-m", "uvicorn", "--factory"),
                    "console.asgi:app_from_config",
                    *("--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning"),
                ],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(self.log.read_text())
            time.sleep(0.05)

    def kill(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)
            self.process = None


class FlakyLink:
    """A TCP relay between the desk and the service that can lose the service's answers: the
    request gets through and is done, then the connection drops before the answer arrives —
    the case only an idempotency key makes safe to retry."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.lose_answers = False
        self.lost = 0
        self.server: asyncio.Server | None = None

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        port = self.server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:  # the service is down: refuse, as it would
            writer.close()
            return

        async def pump(
            source: asyncio.StreamReader, target: asyncio.StreamWriter, answers: bool
        ) -> None:
            try:
                while data := await source.read(65536):
                    if answers and self.lose_answers:
                        self.lost += 1
                        break
                    target.write(data)
                    await target.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                target.close()

        await asyncio.gather(pump(reader, up_writer, False), pump(up_reader, writer, True))


@pytest.fixture
def world(tmp_path: Path, _sqlite_template: Path) -> Iterator[tuple[str, Database, support.World]]:
    path = tmp_path / "central.db"
    shutil.copyfile(_sqlite_template, path)
    database = Database.open(path)
    yield str(path), database, support.build_world(database, days=5, slots_per_day=14)
    database.dispose()


def in_process(url: str, database: Database) -> CentralApi:
    """The same service through httpx's ASGI transport: for warming the cache and replaying."""
    app = create_app(ServerSettings(database=url), database, migrate=False)
    return CentralApi(
        "http://central", support.TOKENS["agent"], transport=httpx.ASGITransport(app=app)
    )


async def warm_cache(url: str, database: Database, cache_file: Path) -> list[int]:
    """Fill the desk's cache while online; returns the ids of the free slots in its window."""
    store = Store(in_process(url, database), LocalCache(cache_file))
    assert await store.sync_once()
    free = [
        slot.id
        for service in store.cache.services()
        for slot in store.cache.free_slots(service.id, limit=1000)
    ]
    await store.aclose()
    return free


def effects(database: Database, slot_ids: list[int]) -> dict[str, int]:
    with database.read() as connection:
        booked = connection.execute(
            select(bookings.c.slot_id, func.count())
            .where(bookings.c.slot_id.in_(slot_ids), bookings.c.status == "confirmed")
            .group_by(bookings.c.slot_id)
        ).all()
        return {
            "slots": len(booked),
            "most_per_slot": max((n for _, n in booked), default=0),
            "bookings": connection.execute(select(func.count()).select_from(bookings)).scalar_one(),
            "keys": connection.execute(
                select(func.count()).where(idempotency_keys.c.endpoint == "POST /v1/bookings")
            ).scalar_one(),
            "feed": connection.execute(
                select(func.count()).where(changes.c.entity == "booking", changes.c.op == "created")
            ).scalar_one(),
        }


@pytest.mark.parametrize("when", ["all queued", "mid-stream"])
async def test_a_console_killed_with_queued_writes_loses_none(world, tmp_path: Path, when) -> None:  # type: ignore[no-untyped-def]
    url, database, the_world = world
    cache_file = tmp_path / "desk" / "desk.db"
    free = await warm_cache(url, database, cache_file)
    writes = 25
    slot_ids = free[:writes]
    dead = f"http://127.0.0.1:{_free_port()}"  # nothing listens there: the service is down
    arguments = [
        dead,
        support.TOKENS["agent"],
        str(cache_file),
        the_world.callers["janez"],
        slot_ids,
        0.0 if when == "all queued" else 0.01,
    ]
    console = subprocess.Popen(
        [sys.executable, "-c", CONSOLE, json.dumps(arguments)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    printed = []
    try:
        for line in console.stdout:  # type: ignore[union-attr]
            printed.append(line.split())
            if line.startswith("all queued") or (when == "mid-stream" and len(printed) == 10):
                break
    finally:
        console.send_signal(signal.SIGKILL)
        console.wait(timeout=10)
    assert console.returncode == -signal.SIGKILL, console.stderr.read()  # type: ignore[union-attr]
    queued = [p for p in printed if p[0] == "queued"]
    assert all(p[1].startswith("P-") and p[2] == "offline" for p in queued)

    cache = LocalCache(cache_file)
    pending = Outbox(cache.db).pending()
    cache.close()
    if when == "all queued":
        assert len(pending) == writes
    else:  # every write the console reported is there; maybe one more it had no time to print
        assert len(queued) <= len(pending) <= len(queued) + 1
    assert [e.payload["reference"] for e in pending[: len(queued)]] == [p[1] for p in queued]

    store = Store(in_process(url, database), LocalCache(cache_file))
    report = await store.replay()
    assert (report.done, report.remaining) == (len(pending), 0)
    again = await store.replay()
    assert again.sent == 0
    await store.aclose()
    n = len(pending)
    assert effects(database, slot_ids) == {
        "slots": n,
        "most_per_slot": 1,
        "bookings": n,
        "keys": n,
        "feed": n,
    }
    with database.read() as connection:
        keys = set(connection.execute(select(bookings.c.idempotency_key)).scalars())
    assert keys == {e.idempotency_key for e in pending}


async def test_a_server_killed_mid_replay_loses_and_duplicates_nothing(
    world, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    url, database, the_world = world
    cache_file = tmp_path / "desk" / "desk.db"
    free = await warm_cache(url, database, cache_file)
    writes = 120
    slot_ids = free[:writes]
    assert len(slot_ids) == writes
    central = CentralProcess(url, tmp_path / "uvicorn.log")
    link = FlakyLink(central.port)
    await link.start()
    store = Store(
        CentralApi(link.url, support.TOKENS["agent"], timeout=2.0), LocalCache(cache_file)
    )
    try:
        for slot_id in slot_ids:  # the service is not running yet: every write is queued
            await store.book(the_world.callers["spela"], slot_id=slot_id)
        # The first was sent online: the link took the connection and cut it without an
        # answer, so it may have been done. It is queued with the request as sent, and after
        # it a row that keeps its provisional reference (that request did not carry it).
        assert store.state == "offline" and store.outbox_size() == writes + 1
        assert store.outbox.next_pending().request["sent_online"]

        central.start()
        # 1. The service does a write, but its answer never arrives.
        replay = asyncio.create_task(store.replay())
        await until_done(store, writes // 4)
        link.lose_answers = True
        lost = await replay
        link.lose_answers = False
        assert lost.unreachable and link.lost >= 1
        stuck = store.outbox.next_pending()
        assert stuck.attempts == 1 and stuck.request is not None and stuck.last_error
        assert committed(database, stuck.idempotency_key)  # done on the service, not here

        # 2. kill -9 the service in the middle of the replay.
        replay = asyncio.create_task(store.replay())
        await until_done(store, writes // 2)
        central.kill()
        killed = await replay
        assert killed.unreachable and 0 < killed.remaining < writes
        assert store.state == "offline"

        # 3. It comes back: the rest goes, the unanswered write is answered from its key.
        central.start()
        last = await store.replay()
        assert not last.unreachable and last.remaining == 0
        assert lost.done + killed.done + last.done == writes + 1
        counts = store.outbox.counts()
        assert counts[DONE] == writes + 1 and counts[PENDING] == 0
        answered = store.outbox.get(stuck.seq)
        assert answered.state == DONE and answered.attempts == 2
    finally:
        await store.aclose()
        central.kill()
        await link.stop()
    assert effects(database, slot_ids) == {
        "slots": writes,
        "most_per_slot": 1,
        "bookings": writes,
        "keys": writes,
        "feed": writes,
    }


async def until_done(store: Store, done: int) -> None:
    deadline = time.monotonic() + 30
    while store.outbox.counts()[DONE] < done:
        assert time.monotonic() < deadline, "the replay stalled"
        await asyncio.sleep(0.002)


def committed(database: Database, key: str) -> bool:
    with database.read() as connection:
        found = connection.execute(
            select(func.count()).where(bookings.c.idempotency_key == key)
        ).scalar_one()
    return found == 1
