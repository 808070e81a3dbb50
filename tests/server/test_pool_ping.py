"""PostgreSQL's pool tests a connection before use only after it was idle, and replaces one
the server has dropped before any request sees it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text

from console.server import db as db_module
from console.server.db import Database


@pytest.fixture
def database(database_url_param: str) -> Iterator[Database]:
    database = Database.open(database_url_param)
    yield database
    database.dispose()


def _counting_pings(database: Database, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    pings: list[int] = []
    dialect = database.engine.dialect
    ping = dialect.do_ping

    def counting(connection):
        pings.append(1)
        return ping(connection)

    monkeypatch.setattr(dialect, "do_ping", counting)
    return pings


def _backend_pid(database: Database) -> int:
    with database.read() as connection:
        return int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())


@pytest.mark.parametrize("database_url_param", ["postgres"], indirect=True)
def test_a_connection_in_steady_use_is_not_tested(database: Database, monkeypatch) -> None:
    pings = _counting_pings(database, monkeypatch)
    for _ in range(20):
        _backend_pid(database)
    assert pings == []


@pytest.mark.parametrize("database_url_param", ["postgres"], indirect=True)
def test_a_dropped_idle_connection_is_replaced_unseen(database: Database, monkeypatch) -> None:
    first = _backend_pid(database)
    other = create_engine(database.engine.url)  # the server drops the pooled connection
    with other.connect() as connection:
        connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
    other.dispose()
    monkeypatch.setattr(db_module.time, "monotonic", lambda: 1e12)  # ... and time passes
    pings = _counting_pings(database, monkeypatch)
    second = _backend_pid(database)
    assert second != first, "a new connection answered"
    assert pings, "the idle connection was tested first"
