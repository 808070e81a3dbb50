"""App-wide messages, as small dataclasses (widget-local ones live in their widgets)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from textual.message import Message

from console.client.feed import ChangeBatch
from console.desk_phone import RingingCall
from console.domain.models import Booking


@dataclass
class DeskChanged(Message):
    """The call, caller, hold or booking changed: status lines and cards redraw."""


@dataclass
class CallerChosen(Message):
    """The agent chose a caller (from search, or a new one)."""

    caller_id: int


@dataclass
class BookingMade(Message):
    booking: Booking


@dataclass
class RescheduleRequested(Message):
    """Pick a new slot for this booking (the slot screen then reschedules instead of books)."""

    booking: Booking


@dataclass
class SyncChanged(Message, bubble=False):
    """The desk's outbox, last sync or sync issues changed (the Store's ``on_state_change``,
    posted to the app; a change of state the app shows at once): status bars and the banner
    redraw. A run of them with the same state is one (``can_replace``): a replay reports every
    row it sends."""

    state: str

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, SyncChanged) and message.state == self.state


@dataclass
class ChangesArrived(Message, bubble=False):
    """What the desk's one change-feed poller read (``console.client.feed``), posted to each
    screen that follows the feed (``DeskScreen.follows_changes``)."""

    batch: ChangeBatch


@dataclass
class DayChanged(Message, bubble=False):
    """The desk's day changed under an open screen (the app's timer at local midnight): what
    it shows or offers for "today" follows, what the agent typed stays."""

    today: date


@dataclass
class RingingChanged(Message, bubble=False):
    """Calls ringing on this desk's extension (``ringing``, newest last), and the calls that
    stopped ringing (``ended``: answered elsewhere, or the caller hung up), from the change
    feed: the app pops the caller's card or takes it down."""

    ringing: list[RingingCall]
    ended: set[str]
