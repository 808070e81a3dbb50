"""Crash safety (issue 13, item 15): a storm of bookings against a real ``agent-console serve``
(its workers too, on PostgreSQL), SIGKILL to all of them in the middle, a restart, again. No
acknowledged booking is lost, none is made twice (the in-flight requests are retried with their
keys after the restart), no slot has two, and a reader of the change feed that followed it
through the crashes missed no row. Bounded: a few seconds of storm per crash."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import support
from serve_process import Serve
from sqlalchemy import func, select

from console.server.db import Database
from console.server.schema import bookings, changes

CRASHES = 2
STORM_SECONDS = 2.0
CLIENTS = 12


@dataclass
class Ledger:
    """What the clients were told, and what they still do not know."""

    acknowledged: dict[str, str] = field(default_factory=dict)  # key -> reference
    unanswered: dict[str, tuple[int, int]] = field(default_factory=dict)  # key -> slot, caller
    refused: dict[str, int] = field(default_factory=dict)  # key -> status
    feed: list[int] = field(default_factory=list)  # the sequence numbers a reader saw
    cursor: int = 0
    cut_off: int = 0  # requests in flight when the server was killed


async def _book(
    client: httpx.AsyncClient, ledger: Ledger, key: str, slot: int, caller: int
) -> None:
    try:
        response = await client.post(
            "/v1/bookings",
            json={"caller_id": caller, "slot_id": slot},
            headers={"Idempotency-Key": key},
        )
    except httpx.TransportError:
        ledger.unanswered[key] = (slot, caller)
        return
    if response.status_code == 201:
        ledger.acknowledged[key] = response.json()["reference"]
        ledger.unanswered.pop(key, None)
    elif response.status_code == 503:
        ledger.unanswered[key] = (slot, caller)  # busy: not done; retried like the lost ones
    else:
        ledger.refused[key] = response.status_code


async def _follow(client: httpx.AsyncClient, ledger: Ledger, stop: asyncio.Event) -> None:
    """Read the change feed as a desk does, through the crash."""
    while not stop.is_set():
        try:
            page = (await client.get("/v1/changes", params={"since": ledger.cursor})).json()
        except (httpx.TransportError, ValueError):
            await asyncio.sleep(0.05)
            continue
        ledger.feed += [change["seq"] for change in page["changes"]]
        ledger.cursor = page["last_seq"]
        if not page["changes"]:
            await asyncio.sleep(0.02)


async def _storm(serve: Serve, world: support.World, ledger: Ledger, slots, round_: int) -> None:  # type: ignore[no-untyped-def]
    stop = asyncio.Event()
    callers = list(world.callers.values())
    headers = world.headers("agent")
    limits = httpx.Limits(max_connections=CLIENTS + 2)
    async with httpx.AsyncClient(
        base_url=serve.url, headers=headers, timeout=10, limits=limits
    ) as client:

        async def booker(number: int) -> None:
            while not stop.is_set():
                slot = next(slots, None)
                if slot is None:
                    return
                await _book(client, ledger, f"storm-{round_}-{slot}", slot, callers[number % 3])

        tasks = [asyncio.create_task(booker(n)) for n in range(CLIENTS)]
        follower = asyncio.create_task(_follow(client, ledger, stop))
        await asyncio.sleep(STORM_SECONDS)
        await asyncio.to_thread(serve.kill)  # mid-storm: requests are in flight
        stop.set()
        await asyncio.gather(*tasks, follower)
    ledger.cut_off += len(ledger.unanswered)


async def _settle(serve: Serve, world: support.World, ledger: Ledger) -> None:
    """After a restart: retry every request whose answer was lost, with its key; read the feed
    to its end."""
    async with httpx.AsyncClient(
        base_url=serve.url, headers=world.headers("agent"), timeout=30
    ) as client:
        for key, (slot, caller) in sorted(ledger.unanswered.items()):
            await _book(client, ledger, key, slot, caller)
        stop = asyncio.Event()
        end = (await client.get("/v1/changes/latest")).json()["last_seq"]
        follower = asyncio.create_task(_follow(client, ledger, stop))
        while ledger.cursor < end:
            await asyncio.sleep(0.02)
        stop.set()
        await follower


@pytest.mark.slow
def test_15_no_acknowledged_booking_lost_or_doubled_across_kill_9(
    database_url_param: str, tmp_path: Path
) -> None:
    database = Database.open(database_url_param)
    world = support.build_world(database, days=10, slots_per_day=40)
    workers = 1 if database.dialect == "sqlite" else 2
    serve = Serve(database_url_param, tmp_path / "serve.log", workers=workers)
    ledger = Ledger()
    slots = iter(sorted(world.slots))
    serve.start()
    serve.wait_for_workers()
    try:
        for round_ in range(CRASHES):
            asyncio.run(_storm(serve, world, ledger, slots, round_))
            serve.start()
            serve.wait_for_workers()
            asyncio.run(_settle(serve, world, ledger))
    finally:
        serve.stop()

    assert len(ledger.acknowledged) > 50, serve.log.read_text()[-3000:]
    assert ledger.cut_off > 0  # the kills did catch requests in flight
    assert ledger.unanswered == {}  # every lost answer was retried and answered
    assert ledger.refused == {}  # each key had a slot of its own: nothing to refuse
    with database.read() as connection:
        rows = connection.execute(
            select(bookings.c.idempotency_key, bookings.c.reference, bookings.c.status)
        ).all()
        doubled = connection.execute(
            select(bookings.c.slot_id)
            .where(bookings.c.status.in_(("confirmed", "no_show")))
            .group_by(bookings.c.slot_id)
            .having(func.count() > 1)
        ).all()
        feed = connection.execute(select(changes.c.seq).order_by(changes.c.seq)).scalars().all()
        created = connection.execute(
            select(func.count()).where(changes.c.entity == "booking", changes.c.op == "created")
        ).scalar_one()
    database.dispose()
    stored = {row.idempotency_key: row.reference for row in rows}
    # None lost: every booking a client was told about is there, as it was told.
    for key, reference in ledger.acknowledged.items():
        assert stored.get(key) == reference, key
    # None doubled: one booking per key, one active booking per slot, one feed row per booking.
    assert len(rows) == len(stored) == len(ledger.acknowledged)
    assert {row.status for row in rows} == {"confirmed"}
    assert doubled == []
    assert created == len(rows)
    # No gap: the reader that followed the feed through the crashes saw every row, in order.
    assert ledger.feed == sorted(set(ledger.feed))
    assert set(ledger.feed) == set(feed)
