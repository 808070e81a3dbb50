"""``agent-console telephony simulate`` against a real service (uvicorn on loopback): its events
land, ring on the extensions given, and fill the callback queue; a wrong token stops it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import support
from served import Central
from sqlalchemy import func, select

from console.server.agents import create_agent
from console.server.db import Database
from console.server.migrate import upgrade
from console.server.schema import callbacks, changes, telephony_calls

COMMAND = [sys.executable, "-m", "console.cli", "telephony", "simulate"]


@pytest.fixture
def central(tmp_path: Path) -> Iterator[tuple[Central, Database, str]]:
    url = str(tmp_path / "central.db")
    database = Database.open(url)
    upgrade(database.engine)
    support.build_world(database, days=1, slots_per_day=1)
    with database.write() as connection:
        _, token = create_agent(connection, "Asterisk", "telephony")
    server = Central(database, url)
    server.start()
    try:
        yield server, database, token
    finally:
        server.stop()
        database.dispose()


def simulate(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*COMMAND, *args], capture_output=True, text=True, timeout=120, env=dict(os.environ)
    )


def test_a_simulated_morning_fills_the_queue(central) -> None:  # type: ignore[no-untyped-def]
    server, database, token = central
    result = simulate(
        "--server", server.url, "--token", token, "--extensions", "101,102,103",
        "--from", "2026-11-25T08:00", "--duration", "0.5", "--speed", "3600", "--seed", "3",
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "(simulated)" in result.stdout and "events posted" in result.stdout
    with database.read() as connection:
        calls = connection.execute(
            select(telephony_calls.c.state, func.count()).group_by(telephony_calls.c.state)
        ).all()
        queued = connection.execute(select(func.count()).select_from(callbacks)).scalar_one()
        rings = (
            connection.execute(
                select(changes.c.data).where(
                    changes.c.entity == "ringing", changes.c.op == "ringing"
                )
            )
            .scalars()
            .all()
        )
    states = dict(calls)
    assert states.get("answered", 0) > 0 and states.get("missed", 0) > 0
    assert queued > 0
    assert rings and all(
        any(f'"extension":"{ext}"' in data for ext in ("101", "102", "103")) for data in rings
    )


def test_a_token_of_another_role_stops_it(central) -> None:  # type: ignore[no-untyped-def]
    server, _database, _token = central
    result = simulate(
        "--server", server.url, "--token", support.TOKENS["agent"], "--extensions", "101",
        "--from", "2026-11-25T08:00", "--duration", "0.2", "--speed", "3600",
    )  # fmt: skip
    assert result.returncode != 0
    assert "refused the token (403)" in result.stderr + result.stdout
