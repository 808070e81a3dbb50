"""Desks and the change feed once retention has pruned it: a desk that starts after a prune
starts at the feed's head and never gets a 410; one whose cursor is older gets ``resync``.
The real API app in-process over httpx's ASGI transport, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import support

from console.client.api import ApiRefused, CentralApi
from console.client.cache import LocalCache
from console.client.feed import ChangeBatch
from console.client.store import Store
from console.domain.models import CallerIn
from console.server import clock
from console.server.app import create_app
from console.server.db import Database
from console.server.retention import prune
from console.server.settings import RetentionSettings, ServerSettings


@dataclass
class Desks:
    api: CentralApi
    other: CentralApi
    database: Database


@pytest.fixture
async def desks(database_url_param: str) -> AsyncIterator[Desks]:
    database = Database.open(database_url_param)
    support.build_world(database)
    app = create_app(ServerSettings(database=database_url_param), database, migrate=False)

    def client(who: str) -> CentralApi:
        return CentralApi(
            "http://central", support.TOKENS[who], transport=httpx.ASGITransport(app=app)
        )

    api, other = client("agent"), client("agent2")
    yield Desks(api=api, other=other, database=database)
    await api.aclose()
    await other.aclose()
    database.dispose()


async def history_then_prune(desks: Desks) -> int:
    """Writes, then a prune 45 days later that takes every one of them; the feed's head."""
    for number in range(5):
        await desks.other.create_caller(CallerIn(first_name="Ana", last_name=f"Kos{number}"))
    report = prune(desks.database, RetentionSettings(), now=clock.now() + timedelta(days=45))
    assert report.removed["changes"] >= 5
    head = await desks.api.latest_change()
    assert report.feed_starts_after == head
    return head


async def test_a_desk_started_after_a_prune_follows_from_the_head(desks, tmp_path: Path) -> None:
    await history_then_prune(desks)
    store = Store(desks.api, LocalCache(tmp_path / "desk.db"))
    seen: list[ChangeBatch] = []
    store.feed.subscribe(seen.append)
    try:
        assert await store.sync_once(), store.last_error
        assert [c for batch in seen for c in batch.changes] == []  # started at the head
        made = await desks.other.create_caller(CallerIn(first_name="Eva", last_name="Zupan"))
        assert await store.sync_once(), store.last_error
        assert [(c.entity, c.entity_id) for b in seen for c in b.changes] == [("caller", made.id)]
    finally:
        await store.aclose()


async def test_a_desk_started_after_a_prune_syncs_without_a_410(desks, tmp_path: Path) -> None:
    head = await history_then_prune(desks)
    store = Store(desks.api, LocalCache(tmp_path / "desk.db"))
    try:
        assert await store.sync_once(), store.last_error
        assert store.cache.last_seq == head
        await desks.other.create_caller(CallerIn(first_name="Eva", last_name="Zupan"))
        assert await store.sync_once(), store.last_error
        assert store.cache.last_seq > head
    finally:
        await store.aclose()


async def test_a_cursor_from_before_the_prune_is_told_to_resync(desks) -> None:
    await history_then_prune(desks)
    with pytest.raises(ApiRefused) as refused:
        await desks.api.changes(1)
    assert refused.value.status == 410
    assert refused.value.error == "resync" and refused.value.field == "since"
