"""Who signs in: roles and agents."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel


class Role(StrEnum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"
    TELEPHONY = "telephony"  # the telephone system: posts call events, nothing else


class Agent(BaseModel):
    id: int
    name: str
    role: Role
