"""How full the next working days are: free, booked and total slots per service, with the
slot totals kept between reads and counted again when newer slots exist. Both engines."""

from __future__ import annotations

from datetime import timedelta

import support
from sqlalchemy import insert, select, update

from console.server import floor
from console.server.floor_settings import FloorSettings
from console.server.schema import slots


def windows(api, code: str = "ue-id-card") -> list[tuple[int, int, int]]:  # type: ignore[no-untyped-def]
    services = api.get("/v1/floor", "supervisor").json()["services"]
    found = next(s for s in services if s["code"] == code)
    return [(w["free"], w["booked"], w["total"]) for w in found["windows"]]


def test_booked_and_blocked_slots_are_counted_on_every_read(api) -> None:  # type: ignore[no-untyped-def]
    counter1 = support.slots_of(api.world, "counter-1")
    assert windows(api) == [(12, 0, 12), (36, 0, 36), (36, 0, 36)]
    api.book(counter1[0])
    assert windows(api) == [(11, 1, 12), (35, 1, 36), (35, 1, 36)]
    with api.database.write() as connection:
        connection.execute(update(slots).where(slots.c.id == counter1[1]).values(status="blocked"))
    # A blocked slot is neither free nor bookable: it leaves the total.
    assert windows(api) == [(10, 1, 11), (34, 1, 35), (34, 1, 35)]


def test_newer_slots_are_counted_at_once(api) -> None:  # type: ignore[no-untyped-def]
    assert windows(api)[0] == (12, 0, 12)
    first = support.slots_of(api.world, "counter-1")[-1]
    with api.database.write() as connection:
        row = connection.execute(select(slots).where(slots.c.id == first)).one()
        values = {k: v for k, v in row._mapping.items() if k != "id"}
        connection.execute(
            insert(slots).values(
                **values
                | {
                    "starts_at": row.starts_at + timedelta(minutes=20),
                    "ends_at": row.ends_at + timedelta(minutes=20),
                }
            )
        )
    # The new slot is on the third working day: in the 3- and 5-day windows.
    assert windows(api) == [(12, 0, 12), (37, 0, 37), (37, 0, 37)]


def test_the_totals_are_kept_between_reads_for_their_age(api) -> None:  # type: ignore[no-untyped-def]
    totals = floor.FloorCache()
    settings = FloorSettings()
    with api.database.read() as connection:
        first = floor.compute(connection, settings, totals)
    with api.database.write() as connection:  # a total changed behind the floor's back
        connection.execute(update(slots).values(service_id=api.world.services["health-gp"]))
    with api.database.read() as connection:
        kept = floor.compute(connection, settings, totals)
        fresh = floor.compute(connection, settings, floor.FloorCache())
    assert [s.windows for s in kept.services] == [s.windows for s in first.services]
    assert [s.windows for s in fresh.services] != [s.windows for s in first.services]
    aged = FloorSettings(slot_totals_seconds=0)
    with api.database.read() as connection:
        again = floor.compute(connection, aged, totals)
    assert [s.windows for s in again.services] == [s.windows for s in fresh.services]
