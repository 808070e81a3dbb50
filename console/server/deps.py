"""FastAPI dependencies: the database, the settings, the agent behind the bearer token, and
the bounded parameters every route shares (ids, ``X-Call-Id``, ``Idempotency-Key``).

They are ``async`` although they do not await: FastAPI runs every plain ``def`` dependency in
its thread pool, one hop there and back per dependency and request (a quarter of an empty
request's time). Only a token that is not in the cache is looked up in the thread pool.

A worker keeps the agent behind a token for :data:`TOKEN_CACHE_SECONDS`, so a revoked token
(``agent-console token revoke``) stops working on every worker within that second.
"""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import Depends, Header, Path, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from console.domain.models import ID_PATTERN, MAX_ID, Agent, Role
from console.server.agents import agent_for_token
from console.server.db import Database
from console.server.errors import ApiProblem, forbidden
from console.server.settings import ServerSettings

TOKEN_CACHE_SECONDS = 1.0
TOKEN_CACHE_SIZE = 10_000  # tokens kept per worker; the cache starts afresh when it is full

# Declares the bearer scheme in the OpenAPI document; the checks and messages are ours.
_bearer = HTTPBearer(auto_error=False, description="a token from `agent-console token create`")


async def get_database(request: Request) -> Database:
    return request.app.state.database


async def get_settings(request: Request) -> ServerSettings:
    return request.app.state.settings


def _unauthorized(message: str) -> ApiProblem:
    return ApiProblem(401, "unauthorized", message)


async def token_holder(
    request: Request,
    _scheme: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)] = None,
) -> Agent:
    """Whoever's bearer token came with the request (401 without a valid one)."""
    authorization = request.headers.get("authorization")
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
    agent = await run_in_threadpool(_agent_for_token, request.app.state.database, token)
    if agent is None:
        raise _unauthorized("This token is unknown or revoked.")
    if len(cache) >= TOKEN_CACHE_SIZE:
        cache.clear()
    cache[token] = (time.monotonic() + TOKEN_CACHE_SECONDS, agent)
    return agent


async def current_agent(agent: Annotated[Agent, Depends(token_holder)]) -> Agent:
    """The agent, supervisor or admin behind the token: the telephone system's token may post
    call events and nothing else (403)."""
    if agent.role is Role.TELEPHONY:
        raise forbidden("A telephony token may only post call events (/v1/telephony/events).")
    return agent


async def telephony_system(agent: Annotated[Agent, Depends(token_holder)]) -> Agent:
    """The telephone system: only a token of the ``telephony`` role (403 for anyone else)."""
    if agent.role is not Role.TELEPHONY:
        raise forbidden("Only the telephone system's token (role telephony) may do this.")
    return agent


def _agent_for_token(database: Database, token: str) -> Agent | None:
    with database.read() as connection:
        return agent_for_token(connection, token)


async def writer(agent: Annotated[Agent, Depends(current_agent)]) -> Agent:
    """The agent, if it may write: supervisors read everything and write nothing."""
    if agent.role is Role.SUPERVISOR:
        raise forbidden("Supervisors have read-only access; this change was not made.")
    return agent


async def call_id_header(
    x_call_id: Annotated[
        str | None,
        Header(
            alias="X-Call-Id",
            pattern=ID_PATTERN,
            description="the id (1 to 2^53-1) of the call, one of this agent's, the request "
            "is made in: for the audit log",
        ),
    ] = None,
) -> int | None:
    """The call during which a request is made (``X-Call-Id``), for the audit log; the route
    checks that it is a call of this agent's (``calls.check_call``). A header is text: the
    schema states the id's range as the digits it may have."""
    return int(x_call_id) if x_call_id is not None else None


AgentDep = Annotated[Agent, Depends(current_agent)]
WriterDep = Annotated[Agent, Depends(writer)]
TelephonyDep = Annotated[Agent, Depends(telephony_system)]
DatabaseDep = Annotated[Database, Depends(get_database)]
SettingsDep = Annotated[ServerSettings, Depends(get_settings)]
CallIdDep = Annotated[int | None, Depends(call_id_header)]
IDEMPOTENCY_KEY_PATTERN = r"^[\x21-\x7e]+$"  # visible ASCII: no spaces, no control characters
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=8,
        max_length=80,
        pattern=IDEMPOTENCY_KEY_PATTERN,
        description="a key the client chooses for this write (8-80 visible ASCII characters, "
        "unique per agent); a retry with the same key and body is applied once and answered "
        "the same",
    ),
]


def path_id(what: str) -> Any:
    """A record's id in the path: 1 to 2^53-1."""
    return Path(ge=1, le=MAX_ID, description=f"the {what}'s id")


def query_id(what: str) -> Any:
    """An id in the query string: 1 to 2^53-1."""
    return Query(ge=1, le=MAX_ID, description=f"a {what}'s id")
