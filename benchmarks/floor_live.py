"""The floor, live, end to end across processes: from an agent's desk reporting a new state
(``PUT /v1/desk/state``, away with a reason, then ready again, and so on) to the first frame of
a supervisor's console (a process of its own, ``benchmarks.console_probe floor-watch``, on the
floor screen as a supervisor's console opens it) whose agents table shows that agent in the new
state. Target: at most 2 s, for every change.

The service (uvicorn, as ``serve`` runs it) runs on a scratch database of its own (created,
migrated and dropped here) holding the desk's agent, the supervisor whose console watches, and a
second supervisor for the floor probe. The parent plays the agent's desk: it reports ready, waits
for the console to show the agent, then changes the state ``rounds`` times, each time waiting
for the console's frame, then a moment (a random 0.2-1.2 s, so changes arrive at any point of
the console's feed round and of its floor read).

The floor, measured on the same changes in the same run: a bare HTTP client in a third process
(``console_probe floor-feed``) that long-polls the change feed (``GET /v1/changes?since=N&wait=S``)
and notes when each state change of the agent arrived. The gap between the two is the console's
own part: its feed round, reading ``GET /v1/floor``, and drawing the table.

Every time is ``time.monotonic()`` of the process that took it (CLOCK_MONOTONIC, one clock for
the whole machine), from the moment before the parent sent the PUT.
"""

from __future__ import annotations

import math
import random
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from benchmarks.dataset import Place
from benchmarks.probes import ProbeProcess, console_and_feed, worst_case_row
from benchmarks.report import Row
from benchmarks.server import ApiServer
from benchmarks.stats import median, percentile
from console.server.agents import create_agent
from console.server.db import Database
from console.server.migrate import upgrade

TARGET_SECONDS = 2.0
SCRATCH = "floor_live_scratch"
AWAY = {"state": "away", "reason": "break"}
READY = {"state": "ready"}


@dataclass
class FloorLiveResult:
    rounds: int
    shown: list[float] = field(default_factory=list)  # seconds, PUT sent -> console's frame
    floors: list[float] = field(default_factory=list)  # seconds, PUT sent -> feed answer
    puts: list[float] = field(default_factory=list)  # seconds the PUT itself took
    rss_mb: float = math.nan
    workers: int = 1


def _world(database: Database) -> tuple[int, str, str, str]:
    """(the desk agent's id, its token, the watching supervisor's token, the feed's token)."""
    with database.write() as connection:
        desk, desk_token = create_agent(connection, "bench floor desk", "agent")
        _watch, watch_token = create_agent(connection, "bench floor supervisor", "supervisor")
        _feed, feed_token = create_agent(connection, "bench floor feed", "supervisor")
    return desk.id, desk_token, watch_token, feed_token


def run(
    place: Place, *, rounds: int, workers: int, log: Callable[[str], None], seed: int = 14
) -> FloorLiveResult:
    rng = random.Random(seed)
    result = FloorLiveResult(rounds=rounds, workers=workers)
    place.create_empty(SCRATCH)
    database = Database.open(place.url_for(SCRATCH))
    try:
        upgrade(database.engine)
        agent_id, desk_token, watch_token, feed_token = _world(database)
        log(f"{place.backend}: the floor live, {rounds} state changes seen on a supervisor's")
        with (
            tempfile.TemporaryDirectory(prefix="bench-floor-live-") as scratch,
            ApiServer(place.url_for(SCRATCH), workers=workers) as server,
            httpx.Client(
                base_url=server.url, headers={"Authorization": f"Bearer {desk_token}"}, timeout=30
            ) as desk,
        ):
            desk.put("/v1/desk/state", json=READY).raise_for_status()  # on the floor, ready
            common = ["--server", server.url, "--agent-id", str(agent_id), "--rounds", str(rounds)]
            with console_and_feed(
                Path(scratch),
                ["floor-watch", *common, "--token", watch_token],
                ["floor-feed", *common, "--token", feed_token],
            ) as (console, floor):
                ready = console.line()  # the floor shown, the agent on it
                if ready.get("state") != READY["state"]:
                    raise RuntimeError(f"the floor showed the agent as {ready!r}, not ready")
                floor.line()
                _change_rounds(desk, console, floor, result, rng)
                result.rss_mb = float(console.line().get("rss_mb", math.nan))
                floor.line()
    finally:
        database.dispose()
        place.drop(SCRATCH)
    return result


def _change_rounds(
    desk: httpx.Client,
    console: ProbeProcess,
    floor: ProbeProcess,
    result: FloorLiveResult,
    rng: random.Random,
) -> None:
    for index in range(result.rounds):
        time.sleep(rng.uniform(0.2, 1.2))
        report = AWAY if index % 2 == 0 else READY
        sent = time.monotonic()
        answer = desk.put("/v1/desk/state", json=report)
        result.puts.append(time.monotonic() - sent)
        answer.raise_for_status()
        for probe, times in ((console, result.shown), (floor, result.floors)):
            times.append(probe.seen("state", report["state"], sent))


def rows(result: FloorLiveResult, backend: str) -> list[Row]:
    shown, floors = result.shown, result.floors
    value = max(shown, default=math.nan)
    floor = max(floors, default=math.nan)
    return [
        worst_case_row(
            figure="floor_live",
            title=f"agent's state change to a supervisor's floor, max of {len(shown)}",
            backend=backend,
            times=shown,
            floors=floors,
            rounds=result.rounds,
            target_seconds=TARGET_SECONDS,
            notes=(
                f"floor live, {backend}: {len(shown)} state changes (away, ready, …) reported by "
                f"a desk with PUT /v1/desk/state to uvicorn with {result.workers} worker "
                "process(es), each timed from the PUT to the first frame of a supervisor's "
                "console (a process of its own, on the floor screen) whose agents table shows "
                f"the new state; p50 {median(shown) * 1000:.0f} ms, "
                f"p90 {percentile(shown, 0.9) * 1000:.0f} ms, max {value * 1000:.0f} ms; "
                "floor = a bare HTTP client in a third process long-polling the change feed, "
                f"the same changes: p50 {median(floors) * 1000:.0f} ms, max {floor * 1000:.0f} "
                f"ms; the PUT itself p50 {median(result.puts) * 1000:.0f} ms; console RSS "
                f"{result.rss_mb:.0f} MB"
            ),
            detail_key="shown_ms",
        )
    ]
