"""App-wide messages, as small dataclasses (widget-local ones live in their widgets)."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

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
