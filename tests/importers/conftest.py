"""Fixtures for the importer tests: a database on each backend, and the real lists."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import shared_data

from console.server.db import Database


@pytest.fixture
def database(database_url_param: str) -> Iterator[Database]:
    """A freshly migrated, empty database on SQLite and on PostgreSQL."""
    database = Database.open(database_url_param)
    yield database
    database.dispose()


@pytest.fixture
def real_data() -> Path:
    """``../shared/data`` (skips locally without it, fails in CI)."""
    return shared_data.shared_data_or_skip()


@pytest.fixture
def real_lists(real_data: Path) -> list[Path]:
    return sorted((real_data / "zzzs").glob("*.xlsx"))
