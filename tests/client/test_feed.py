"""ChangeFollower against the real API app (in-process over httpx's ASGI transport)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
import support

from console.client.api import CentralApi
from console.client.feed import ChangeFollower, feed_end
from console.domain.models import CallerIn
from console.server.app import create_app
from console.server.db import Database
from console.server.settings import ServerSettings


@dataclass
class Desk:
    api: CentralApi
    other: CentralApi  # a second agent, making changes the first one follows
    world: support.World


@pytest.fixture
async def desk(database_url_param: str) -> AsyncIterator[Desk]:
    database = Database.open(database_url_param)
    world = support.build_world(database)
    app = create_app(ServerSettings(database=database_url_param), database, migrate=False)

    def client(who: str) -> CentralApi:
        return CentralApi(
            "http://central", support.TOKENS[who], transport=httpx.ASGITransport(app=app)
        )

    api, other = client("agent"), client("agent2")
    yield Desk(api=api, other=other, world=world)
    await api.aclose()
    await other.aclose()
    database.dispose()


async def add_callers(api: CentralApi, count: int) -> None:
    for n in range(count):
        await api.create_caller(CallerIn(first_name="Ana", last_name=f"Kos{n}"))


async def test_a_new_follower_starts_at_the_end_and_then_sees_each_change_once(desk) -> None:
    await add_callers(desk.other, 3)  # history the follower must not replay
    follower = ChangeFollower(desk.api)
    assert not follower.started
    assert await follower.poll() == []
    assert follower.started

    slot_id = desk.world.slots[0]
    hold = await desk.other.hold(slot_id)
    await desk.other.book(desk.world.callers["janez"], hold_id=hold.id)
    seen = [(c.entity, c.entity_id, c.op) for c in await follower.poll()]
    assert ("slot", slot_id, "held") in seen
    assert ("slot", slot_id, "booked") in seen
    assert seen.index(("slot", slot_id, "held")) < seen.index(("slot", slot_id, "booked"))
    assert await follower.poll() == []


async def test_a_freed_slot_carries_its_service(desk) -> None:
    slot_id = desk.world.slots[1]
    booking = await desk.other.book(desk.world.callers["spela"], slot_id=slot_id)
    follower = ChangeFollower(desk.api)
    await follower.start()
    await desk.other.cancel(booking.reference, "changed plans")
    freed = [c for c in await follower.poll() if c.op == "freed"]
    assert [(c.entity, c.entity_id) for c in freed] == [("slot", slot_id)]
    assert freed[0].data["service_id"] == desk.world.services["ue-id-card"]


async def test_the_feed_end_is_one_request_and_a_long_feed_is_read_in_pages(desk) -> None:
    assert await feed_end(desk.api) == (await desk.api.changes(0, limit=5000)).last_seq
    await add_callers(desk.other, 23)
    newest = (await desk.api.changes(0, limit=5000)).last_seq
    assert await feed_end(desk.api) == newest

    follower = ChangeFollower(desk.api, since=0, page_size=4)
    everything = await follower.poll()  # many pages in one poll
    assert [c.seq for c in everything] == sorted({c.seq for c in everything})
    assert everything[-1].seq == newest == follower.since
    assert not follower.fell_behind


async def test_a_follower_given_a_position_reads_from_there(desk) -> None:
    start = await feed_end(desk.api)
    await add_callers(desk.other, 2)
    follower = ChangeFollower(desk.api, since=start)
    changes = await follower.poll()
    assert [(c.entity, c.op) for c in changes] == [("caller", "created"), ("caller", "created")]
    assert follower.since == changes[-1].seq
