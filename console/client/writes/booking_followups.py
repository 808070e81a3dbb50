"""Queued writes that follow a booking and name it by reference: the service keeps a
provisional reference as the booking's alias (``keep_reference``), and the agent switches the
booking's messages off (``withdraw_messages``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from console.client.api import CentralApi
from console.client.provisional import Unresolved
from console.client.writes.base import Context, KeySet, Moot, Request, Write, not_cached
from console.domain.models import Booking, CallerMessage, MessageStatus
from console.domain.reference import parse_provisional

# -- naming a booking by reference ---------------------------------------------------------------


def booking_known(ctx: Context, reference: str) -> bool:
    """Whether a write naming a booking by ``reference`` can go to the service now: the
    reference is the service's, not a provisional ``P-…`` one whose booking waits in the
    outbox (a write's :meth:`Write.ready`)."""
    return ctx.ids.real_ref(reference) is not None


def booking_reference(
    ctx: Context, reference: str, *, never_confirmed: str, settles: bool = False
) -> str:
    """The service's reference of the booking a queued write names, for its request.

    Raises :class:`Unresolved` while the write that makes the booking still waits, and
    :class:`Moot` (``never_confirmed``: what that leaves this write) once that write ended in a
    conflict or failed: the booking was never confirmed. ``settles``: the Moot also closes the
    booking's issue (a cancel leaves nobody to call back about it)."""
    real = ctx.ids.real_ref(reference)
    if real is not None:
        return real
    creator = ctx.creator_of("reference", reference)
    if creator is not None and creator.state in ("conflict", "failed"):
        raise Moot(never_confirmed, settles=creator.seq if settles else None)
    raise Unresolved("reference", reference)


# -- a provisional reference kept ----------------------------------------------------------------


class KeepReferencePayload(BaseModel):
    reference: str  # the provisional one (P-…) the caller was given


class KeepReference(Write[KeepReferencePayload, None, Booking]):
    """The service keeps a provisional reference as its booking's alias, for a booking (or a
    reschedule) the desk sent online whose answer was lost: the request sent then did not
    carry the ``P-…`` reference the caller was given when the desk queued it. Queued right
    after it (:meth:`_Booking.after_lost_answer`), never by an agent; idempotent (a PUT)."""

    kind = "keep_reference"
    Payload = KeepReferencePayload
    keyed = False

    def replay_keys(self) -> frozenset:
        return KeySet().add("reference", self.payload.reference.upper()).frozen()

    def request(self, ctx: Context) -> Request:
        made = self.payload.reference
        if parse_provisional(made) is None:
            raise Moot(f"{made} is not a provisional reference the service can keep")
        real = booking_reference(
            ctx, made, never_confirmed=f"booking {made} was never confirmed: no reference to keep"
        )
        body = {"provisional_reference": made}
        return Request("PUT", f"/v1/bookings/{real}/provisional-reference", body, keyed=False)

    def applied(self, ctx: Context, answer: Any) -> dict[str, Any]:
        booking = Booking.model_validate(answer)
        ctx.cache.put_booking(booking)
        return {"reference": booking.reference, "booking_id": booking.id}

    def describe(self) -> str:
        return f"keep {self.payload.reference} as the booking's other reference"


# -- switching a booking's messages off ---------------------------------------------------------


@dataclass(frozen=True)
class Silence:
    reference: str  # the booking's, a provisional ``P-…`` one until its booking is replayed


class WithdrawPayload(BaseModel):
    reference: str


class WithdrawMessages(Write[WithdrawPayload, Silence, list[CallerMessage]]):
    """The agent switched a booking's messages off after it was made (the booked dialog): the
    service withdraws those not sent yet. Offline, or for a booking still provisional, it is
    queued and replayed after the booking it names. Sent without an idempotency key: doing it
    twice changes nothing more."""

    kind = "withdraw_messages"
    Payload = WithdrawPayload
    keyed = False

    @classmethod
    def ready(cls, ctx: Context, ask: Silence) -> bool:
        return booking_known(ctx, ask.reference)

    @classmethod
    async def online(
        cls, api: CentralApi, ctx: Context, ask: Silence, key: str | None
    ) -> list[CallerMessage]:
        real = ctx.ids.real_ref(ask.reference)
        assert real is not None
        found = await api.withdraw_messages(real)
        _remember_messages(ctx, real, found)
        return found

    @classmethod
    def make(cls, ctx: Context, ask: Silence) -> WithdrawMessages:
        reference = ctx.ids.real_ref(ask.reference) or ask.reference.upper()
        if ctx.cache.booking(reference) is None:
            raise not_cached(f"booking {ask.reference}")
        return cls(WithdrawPayload(reference=reference))

    def provisional(self, ctx: Context) -> list[CallerMessage]:
        """The booking's messages as this desk last saw them: whether the switch-off comes in
        time is the service's to say when the write is replayed."""
        booking = ctx.cache.booking(self.payload.reference)
        return list(booking.messages) if booking is not None else []

    def replay_keys(self) -> frozenset:
        return KeySet().add("reference", self.payload.reference.upper()).frozen()

    def request(self, ctx: Context) -> Request:
        made = self.payload.reference
        reference = booking_reference(
            ctx, made, never_confirmed=f"booking {made} was never confirmed, so nothing was sent"
        )
        return Request("POST", f"/v1/bookings/{reference}/messages/withdraw", keyed=False)

    def applied(self, ctx: Context, answer: Any) -> dict[str, Any]:
        found = [CallerMessage.model_validate(message) for message in answer or []]
        reference = ctx.ids.real_ref(self.payload.reference)
        if reference is not None:
            _remember_messages(ctx, reference, found)
        withdrawn = sum(1 for m in found if m.status is MessageStatus.CANCELLED)
        return {"reference": reference, "withdrawn": withdrawn}

    def describe(self) -> str:
        return f"switch off the messages of {self.payload.reference}"


def _remember_messages(ctx: Context, reference: str, found: list[CallerMessage]) -> None:
    """The booking's messages as the service answered, kept with the cached booking."""
    booking = ctx.cache.booking(reference)
    if booking is not None:
        ctx.cache.put_booking(booking.model_copy(update={"messages": found}))
