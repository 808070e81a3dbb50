"""Agents and their bearer tokens (only a SHA-256 of each token is stored)."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import Connection, Row, insert, select, update

from console.domain.models import Agent, Role
from console.server import clock
from console.server.schema import agents

TOKEN_PREFIX = "ac_"


def hash_token(token: str) -> str:
    """Tokens are 32 random bytes, so a plain SHA-256 is enough (no salt, no slow hash)."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_agent(
    connection: Connection, name: str, role: Role | str, token: str | None = None
) -> tuple[Agent, str]:
    """Create an agent; return it with its token, which is shown once and never stored."""
    role = Role(role)
    token = token or TOKEN_PREFIX + secrets.token_urlsafe(32)
    agent_id = connection.execute(
        insert(agents)
        .values(name=name, role=role.value, token_hash=hash_token(token), created_at=clock.now())
        .returning(agents.c.id)
    ).scalar_one()
    return Agent(id=agent_id, name=name, role=role), token


def agent_for_token(connection: Connection, token: str) -> Agent | None:
    row = connection.execute(
        select(agents.c.id, agents.c.name, agents.c.role).where(
            agents.c.token_hash == hash_token(token), agents.c.active.is_(True)
        )
    ).first()
    return Agent(id=row.id, name=row.name, role=Role(row.role)) if row else None


def name_demo_agent_after_the_person(connection: Connection, agent: Agent) -> Agent:
    """A desk agent named the old way ("Mojca (demo agent)") is renamed to the person's name, so
    its reports, calls and bookings name whoever made them."""
    suffix = f" (demo {agent.role.value})"
    if not agent.name.endswith(suffix) or agent.name == suffix.strip():
        return agent
    name = agent.name[: -len(suffix)]
    connection.execute(update(agents).where(agents.c.id == agent.id).values(name=name))
    return agent.model_copy(update={"name": name})


def list_agents(connection: Connection) -> list[Row]:
    """Every agent: id, name, role, whether the token works, when it was created."""
    return list(
        connection.execute(
            select(
                agents.c.id, agents.c.name, agents.c.role, agents.c.active, agents.c.created_at
            ).order_by(agents.c.id)
        )
    )


def revoke_token(connection: Connection, agent_id: int) -> tuple[str, bool] | None:
    """Revoke the agent's token: (name, whether it was active), or None if no such agent.

    Workers keep a token's agent for ``deps.TOKEN_CACHE_SECONDS`` at most, so it stops
    working everywhere within that second."""
    row = connection.execute(
        select(agents.c.name, agents.c.active).where(agents.c.id == agent_id)
    ).first()
    if row is None:
        return None
    if row.active:
        connection.execute(update(agents).where(agents.c.id == agent_id).values(active=False))
    return row.name, bool(row.active)


def agent_names(connection: Connection, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = connection.execute(select(agents.c.id, agents.c.name).where(agents.c.id.in_(ids)))
    return {row.id: row.name for row in rows}
