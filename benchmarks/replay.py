"""Offline replay: a desk queues 1,000 writes while the central service is down (calls, their
bookings and wrap-ups, a few new callers), the service comes back, and ``Store.replay()`` is
timed until the outbox is empty.

The service runs under uvicorn in a subprocess; the Store is the console's own
(``console.client.store.Store``) with its cache and outbox on a scratch directory.
"""

from __future__ import annotations

import asyncio
import math
import random
import tempfile
import time
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import text

from benchmarks.dataset import Dataset
from benchmarks.report import Row, judge
from benchmarks.server import ApiServer
from benchmarks.workload import bench_tokens, utcnow
from console.client.api import CentralApi
from console.client.store import Store
from console.domain.models import CallerIn, WrapUpIn

WRITES = 1_000
NEW_CALLERS = 10  # each: create the caller, start a call, book, wrap up (4 writes)
TARGET_SECONDS = 10.0
WINDOW_DAYS = 5  # the Store's slot window: enough free slots to book offline


@dataclass
class Result:
    seconds: float
    queued: int
    writes: int
    done: int
    conflicts: int
    failed: int
    remaining: int
    queue_seconds: float
    prime_seconds: float
    bookings: int
    wrapped_calls: int
    created_callers: int
    server_cpu: float = math.nan


async def _queue(store: Store, caller_ids: list[int], rng: random.Random, writes: int) -> None:
    """Make ``writes`` writes while the service is unreachable: a few new callers, then calls
    with a booking and a wrap-up each (and a call that only informed, to make the count)."""
    services = [s.id for s in store.cache.services()]
    calls, extra = divmod(writes - 4 * NEW_CALLERS, 3)
    wanted = calls + NEW_CALLERS
    slot_ids: list[int] = []
    start = utcnow() + timedelta(hours=2)
    for service in services:
        page = await store.slots(service, start=start, limit=500)
        slot_ids += [s.id for s in page.slots]
    if len(slot_ids) < wanted:
        raise RuntimeError(f"only {len(slot_ids)} free slots in the desk's window; {wanted} needed")
    rng.shuffle(slot_ids)
    wrap = WrapUpIn(disposition="booked", notes="Booked while the central service was down.")
    for number in range(NEW_CALLERS + calls):
        if number < NEW_CALLERS:
            caller = await store.create_caller(
                CallerIn(
                    first_name="Zala",
                    last_name=f"Izpad-{number}",
                    phones=[f"+38641{rng.randrange(10**6):06d}"],
                )
            )
            caller_id = caller.id
        else:
            caller_id = caller_ids[number % len(caller_ids)]
        call = await store.start_call(caller_id)
        await store.book(caller_id, slot_id=slot_ids[number], call_id=call.id)
        await store.wrap_up(call.id, wrap)
    if extra:
        call = await store.start_call(caller_ids[0])
        if extra == 2:
            await store.wrap_up(call.id, WrapUpIn(disposition="information"))


async def _run(
    dataset: Dataset, server: ApiServer, token: str, rng: random.Random, writes: int
) -> Result:
    with tempfile.TemporaryDirectory(prefix="bench-desk-") as desk:
        store = Store.open(CentralApi(server.url, token, timeout=10), desk, window_days=WINDOW_DAYS)
        try:
            began = time.perf_counter()
            if not await store.sync_once():
                raise RuntimeError(f"the Store could not sync: {store.last_error}")
            prime = time.perf_counter() - began
            server.stop()
            caller_ids = [rng.randint(1, dataset.callers) for _ in range(500)]
            began = time.perf_counter()
            await _queue(store, caller_ids, rng, writes)
            queue_seconds = time.perf_counter() - began
            queued = store.outbox_size()
            server.start()
            await store.api.health()  # the service is up: what is timed is the replay
            report = await store.replay()
            return Result(
                seconds=report.seconds,
                queued=queued,
                writes=writes,
                done=report.done,
                conflicts=report.conflicts,
                failed=report.failed,
                remaining=store.outbox_size(),
                queue_seconds=queue_seconds,
                prime_seconds=prime,
                bookings=0,
                wrapped_calls=0,
                created_callers=0,
            )
        finally:
            await store.aclose()


def run(dataset: Dataset, server: ApiServer, *, writes: int = WRITES, seed: int = 1000) -> Result:
    """Queue ``writes`` writes on a desk while ``server`` is stopped, start it, time the replay."""
    database = dataset.open()
    try:
        token = bench_tokens(database, 1)[0]
        result = asyncio.run(_run(dataset, server, token, random.Random(seed), writes))
        with database.read() as connection:
            result.bookings = int(
                connection.execute(text("SELECT count(*) FROM bookings")).scalar_one()
            )
            result.wrapped_calls = int(
                connection.execute(
                    text("SELECT count(*) FROM calls WHERE wrapped_at IS NOT NULL")
                ).scalar_one()
            )
            result.created_callers = int(
                connection.execute(
                    text("SELECT count(*) FROM callers WHERE id > :n"), {"n": dataset.callers}
                ).scalar_one()
            )
        return result
    finally:
        database.dispose()


def rows(result: Result, backend: str) -> list[Row]:
    complete = result.remaining == 0 and result.failed == 0 and result.queued == result.writes
    status = judge(result.seconds, at_most=TARGET_SECONDS) if complete else "MISS"
    return [
        Row(
            figure="replay",
            title=f"offline replay of {result.writes:,} queued writes",
            backend=backend,
            value=result.seconds,
            unit="s",
            target=f"≤ {TARGET_SECONDS:g} s",
            status=status,
            notes=(
                f"replay, {backend}: {result.queued:,} queued writes ({NEW_CALLERS} new callers; "
                f"calls, bookings, wrap-ups), {result.done:,} done, {result.conflicts} "
                f"conflicts, {result.failed} refused, {result.remaining} left; the service now "
                f"has {result.bookings} bookings, {result.wrapped_calls} wrapped calls, "
                f"{result.created_callers} new callers; "
                f"{result.queued / result.seconds:.0f} writes/s; queueing took "
                f"{result.queue_seconds:.1f} s, priming the desk's cache "
                f"{result.prime_seconds:.1f} s"
            ),
        )
    ]
