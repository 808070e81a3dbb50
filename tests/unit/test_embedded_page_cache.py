"""The embedded service's SQLite connections keep a small page cache (it answers one desk)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from console.client.embedded import PAGE_CACHE_KIB, limit_page_cache
from console.server.db import Database


def cache_size(database: Database) -> int:
    with database.read() as connection:
        return int(connection.execute(text("PRAGMA cache_size")).scalar_one())


def test_every_connection_gets_the_small_cache(tmp_path: Path) -> None:
    database = Database.open(tmp_path / "central.db")
    try:
        assert cache_size(database) != -PAGE_CACHE_KIB  # SQLite's default, before
        limit_page_cache(database)
        assert cache_size(database) == -PAGE_CACHE_KIB  # the pooled one was replaced
        with database.read() as one, database.read() as two:  # two connections at once
            for connection in (one, two):  # and each new one has it too
                size = connection.execute(text("PRAGMA cache_size")).scalar_one()
                assert size == -PAGE_CACHE_KIB
    finally:
        database.dispose()
