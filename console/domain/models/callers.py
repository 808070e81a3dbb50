"""Callers: the fields a desk sends (new caller, changes), and what it gets back."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from console.domain.models.bounds import ClientModel, Line, Prose, drop_null
from console.domain.models.messages import MessageChannel


class Phone(BaseModel):
    number: str = Field(description="E.164, e.g. +38641234567")
    label: str = "mobile"


# A caller's fields, bounded. Typed forms (spaces in an EMŠO, a phone as "041 234 567") fit.
Name = Annotated[Line, Field(min_length=1, max_length=80)]
PhoneText = Annotated[Line, Field(min_length=1, max_length=40)]
EmsoText = Annotated[Line, Field(max_length=20)]
ZzzsText = Annotated[Line, Field(max_length=20)]
EmailText = Annotated[Line, Field(max_length=254)]
Language = Annotated[Line, Field(min_length=1, max_length=8)]
CallerNotes = Annotated[Prose, Field(max_length=4000)]
Flag = Annotated[Line, Field(max_length=40)]
MAX_PHONES = 5
MAX_FLAGS = 20


class CallerIn(ClientModel):
    """A new caller. Phone numbers may be typed in any common format; they are stored E.164."""

    first_name: Name
    last_name: Name
    phones: list[PhoneText] = Field(default_factory=list, max_length=MAX_PHONES)
    emso: EmsoText | None = None
    zzzs_number: ZzzsText | None = None
    email: EmailText | None = None
    language: Language = "sl"
    notes: CallerNotes = ""
    flags: list[Flag] = Field(default_factory=list, max_length=MAX_FLAGS)
    message_channel: MessageChannel = Field(
        default=MessageChannel.NONE, description="confirmations and reminders: email, sms, none"
    )
    message_consent: bool = Field(
        default=False, strict=True, description="the caller agreed to messages"
    )


# Fields of a caller that are never null: left out, they stay as they are; sent as null, 422.
_NEVER_NULL: dict[str, Any] = {"json_schema_extra": drop_null}


class CallerPatch(ClientModel):
    """The fields to change; at least one. ``emso``, ``zzzs_number`` and ``email`` may be null
    (cleared); the others may be left out, not sent as null (send "" or [] to empty notes,
    phones or flags)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"minProperties": 1})

    first_name: Name | None = Field(default=None, **_NEVER_NULL)
    last_name: Name | None = Field(default=None, **_NEVER_NULL)
    phones: list[PhoneText] | None = Field(
        default=None,
        max_length=MAX_PHONES,
        **_NEVER_NULL,
    )
    emso: EmsoText | None = None
    zzzs_number: ZzzsText | None = None
    email: EmailText | None = None
    language: Language | None = Field(default=None, **_NEVER_NULL)
    notes: CallerNotes | None = Field(default=None, **_NEVER_NULL)
    flags: list[Flag] | None = Field(
        default=None,
        max_length=MAX_FLAGS,
        **_NEVER_NULL,
    )
    message_channel: MessageChannel | None = Field(
        default=None,
        description="email (needs an e-mail address), sms (a mobile), none",
        **_NEVER_NULL,
    )
    message_consent: bool | None = Field(
        default=None,
        strict=True,
        description="the caller agreed to messages; the time is recorded",
        **_NEVER_NULL,
    )

    @field_validator(
        "first_name",
        "last_name",
        "phones",
        "language",
        "notes",
        "flags",
        "message_channel",
        "message_consent",
        mode="before",
    )
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise PydanticCustomError("null", "may be left out but not null")
        return value


class CallerSummary(BaseModel):
    """One search hit: enough to tell two callers apart over the phone."""

    id: int
    first_name: str
    last_name: str
    birth_date: str | None = Field(default=None, description="from EMŠO, ISO date")
    phones: list[str] = Field(default_factory=list)
    emso: str | None = None
    zzzs_number: str | None = None
    matched_on: str = Field(description="name, phone, emso, zzzs or reference")


class Caller(BaseModel):
    id: int
    first_name: str
    last_name: str
    phones: list[Phone]
    emso: str | None
    zzzs_number: str | None
    email: str | None
    language: str
    notes: str
    flags: list[str]
    birth_date: str | None = None
    created_at: datetime
    updated_at: datetime
    message_channel: MessageChannel = MessageChannel.NONE
    message_consent: bool = False
    message_consent_at: datetime | None = Field(
        default=None, description="when the consent was last given or withdrawn"
    )
    message_address: str | None = Field(
        default=None,
        description="where messages go now (the e-mail address or the first mobile number); "
        "null when the caller has no consent, the channel is none, or the address is missing",
    )


class CallerSearch(BaseModel):
    query: str
    kind: str = Field(description="how the query was read: name, phone, emso, zzzs, reference")
    callers: list[CallerSummary]
    more: bool = Field(default=False, description="more callers match: type more to narrow")
