"""The floor's SQL written once per database dialect, and the SQL of an hour."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, text
from sqlalchemy.types import DateTime


def hour_sql(connection: Connection, column: str) -> str:
    """SQL for the stored (UTC) hour a time falls in."""
    if connection.dialect.name == "postgresql":
        return f"date_trunc('hour', {column})"
    return f"strftime('%Y-%m-%d %H:00:00', {column})"


def as_hour(value: Any) -> datetime:
    if isinstance(value, str):
        return datetime.fromisoformat(value)
    return value.replace(tzinfo=None) if value.tzinfo else value


def _range(*names: str):  # type: ignore[no-untyped-def]
    return [bindparam(name, type_=DateTime) for name in names]


_STATEMENTS: dict[tuple, Any] = {}


def cached_statement(connection: Connection, name: str, build: Any, *params: str) -> Any:
    """The text statement ``build(connection)`` with typed time ``params``, written once per
    database dialect (the floor is read every few seconds by every supervisor)."""
    key = (connection.dialect.name, name, params)
    statement = _STATEMENTS.get(key)
    if statement is None:
        statement = _STATEMENTS[key] = text(build(connection)).bindparams(*_range(*params))
    return statement
