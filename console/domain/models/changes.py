"""The change feed: one change, and a page of them."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class Change(BaseModel):
    seq: int
    at: datetime
    entity: str = Field(
        description="slot, booking, caller, call, hold, provider, callback (the callback queue), "
        "ringing (the telephone system's calls: data call_id, line, extension, number, "
        "caller_ids, agent_id), agent_state (entity_id: the agent; op changed, updated or "
        "replayed; data: state, previous, reason, call_id, service_id, since, queued_writes, "
        "sync_issues, replayed, source)"
    )
    entity_id: int
    op: str = Field(description="created, updated, held, released, booked, freed, cancelled, ...")
    agent_id: int | None = Field(default=None, description="the agent whose write it was")
    data: dict = Field(default_factory=dict)


class ChangePage(BaseModel):
    changes: list[Change]
    last_seq: int = Field(description="pass as ?since= to continue")
