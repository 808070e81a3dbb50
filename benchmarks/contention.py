"""Booking under contention: 40 agents (the help line's 40 lines) book as fast as they can
through the API, for a fixed time. Most book distinct free slots; a few race each other for the
same slots, and afterwards SQL checks that no slot has two active bookings.

The floor: 40 connections doing plain INSERTs into the same ``bookings`` table, a transaction
each, with the product's engine settings (on SQLite: WAL, ``BEGIN IMMEDIATE``); its rows are
deleted again afterwards.
"""

from __future__ import annotations

import asyncio
import math
import random
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import Engine, create_engine, event, insert, text
from sqlalchemy.exc import IntegrityError

from benchmarks.dataset import Dataset
from benchmarks.report import Row, judge
from benchmarks.server import ApiServer
from benchmarks.stats import cpu_seconds, machine_busy_seconds, p95, p99, percentile
from benchmarks.workload import bench_tokens, free_slot_ids, utcnow
from console.domain.reference import new_reference
from console.server.db import SQLITE_BUSY_TIMEOUT_MS, Database, database_url
from console.server.schema import bookings

AGENTS = 40
CONTENDERS = 4  # of the 40, these go for the same slots, in the same order
MAX_RATE_PER_AGENT = 30  # slots drawn per agent and second: more than any agent books
RATE_TARGETS = {"postgres": 300.0, "sqlite": 150.0}
P99_TARGETS = {"postgres": 100.0}
ACTIVE = "('confirmed', 'no_show')"
RETRIES = 2


@dataclass
class AgentLog:
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    ran_out: bool = False
    retries: int = 0


@dataclass
class Result:
    seconds: float
    bookings: int
    latencies: list[float]
    statuses: dict[int, int]
    shared_slots_tried: int
    shared_won: int
    double_bookings: int
    inconsistent_slots: int
    rows_vs_answers: int  # booking rows written minus 201 answers: 0 when every answer is true
    ran_out: int
    retries: int
    server_cpu: float
    client_cpu: float
    machine_cpu: float
    floor_rate: float = math.nan
    floor_p99: float = math.nan
    floor_rows: int = 0
    floor_retries: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.bookings / self.seconds if self.seconds else math.nan


async def _agent(
    client: httpx.AsyncClient,
    slots: list[int],
    callers: list[int],
    deadline: float,
    log: AgentLog,
    errors: list[str],
) -> None:
    for index, slot_id in enumerate(slots):
        if time.perf_counter() >= deadline:
            return
        body = {"caller_id": callers[index % len(callers)], "slot_id": slot_id}
        headers = {"Idempotency-Key": f"bench-{uuid.uuid4().hex}"}
        began = time.perf_counter()
        for attempt in range(RETRIES + 1):
            try:
                response = await client.post("/v1/bookings", json=body, headers=headers)
                break
            except httpx.TransportError:
                # A keep-alive connection the server closed while it was idle (uvicorn closes
                # them after 5 s): retry with the same key, as the console does.
                log.retries += 1
                if attempt == RETRIES:
                    raise
        log.latencies.append((time.perf_counter() - began) * 1000)
        log.statuses[response.status_code] = log.statuses.get(response.status_code, 0) + 1
        if response.status_code not in (201, 409) and len(errors) < 5:
            errors.append(f"{response.status_code}: {response.text[:200]}")
    log.ran_out = True


async def _race(
    base_url: str,
    tokens: list[str],
    plans: list[list[int]],
    callers: list[int],
    seconds: float,
    warmup: list[list[int]],
    server_pid: int | None,
) -> tuple[list[AgentLog], float, list[str], tuple[float, float, float]]:
    errors: list[str] = []
    clients = [
        httpx.AsyncClient(
            base_url=base_url,
            headers={"Authorization": f"Bearer {token}"},
            timeout=60,
            limits=httpx.Limits(max_connections=1),
        )
        for token in tokens
    ]
    try:
        # Warm up: every agent connects, authenticates and books a couple of slots.
        await asyncio.gather(*(c.get("/v1/me") for c in clients))
        far = time.perf_counter() + 3600
        await asyncio.gather(
            *(
                _agent(c, slots, callers, far, AgentLog(), errors)
                for c, slots in zip(clients, warmup, strict=True)
            )
        )
        logs = [AgentLog() for _ in clients]
        cpu = _cpu(server_pid)
        began = time.perf_counter()
        deadline = began + seconds
        await asyncio.gather(
            *(
                _agent(c, plan, callers, deadline, log, errors)
                for c, plan, log in zip(clients, plans, logs, strict=True)
            )
        )
        elapsed = time.perf_counter() - began
        after = _cpu(server_pid)
        used = (after[0] - cpu[0], after[1] - cpu[1], after[2] - cpu[2])
        return logs, elapsed, errors, used
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))


def _cpu(server_pid: int | None) -> tuple[float, float, float]:
    """CPU-seconds so far: the server process, this process, the whole machine."""
    server = cpu_seconds(server_pid) if server_pid else math.nan
    return server, cpu_seconds(), machine_busy_seconds()


