"""Database bytes per call, before and after a prune (``[retention]`` with its defaults).

A scratch database of the benchmark's own (a small seed: the bytes a call adds do not depend
on the register's size) takes a day of calls through the real API app, each as a desk makes it:
the call, a name search, the caller's card (audited), a hold, the booking and the wrap-up, each
write with an Idempotency-Key, made with the service's clock 40 days back. Then
``console.server.retention.prune`` runs with the defaults.

- SQLite: the file's bytes per call (after a checkpoint) before the prune and after it: the
  prune gives the freed pages back to the file system (incremental auto-vacuum).
- PostgreSQL: a prune leaves the files as large as they were, and new rows reuse the space it
  freed (it runs VACUUM). So the figure is what a call costs in steady state: a day of calls
  today follows the old day, the prune takes the old day, and a third day of calls is
  measured; "before" is the old day's growth, when nothing had been freed.

The floor is what retention has to keep: the growth per call of the tables it never prunes
(bookings, calls, callers, slots, the audit log, ...), measured in the same run.
"""

from __future__ import annotations

import random
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import text

from benchmarks.dataset import Place
from benchmarks.report import Row, judge
from benchmarks.workload import free_slot_ids
from console.server import clock
from console.server.agents import create_agent
from console.server.app import create_app
from console.server.db import Database
from console.server.retention import prune, reclaim_space
from console.server.seed import seed
from console.server.settings import RetentionSettings, ServerSettings

SCRATCH = "retention_scratch"
PRUNED = frozenset({"idempotency_keys", "changes", "holds"})  # with the defaults
AGE_DAYS = 40  # the day of calls the prune finds old: past every default period


@dataclass
class Result:
    calls: int
    before: float  # bytes per call
    after: float
    floor: float
    by_table: dict[str, float] = field(default_factory=dict)  # bytes per call, before
    by_table_after: dict[str, float] = field(default_factory=dict)  # ... after
    removed: dict[str, int] = field(default_factory=dict)
    prune_seconds: float = 0.0
    sizes: dict[str, int] = field(default_factory=dict)


def _sizes(database: Database) -> tuple[int, dict[str, int]]:
    """The database's bytes, and each table's (with its indexes)."""
    if database.dialect == "sqlite":
        path = database.engine.url.database or ""
        with sqlite3.connect(path) as raw:
            raw.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
            tables = dict(
                raw.execute(
                    "SELECT s.tbl_name, sum(d.pgsize) FROM dbstat d "
                    "JOIN sqlite_schema s ON s.name = d.name GROUP BY s.tbl_name"
                ).fetchall()
            )
        total = sum(Path(p).stat().st_size for p in (path, f"{path}-wal") if Path(p).exists())
        return total, tables
    with database.engine.connect() as connection:
        total = connection.execute(text("SELECT pg_database_size(current_database())")).scalar()
        tables = dict(
            connection.execute(
                text(
                    "SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE n.nspname = 'public' AND c.relkind = 'r'"
                )
            ).all()
        )
    return int(total), {name: int(size) for name, size in tables.items()}


def _post(client: TestClient, headers: dict, path: str, body: dict, key: str) -> dict:
    answer = client.post(path, json=body, headers={**headers, "Idempotency-Key": key})
    if answer.status_code >= 400:
        raise RuntimeError(f"{path}: {answer.status_code} {answer.text}")
    return answer.json()


def _calls(client: TestClient, token: str, slots: list[int], callers: int, tag: str) -> None:
    """One call per slot, as a desk makes it."""
    rng = random.Random(tag)
    for number, slot in enumerate(slots):
        caller = rng.randint(1, callers)
        key = f"bench-{tag}-{number:05d}"
        headers = {"Authorization": f"Bearer {token}"}
        call = _post(
            client, headers, "/v1/calls", {"caller_id": caller, "direction": "inbound"}, key
        )
        headers["X-Call-Id"] = str(call["id"])
        card = client.get(f"/v1/callers/{caller}", headers=headers).json()
        client.get("/v1/callers", params={"q": card["last_name"][:4]}, headers=headers)
        hold = _post(client, headers, "/v1/holds", {"slot_id": slot}, f"{key}-hold")
        booking = {"caller_id": caller, "hold_id": hold["id"], "call_id": call["id"]}
        _post(client, headers, "/v1/bookings", booking, f"{key}-book")
        wrap_up = {"disposition": "booked"}
        _post(client, headers, f"/v1/calls/{call['id']}/wrapup", wrap_up, f"{key}-wrap")


def _growth(before: dict[str, int], after: dict[str, int], calls: int) -> dict[str, float]:
    names = set(before) | set(after)
    return {n: (after.get(n, 0) - before.get(n, 0)) / calls for n in sorted(names)}


