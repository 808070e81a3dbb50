"""How values are written in the cache's columns: times as sortable UTC text, models as
JSON."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


def ts(value: datetime) -> str:
    """A time as the cache's sortable UTC text (naive times are taken to be UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def from_ts(text: str | None) -> datetime | None:
    if text is None:
        return None
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_json(model: Any) -> str:
    return model.model_dump_json()
