"""Messages to callers: channels, kinds, statuses, and each message and the day's counts."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, Field


class MessageChannel(StrEnum):
    """How a caller wants confirmations and reminders: e-mail, SMS (the first mobile number),
    or none."""

    EMAIL = "email"
    SMS = "sms"
    NONE = "none"


class MessageKind(StrEnum):
    BOOKED = "booked"
    RESCHEDULED = "rescheduled"
    CANCELLED = "cancelled"
    REMINDER = "reminder"


class MessageStatus(StrEnum):
    """queued (waiting, or waiting to retry), sending (claimed by the sender), sent, failed
    (with the server's reason), cancelled (withdrawn, or made moot: a reminder of a booking
    since rescheduled or cancelled, consent withdrawn, the appointment passed)."""

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"


class CallerMessage(BaseModel):
    """A confirmation, change, cancellation or reminder to a caller, and how it went."""

    id: int
    booking_reference: str
    kind: MessageKind
    channel: MessageChannel = Field(description="email or sms")
    address: str | None = Field(description="the e-mail address or mobile number")
    status: MessageStatus
    reason: str | None = Field(
        default=None,
        description="failed: the server's answer; cancelled: why; queued: the last error",
    )
    attempts: int = 0
    send_after: datetime = Field(description="when it was to go out (a reminder: its time)")
    next_attempt_at: datetime | None = Field(
        default=None, description="queued: when it goes out (later after a failure)"
    )
    sent_at: datetime | None = None
    created_at: datetime
    message_id: str = Field(description="the e-mail's Message-ID, the same on every attempt")


class MessageCounts(BaseModel):
    """Messages due on one day (Europe/Ljubljana), by status."""

    day: date
    queued: int = 0
    sending: int = 0
    sent: int = 0
    failed: int = 0
    cancelled: int = 0