def _count(database: Database, sql: str) -> int:
    with database.read() as connection:
        return int(connection.execute(text(sql)).scalar_one())


def run(
    dataset: Dataset,
    server: ApiServer,
    *,
    seconds: float,
    floor_seconds: float,
    seed: int = 40,
) -> Result:
    """Measure the floor, then the race through ``server`` (its CPU is measured when it is
    one process); the server's log explains unexpected answers."""
    base_url = server.url
    server_pid = server.pid if server.workers == 1 else None
    database = dataset.open()
    try:
        floor = insert_floor(dataset, database, seconds=floor_seconds, seed=seed + 1)
        tokens = bench_tokens(database, AGENTS)
        per_agent = max(20, math.ceil(seconds * MAX_RATE_PER_AGENT))
        distinct = AGENTS - CONTENDERS
        drawn = free_slot_ids(
            database,
            distinct * per_agent + per_agent + 2 * AGENTS,
            seed,
            at_least=(distinct + 1) * 20 + 2 * AGENTS,
        )
        per_agent = min(per_agent, (len(drawn) - 2 * AGENTS) // (distinct + 1))
        warmup = [drawn[-2 * AGENTS :][2 * i : 2 * i + 2] for i in range(AGENTS)]
        shared = drawn[distinct * per_agent : distinct * per_agent + per_agent]
        plans = [drawn[i * per_agent : (i + 1) * per_agent] for i in range(distinct)]
        plans += [list(shared) for _ in range(CONTENDERS)]
        rng = random.Random(seed)
        callers = [rng.randint(1, dataset.callers) for _ in range(997)]
        before = _count(database, "SELECT count(*) FROM bookings")
        logs, elapsed, errors, (server_cpu, client_cpu, machine_cpu) = asyncio.run(
            _race(base_url, tokens, plans, callers, seconds, warmup, server_pid)
        )
        written = _count(database, "SELECT count(*) FROM bookings") - before
        statuses: dict[int, int] = {}
        for log in logs:
            for status, count in log.statuses.items():
                statuses[status] = statuses.get(status, 0) + count
        shared_won = _count(
            database,
            "SELECT count(*) FROM bookings WHERE status IN "
            f"{ACTIVE} AND slot_id IN ({','.join(str(s) for s in shared)})",
        )
        shared_tried = max(len(log.latencies) for log in logs[distinct:])
        result = Result(
            seconds=elapsed,
            bookings=statuses.get(201, 0),
            latencies=[ms for log in logs for ms in log.latencies],
            statuses=statuses,
            shared_slots_tried=shared_tried,
            shared_won=shared_won,
            double_bookings=_count(
                database,
                "SELECT count(*) FROM (SELECT slot_id FROM bookings WHERE status IN "
                f"{ACTIVE} GROUP BY slot_id HAVING count(*) > 1) doubled",
            ),
            inconsistent_slots=_count(
                database,
                "SELECT count(*) FROM slots s WHERE (s.status = 'booked') <> EXISTS "
                f"(SELECT 1 FROM bookings b WHERE b.slot_id = s.id AND b.status IN {ACTIVE}) "
                "AND s.id IN (SELECT slot_id FROM bookings)",
            ),
            rows_vs_answers=written - statuses.get(201, 0) - 2 * AGENTS,
            ran_out=sum(log.ran_out for log in logs[:distinct]),
            retries=sum(log.retries for log in logs),
            server_cpu=server_cpu,
            client_cpu=client_cpu,
            machine_cpu=machine_cpu,
            errors=errors,
        )
        result.floor_rate, result.floor_p99, result.floor_rows, result.floor_retries = floor
        if errors:
            result.errors.append("server log: " + server.last_error())
        return result
    finally:
        database.dispose()


# --- the floor: plain INSERTs ---------------------------------------------------------------


def _floor_engine(url: str) -> Engine:
    """40 pooled connections with the product's settings (see ``console.server.db``)."""
    url = database_url(url)
    if not url.startswith("sqlite"):
        return create_engine(url, pool_size=AGENTS, max_overflow=0)
    engine = create_engine(
        url,
        pool_size=AGENTS,
        max_overflow=0,
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def insert_floor(
    dataset: Dataset, database: Database, *, seconds: float, seed: int
) -> tuple[float, float, int, int]:
    """(inserts/s, p99 ms, rows, reference retries) of 40 threads inserting bookings."""
    agent_id = _count(database, "SELECT min(id) FROM agents")
    top = _count(database, "SELECT coalesce(max(id), 0) FROM bookings")
    per_thread = max(50, math.ceil(seconds * 200))
    slots = free_slot_ids(database, AGENTS * per_thread, seed, at_least=AGENTS * 50)
    per_thread = len(slots) // AGENTS
    service_of = _services_of(database, slots)
    engine = _floor_engine(dataset.url)
    latencies: list[list[float]] = [[] for _ in range(AGENTS)]
    retries = [0] * AGENTS
    barrier = threading.Barrier(AGENTS + 1)
    deadline = [0.0]
    rng = random.Random(seed)
    callers = [rng.randint(1, dataset.callers) for _ in range(997)]

    def work(index: int) -> None:
        mine = slots[index * per_thread : (index + 1) * per_thread]
        with engine.connect() as connection:  # connected now, outside any transaction
            barrier.wait()
            for number, slot_id in enumerate(mine):
                if time.perf_counter() >= deadline[0]:
                    return
                values = {
                    "slot_id": slot_id,
                    "caller_id": callers[number % len(callers)],
                    "service_id": service_of[slot_id],
                    "status": "confirmed",
                    "created_at": utcnow(),
                    "created_by": agent_id,
                }
                began = time.perf_counter()
                while True:
                    try:
                        with connection.begin():
                            connection.execute(
                                insert(bookings).values(reference=new_reference(), **values)
                            )
                        break
                    except IntegrityError:  # a reference drawn twice: draw again
                        retries[index] += 1
                latencies[index].append((time.perf_counter() - began) * 1000)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(AGENTS)]
    for thread in threads:
        thread.start()
    began = time.perf_counter()
    deadline[0] = began + seconds
    barrier.wait()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    engine.dispose()
    with database.write() as connection:
        connection.execute(text("DELETE FROM bookings WHERE id > :top"), {"top": top})
    done = [ms for values in latencies for ms in values]
    return len(done) / elapsed, p99(done), len(done), sum(retries)


def _services_of(database: Database, slot_ids: list[int]) -> dict[int, int]:
    found: dict[int, int] = {}
    with database.read() as connection:
        for start in range(0, len(slot_ids), 5000):
            chunk = slot_ids[start : start + 5000]
            rows = connection.execute(
                text(f"SELECT id, service_id FROM slots WHERE id IN ({','.join(map(str, chunk))})")
            ).all()
            found.update((int(a), int(b)) for a, b in rows)
    return found


# --- rows -----------------------------------------------------------------------------------


def rows(result: Result, backend: str) -> list[Row]:
    rate_target = RATE_TARGETS[backend]
    p99_target = P99_TARGETS.get(backend)
    latency = p99(result.latencies)
    other = {s: n for s, n in result.statuses.items() if s not in (201, 409)}
    cpu = (
        f"CPU over the run: server process {result.server_cpu:.1f} s, load generator "
        f"{result.client_cpu:.1f} s, whole machine {result.machine_cpu:.1f} s of "
        f"{2 * result.seconds:.1f} s (2 cores × wall)"
        if not math.isnan(result.server_cpu)
        else ""
    )
    return [
        Row(
            figure="booking_rate",
            backend=backend,
            value=result.rate,
            unit="/s",
            target=f"≥ {rate_target:g}/s",
            floor=result.floor_rate,
            ratio=result.rate / result.floor_rate if result.floor_rate else None,
            status=judge(result.rate, at_least=rate_target),
            notes=(
                f"bookings, {backend}: {result.bookings:,} booked in {result.seconds:.1f} s by "
                f"{AGENTS} agents ({AGENTS - CONTENDERS} on distinct slots, {CONTENDERS} racing "
                f"for the same {result.shared_slots_tried} slots); floor = {result.floor_rows:,} "
                f"plain INSERTs by {AGENTS} connections, a transaction each, p99 "
                f"{result.floor_p99:.1f} ms; {cpu}"
                + (f"; {result.ran_out} agents ran out of slots" if result.ran_out else "")
                + (
                    f"; {result.retries} requests retried on a closed connection"
                    if result.retries
                    else ""
                )
                + (f"; unexpected answers {other}: {result.errors}" if other else "")
            ),
            detail={"statuses": result.statuses, "floor_p99": result.floor_p99},
        ),
        Row(
            figure="booking_p99",
            backend=backend,
            value=latency,
            unit="ms",
            target=f"≤ {p99_target:g} ms" if p99_target else "(PostgreSQL only)",
            floor=result.floor_p99,
            ratio=latency / result.floor_p99 if result.floor_p99 else None,
            status=judge(latency, at_most=p99_target),
            notes=(
                f"booking latency, {backend}: p50 {percentile(result.latencies, 0.5):.1f} ms, "
                f"p95 {p95(result.latencies):.1f} ms, p99 {latency:.1f} ms over "
                f"{len(result.latencies):,} requests (201 and 409); floor = INSERT p99"
            ),
        ),
        Row(
            figure="double_bookings",
            backend=backend,
            value=result.double_bookings,
            unit="count",
            target="0",
            status=(
                "PASS"
                if result.double_bookings == 0
                and result.inconsistent_slots == 0
                and result.rows_vs_answers == 0
                else "MISS"
            ),
            notes=(
                f"double bookings, {backend}: checked by SQL (no slot with two active bookings); "
                f"the {CONTENDERS} racing agents won {result.shared_won} of "
                f"{result.shared_slots_tried} shared slots, 409 answers "
                f"{result.statuses.get(409, 0):,}; slots whose status disagrees with their "
                f"bookings: {result.inconsistent_slots}; booking rows minus 201 answers: "
                f"{result.rows_vs_answers}"
            ),
        ),
    ]
