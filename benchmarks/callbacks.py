"""The callback queue: 40 agents claiming at once, and a month's queue_log imported.

Both run on a scratch database of their own on each backend (created, migrated and dropped
here), not on the national dataset: neither depends on the size of the register (a claimed
callback's callers are one index seek on their number), and so the group runs without building
the datasets.

- **Claims.** 1,000 due callbacks; 40 agents (the help line's 40 lines) each claim through the
  API (``POST /v1/callbacks/claim``, uvicorn as ``serve`` runs it) until they get 204. Every
  callback must be claimed exactly once (checked in SQL and from the answers). The floor: 40
  connections running the claim's own UPDATE in SQL on another 1,000 callbacks, a transaction
  each, with the product's engine settings. The service runs with callback hours of the whole
  day and holidays included, so the figure can be measured at any hour.
- **Import.** A month of calls from the simulator's model (``console.telephony_sim``: 16,000
  calls, the morning peak, a third missed at the peak, half of them calling again), written as
  Asterisk's queue_log, then ``agent-console import queue-log``'s work (read, check, record,
  open callbacks) timed into an empty database. The floor: reading the same file and inserting
  as many call rows with one plain executemany INSERT, in one transaction.

The screen-pop figure (event posted to card on screen across two processes) is
``benchmarks.screen_pop``'s, in the same group.
"""

from __future__ import annotations

import asyncio
import math
import random
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import Engine, delete, func, insert, select, text

from benchmarks.contention import _floor_engine
from benchmarks.dataset import Place
from benchmarks.report import Row, judge
from benchmarks.server import ApiServer
from benchmarks.workload import bench_tokens
from console.domain.calendar import TZ, OfficeHours
from console.server.db import Database
from console.server.importers.queue_log import import_queue_log
from console.server.migrate import upgrade
from console.server.schema import callbacks, telephony_calls
from console.server.settings import CallbackSettings
from console.telephony_sim import Model, Numbers, simulate

AGENTS = 40
CLAIM_TARGETS = {"postgres": 200.0}
IMPORT_TARGET_SECONDS = 5.0
SCRATCH = "callbacks_scratch"
ALL_DAY = '[callbacks]\nhours = "Mon-Sun 00:00-23:59"\nexclude_holidays = false\n'
SIM_EXTENSIONS = [str(201 + i) for i in range(12)]


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _scratch(place: Place) -> Database:
    """A new, migrated scratch database on ``place`` (dropped by :func:`_drop`)."""
    place.create_empty(SCRATCH)
    database = Database.open(place.url_for(SCRATCH))
    upgrade(database.engine)
    return database


def _drop(place: Place, database: Database) -> None:
    database.dispose()
    place.drop(SCRATCH)


def _wait_for_the_day() -> None:
    """The service's hours are 00:00-23:59 (the hours cannot say 24:00): never start in the
    last minute of a day."""
    local = datetime.now(TZ)
    if local.hour == 23 and local.minute == 59:
        time.sleep(61 - local.second)


# --- claims -------------------------------------------------------------------------------------


@dataclass
class ClaimResult:
    callbacks: int
    seconds: float = math.nan
    statuses: dict[int, int] = field(default_factory=dict)
    claimed_ids: list[int] = field(default_factory=list)
    claimed_rows: int = 0  # rows claimed, by SQL
    floor_seconds: float = math.nan
    floor_claims: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return len(self.claimed_ids) / self.seconds if self.seconds else math.nan

    @property
    def floor_rate(self) -> float:
        return self.floor_claims / self.floor_seconds if self.floor_seconds else math.nan

    @property
    def twice(self) -> int:
        """Callbacks answered to more than one claim, plus claims the rows do not show."""
        counted = Counter(self.claimed_ids)
        doubled = sum(1 for n in counted.values() if n > 1)
        return doubled + abs(self.claimed_rows - len(counted))


