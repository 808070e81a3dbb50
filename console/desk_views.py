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


@dataclass(frozen=True)
class CallAction:
    """Something done to a booking in the call in progress: ``booked``, ``rescheduled`` (the
    new booking, which ``replaces`` the old reference) or ``cancelled``. The wrap-up's pre-fill
    says all of them."""

    kind: str
    booking: Booking


def call_outcome(actions: list[CallAction]) -> dict[str, list[Booking]]:
    """What the call's actions come to, booking by booking: ``booked`` (new and still active;
    a booking made and then moved in the same call is still a new one), ``rescheduled`` (an
    earlier booking moved, still active), ``cancelled`` (cancelled in the end, also after a
    reschedule in the same call). A booking made and cancelled in the same call counts as
    cancelled."""
    final: dict[str, tuple[str, Booking]] = {}
    for action in actions:
        booking = action.booking
        if action.kind == "rescheduled":
            before = final.pop(booking.replaces or "", None)
            kind = "booked" if before is not None and before[0] == "booked" else "rescheduled"
            final[booking.reference] = (kind, booking)
        else:
            final[booking.reference] = (action.kind, booking)
    outcome: dict[str, list[Booking]] = {"booked": [], "rescheduled": [], "cancelled": []}
    for kind, booking in final.values():
        outcome[kind].append(booking)
    return outcome


def suggested_disposition(actions: list[CallAction], referred: bool) -> str | None:
    """The disposition the call's actions suggest: booked, else rescheduled, else cancelled,
    else referred (a referral made in the directory); None when nothing was done."""
    outcome = call_outcome(actions)
    for code in ("booked", "rescheduled", "cancelled"):
        if outcome[code]:
            return code
    return "referred" if referred else None
