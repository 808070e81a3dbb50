"""What the desk's screens and widgets show, as plain data: the caller card's contents, the
doctor a caller was referred to, the state of the desk's connection, and whether anything sends
the messages to callers. No Textual, no client: widgets are given these (they import neither
``console.client`` nor ``console.desk``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from console.domain.models import Booking, Call, Caller, DoctorType

# The desk's connection states (``console.client.connection`` keeps the state).
ONLINE = "online"
OFFLINE = "offline"
SYNCING = "syncing"


# Whether anything sends the confirmations and reminders queued for callers (Delivery.state).
SENDING = "sending"  # this console's sender sends them (the embedded service)
WAITING = "waiting"  # this console's sender waits: its mail server or SMS gateway does not answer
NO_SENDER = "no_sender"  # the embedded service queues them, and nothing in this console sends
MESSAGES_OFF = "off"  # the embedded service writes no messages ([messages] enabled = false)
ELSEWHERE = "elsewhere"  # a networked desk: the central service's sender, which it cannot see


@dataclass(frozen=True)
class Delivery:
    """Whether the messages queued for callers go out, as far as this desk can tell."""

    state: str = ELSEWHERE
    server: str = ""  # WAITING: the server that does not answer ("127.0.0.1:8025")
    mailbox: str = ""  # SENDING to the demo's own mail sink: the folder it keeps messages in


@dataclass
class CallerCard:
    """Everything the caller card shows, fetched in one go. The messages to the caller are
    those of ``bookings`` (each booking carries its own: no request of their own)."""

    caller: Caller
    bookings: list[Booking]
    calls: list[Call]
    delivery: Delivery = field(default_factory=Delivery)


@dataclass(frozen=True)
class Referral:
    """The doctor the current caller was referred to (from the directory), saved with the
    wrap-up."""

    provider_id: int
    name: str
    institution: str
    town: str
    type: DoctorType


@dataclass(frozen=True)
class SyncStatus:
    """What the status bar and the offline banner show of the desk's connection."""

    state: str = ONLINE  # "online", "offline" or "syncing" (see console.client.connection)
    queued: int = 0  # writes waiting in the outbox
    issues: int = 0  # open sync issues
    last_sync: datetime | None = None  # when the cache last caught up with the service
    done: int = 0  # while syncing: rows of this replay sent so far, of ``total``
    total: int = 0
    confirmed: int = 0  # references the replay confirmed, to pass on to the callers


@dataclass(frozen=True)
class LeftOpen:
    """A call of this agent's left open (no wrap-up): offered for wrap-up on start. ``caller``:
    the caller's name if this desk knows it, None for an anonymous call or one it does not."""

    call: Call
    caller: str | None = None
