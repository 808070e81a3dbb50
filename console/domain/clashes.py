"""A caller's bookings that stand in the way of another: the same service (when the service
allows one active booking per caller) or an overlapping time. The central service refuses
such a booking (409 ``caller_has_booking``); the desk says so before a hold, and offline checks
the same against its cache."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from console.domain.models import Booking, BookingStatus, Slot


@dataclass(frozen=True)
class Clashes:
    """``same_service``: the caller's active bookings of the slot's service; ``overlapping``:
    those at a time that overlaps the slot's (any service). ``one_per_caller``: the service
    allows only one, so a booking in ``same_service`` cannot be overridden."""

    same_service: list[Booking] = field(default_factory=list)
    overlapping: list[Booking] = field(default_factory=list)
    one_per_caller: bool = False

    @property
    def refused(self) -> bool:
        """No override books this slot: the service allows one and the caller has it."""
        return self.one_per_caller and bool(self.same_service)

    @property
    def needs_override(self) -> bool:
        """Booking anyway takes an explicit override (``allow_overlap``)."""
        return bool(self.overlapping) and not self.refused

    def __bool__(self) -> bool:
        return bool(self.same_service or self.overlapping)


def clashes(
    bookings: Iterable[Booking],
    slot: Slot,
    *,
    one_per_caller: bool = False,
    moving: str | None = None,
    now: datetime | None = None,
) -> Clashes:
    """The caller's active (confirmed, not yet over) ``bookings`` that clash with ``slot``;
    ``moving``: the reference of the booking a reschedule retires (it does not count)."""
    now = now or datetime.now(UTC)
    active = [
        b
        for b in bookings
        if b.status is BookingStatus.CONFIRMED
        and b.slot.ends_at > now
        and b.slot.id != slot.id
        and (moving is None or b.reference != moving)
    ]
    same = [b for b in active if b.slot.service_id == slot.service_id]
    overlapping = [
        b for b in active if b.slot.starts_at < slot.ends_at and b.slot.ends_at > slot.starts_at
    ]
    return Clashes(same_service=same, overlapping=overlapping, one_per_caller=one_per_caller)