def _due_callbacks(database: Database, count: int, first: int = 0) -> None:
    now = _utcnow()
    rows = []
    for index in range(count):
        since = now - timedelta(minutes=count - index, seconds=first)
        rows.append(
            {
                "number": f"+3865{first + index:07d}",
                "source": "missed_call",
                "status": "open",
                "created_at": since,
                "waiting_since": since,
                "tries": 1 + index % 3,
                "last_tried_at": since,
                "due_at": since,
                "rank_at": since,
            }
        )
    with database.write() as connection:
        connection.execute(insert(callbacks), rows)


def _claim_sql(dialect: str) -> str:
    skip = " FOR UPDATE SKIP LOCKED" if dialect == "postgresql" else ""
    return (
        "UPDATE callbacks SET status = 'claimed', claimed_by = :agent, claimed_at = :now, "
        "lease_expires_at = :lease WHERE id = (SELECT id FROM callbacks WHERE status = 'open' "
        f"AND due_at <= :now ORDER BY rank_at, id LIMIT 1{skip}) AND status = 'open' RETURNING id"
    )


def claim_floor(url: str, agent_id: int, dialect: str) -> tuple[float, int]:
    """(seconds, claims) of 40 connections claiming with the claim's UPDATE until none is left."""
    engine: Engine = _floor_engine(url)
    statement = text(_claim_sql(dialect))
    barrier = threading.Barrier(AGENTS + 1)
    counts = [0] * AGENTS

    def work(index: int) -> None:
        with engine.connect() as connection:
            barrier.wait()
            while True:
                now = _utcnow()
                with connection.begin():
                    found = connection.execute(
                        statement,
                        {"agent": agent_id, "now": now, "lease": now + timedelta(minutes=10)},
                    ).first()
                if found is None:
                    return
                counts[index] += 1

    threads = [threading.Thread(target=work, args=(i,)) for i in range(AGENTS)]
    for thread in threads:
        thread.start()
    barrier.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    engine.dispose()
    return elapsed, sum(counts)


async def _claimers(url: str, tokens: list[str], result: ClaimResult) -> None:
    clients = [
        httpx.AsyncClient(
            base_url=url,
            headers={"Authorization": f"Bearer {token}"},
            timeout=60,
            limits=httpx.Limits(max_connections=1),
        )
        for token in tokens
    ]
    statuses: Counter[int] = Counter()

    async def claim_until_none(client: httpx.AsyncClient) -> None:
        while True:
            response = await client.post("/v1/callbacks/claim")
            statuses[response.status_code] += 1
            if response.status_code == 200:
                result.claimed_ids.append(response.json()["id"])
                continue
            if response.status_code != 204 and len(result.errors) < 5:
                result.errors.append(f"{response.status_code}: {response.text[:200]}")
            return

    try:
        await asyncio.gather(*(c.get("/v1/me") for c in clients))  # connected, authenticated
        began = time.perf_counter()
        await asyncio.gather(*(claim_until_none(c) for c in clients))
        result.seconds = time.perf_counter() - began
        result.statuses = dict(statuses)
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))


def run_claims(
    place: Place, *, count: int, workers: int, log: Callable[[str], None]
) -> ClaimResult:
    database = _scratch(place)
    result = ClaimResult(callbacks=count)
    try:
        tokens = bench_tokens(database, AGENTS)
        with database.read() as connection:
            agent_id = connection.execute(text("SELECT min(id) FROM agents")).scalar_one()
        _due_callbacks(database, count)
        log(f"{place.backend}: claim floor, {AGENTS} connections on {count:,} callbacks")
        result.floor_seconds, result.floor_claims = claim_floor(
            place.url_for(SCRATCH), agent_id, database.dialect
        )
        with database.write() as connection:
            connection.execute(delete(callbacks))
        _due_callbacks(database, count, first=count)
        _wait_for_the_day()
        log(f"{place.backend}: {AGENTS} agents claiming {count:,} callbacks through the API")
        with ApiServer(place.url_for(SCRATCH), workers=workers, config=ALL_DAY) as server:
            asyncio.run(_claimers(server.url, tokens, result))
            if result.errors:
                result.errors.append("server log: " + server.last_error())
        with database.read() as connection:
            result.claimed_rows = connection.execute(
                select(func.count()).where(callbacks.c.status == "claimed")
            ).scalar_one()
    finally:
        _drop(place, database)
    return result


