"""Calls: starting one, attaching a caller, the wrap-up, the call's record, dispositions."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, Field, computed_field

from console.domain.models.bounds import BodyId, ClientModel, Line, Prose, When, json_integer


class CallDirection(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class CallIn(ClientModel):
    caller_id: BodyId | None = None
    direction: CallDirection = CallDirection.INBOUND
    started_at: When | None = Field(
        default=None,
        description="when the call began on the desk (a call the desk made offline and sends "
        "later); default: now. Refused in the future beyond a small clock skew, or older than "
        "the idempotency window ([retention] idempotency_days)",
    )


class CallPatch(ClientModel):
    """Attach a caller to the call (null: detach)."""

    caller_id: BodyId | None


class WrapUpIn(ClientModel):
    disposition: Annotated[Line, Field(min_length=1, max_length=40)]
    notes: Annotated[Prose, Field(max_length=8000)] = ""
    follow_up_at: When | None = Field(
        default=None, description="when to call back: after the call started"
    )
    follow_up_note: Annotated[Prose, Field(max_length=1000)] = ""
    after_call_work_seconds: (
        Annotated[int, Field(ge=0, le=86400), BeforeValidator(json_integer)] | None
    ) = None
    ended_at: When | None = Field(
        default=None,
        description="when the caller hung up, by the desk's clock (default: now); not before "
        "the call's start, not in the future beyond a small clock skew (5 minutes)",
    )
    referred_provider_id: BodyId | None = Field(
        default=None, description="the doctor (directory provider) the caller was referred to"
    )
    follow_up_number: str | None = Field(
        default=None,
        max_length=40,
        description="the number the follow-up calls back (default: the caller's first phone)",
    )
    follow_up_assign: Literal["me", "pool"] = Field(
        default="me", description="the follow-up's callback is kept for this agent, or for anyone"
    )


class Call(BaseModel):
    id: int
    agent_id: int
    agent_name: str | None = None
    caller_id: int | None
    direction: CallDirection
    started_at: datetime
    ended_at: datetime | None
    disposition: str | None
    notes: str | None
    follow_up_at: datetime | None
    follow_up_note: str | None
    after_call_work_seconds: int | None
    wrapped_at: datetime | None
    referred_provider_id: int | None = None
    referred_provider_name: str | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def handle_seconds(self) -> int | None:
        """Handle time: talk (start to end, as the desk saw them) plus after-call work; None
        until the call has ended."""
        if self.ended_at is None:
            return None
        talk = max(0, int((self.ended_at - self.started_at).total_seconds()))
        return talk + (self.after_call_work_seconds or 0)


class CallNote(ClientModel):
    """A line added to a call's record after its wrap-up (e.g. what finally became of a booking
    the replay after an outage could not confirm)."""

    note: Annotated[Prose, Field(min_length=1, max_length=1000)]


class Disposition(BaseModel):
    code: str
    label: str
    label_en: str
