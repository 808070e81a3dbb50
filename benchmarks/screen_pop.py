"""The screen pop, end to end across two processes: from the telephone system's ``ringing``
event posted to the central service (uvicorn, as ``serve`` runs it) to the first frame of the
console (a process of its own, ``benchmarks.console_probe screen-pop``) that shows the card of
the caller the number belongs to. Target: at most 1 s, for every call rung.

The service runs on a scratch database of its own (created, migrated and dropped here) holding
the callers whose numbers ring, a desk agent, and a ``telephony`` token. The console signs in
with ``[telephony] extension`` set and follows the feed as it always does (its long poll); the
parent posts ``ringing`` for a number of one caller on that extension, waits for the console's
frame, posts ``answered`` on another extension (the call was taken elsewhere), waits a moment
(a random 0.2-1.2 s, so calls arrive at any point of the desk's sync round) and rings again.

The floor, measured on the same events in the same run: a bare HTTP client in a third process
(``console_probe feed``) that long-polls the change feed the way the desk does
(``GET /v1/changes?since=N&wait=S``) and notes when each ringing change arrived. The gap
between the two is the console's own part: its sync round after the long poll, the match of the
number to its caller, and drawing the dialog.

Every time is ``time.monotonic()`` of the process that took it (CLOCK_MONOTONIC, one clock for
the whole machine), from the moment before the parent posted the event.
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
from console.domain.models import CallerIn
from console.server import callers
from console.server.agents import create_agent
from console.server.db import Database
from console.server.migrate import upgrade

TARGET_SECONDS = 1.0
SCRATCH = "screen_pop_scratch"
EXTENSION = "101"
ELSEWHERE = "102"


@dataclass
class PopResult:
    rounds: int
    pops: list[float] = field(default_factory=list)  # seconds, event posted -> card drawn
    floors: list[float] = field(default_factory=list)  # seconds, event posted -> feed answer
    posts: list[float] = field(default_factory=list)  # seconds the POST itself took
    rss_mb: float = math.nan
    workers: int = 1


def _scratch(place: Place) -> Database:
    place.create_empty(SCRATCH)
    database = Database.open(place.url_for(SCRATCH))
    upgrade(database.engine)
    return database


def _world(database: Database, rounds: int) -> tuple[str, str, str, list[str]]:
    """(desk token, floor token, telephony token, one number per caller)."""
    with database.write() as connection:
        desk, desk_token = create_agent(connection, "bench screen pop desk", "agent")
        _floor, floor_token = create_agent(connection, "bench screen pop feed", "agent")
        _pbx, pbx_token = create_agent(connection, "bench telephone system", "telephony")
        numbers = []
        for index in range(rounds):
            number = f"041 {100 + index:03d} {200 + index:03d}"
            callers.create(
                connection,
                desk,
                CallerIn(first_name=f"Klicatelj {index + 1}", last_name="Zvonar", phones=[number]),
            )
            numbers.append(number)
    return desk_token, floor_token, pbx_token, numbers


def run(
    place: Place, *, rounds: int, workers: int, log: Callable[[str], None], seed: int = 15
) -> PopResult:
    rng = random.Random(seed)
    result = PopResult(rounds=rounds)
    database = _scratch(place)
    try:
        desk_token, floor_token, pbx_token, numbers = _world(database, rounds)
        log(f"{place.backend}: screen pop, {rounds} calls rung on a console's extension")
        result.workers = workers
        with (
            tempfile.TemporaryDirectory(prefix="bench-screen-pop-") as scratch,
            ApiServer(place.url_for(SCRATCH), workers=workers) as server,
        ):
            common = ["--server", server.url, "--extension", EXTENSION, "--rounds", str(rounds)]
            with console_and_feed(
                Path(scratch),
                ["screen-pop", *common, "--token", desk_token],
                ["feed", *common, "--token", floor_token],
            ) as (console, floor):
                console.line()  # ready, synced, the extension declared
                floor.line()
                _ring_rounds(server.url, pbx_token, numbers, console, floor, result, rng)
                result.rss_mb = float(console.line().get("rss_mb", math.nan))
                floor.line()
    finally:
        database.dispose()
        place.drop(SCRATCH)
    return result


def _ring_rounds(
    url: str,
    token: str,
    numbers: list[str],
    console: ProbeProcess,
    floor: ProbeProcess,
    result: PopResult,
    rng: random.Random,
) -> None:
    with httpx.Client(
        base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30
    ) as pbx:
        pbx.get("/health")  # connected
        for index, number in enumerate(numbers):
            call_id = f"{int(time.time())}.{index + 1}"
            posted = time.monotonic()
            answer = pbx.post(
                "/v1/telephony/events",
                json={
                    "event": "ringing",
                    "call_id": call_id,
                    "extension": EXTENSION,
                    "number": number,
                    "line": "UE",
                },
            )
            result.posts.append(time.monotonic() - posted)
            answer.raise_for_status()
            for probe, times in ((console, result.pops), (floor, result.floors)):
                times.append(probe.seen("shown", call_id, posted))
            pbx.post(
                "/v1/telephony/events",
                json={"event": "answered", "call_id": call_id, "extension": ELSEWHERE},
            ).raise_for_status()
            time.sleep(rng.uniform(0.2, 1.2))


def rows(result: PopResult, backend: str) -> list[Row]:
    pops, floors = result.pops, result.floors
    value = max(pops, default=math.nan)
    floor = max(floors, default=math.nan)
    return [
        worst_case_row(
            figure="screen_pop",
            title=f"screen pop, event to card drawn, max of {len(pops)}",
            backend=backend,
            times=pops,
            floors=floors,
            rounds=result.rounds,
            target_seconds=TARGET_SECONDS,
            notes=(
                f"screen pop, {backend}: {len(pops)} calls rung on a console's extension "
                f"(ringing posted to uvicorn with {result.workers} worker process(es), the "
                "console in a process of its own following the feed with its long poll), each "
                "timed from the POST to the first frame drawn with the caller's card; "
                f"p50 {median(pops) * 1000:.0f} ms, p90 {percentile(pops, 0.9) * 1000:.0f} ms, "
                f"max {value * 1000:.0f} ms; floor = a bare HTTP client in a third process "
                "long-polling the feed the same way, the same events: "
                f"p50 {median(floors) * 1000:.0f} ms, max {floor * 1000:.0f} ms; the POST itself "
                f"p50 {median(result.posts) * 1000:.0f} ms; console RSS {result.rss_mb:.0f} MB"
            ),
            detail_key="pops_ms",
        )
    ]