def claim_rows(result: ClaimResult, backend: str, workers: int) -> list[Row]:
    target = CLAIM_TARGETS.get(backend)
    other = {s: n for s, n in result.statuses.items() if s not in (200, 204)}
    return [
        Row(
            figure="callback_claims",
            backend=backend,
            value=result.rate,
            unit="/s",
            target=f"≥ {target:g}/s" if target else "(PostgreSQL only)",
            floor=result.floor_rate,
            ratio=result.rate / result.floor_rate if result.floor_rate else None,
            status=judge(result.rate, at_least=target),
            notes=(
                f"callback claims, {backend}: {len(result.claimed_ids):,} of {result.callbacks:,} "
                f"due callbacks claimed in {result.seconds:.2f} s by {AGENTS} agents at once "
                f"through the API ({workers} worker process(es)), each until it got 204; floor "
                f"= the claim's UPDATE run by {AGENTS} connections in SQL, {result.floor_claims:,}"
                f" claims in {result.floor_seconds:.2f} s"
                + (f"; unexpected answers {other}: {result.errors}" if other else "")
            ),
            detail={"statuses": result.statuses},
        ),
        Row(
            figure="callback_double_claims",
            backend=backend,
            value=result.twice,
            unit="count",
            target="0",
            status="PASS"
            if result.twice == 0 and len(result.claimed_ids) == result.callbacks
            else "MISS",
            notes=(
                f"callbacks claimed twice, {backend}: {len(set(result.claimed_ids)):,} distinct "
                f"callbacks in {len(result.claimed_ids):,} claims answered 200; rows claimed "
                f"(SQL) {result.claimed_rows:,}; 204 answers {result.statuses.get(204, 0)} (one "
                f"per agent, when none was left)"
            ),
        ),
    ]


# --- a month's queue_log ------------------------------------------------------------------------


def month_of_calls(first: date, calls_per_month: float, seed: int) -> list[tuple[datetime, str]]:
    """(time, queue_log line) of a month of the simulator's calls, from ``first``."""
    rng = random.Random(seed)
    start = datetime.combine(first, datetime.min.time(), TZ)
    end = start + timedelta(days=30)
    model = Model(calls_per_month=calls_per_month)
    hours = OfficeHours.parse("Mon-Fri 08:00-16:00")
    lines: list[tuple[datetime, str]] = []
    rings: dict[str, datetime] = {}

    def line(at: datetime, call_id: str, agent: str, event: str, data: str) -> None:
        lines.append((at, f"{int(at.timestamp())}|{call_id}|ue|{agent}|{event}|{data}"))

    for event in simulate(
        start, end, hours, lambda _at: SIM_EXTENSIONS, Numbers(rng, [], 0), rng, model
    ):
        body, at = event.body, event.at
        call_id = body["call_id"]
        caller = "0" + body.get("number", "+386")[4:] if body.get("number") else ""
        if body["event"] == "ringing":
            entered = at - timedelta(seconds=rng.randint(5, 60))
            rings[call_id] = entered
            line(entered, call_id, "NONE", "ENTERQUEUE", f"|{caller}|1")
        elif body["event"] == "answered":
            entered = rings.pop(call_id)
            member = f"PJSIP/{body['extension']}"
            held = int((at - entered).total_seconds())
            line(at, call_id, member, "CONNECT", f"{held}|{call_id}9|4")
            done = at + timedelta(minutes=rng.gammavariate(2.0, 2.0))
            talk = int((done - at).total_seconds())
            line(done, call_id, member, "COMPLETECALLER", f"{held}|{talk}|1")
        else:
            waited = body["waited_seconds"]
            line(at - timedelta(seconds=waited), call_id, "NONE", "ENTERQUEUE", f"|{caller}|1")
            exit_event = rng.choice(["ABANDON", "ABANDON", "EXITWITHTIMEOUT"])
            line(at, call_id, "NONE", exit_event, f"1|1|{waited}")
    lines.sort(key=lambda item: item[0])
    return lines


