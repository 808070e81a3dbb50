"""What the desk's screens and widgets show, as plain data: the caller card's contents, the
doctor a caller was referred to, and the state of the desk's connection. No Textual, no client:
widgets are given these (they import neither ``console.client`` nor ``console.desk``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from console.domain.models import Booking, Call, Caller, DoctorType

# The desk's connection states (``console.client.connection`` keeps the state).
ONLINE = "online"
OFFLINE = "offline"
SYNCING = "syncing"


@dataclass
class CallerCard:
    """Everything the caller card shows, fetched in one go."""

    caller: Caller
    bookings: list[Booking]
    calls: list[Call]


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
