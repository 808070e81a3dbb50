"""The desk's one change-feed poller (``ChangeFeed``) against the real API app (in-process
over httpx's ASGI transport): it applies the feed to the cache and delivers every batch to each
of its subscribers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import support

from console.client import feed as feed_module
from console.client.api import CentralApi
from console.client.cache import LocalCache
from console.client.directory_cache import DirectoryCache
from console.client.feed import ChangeBatch, ChangeFeed
from console.domain.models import CallerIn
from console.server.app import create_app
from console.server.db import Database
from console.server.settings import ServerSettings


@dataclass
class Desk:
    api: CentralApi
    other: CentralApi  # a second agent, making changes the first one follows
    world: support.World
    cache: LocalCache

    def feed(self, page_size: int = 1000) -> ChangeFeed:
        return ChangeFeed(
            self.api, self.cache, DirectoryCache(self.cache), window_days=30, page_size=page_size
        )


@pytest.fixture
async def desk(database_url_param: str, tmp_path: Path) -> AsyncIterator[Desk]:
    database = Database.open(database_url_param)
    world = support.build_world(database)
    app = create_app(ServerSettings(database=database_url_param), database, migrate=False)

    def client(who: str) -> CentralApi:
        return CentralApi(
            "http://central", support.TOKENS[who], transport=httpx.ASGITransport(app=app)
        )

    api, other = client("agent"), client("agent2")
    cache = LocalCache(tmp_path / "desk.db")
    yield Desk(api=api, other=other, world=world, cache=cache)
    cache.close()
    await api.aclose()
    await other.aclose()
    database.dispose()


async def add_callers(api: CentralApi, count: int) -> None:
    for n in range(count):
        await api.create_caller(CallerIn(first_name="Ana", last_name=f"Kos{n}"))


def seen(batches: list[ChangeBatch]) -> list[tuple[str, int, str]]:
    return [(c.entity, c.entity_id, c.op) for batch in batches for c in batch.changes]


async def test_one_poll_delivers_each_change_once_to_every_subscriber(desk) -> None:
    await add_callers(desk.other, 3)  # history before the desk's cursor: not delivered
    feed = desk.feed()
    desk.cache.last_seq = await feed.head()
    first: list[ChangeBatch] = []
    second: list[ChangeBatch] = []
    feed.subscribe(first.append)
    feed.subscribe(second.append)

    def broken(batch: ChangeBatch) -> None:
        raise RuntimeError("a subscriber's bug")

    feed.subscribe(broken)  # fails on every batch: the others still get theirs

    slot_id = desk.world.slots[0]
    hold = await desk.other.hold(slot_id)
    await desk.other.book(desk.world.callers["janez"], hold_id=hold.id)
    await feed.poll()
    assert len(first) == 1 and first == second
    changes = seen(first)
    assert ("slot", slot_id, "held") in changes and ("slot", slot_id, "booked") in changes
    assert changes.index(("slot", slot_id, "held")) < changes.index(("slot", slot_id, "booked"))
    assert not any(entity == "caller" for entity, _id, _op in changes)
    # Applied to the cache, and the cursor moved with it.
    assert desk.cache.last_seq == first[0].changes[-1].seq

    await feed.poll()  # nothing new: nothing delivered
    assert len(first) == len(second) == 1


async def test_an_unsubscribed_listener_gets_nothing_more(desk) -> None:
    feed = desk.feed()
    desk.cache.last_seq = await feed.head()
    kept: list[ChangeBatch] = []
    gone: list[ChangeBatch] = []
    feed.subscribe(kept.append)
    unsubscribe = feed.subscribe(gone.append)
    await add_callers(desk.other, 1)
    await feed.poll()
    unsubscribe()
    unsubscribe()  # twice is harmless
    await add_callers(desk.other, 2)
    await feed.poll()
    assert len(seen(kept)) == 3 and len(seen(gone)) == 1


async def test_a_freed_slot_carries_its_service(desk) -> None:
    slot_id = desk.world.slots[1]
    booking = await desk.other.book(desk.world.callers["spela"], slot_id=slot_id)
    feed = desk.feed()
    desk.cache.last_seq = await feed.head()
    batches: list[ChangeBatch] = []
    feed.subscribe(batches.append)
    await desk.other.cancel(booking.reference, "changed plans")
    await feed.poll()
    freed = [c for batch in batches for c in batch.changes if c.op == "freed"]
    assert [(c.entity, c.entity_id) for c in freed] == [("slot", slot_id)]
    assert freed[0].data["service_id"] == desk.world.services["ue-id-card"]


async def test_a_long_feed_is_read_in_pages_and_a_batch_that_fell_behind_says_so(
    desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert await desk.feed().head() == (await desk.api.changes(0, limit=5000)).last_seq
    await add_callers(desk.other, 23)
    newest = (await desk.api.changes(0, limit=5000)).last_seq
    feed = desk.feed(page_size=4)
    assert await feed.head() == newest

    desk.cache.last_seq = 0
    batches: list[ChangeBatch] = []
    feed.subscribe(batches.append)
    await feed.poll()  # many pages in one poll: one batch
    [batch] = batches
    everything = [c.seq for c in batch.changes]
    assert everything == sorted(set(everything)) and everything[-1] == newest
    assert not batch.fell_behind and desk.cache.last_seq == newest

    monkeypatch.setattr(feed_module, "MAX_DELIVERED", 10)
    desk.cache.last_seq = 0
    await feed.poll()
    behind = batches[-1]
    assert behind.fell_behind and len(behind.changes) == 10
    assert desk.cache.last_seq == newest  # the cache applied everything all the same


async def test_without_subscribers_the_feed_is_still_applied(desk) -> None:
    feed = desk.feed()
    desk.cache.last_seq = await feed.head()
    slot_id = desk.world.slots[2]
    await desk.other.book(desk.world.callers["janez"], slot_id=slot_id)
    await feed.poll()
    assert desk.cache.last_seq == await feed.head()
