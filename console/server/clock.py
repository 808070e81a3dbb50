"""Naive-UTC times as stored, and their aware form on the wire."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import overload


def now() -> datetime:
    """The current time as stored in the database: naive UTC, to the microsecond."""
    return datetime.now(UTC).replace(tzinfo=None)


def to_db(value: datetime) -> datetime:
    """An aware time (any zone) to naive UTC; a naive one is taken to be UTC already."""
    if value.tzinfo is None:
        return value
    return value.astimezone(UTC).replace(tzinfo=None)


@overload
def from_db(value: datetime) -> datetime: ...
@overload
def from_db(value: None) -> None: ...
def from_db(value: datetime | None) -> datetime | None:
    """A stored time (naive UTC, or text from raw SQL on SQLite) as an aware UTC time."""
    if value is None:
        return None
    if isinstance(value, str):  # raw SQL on SQLite returns text
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
