"""The supervisor's floor: ``GET /v1/floor`` over a busy day, and what desks' heartbeats cost.

The day, up to now: 200 agents (desks in every state, most on a call still open, a tenth
unreachable with writes queued), 20,000 calls today and as many yesterday, 8,000 bookings made
today (a tenth of them cancelled, a twentieth rescheduled) on the dataset's free slots, written
straight into the dataset and removed again by ``dataset.reset``.

- **floor**: ``GET /v1/floor`` p95 through the API (uvicorn, a keep-alive client), beside its
  floor measured in the same run, request by request: the statements the service runs for a
  read, in raw SQL (no HTTP, no models), plus an empty API request (``GET /v1/me``). What the
  service keeps between reads (the day's settled calls and bookings, the slot totals) is
  counted in the warm-up, once per worker; what counting it costs is in the notes.
- **heartbeat**: 200 desks re-reporting an unchanged state every 10 s are 20 requests a
  second; the service's CPU time (every process of it, the database server's not counted) per
  heartbeat x 20/s, as a share of one core. Its floor: the same for an empty API request.
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import bindparam, insert, select, text, update
from sqlalchemy.types import DateTime

from benchmarks.dataset import BENCH_AGENT_PREFIX, Dataset
from benchmarks.report import Row, judge
from benchmarks.server import ApiServer
from benchmarks.stats import p95, percentile, timed_ms
from benchmarks.workload import free_slot_ids
from console.server.agents import create_agent
from console.server.db import Database
from console.server.floor.agents import agent_rows
from console.server.floor.day import Day as LocalDay
from console.server.floor.figures import booking_sql, call_sql
from console.server.floor.settled import SETTLE
from console.server.floor.slots import Windows, free_sql, taken_sql
from console.server.floor_settings import FloorSettings
from console.server.schema import agent_presence, agent_states, bookings, calls, slots

FLOOR_TARGET_MS = {"postgres": 25.0}  # SQLite: reported
HEARTBEAT_TARGET_PERCENT = 5.0
DESKS = 200
HEARTBEAT_SECONDS = 10.0
DISPOSITIONS = ("booked", "rescheduled", "cancelled", "information", "no_slot", "referred")


@dataclass(frozen=True)
class Day:
    agents: int = DESKS
    calls: int = 20_000
    bookings: int = 8_000


@dataclass
class Result:
    day: Day
    floor_api: list[float] = field(default_factory=list)
    floor_raw: list[float] = field(default_factory=list)
    empty: list[float] = field(default_factory=list)
    totals_ms: float = math.nan
    day_ms: float = math.nan
    heartbeats: int = 0
    heartbeat_cpu: float = math.nan  # CPU seconds of the service per heartbeat
    floor_service_cpu: float = math.nan  # CPU seconds per read of the floor: the service's
    floor_database_cpu: float = math.nan  # ... and the database server's (PostgreSQL)
    empty_cpu: float = math.nan  # ... per empty request
    agents_shown: int = 0
    calls_shown: int = 0
    bookings_shown: int = 0


# --- the day ----------------------------------------------------------------------------------


def _spread(first: datetime, last: datetime, index: int, count: int) -> datetime:
    """The ``index``-th of ``count`` moments spread evenly over [first, last]."""
    return first + (last - first) * (index / max(count, 1))


def populate(database: Database, day: Day, seed: int = 14) -> tuple[list[str], str]:
    """Write the day up to now (every desk's current call still open); return the desks'
    tokens and a supervisor's token."""
    rng = random.Random(seed)
    now = datetime.now(UTC).replace(tzinfo=None)
    today = LocalDay.around(now)
    yesterday = LocalDay.of(today.date - timedelta(days=1))
    # Today's calls start before a quarter of an hour ago, so they are wrapped up by now.
    last = max(today.start + timedelta(seconds=1), now - timedelta(minutes=15))
    free = free_slot_ids(database, day.bookings, seed, after_hours=24)
    with database.write() as connection:
        tokens, ids = [], []
        for index in range(day.agents):
            agent, token = create_agent(
                connection, f"{BENCH_AGENT_PREFIX}floor desk {index + 1:03d}", "agent"
            )
            tokens.append(token)
            ids.append(agent.id)
        _, supervisor = create_agent(
            connection, f"{BENCH_AGENT_PREFIX}floor supervisor", "supervisor"
        )
        callers = int(connection.execute(text("SELECT max(id) FROM callers")).scalar() or 1)
        call_rows = []
        for first, until in (
            (yesterday.start + timedelta(hours=7), yesterday.start + timedelta(hours=19)),
            (today.start, last),
        ):
            for index in range(day.calls):
                begun = _spread(first, until, index, day.calls)
                talk = rng.randint(60, 600)
                acw = rng.randint(10, 120)
                call_rows.append(
                    {
                        "agent_id": ids[index % len(ids)],
                        "caller_id": rng.randint(1, callers),
                        "direction": "inbound",
                        "started_at": begun,
                        "ended_at": begun + timedelta(seconds=talk),
                        "disposition": rng.choice(DISPOSITIONS),
                        "notes": "",
                        "after_call_work_seconds": acw,
                        "wrapped_at": begun + timedelta(seconds=talk + acw),
                    }
                )
        connection.execute(insert(calls), call_rows)
        today_calls = connection.execute(
            select(calls.c.id, calls.c.agent_id)
            .where(calls.c.started_at >= today.start, calls.c.agent_id.in_(ids))
            .order_by(calls.c.id)
        ).all()
        slot_rows = {
            row.id: row
            for row in connection.execute(
                select(slots.c.id, slots.c.service_id).where(slots.c.id.in_(free))
            )
        }
        booking_rows = []
        for index, slot_id in enumerate(free):
            call = today_calls[index * len(today_calls) // len(free)]
            booking_rows.append(
                {
                    "reference": f"BF{index:07d}",
                    "slot_id": slot_id,
                    "caller_id": rng.randint(1, callers),
                    "service_id": slot_rows[slot_id].service_id,
                    "status": "confirmed",
                    "created_at": _spread(today.start, last, index, len(free)),
                    "created_by": call.agent_id,
                    "call_id": call.id,
                    "notes": "",
                }
            )
        connection.execute(insert(bookings), booking_rows)
        made_ids = connection.execute(
            select(bookings.c.id, bookings.c.slot_id, bookings.c.created_by, bookings.c.created_at)
            .where(bookings.c.reference.like("BF%"))
            .order_by(bookings.c.id)
        ).all()
        cancelled = made_ids[: len(made_ids) // 10]
        moved = made_ids[len(cancelled) : len(cancelled) + len(made_ids) // 20]
        olds, news = moved[::2], moved[1::2]
        for row in cancelled:
            connection.execute(
                update(bookings)
                .where(bookings.c.id == row.id)
                .values(
                    status="cancelled",
                    cancelled_at=min(row.created_at + timedelta(minutes=10), now),
                    cancelled_by=row.created_by,
                )
            )
        for old, new in zip(olds, news, strict=False):
            connection.execute(
                update(bookings)
                .where(bookings.c.id == old.id)
                .values(
                    status="rescheduled",
                    superseded_by=new.id,
                    cancelled_at=new.created_at,
                    cancelled_by=new.created_by,
                )
            )
            connection.execute(
                update(bookings).where(bookings.c.id == new.id).values(replaces=old.id)
            )
        retired = {row.id for row in cancelled} | {old.id for old in olds[: len(news)]}
        active = [row.slot_id for row in made_ids if row.id not in retired]
        for first in range(0, len(active), 1000):
            part = active[first : first + 1000]
            connection.execute(update(slots).where(slots.c.id.in_(part)).values(status="booked"))
        _states(connection, ids, now, rng, callers)
    return tokens, supervisor


def _states(connection, ids, now, rng, callers) -> None:  # type: ignore[no-untyped-def]
    """Every desk in a state: most on a call (open, begun minutes ago) or in its after-call
    work, some ready or away, a tenth unreachable with writes queued."""
    presence, intervals = [], []
    for index, agent_id in enumerate(ids):
        kind = index % 10
        state = ("on_call", "on_call", "on_call", "on_call", "on_call", "on_call",
                 "after_call_work", "ready", "away", "ready")[kind]  # fmt: skip
        since = now - timedelta(seconds=rng.randint(5, 900))
        seen = now - timedelta(seconds=400) if kind == 9 else now
        call_id = None
        if state in ("on_call", "after_call_work"):
            begun = since - timedelta(seconds=rng.randint(0, 300) if state != "on_call" else 0)
            call_id = connection.execute(
                insert(calls)
                .values(
                    agent_id=agent_id,
                    caller_id=rng.randint(1, callers),
                    direction="inbound",
                    started_at=begun,
                )
                .returning(calls.c.id)
            ).scalar_one()
        presence.append(
            {
                "agent_id": agent_id,
                "state": state,
                "reason": "break" if state == "away" else None,
                "call_id": call_id,
                "since": since,
                "last_seen_at": seen,
                "queued_writes": 3 if kind == 9 else 0,
                "sync_issues": 0,
            }
        )
        intervals.append(
            {
                "agent_id": agent_id,
                "state": state,
                "reason": "break" if state == "away" else None,
                "call_id": call_id,
                "started_at": since,
            }
        )
    connection.execute(insert(agent_presence), presence)
    connection.execute(insert(agent_states), intervals)


# --- the floor's raw SQL ----------------------------------------------------------------------


def _typed(*names: str) -> list:  # type: ignore[type-arg]
    return [bindparam(name, type_=DateTime) for name in names]


def raw_floor(database: Database, settings: FloorSettings) -> int:
    """The statements the service runs for one read of the floor, in raw SQL, their rows
    fetched: today's calls and bookings settled in the last second and those since (the rest
    of the day it keeps, see ``console.server.floor``), the agents, the booked and blocked
    slots, the newest slot, the services, the open reports. Returns the number of rows."""
    fetched = 0
    now = datetime.now(UTC).replace(tzinfo=None)
    day = LocalDay.around(now)
    upto = now - SETTLE
    windows = Windows.after(day, settings.fill_working_days)
    day_bounds = {"start": day.start, "end": day.end}
    with database.read() as connection:
        for rows, extra in (
            ("settled", {"lo": upto - timedelta(seconds=1), "hi": upto}),
            ("recent", {"lo": upto}),
        ):
            sql = call_sql(connection, rows)
            params = day_bounds | extra
            fetched += len(connection.execute(text(sql).bindparams(*_typed(*params)), params).all())
        bookings_sql = text(booking_sql(connection)).bindparams(*_typed("lo", "hi"))
        for lo, hi in ((upto - timedelta(seconds=1), upto), (upto, day.end)):
            fetched += len(connection.execute(bookings_sql, {"lo": lo, "hi": hi}).all())
        fetched += len(agent_rows(connection))
        taken = text(taken_sql(windows)).bindparams(*_typed(*windows.names()))
        fetched += len(connection.execute(taken, windows.params()).all())
        fetched += len(connection.execute(text("SELECT max(id) FROM slots")).all())
        fetched += len(
            connection.execute(text("SELECT id, code, name, name_en, category FROM services")).all()
        )
        fetched += len(
            connection.execute(
                text("SELECT count(*), min(created_at) FROM provider_reports WHERE status = 'open'")
            ).all()
        )
        fetched += len(
            connection.execute(
                text(
                    "SELECT r.id, r.provider_id, r.created_at, p.name FROM provider_reports r "
                    "JOIN providers p ON p.id = r.provider_id WHERE r.status = 'open' "
                    "AND r.created_at < :cutoff ORDER BY r.created_at, r.id LIMIT 50"
                ).bindparams(bindparam("cutoff", type_=DateTime)),
                {"cutoff": now - timedelta(hours=settings.report_open_hours)},
            ).all()
        )
    return fetched


def whole_day_ms(database: Database) -> float:
    """What counting the whole day's calls and bookings costs (raw SQL): the first read of
    the floor in a day (or after the service starts), before it keeps the settled part."""
    day = LocalDay.around(datetime.now(UTC).replace(tzinfo=None))
    times = []
    with database.read() as connection:
        calls_sql = text(call_sql(connection)).bindparams(*_typed("start", "end"))
        bookings_sql = text(booking_sql(connection)).bindparams(*_typed("lo", "hi"))

        def count() -> None:
            connection.execute(calls_sql, {"start": day.start, "end": day.end}).all()
            connection.execute(bookings_sql, {"lo": day.start, "hi": day.end}).all()

        for _ in range(5):
            times.append(timed_ms(count)[0])
    return min(times)


def totals_recount_ms(database: Database, settings: FloorSettings) -> float:
    """What counting the slot totals again costs (raw SQL), done every slot_totals_seconds."""
    day = LocalDay.around(datetime.now(UTC).replace(tzinfo=None))
    windows = Windows.after(day, settings.fill_working_days)
    statement = text(free_sql(windows)).bindparams(
        *(bindparam(n, type_=DateTime) for n in windows.names())
    )
    times = []
    with database.read() as connection:
        for _ in range(3):
            times.append(timed_ms(lambda: connection.execute(statement, windows.params()).all())[0])
    return min(times)


# --- the service's CPU --------------------------------------------------------------------------


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and all its descendants (uvicorn's workers)."""
    import os

    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
            for task in Path(f"/proc/{current}/task").iterdir():
                children = (task / "children").read_text().split()
                pending.extend(int(child) for child in children)
        except FileNotFoundError:
            continue
    return total


def _backends(database: Database) -> list[int]:
    """The PostgreSQL server processes serving this database's other connections (the API's)."""
    if database.dialect != "postgresql":
        return []
    with database.read() as connection:
        return list(
            connection.execute(
                text(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid()"
                )
            ).scalars()
        )


def _floor_cpu(server: ApiServer, database: Database, client: httpx.Client, count: int):  # type: ignore[no-untyped-def]
    """CPU seconds per read of the floor: the service's processes and the database server's
    processes serving it (time a read takes on an idle machine, whatever the load now)."""
    assert server.pid is not None
    backends = _backends(database)
    time.sleep(0.5)
    service_before = tree_cpu_seconds(server.pid)
    database_before = sum(tree_cpu_seconds(pid) for pid in backends)
    for _ in range(count):
        client.get("/v1/floor").raise_for_status()
    service = tree_cpu_seconds(server.pid) - service_before
    database_cpu = sum(tree_cpu_seconds(pid) for pid in backends) - database_before
    return service / count, database_cpu / count


def _cpu_per_request(server: ApiServer, send, count: int) -> float:  # type: ignore[no-untyped-def]
    assert server.pid is not None
    time.sleep(0.5)  # let the server settle after the warm-up
    before = tree_cpu_seconds(server.pid)
    for index in range(count):
        send(index)
    after = tree_cpu_seconds(server.pid)
    return (after - before) / count


# --- the run ----------------------------------------------------------------------------------


def run(dataset: Dataset, server: ApiServer, *, day: Day, requests: int, heartbeats: int) -> Result:
    database = dataset.open()
    result = Result(day=day)
    settings = FloorSettings()
    try:
        tokens, supervisor = populate(database, day)
        server.ensure_running()
        with httpx.Client(
            base_url=server.url, headers={"Authorization": f"Bearer {supervisor}"}, timeout=60
        ) as client:
            for _ in range(20):  # warm-up, slot totals counted
                client.get("/v1/floor").raise_for_status()
                client.get("/v1/me").raise_for_status()
                raw_floor(database, settings)
            answer = client.get("/v1/floor").json()
            result.agents_shown = len(answer["agents"])
            result.calls_shown = answer["today"]["calls"]
            result.bookings_shown = answer["today"]["bookings"]
            for _ in range(requests):
                ms, response = timed_ms(lambda: client.get("/v1/floor"))
                response.raise_for_status()
                result.floor_api.append(ms)
                result.floor_raw.append(timed_ms(lambda: raw_floor(database, settings))[0])
                result.empty.append(timed_ms(lambda: client.get("/v1/me").raise_for_status())[0])
            result.totals_ms = totals_recount_ms(database, settings)
            result.day_ms = whole_day_ms(database)
            result.floor_service_cpu, result.floor_database_cpu = _floor_cpu(
                server, database, client, requests
            )
            result.empty_cpu = _cpu_per_request(
                server, lambda _i: client.get("/v1/me").raise_for_status(), heartbeats
            )
        desks = [
            httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {t}"}, timeout=60)
            for t in tokens
        ]
        try:
            body = {"state": "ready", "queued_writes": 0, "sync_issues": 0}
            for desk in desks:  # each desk's first report is a change; what follows is not
                desk.put("/v1/desk/state", json=body).raise_for_status()

            def beat(index: int) -> None:
                response = desks[index % len(desks)].put("/v1/desk/state", json=body)
                response.raise_for_status()
                if response.json()["changed"]:
                    raise RuntimeError("a heartbeat changed the state")

            result.heartbeats = heartbeats
            result.heartbeat_cpu = _cpu_per_request(server, beat, heartbeats)
        finally:
            for desk in desks:
                desk.close()
    finally:
        database.dispose()
    return result


def rows(result: Result, backend: str) -> list[Row]:
    value = p95(result.floor_api)
    raw, empty = p95(result.floor_raw), p95(result.empty)
    floor = raw + empty
    target_ms = FLOOR_TARGET_MS.get(backend)
    rate = DESKS / HEARTBEAT_SECONDS
    share = result.heartbeat_cpu * rate * 100
    empty_share = result.empty_cpu * rate * 100
    day = result.day
    return [
        Row(
            figure="floor",
            backend=backend,
            value=value,
            unit="ms",
            target=f"≤ {target_ms:g} ms" if target_ms else "(reported)",
            floor=floor,
            ratio=value / floor,
            status=judge(value, at_most=target_ms),
            notes=(
                f"floor, {backend}: {result.agents_shown} agents, {result.calls_shown:,} calls and "
                f"{result.bookings_shown:,} bookings today ({day.calls:,} calls yesterday too); "
                f"floor = the statements of a read, raw, p95 {raw:.2f} ms (p50 "
                f"{percentile(result.floor_raw, 0.5):.2f}) + empty request p95 {empty:.2f} ms "
                f"(p50 {percentile(result.empty, 0.5):.2f}); API p50 "
                f"{percentile(result.floor_api, 0.5):.2f} ms; {len(result.floor_api)} requests. "
                f"CPU per read (what a read takes on an idle machine): the service "
                f"{result.floor_service_cpu * 1000:.1f} ms"
                + (
                    f" + the database server {result.floor_database_cpu * 1000:.1f} ms"
                    if backend == "postgres"
                    else ""
                )
                + ". Kept between reads (per worker), counted "
                f"in the warm-up: the day's settled calls and bookings (counting the whole day "
                f"{result.day_ms:.1f} ms, raw, on the day's first read) and the slot totals "
                f"(recounted at most every {FloorSettings().slot_totals_seconds:g} s, "
                f"{result.totals_ms:.1f} ms)"
            ),
            detail={
                "api_p50": percentile(result.floor_api, 0.5),
                "raw_p95": raw,
                "empty_p95": empty,
                "totals_recount_ms": result.totals_ms,
                "whole_day_ms": result.day_ms,
                "raw_p50": percentile(result.floor_raw, 0.5),
                "empty_p50": percentile(result.empty, 0.5),
                "service_cpu_ms": result.floor_service_cpu * 1000,
                "database_cpu_ms": result.floor_database_cpu * 1000,
            },
        ),
        Row(
            figure="heartbeat",
            backend=backend,
            value=share,
            unit="%",
            target=f"≤ {HEARTBEAT_TARGET_PERCENT:g} % of a core",
            floor=empty_share,
            ratio=share / empty_share if empty_share else None,
            status=judge(share, at_most=HEARTBEAT_TARGET_PERCENT),
            notes=(
                f"heartbeats, {backend}: {DESKS} desks every {HEARTBEAT_SECONDS:g} s = {rate:g}/s; "
                f"the service's CPU (all its processes; the database server's not counted) "
                f"{result.heartbeat_cpu * 1000:.2f} ms per heartbeat over {result.heartbeats:,}; "
                f"floor = an empty request (GET /v1/me) {result.empty_cpu * 1000:.2f} ms of CPU "
                f"at the same rate"
            ),
            detail={
                "cpu_ms_per_heartbeat": result.heartbeat_cpu * 1000,
                "cpu_ms_per_empty_request": result.empty_cpu * 1000,
            },
        ),
    ]