@contextmanager
def _days_ago(days: int) -> Iterator[None]:
    """The service's clock (``console.server.clock.now``) ``days`` behind, meanwhile."""
    real = clock.now
    clock.now = lambda: real() - timedelta(days=days)  # type: ignore[assignment]
    try:
        yield
    finally:
        clock.now = real  # type: ignore[assignment]


def measure(place: Place, calls: int, log: Callable[[str], None]) -> Result:
    place.create_empty(SCRATCH)
    url = place.url_for(SCRATCH)
    database = Database.open(url)
    sqlite = database.dialect == "sqlite"
    try:
        log(f"{place.backend}: bytes per call: seeding a scratch database")
        seeded = seed(database, callers=3_000, days=5, providers_target=60, random_seed=19)
        reclaim_space(database)  # the seed's free pages: the start is all in use
        with database.write() as connection:
            token = create_agent(connection, "bench retention", "agent")[1]
        days = 1 if sqlite else 3
        slots = free_slot_ids(database, days * calls, seed=19, after_hours=24)
        app = create_app(ServerSettings(database=url), database, migrate=False)
        with TestClient(app) as client:
            start_total, start_tables = _sizes(database)
            log(f"{place.backend}: bytes per call: {calls} calls through the API, 40 days ago")
            with _days_ago(AGE_DAYS):
                _calls(client, token, slots[:calls], seeded.callers, "day1")
            day_total, day_tables = _sizes(database)
            before = (day_total - start_total) / calls
            by_table = _growth(start_tables, day_tables, calls)
            if not sqlite:  # a day within the change feed's 30 days: kept by the prune
                log(f"{place.backend}: bytes per call: {calls} calls today")
                _calls(client, token, slots[calls : 2 * calls], seeded.callers, "day2")
            began = time.perf_counter()
            report = prune(database, RetentionSettings())
            prune_seconds = time.perf_counter() - began
            pruned_total, pruned_tables = _sizes(database)
            if sqlite:
                after = (pruned_total - start_total) / calls
                kept = _growth(start_tables, pruned_tables, calls)
                end_total = pruned_total
            else:
                log(f"{place.backend}: bytes per call: {calls} more calls after the prune")
                _calls(client, token, slots[2 * calls :], seeded.callers, "day3")
                end_total, end_tables = _sizes(database)
                after = (end_total - pruned_total) / calls
                kept = _growth(pruned_tables, end_tables, calls)
        floor = sum(size for name, size in kept.items() if name not in PRUNED)
        return Result(
            calls=calls,
            before=before,
            after=after,
            floor=floor,
            by_table=by_table,
            by_table_after=kept,
            removed=report.removed,
            prune_seconds=prune_seconds,
            sizes={
                "start": start_total,
                "after the old day": day_total,
                "pruned": pruned_total,
                "end": end_total,
            },
        )
    finally:
        database.dispose()
        place.drop(SCRATCH)


def rows(result: Result, backend: str) -> list[Row]:
    pruned = ", ".join(f"{name} {result.by_table.get(name, 0):,.0f} B" for name in sorted(PRUNED))
    pruned_after = ", ".join(
        f"{name} {result.by_table_after.get(name, 0):,.0f} B" for name in sorted(PRUNED)
    )
    if backend == "sqlite":
        how = "the file after the prune (freed pages given back to the file system)"
    else:
        how = (
            "growth per call of a day of calls after the prune took the old day (the files "
            f"keep their size; new rows reuse the space it freed; of which {pruned_after})"
        )
    return [
        Row(
            figure="bytes_per_call",
            title=f"database bytes per call, {result.calls} calls, after a prune",
            backend=backend,
            value=result.after,
            unit="B",
            target=f"< {result.before:,.0f} B (before the prune)",
            floor=result.floor,
            ratio=result.after / result.floor if result.floor > 0 else None,
            status=judge(result.after, at_most=result.before - 1),
            notes=(
                f"bytes_per_call, {backend}: {result.before:,.0f} B a call before a prune "
                f"(of which {pruned}), {result.after:,.0f} B after: {how}; the floor is the "
                f"growth of the tables never pruned. The prune ran with the defaults, the day of "
                f"calls {AGE_DAYS} days old, in {result.prune_seconds:.2f} s and removed "
                + ", ".join(f"{name} {count}" for name, count in result.removed.items())
                + "; database bytes: "
                + ", ".join(f"{name} {size:,}" for name, size in result.sizes.items())
            ),
            detail={
                "before": result.before,
                "after": result.after,
                "by_table_before": result.by_table,
                "removed": result.removed,
            },
        )
    ]
