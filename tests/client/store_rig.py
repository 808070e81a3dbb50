"""The central service under uvicorn and the desks' Stores against it, for the Store tests:
``rig`` (see ``conftest.py``) gives each test its own copy of the seeded database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import directory_fixture
import httpx
import support
from served import Central

from console.client.api import CentralApi
from console.client.cache import LocalCache
from console.client.store import Store
from console.server.db import Database


@dataclass
class Rig:
    central: Central
    database: Database
    world: support.World
    cache_file: Path
    stores: list[Store] = field(default_factory=list)
    directory: directory_fixture.Directory | None = None  # the doctors, when a test made them

    def store(self, who: str = "agent", *, timeout: float = 5.0, **options) -> Store:  # type: ignore[no-untyped-def]
        """A desk's Store: ``timeout`` the product's default request timeout (``[server]
        timeout_seconds``: a first sync reads everything, and a loaded test machine answers
        it late); a stopped service refuses at once, so failover does not wait for it."""
        api = CentralApi(self.central.url, support.TOKENS[who], timeout=timeout)
        store = Store(api, LocalCache(self.cache_file), **options)
        self.stores.append(store)
        return store

    def other_agent(self) -> httpx.Client:
        return httpx.Client(base_url=self.central.url, headers=self.world.headers("agent2"))

    def count(self, query) -> int:  # type: ignore[no-untyped-def]
        with self.database.read() as connection:
            return connection.execute(query).scalar_one()


@asynccontextmanager
async def serving(
    database: Database,
    url: str,
    world: support.World,
    cache_file: Path,
    directory: directory_fixture.Directory | None = None,
) -> AsyncIterator[Rig]:
    """The central service under uvicorn over ``database`` for one test; the desks' Stores
    made meanwhile are closed and the service stopped afterwards."""
    central = Central(database, url)
    central.start()
    rig = Rig(central, database, world, cache_file, directory=directory)
    try:
        yield rig
    finally:
        for store in rig.stores:
            await store.aclose()
        central.stop()
