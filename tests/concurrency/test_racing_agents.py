"""Many agents racing for the same slots through real HTTP (uvicorn on loopback)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import support
from sqlalchemy import func, select

from console.domain.models import Role
from console.server.agents import create_agent
from console.server.db import Database
from console.server.schema import bookings

AGENTS = 40
SLOTS = 10


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def served(
    database_url_param: str, tmp_path: Path
) -> Iterator[tuple[str, Database, support.World, list[str]]]:
    """The central service under uvicorn in its own process, over a known world."""
    database = Database.open(database_url_param)
    world = support.build_world(database, days=1, slots_per_day=SLOTS)
    tokens = []
    with database.write() as connection:
        for index in range(AGENTS):
            _, token = create_agent(connection, f"Line {index + 1}", Role.AGENT)
            tokens.append(token)
    port = _free_port()
    env = {**os.environ, "AGENT_CONSOLE_DATABASE": database_url_param}
    log = (tmp_path / "uvicorn.log").open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "console.asgi:app_from_config",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((tmp_path / "uvicorn.log").read_text())
            time.sleep(0.1)
        yield url, database, world, tokens
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()
        database.dispose()


def _race(url: str, tokens: list[str], request) -> list[httpx.Response]:
    barrier = threading.Barrier(len(tokens))
    results: list[httpx.Response | None] = [None] * len(tokens)

    def run(index: int) -> None:
        with httpx.Client(
            base_url=url, timeout=60, headers={"Authorization": f"Bearer {tokens[index]}"}
        ) as client:
            barrier.wait()
            results[index] = request(client, index)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(tokens))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(r is not None for r in results)
    return results  # type: ignore[return-value]


def test_forty_agents_race_for_ten_slots(served) -> None:
    url, database, world, tokens = served
    slot_ids = support.slots_of(world, "dr-novak")
    assert len(slot_ids) == SLOTS
    caller = world.callers["janez"]

    def book(client: httpx.Client, index: int) -> httpx.Response:
        return client.post(
            "/v1/bookings", json={"caller_id": caller, "slot_id": slot_ids[index % SLOTS]}
        )

    results = _race(url, tokens, book)
    statuses = Counter(r.status_code for r in results)
    assert statuses == {201: SLOTS, 409: AGENTS - SLOTS}, [r.text for r in results]
    for response in results:
        if response.status_code == 409:
            assert response.json()["error"] in ("slot_booked", "slot_held")
            assert response.json()["message"]
    won = sorted(r.json()["slot"]["id"] for r in results if r.status_code == 201)
    assert won == sorted(slot_ids)
    with database.read() as connection:
        per_slot = connection.execute(
            select(bookings.c.slot_id, func.count())
            .where(bookings.c.status == "confirmed")
            .group_by(bookings.c.slot_id)
        ).all()
    assert sorted(slot for slot, _ in per_slot) == sorted(slot_ids)
    assert all(count == 1 for _, count in per_slot)


def test_forty_agents_hold_then_book_the_same_ten_slots(served) -> None:
    url, database, world, tokens = served
    slot_ids = support.slots_of(world, "dr-novak")
    caller = world.callers["spela"]

    def hold_and_book(client: httpx.Client, index: int) -> httpx.Response:
        hold = client.post("/v1/holds", json={"slot_id": slot_ids[index % SLOTS]})
        if hold.status_code != 201:
            return hold
        return client.post("/v1/bookings", json={"caller_id": caller, "hold_id": hold.json()["id"]})

    results = _race(url, tokens, hold_and_book)
    statuses = Counter(r.status_code for r in results)
    assert statuses == {201: SLOTS, 409: AGENTS - SLOTS}, [r.text for r in results]
    with database.read() as connection:
        total = connection.execute(select(func.count()).select_from(bookings)).scalar_one()
    assert total == SLOTS


def test_a_retried_booking_with_one_key_books_once_and_answers_the_same(served) -> None:
    url, database, world, tokens = served
    slot = support.slots_of(world, "dr-novak")[0]
    body = {"caller_id": world.callers["marija"], "slot_id": slot}
    same_agent = [tokens[0]] * 8

    def retry(client: httpx.Client, index: int) -> httpx.Response:
        return client.post(
            "/v1/bookings", json=body, headers={"Idempotency-Key": "line-1-retry-0001"}
        )

    results = _race(url, same_agent, retry)
    assert {r.status_code for r in results} == {201}, [r.text for r in results]
    assert len({r.text for r in results}) == 1
    with database.read() as connection:
        total = connection.execute(select(func.count()).select_from(bookings)).scalar_one()
    assert total == 1
    # A later retry, sequentially, gets the same answer too.
    late = httpx.post(
        f"{url}/v1/bookings",
        json=body,
        timeout=30,
        headers={"Authorization": f"Bearer {tokens[0]}", "Idempotency-Key": "line-1-retry-0001"},
    )
    assert late.status_code == 201 and late.json() == results[0].json()


def test_forty_agents_booking_at_once_queue_and_never_get_a_500(served) -> None:
    """Each agent books ten slots one after another, starting at its own place: every slot is
    wanted by many agents at once, and writers queue for the database (on SQLite, one at a
    time). Every answer is 201 or 409, never a 500 or a 503; each slot is booked once."""
    url, database, world, tokens = served
    caller = world.callers["janez"]
    per_agent = 10

    def book_ten(client: httpx.Client, index: int) -> list[httpx.Response]:
        return [
            client.post(
                "/v1/bookings",
                json={
                    "caller_id": caller,
                    "slot_id": world.slots[(index + step) % len(world.slots)],
                },
                headers={"Idempotency-Key": f"agent-{index:02d}-booking-{step:02d}"},
            )
            for step in range(per_agent)
        ]

    answers = [r for rs in _race(url, tokens, book_ten) for r in rs]
    statuses = Counter(r.status_code for r in answers)
    assert set(statuses) <= {201, 409}, [r.text for r in answers if r.status_code not in (201, 409)]
    assert statuses[201] == len(world.slots)
    with database.read() as connection:
        per_slot = dict(
            connection.execute(
                select(bookings.c.slot_id, func.count())
                .where(bookings.c.status == "confirmed")
                .group_by(bookings.c.slot_id)
            ).all()
        )
    assert per_slot == {slot: 1 for slot in world.slots}
