"""The audit log: who read or changed which caller's record, when, during which call."""

from __future__ import annotations

from sqlalchemy import Connection, insert

from console.domain.models import Agent
from console.server import clock
from console.server.schema import audit_log

_INSERT = insert(audit_log)


def record(
    connection: Connection,
    agent: Agent,
    action: str,
    entity: str,
    entity_id: int | None,
    *,
    caller_id: int | None = None,
    call_id: int | None = None,
    detail: str = "",
) -> None:
    connection.execute(
        _INSERT,
        {
            "at": clock.now(),
            "agent_id": agent.id,
            "call_id": call_id,
            "action": action,
            "entity": entity,
            "entity_id": entity_id,
            "caller_id": caller_id,
            "detail": detail[:500],
        },
    )
