"""Forty agents claiming callbacks at once through real HTTP (uvicorn on loopback), on SQLite
and PostgreSQL: every callback is claimed exactly once, nobody gets one twice, and when the
queue is empty everyone gets 204. The service's clock is set to a working morning."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import support
from served import Central
from sqlalchemy import func, insert, select

from console.domain.calendar import TZ
from console.domain.models import Role
from console.server import clock
from console.server.agents import create_agent
from console.server.db import Database
from console.server.schema import callbacks

AGENTS = 40
CALLBACKS = 120
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=TZ).astimezone(UTC).replace(tzinfo=None)


@pytest.fixture
def served(
    database_url_param: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, Database, list[str]]]:
    monkeypatch.setattr(clock, "now", lambda: NOW)
    database = Database.open(database_url_param)
    support.build_world(database, days=1, slots_per_day=1)
    tokens = []
    with database.write() as connection:
        for index in range(AGENTS):
            _, token = create_agent(connection, f"Line {index + 1}", Role.AGENT)
            tokens.append(token)
        rows = []
        for index in range(CALLBACKS):
            since = NOW - timedelta(minutes=CALLBACKS - index)
            rows.append(
                {
                    "number": f"+3864{index:07d}",
                    "source": "missed_call",
                    "status": "open",
                    "created_at": since,
                    "waiting_since": since,
                    "tries": 1,
                    "due_at": since,
                    "rank_at": since,
                }
            )
        connection.execute(insert(callbacks), rows)
    server = Central(database, database_url_param)
    server.start()
    try:
        yield server.url, database, tokens
    finally:
        server.stop()
        database.dispose()


def test_forty_agents_claiming_at_once_never_get_the_same_callback(served) -> None:  # type: ignore[no-untyped-def]
    url, database, tokens = served
    barrier = threading.Barrier(AGENTS)
    claimed: list[list[int]] = [[] for _ in range(AGENTS)]
    statuses: list[Counter] = [Counter() for _ in range(AGENTS)]

    def work(index: int) -> None:
        with httpx.Client(
            base_url=url, timeout=60, headers={"Authorization": f"Bearer {tokens[index]}"}
        ) as client:
            barrier.wait()
            while True:
                response = client.post("/v1/callbacks/claim")
                statuses[index][response.status_code] += 1
                if response.status_code != 200:
                    return
                claimed[index].append(response.json()["id"])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(AGENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    total = sum(statuses, Counter())
    assert total == {200: CALLBACKS, 204: AGENTS}, total
    everyone = [callback_id for mine in claimed for callback_id in mine]
    assert len(everyone) == len(set(everyone)) == CALLBACKS
    with database.read() as connection:
        rows = connection.execute(
            select(callbacks.c.claimed_by, func.count())
            .where(callbacks.c.status == "claimed")
            .group_by(callbacks.c.claimed_by)
        ).all()
    assert sum(count for _, count in rows) == CALLBACKS
    by_agent = {agent: count for agent, count in rows}
    assert sorted(by_agent.values()) == sorted(len(mine) for mine in claimed if mine)


def test_the_same_number_missing_from_many_lines_at_once_is_one_callback(served) -> None:  # type: ignore[no-untyped-def]
    url, database, _tokens = served
    with database.write() as connection:
        _, token = create_agent(connection, "Asterisk", Role.TELEPHONY)
    threads_count = 20
    barrier = threading.Barrier(threads_count)
    answers: list[dict] = []

    def post(index: int) -> None:
        with httpx.Client(
            base_url=url, timeout=60, headers={"Authorization": f"Bearer {token}"}
        ) as client:
            barrier.wait()
            for call_id in (f"race.{index}", "race.same"):  # its own call, then one call for all
                response = client.post(
                    "/v1/telephony/events",
                    json={"event": "missed", "call_id": call_id, "number": "040 777 888"},
                )
                assert response.status_code == 200, response.text
                answers.append(response.json())

    threads = [threading.Thread(target=post, args=(i,)) for i in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    same = [a for a in answers if a["call_id"] == "race.same"]
    assert sum(a["applied"] for a in same) == 1
    with database.read() as connection:
        rows = connection.execute(
            select(callbacks.c.tries).where(callbacks.c.number == "+38640777888")
        ).all()
    assert [tuple(row) for row in rows] == [(threads_count + 1,)]
