"""One idempotency key, one effect: a retried write gets the first answer back.

Keys belong to the agent who sent them (the table's primary key is agent and key): another
agent's request with the same key is a request of its own, never an answer meant for someone
else. Every write of the API takes a key: bookings, cancellations, reschedules, callers and
their changes, calls and their changes, wrap-ups, holds and their release, reports.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, insert, select
from sqlalchemy.exc import IntegrityError

from console.domain.models import Agent
from console.server import clock
from console.server.db import Database
from console.server.errors import ApiProblem, unprocessable
from console.server.schema import idempotency_keys

MAX_KEY_LENGTH = 80
_STORE = insert(idempotency_keys)


def request_hash(endpoint: str, body: Any) -> str:
    canonical = json.dumps(body, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(f"{endpoint}\n{canonical}".encode()).hexdigest()


def _stored(connection: Connection, key: str, agent: Agent, digest: str) -> tuple[int, Any] | None:
    row = connection.execute(
        select(idempotency_keys).where(
            idempotency_keys.c.agent_id == agent.id, idempotency_keys.c.key == key
        )
    ).first()
    if row is None:
        return None
    if row.request_hash != digest:
        raise unprocessable(
            "This Idempotency-Key was already used for a different request.",
            "Idempotency-Key",
            "idempotency_key_reused",
        )
    return row.status_code, json.loads(row.response)


def run(
    database: Database,
    agent: Agent,
    key: str | None,
    endpoint: str,
    body: Any,
    effect: Callable[[Connection], tuple[int, Any]],
) -> tuple[int, Any]:
    """Run ``effect`` in a write transaction, at most once per ``key``.

    The key is stored in the same transaction as the effect, so either both happen or neither.
    A retry of a request that committed runs the effect again, and fails: on the key's insert,
    or earlier because the first one changed what it needs (the slot is booked: 409). Either
    way its transaction rolls back and it answers with what the first one stored. (Looking the
    key up first would cost every first attempt a statement to spare the rare retry one.) Two
    requests racing with one key: the database lets one commit; the other's insert fails, and
    it answers the same way. Failures (4xx) are not stored: a retry of a refused request is
    tried again.
    """
    if key is not None and not 8 <= len(key) <= MAX_KEY_LENGTH:
        raise unprocessable("Idempotency-Key must be 8 to 80 characters.", "Idempotency-Key")
    digest = request_hash(endpoint, body)
    for attempt in range(2):
        try:
            with database.write() as connection:
                status, response = effect(connection)
                if key is not None:
                    connection.execute(
                        _STORE,
                        {
                            "key": key,
                            "agent_id": agent.id,
                            "endpoint": endpoint,
                            "request_hash": digest,
                            "status_code": status,
                            "response": json.dumps(response, default=str),
                            "created_at": clock.now(),
                        },
                    )
                return status, response
        except (IntegrityError, ApiProblem) as exc:
            # A request with the same key may have committed while this one waited for the
            # slot: then the slot looks taken (409) or the key's insert fails. Answer as it did.
            if key is not None:
                with database.read() as connection:
                    stored = _stored(connection, key, agent, digest)
                if stored is not None:
                    return stored
            if isinstance(exc, ApiProblem) or attempt == 1:
                raise
    raise AssertionError("unreachable")  # pragma: no cover
