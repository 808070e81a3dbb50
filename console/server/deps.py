"""FastAPI dependencies: the database, the settings, the agent behind the bearer token."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import Depends, Header, Request

from console.domain.models import Agent, Role
from console.server.agents import agent_for_token
from console.server.db import Database
from console.server.errors import ApiProblem, forbidden
from console.server.settings import ServerSettings

TOKEN_CACHE_SECONDS = 30.0


def get_database(request: Request) -> Database:
    return request.app.state.database


def get_settings(request: Request) -> ServerSettings:
    return request.app.state.settings


def _unauthorized(message: str) -> ApiProblem:
    return ApiProblem(401, "unauthorized", message)


def current_agent(
    request: Request,
    authorization: Annotated[str | None, Header()] = None,
) -> Agent:
    """The agent whose bearer token came with the request (401 without a valid one)."""
    if not authorization:
        raise _unauthorized("Send 'Authorization: Bearer <token>'.")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _unauthorized("The Authorization header must be 'Bearer <token>'.")
    token = token.strip()
    cache: dict[str, tuple[float, Agent]] = request.app.state.token_cache
    cached = cache.get(token)
    if cached and cached[0] > time.monotonic():
        return cached[1]
    with get_database(request).read() as connection:
        agent = agent_for_token(connection, token)
    if agent is None:
        raise _unauthorized("This token is unknown or revoked.")
    cache[token] = (time.monotonic() + TOKEN_CACHE_SECONDS, agent)
    return agent


def writer(agent: Annotated[Agent, Depends(current_agent)]) -> Agent:
    """The agent, if it may write: supervisors read everything and write nothing."""
    if agent.role is Role.SUPERVISOR:
        raise forbidden("Supervisors have read-only access; this change was not made.")
    return agent


def call_id_header(x_call_id: Annotated[int | None, Header()] = None) -> int | None:
    """The call during which a request is made (``X-Call-Id``), for the audit log."""
    return x_call_id


AgentDep = Annotated[Agent, Depends(current_agent)]
WriterDep = Annotated[Agent, Depends(writer)]
DatabaseDep = Annotated[Database, Depends(get_database)]
SettingsDep = Annotated[ServerSettings, Depends(get_settings)]
CallIdDep = Annotated[int | None, Depends(call_id_header)]
IdempotencyKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", description="a client-chosen unique key; retries reuse it"),
]
