"""Fixtures of the Store tests: the central service under uvicorn on a copy of the seeded
SQLite database, and the desks' Stores against it (``store_rig.Rig``)."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import support
from store_rig import Rig, serving

from console.server.db import Database


@pytest.fixture
def central_db(tmp_path: Path, _sqlite_template: Path) -> Iterator[tuple[str, Database]]:
    path = tmp_path / "central.db"
    shutil.copyfile(_sqlite_template, path)
    database = Database.open(path)
    yield str(path), database
    database.dispose()


@pytest.fixture
async def rig(central_db, tmp_path: Path) -> AsyncIterator[Rig]:  # type: ignore[no-untyped-def]
    url, database = central_db
    world = support.build_world(database, days=3, slots_per_day=6)
    async with serving(database, url, world, tmp_path / "desk" / "desk.db") as rig:
        yield rig