@dataclass
class ImportResult:
    calls: int = 0
    lines: int = 0
    seconds: float = math.nan
    opened: int = 0
    floor_seconds: float = math.nan
    file_bytes: int = 0


def run_import(place: Place, *, calls: int, log: Callable[[str], None]) -> ImportResult:
    today = datetime.now(TZ).date()
    first = (today.replace(day=1) - timedelta(days=1)).replace(day=1)  # last month
    lines = month_of_calls(first, calls, seed=16)
    result = ImportResult(lines=len(lines))
    database = _scratch(place)
    with tempfile.TemporaryDirectory(prefix="bench-queue-log-") as folder:
        path = Path(folder) / "queue_log"
        path.write_text("".join(text + "\n" for _, text in lines), encoding="utf-8")
        result.file_bytes = path.stat().st_size
        try:
            log(f"{place.backend}: import floor (read the file, insert the rows)")
            result.floor_seconds = import_floor(database, path)
            log(f"{place.backend}: importing a month's queue_log ({len(lines):,} lines)")
            began = time.perf_counter()
            done = import_queue_log(database, path, CallbackSettings())
            result.seconds = time.perf_counter() - began
            result.calls = done.calls.new
            result.opened = done.calls.callbacks.opened
        finally:
            _drop(place, database)
    return result


def import_floor(database: Database, path: Path) -> float:
    """Seconds to read ``path`` into one row per call and insert the rows in one transaction
    (one executemany: SQLAlchemy's batched multi-row INSERTs), then removed again."""
    now = _utcnow()
    began = time.perf_counter()
    seen: dict[str, dict] = {}
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            parts = line.rstrip("\n").split("|")
            if parts[1] not in seen:
                started = datetime.fromtimestamp(int(parts[0]), UTC).replace(tzinfo=None)
                seen[parts[1]] = {
                    "call_id": parts[1],
                    "number": None,
                    "state": "missed",
                    "started_at": started,
                    "source": "queue_log",
                    "recorded_at": now,
                }
    with database.write() as connection:
        connection.execute(insert(telephony_calls), list(seen.values()))
    elapsed = time.perf_counter() - began
    with database.write() as connection:
        connection.execute(delete(telephony_calls))
    return elapsed


def import_rows(result: ImportResult, backend: str, calls_per_month: int) -> list[Row]:
    target = IMPORT_TARGET_SECONDS if calls_per_month >= 16_000 else None
    return [
        Row(
            figure="queue_log_import",
            title=f"a month's queue_log imported ({result.calls:,} calls)",
            backend=backend,
            value=result.seconds,
            unit="s",
            target=f"≤ {IMPORT_TARGET_SECONDS:g} s" if target else "(16,000 calls only)",
            floor=result.floor_seconds,
            ratio=result.seconds / result.floor_seconds if result.floor_seconds else None,
            status=judge(result.seconds, at_most=target),
            notes=(
                f"queue_log import, {backend}: a month of the simulator's calls at "
                f"{calls_per_month:,} a month ({result.lines:,} lines, "
                f"{result.file_bytes / 1e6:.1f} MB, generated in this run) read, checked and "
                f"recorded into an empty database, {result.opened:,} callbacks opened; floor = "
                f"reading the file into one row per call and inserting them in one transaction"
            ),
        )
    ]
