"""The floor keeps today's settled figures between reads and counts only what came since: at
every step of a day it answers exactly what counting everything afresh answers, across the
watermark, midnight and a clock set back. Both engines."""

from __future__ import annotations

from datetime import timedelta

import pytest
import support
from floor_clock import FakeClock, today

from console.server import floor
from console.server.floor.settled import SETTLE
from console.server.floor_settings import FloorSettings

SETTINGS = FloorSettings(unreachable_after_seconds=100_000)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    return FakeClock(FakeClock.local(today(), 8)).install(monkeypatch)


def same_as_afresh(api, cache: floor.FloorCache) -> dict:  # type: ignore[no-untyped-def]
    """The floor through ``cache`` and counted afresh, compared; the figures returned."""
    with api.database.read() as connection:
        kept = floor.compute(connection, SETTINGS, cache).model_dump()
        afresh = floor.compute(connection, SETTINGS).model_dump()
    assert kept == afresh
    served = api.get("/v1/floor", "supervisor").json()  # the service's own cache, too
    assert (served["today"]["calls"], served["today"]["bookings"]) == (
        kept["today"]["calls"],
        kept["today"]["bookings"],
    )
    return kept


def call(api, clock: FakeClock, who: str, talk: int, acw: int, disposition: str) -> int:  # type: ignore[no-untyped-def]
    call_id = api.post("/v1/calls", who, json={}).json()["id"]
    clock.advance(talk)
    ended = FakeClock.wire(clock.now())
    clock.advance(acw)
    response = api.post(
        f"/v1/calls/{call_id}/wrapup",
        who,
        json={"disposition": disposition, "ended_at": ended, "after_call_work_seconds": acw},
    )
    assert response.status_code == 200, response.text
    return call_id


def test_the_kept_figures_always_equal_a_fresh_count(api, clock) -> None:  # type: ignore[no-untyped-def]
    cache = floor.FloorCache()
    counter = support.slots_of(api.world, "counter-1")
    assert same_as_afresh(api, cache)["today"]["calls"] == 0
    call(api, clock, "agent", 100, 20, "information")
    open_call = api.post("/v1/calls", "agent2", json={}).json()["id"]
    same_as_afresh(api, cache)  # both within the last minutes: counted as recent
    clock.advance(600)
    same_as_afresh(api, cache)  # the first one is settled now, the open one still recent
    api.book(counter[0], who="agent2", call_id=open_call)
    clock.advance(30)
    same_as_afresh(api, cache)
    for minutes in (1, 1, 1, 5):  # wrap-ups on both sides of the moving watermark
        call(api, clock, "agent", 60, 10, "booked")
        clock.advance(minutes * 60)
        same_as_afresh(api, cache)
    api.post(f"/v1/calls/{open_call}/wrapup", "agent2", json={"disposition": "booked"})
    booking = api.book(counter[1])
    api.post(f"/v1/bookings/{booking['reference']}/cancel", json={})
    seen = same_as_afresh(api, cache)
    assert (seen["today"]["calls"], seen["today"]["wrapped"]) == (6, 6)
    assert (seen["today"]["bookings"], seen["today"]["cancellations"]) == (2, 1)
    clock.advance(3600)
    same_as_afresh(api, cache)
    # ... and it was the kept figures that answered: settled up to a moment SETTLE ago.
    assert cache.day._upto == clock.now() - SETTLE
    clock.advance(10)  # less than a folding step: nothing is folded, the answer is the same
    same_as_afresh(api, cache)
    assert cache.day._upto == clock.now() - SETTLE - timedelta(seconds=10)


def test_midnight_and_a_clock_set_back(api, clock) -> None:  # type: ignore[no-untyped-def]
    cache = floor.FloorCache()
    clock.set(FakeClock.local(today(), 23, 50))
    late = api.post("/v1/calls", json={}).json()["id"]
    call(api, clock, "agent2", 120, 30, "information")
    clock.advance(300)
    assert same_as_afresh(api, cache)["today"]["calls"] == 2
    clock.set(FakeClock.local(today() + timedelta(days=1), 0, 10))
    # A new day: yesterday's calls are not today's, even the one wrapped up after midnight.
    api.post(f"/v1/calls/{late}/wrapup", json={"disposition": "dropped"})
    clock.advance(600)
    assert same_as_afresh(api, cache)["today"]["calls"] == 0
    call(api, clock, "agent", 60, 5, "booked")
    clock.advance(600)
    assert same_as_afresh(api, cache)["today"]["calls"] == 1
    clock.set(FakeClock.local(today(), 23, 59))  # the clock is set back: counted afresh
    assert same_as_afresh(api, cache)["today"]["calls"] == 2
