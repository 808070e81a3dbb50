"""Issue 12 item 14: reports, calls and bookings name the person who made them. A desk opened
before the demo agents were named after the person keeps its token, and its agent is renamed
from "Desk (demo agent)" to "Desk"."""

from __future__ import annotations

from pathlib import Path

import pytest

from console.client.embedded import TOKEN_FILE, _desk_token
from console.domain.models import Role
from console.server.agents import agent_for_token, create_agent
from console.server.db import Database
from console.server.migrate import upgrade


@pytest.fixture
def database(tmp_path: Path):  # type: ignore[no-untyped-def]
    database = Database.open(f"sqlite:///{tmp_path / 'central.db'}")
    upgrade(database.engine)
    yield database
    database.dispose()


@pytest.mark.parametrize(("role", "old"), [(Role.AGENT, "agent"), (Role.SUPERVISOR, "supervisor")])
def test_a_demo_agent_named_the_old_way_is_renamed_after_the_person(
    tmp_path: Path, database: Database, role: Role, old: str
) -> None:
    with database.write() as connection:
        _, token = create_agent(connection, f"Mojca (demo {old})", role)
    file = TOKEN_FILE if role is Role.AGENT else f"{TOKEN_FILE}-{role.value}"
    (tmp_path / file).write_text(token + "\n")
    assert _desk_token(tmp_path, database, role) == token, "the same token, kept"
    with database.read() as connection:
        agent = agent_for_token(connection, token)
    assert agent is not None and agent.name == "Mojca"


def test_a_new_desk_is_named_after_the_person(
    tmp_path: Path, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("USER", "mojca")
    token = _desk_token(tmp_path, database, Role.AGENT)
    with database.read() as connection:
        agent = agent_for_token(connection, token)
    assert agent is not None and agent.name == "Mojca"
