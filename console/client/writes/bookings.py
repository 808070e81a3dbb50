"""Queued writes of bookings: a booking (``book``), a cancellation (``cancel``) and a
reschedule (``reschedule``); and what holding a slot offline needs (:func:`local_hold`). The
writes that follow a booking (its provisional reference kept, its messages switched off) are in
:mod:`console.client.writes.booking_followups`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Self

from pydantic import BaseModel

from console.client.api import ApiRefused, CentralApi
from console.client.cache import ProvisionalBooking, utcnow
from console.client.confirmations import Confirmation
from console.client.issues import SyncIssue, local_time
from console.client.writes.base import (
    Context,
    KeySet,
    Request,
    Write,
    caller_snapshot,
    not_cached,
)
from console.client.writes.booking_followups import (
    KeepReference,
    KeepReferencePayload,
    booking_known,
    booking_reference,
)
from console.domain.clashes import clashes
from console.domain.models import (
    Booking,
    BookingStatus,
    Hold,
    Slot,
    SlotStatus,
)
from console.domain.phone import format_phone
from console.domain.reference import (
    PROVISIONAL_PREFIX,
    format_reference,
    new_reference,
    parse_provisional,
)

# Refusals of a booking that mean "the slot is no longer yours to book".
SLOT_ERRORS = frozenset(
    {
        "slot_booked",
        "slot_held",
        "slot_blocked",
        "slot_past",
        "slot_not_found",
        "hold_expired",
        "hold_released",
        "hold_not_yours",
    }
)


# -- slots and holds offline ---------------------------------------------------------------------


def quiet(notify: bool) -> dict[str, bool]:
    """``"notify": false`` in a request's body when the agent switched the caller's message
    off; nothing when it is on (the service's default), so a request is the same as before
    messages existed and a row queued by an earlier version replays byte for byte."""
    return {} if notify else {"notify": False}


def bookable_slot(ctx: Context, slot_id: int, *, own_hold: int | None = None) -> Slot:
    """The cached slot, if this desk may book it offline (else the service's refusal)."""
    slot = ctx.cache.slot(slot_id)
    if slot is None:
        raise not_cached("this slot")
    now = utcnow()
    if slot.starts_at <= now:
        raise ApiRefused(409, "slot_past", "This slot has already started; pick a later one.")
    taken = ctx.cache.locally_taken(slot_id)
    if slot.status is SlotStatus.BOOKED or taken == "booked":
        raise ApiRefused(
            409, "slot_booked", "This slot was just booked by someone else; pick another."
        )
    held_by_other = (
        slot.status is SlotStatus.HELD
        and slot.held_until is not None
        and slot.held_until > now
        and (own_hold is None or own_hold < 0)
        and not any(
            not row["local"]
            for row in ctx.cache.db.query("SELECT * FROM holds WHERE slot_id = ?", (slot_id,))
        )
    )
    if held_by_other:
        raise ApiRefused(409, "slot_held", "Another agent is holding this slot; pick another.")
    return slot


def local_hold(ctx: Context, slot_id: int, minutes: float) -> Hold:
    """Offline: hold the slot on this desk only, so it is not offered twice here."""
    slot = bookable_slot(ctx, slot_id)
    expires = utcnow() + timedelta(minutes=minutes)
    with ctx.cache.transaction():
        ctx.cache.remove_holds_on(slot_id)
        local_id = ctx.cache.next_local_id()
        ctx.cache.put_hold(local_id, slot_id, expires, local=True)
    return Hold(
        id=local_id,
        slot_id=slot_id,
        agent_id=ctx.me().id,
        expires_at=expires,
        slot=slot.model_copy(update={"status": SlotStatus.HELD, "held_until": expires}),
    )


def booked(ctx: Context, booking: Booking) -> None:
    """A booking the service made: in the cache, its slot taken, this desk's hold gone."""
    with ctx.cache.transaction():
        ctx.cache.put_booking(booking)
        ctx.cache.set_slot_status(booking.slot.id, SlotStatus.BOOKED)
        ctx.cache.remove_holds_on(booking.slot.id)


def _slot_for(
    ctx: Context, hold_id: int | None, slot_id: int | None, *, sent: bool = False
) -> Slot:
    """The slot to book offline, checked as the service would; ``sent``: the request already
    went online (its answer was lost), so the service has judged it: the slot as cached."""
    if sent:
        if hold_id is not None:
            hold = ctx.cache.hold(hold_id)
            slot_id = hold["slot_id"] if hold is not None else None
        slot = ctx.cache.slot(slot_id) if slot_id is not None else None
        if slot is None:
            raise not_cached("this slot")
        return slot
    if hold_id is not None:
        hold = ctx.cache.hold(hold_id)
        if hold is None:
            raise not_cached("this hold")
        if hold["expires_at"] <= utcnow():
            raise ApiRefused(
                409, "hold_expired", "The hold expired and the slot may be taken; hold it again."
            )
        return bookable_slot(ctx, hold["slot_id"], own_hold=hold_id)
    assert slot_id is not None
    return bookable_slot(ctx, slot_id)


def _held_offline(
    ctx: Context, hold_id: int | None, slot_id: int | None
) -> tuple[int | None, int | None]:
    """A slot held on this desk only is booked as the slot itself: (hold_id, slot_id)."""
    if hold_id is not None and hold_id < 0:
        hold = ctx.cache.hold(hold_id)
        if hold is None:
            raise ApiRefused(409, "hold_released", "This hold was released; hold the slot again.")
        return None, hold["slot_id"]
    return hold_id, slot_id


def alias(body: dict[str, Any], made: str) -> dict[str, Any]:
    """A booking's request body with the provisional reference the caller was given, for the
    service to keep as the booking's alias (left out if it is not one: rows of old versions)."""
    if parse_provisional(made) is None:
        return body
    return {**body, "provisional_reference": made}


def _changeable(ctx: Context, reference: str) -> Booking:
    booking = ctx.cache.booking(reference)
    if booking is None:
        raise not_cached(f"booking {reference}")
    if booking.status is not BookingStatus.CONFIRMED:
        raise ApiRefused(
            409,
            f"booking_{booking.status.value}",
            f"Booking {booking.reference_display} is {booking.status.value.replace('_', '-')}"
            "; it cannot be changed.",
        )
    return booking


def check_clashes(
    ctx: Context, caller_id: int, slot: Slot, allow_overlap: bool, moving: str | None = None
) -> None:
    """Offline, the service's rule against the cache: the caller's active bookings of a
    one-per-caller service, or at an overlapping time (unless ``allow_overlap``), refuse the
    booking with 409 ``caller_has_booking`` as the service would."""
    service = ctx.cache.service(slot.service_id)
    found = clashes(
        ctx.cache.bookings_for(caller_id),
        slot,
        one_per_caller=service is not None and service.one_booking_per_caller,
        moving=moving,
    )
    if found.refused:
        listed = ", ".join(b.reference_display for b in found.same_service)
        raise ApiRefused(
            409,
            "caller_has_booking",
            f"This service allows one active booking per caller, and the caller has {listed}: "
            "reschedule that one instead.",
            "caller_id",
        )
    if found.overlapping and not allow_overlap:
        listed = ", ".join(b.reference_display for b in found.overlapping)
        raise ApiRefused(
            409,
            "caller_has_booking",
            f"The caller already has {listed} at an overlapping time.",
            "allow_overlap",
        )


def _one_of(hold_id: int | None, slot_id: int | None) -> None:
    if (hold_id is None) == (slot_id is None):
        raise ApiRefused(422, "invalid", "Send either hold_id or slot_id.", "hold_id")


class CallerSnapshot(BaseModel):
    """Who the booking is for, kept with it: a sync issue says whom to call back."""

    name: str = ""
    phone: str | None = None


class _Booking(Write):
    """What a booking and a reschedule share: a provisional booking (``P-`` reference, negative
    id) that the replay makes real, or that becomes a ``slot_taken`` issue."""

    conflicts = SLOT_ERRORS

    @property
    def made(self) -> str:
        """The provisional reference the caller was given (``P-…``)."""
        return self.payload.reference

    def result(self, ctx: Context) -> Booking:
        reference = self.made
        found = ctx.cache.booking(ctx.ids.real_ref(reference) or reference)
        if found is None:
            raise not_cached("this booking")
        return found

    def _provisional_booking(
        self, ctx: Context, caller_id: int, call_id: int | None, notes: str, replaces: str | None
    ) -> ProvisionalBooking:
        p = self.payload
        slot: Slot = p.slot
        service = ctx.cache.service(slot.service_id)
        location = ctx.cache.location(slot.location_id)
        if service is None or location is None:
            raise not_cached("this slot's service or location")
        booking = ProvisionalBooking(
            id=p.local_id,
            reference=self.made,
            reference_display=PROVISIONAL_PREFIX + format_reference(self.made[2:]),
            status=BookingStatus.CONFIRMED,
            caller_id=caller_id,
            slot=slot.model_copy(update={"status": SlotStatus.BOOKED, "held_until": None}),
            service=service,
            location=location,
            created_at=utcnow(),
            created_by=ctx.me().id,
            call_id=call_id,
            notes=notes,
            replaces=replaces,
        )
        ctx.cache.put_booking(booking, provisional=True)
        ctx.cache.remove_holds_on(slot.id)
        return booking

    def applied(self, ctx: Context, answer: Any) -> dict[str, Any]:
        p = self.payload
        booking = Booking.model_validate(answer)
        ctx.ids.map("booking", p.local_id, booking.id)
        ctx.ids.map("reference", self.made, booking.reference)
        ctx.cache.remove_booking(p.local_id)
        ctx.cache.set_slot_status(booking.slot.id, SlotStatus.BOOKED)
        self._replaced(ctx, BookingStatus.RESCHEDULED, booking.reference)
        if booking.provisional_reference is None:  # kept by the service a moment later
            booking = booking.model_copy(update={"provisional_reference": self.made})
        ctx.cache.put_booking(booking)
        # The agent gave the caller the provisional reference: tell them the real one.
        ctx.cache.add_confirmation(
            Confirmation(
                id=0,
                provisional=self.made,
                reference=booking.reference,
                caller_id=booking.caller_id,
                caller_name=p.caller.name,
                caller_phone=p.caller.phone,
                starts_at=booking.slot.starts_at,
                location_name=booking.location.name,
                call_id=booking.call_id,
                created_at=utcnow(),
            )
        )
        return {"reference": booking.reference, "booking_id": booking.id}

    @classmethod
    def make_sent(cls, ctx: Context, ask: Any) -> Self:
        """Sent online, answer lost: queued without checking the hold again (it may have
        run out in the seconds the answer took; the service judged it when it came)."""
        return cls.make(ctx, ask, sent=True)  # type: ignore[call-arg]

    def after_lost_answer(self, ctx: Context) -> list[Write]:
        """The booking sent online did not carry the provisional reference the caller is
        given now: the service keeps it as the booking's alias once the replay has it."""
        return [KeepReference(KeepReferencePayload(reference=self.made))]

    def _replaced(self, ctx: Context, status: BookingStatus, by: str | None = None) -> None:
        """The booking this one replaces (a reschedule's) is now ``status``."""

    def dropped(self, ctx: Context) -> None:
        ctx.cache.remove_booking(self.payload.local_id)
        self._replaced(ctx, BookingStatus.CONFIRMED)

    @property
    def wanted(self) -> Slot:
        return self.payload.slot

    def conflict(self, ctx: Context, message: str, nearest: list[Slot]) -> SyncIssue:
        """The slot went to someone else: the issue offers the nearest free slots instead,
        and the provisional booking leaves the cache."""
        p = self.payload
        caller_id = ctx.ids.real_int("caller", p.caller_id)
        issue = self.issue(ctx, "slot_taken", message)
        issue.caller_id = caller_id if caller_id is not None else p.caller_id
        issue.original_reference = self._original(ctx)
        issue.nearest = nearest
        ctx.cache.remove_booking(p.local_id)
        if issue.original_reference:  # the old booking stands on the service
            ctx.cache.set_booking_status(issue.original_reference, BookingStatus.CONFIRMED)
        return issue

    def _original(self, ctx: Context) -> str | None:
        return None

    def _describe(self, verb: str) -> str:
        p = self.payload
        who = p.caller.name or f"caller {p.caller_id}"
        phone = f" {format_phone(p.caller.phone)}" if p.caller.phone else ""
        quiet = "" if p.notify else ", no message to the caller"
        return (
            f"{verb} {local_time(p.slot.starts_at)} {p.slot.location_name} for {who}{phone} "
            f"({self.made}{quiet})"
        )


# -- a booking -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewBooking:
    caller_id: int
    hold_id: int | None
    slot_id: int | None
    call_id: int | None
    notes: str
    notify: bool = True  # False: no confirmation or reminder to the caller
    allow_overlap: bool = False


class BookPayload(BaseModel):
    local_id: int
    reference: str  # the provisional one (P-…)
    caller_id: int
    slot_id: int
    call_id: int | None = None
    notes: str = ""
    slot: Slot  # as the desk saw it: the issue says which one was wanted
    caller: CallerSnapshot
    notify: bool = True  # rows queued before messages existed have none: the default
    allow_overlap: bool = False  # the agent chose to book beside an overlapping booking


class Book(_Booking, Write[BookPayload, NewBooking, Booking]):
    kind = "book"
    Payload = BookPayload
    creates = (("booking", "local_id"), ("reference", "reference"))

    @classmethod
    def check(cls, ask: NewBooking) -> None:
        _one_of(ask.hold_id, ask.slot_id)

    @classmethod
    def prepare(cls, ctx: Context, ask: NewBooking) -> NewBooking:
        hold_id, slot_id = _held_offline(ctx, ask.hold_id, ask.slot_id)
        caller_id = ctx.ids.resolved("caller", ask.caller_id)[1]
        assert caller_id is not None
        return NewBooking(
            caller_id, hold_id, slot_id, ask.call_id, ask.notes, ask.notify, ask.allow_overlap
        )

    @classmethod
    def ready(cls, ctx: Context, ask: NewBooking) -> bool:
        return ctx.ids.resolved("caller", ask.caller_id)[0]

    @classmethod
    async def online(
        cls, api: CentralApi, ctx: Context, ask: NewBooking, key: str | None
    ) -> Booking:
        booking = await api.book(
            ask.caller_id,
            hold_id=ask.hold_id,
            slot_id=ask.slot_id,
            call_id=ctx.ids.real_int("call", ask.call_id),
            notes=ask.notes,
            notify=ask.notify,
            idempotency_key=key,
            allow_overlap=ask.allow_overlap,
        )
        booked(ctx, booking)
        return booking

    @classmethod
    def make(cls, ctx: Context, ask: NewBooking, *, sent: bool = False) -> Book:
        slot = _slot_for(ctx, ask.hold_id, ask.slot_id, sent=sent)
        if not sent:
            check_clashes(ctx, ask.caller_id, slot, ask.allow_overlap)
        return cls(
            BookPayload(
                local_id=ctx.cache.next_local_id(),
                reference=PROVISIONAL_PREFIX + new_reference(),
                caller_id=ask.caller_id,
                slot_id=slot.id,
                call_id=ask.call_id,
                notes=ask.notes,
                slot=slot,
                caller=CallerSnapshot(**caller_snapshot(ctx, ask.caller_id)),
                notify=ask.notify,
                allow_overlap=ask.allow_overlap,
            )
        )

    def provisional(self, ctx: Context) -> Booking:
        p = self.payload
        return self._provisional_booking(ctx, p.caller_id, p.call_id, p.notes, None)

    def replay_keys(self) -> frozenset:
        p = self.payload
        keys = KeySet().add("booking", p.local_id).add("reference", p.reference.upper() or None)
        keys.add("caller", p.caller_id).add("call", p.call_id).add("slot", p.slot_id)
        return keys.frozen()

    def request(self, ctx: Context) -> Request:
        p = self.payload
        call_id = ctx.ids.real_int("call", p.call_id)
        body = {
            "caller_id": ctx.ids.real_int("caller", p.caller_id, strict=True),
            "slot_id": p.slot_id,
            "hold_id": None,
            "call_id": call_id,
            "notes": p.notes,
            **quiet(p.notify),
        }
        if p.allow_overlap:
            body["allow_overlap"] = True
        return Request("POST", "/v1/bookings", alias(body, p.reference), call_id=call_id)

    def describe(self) -> str:
        return self._describe("book")


# -- a reschedule --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Move:
    reference: str
    hold_id: int | None
    slot_id: int | None
    call_id: int | None  # the desk's call
    notify: bool = True  # False: no message to the caller about the move
    allow_overlap: bool = False


class ReschedulePayload(BaseModel):
    reference: str  # the booking moved (kept as it is if the move fails)
    slot_id: int
    call_id: int | None = None
    local_id: int
    new_reference: str  # the provisional one (P-…)
    slot: Slot
    caller_id: int
    caller: CallerSnapshot
    notes: str = ""
    notify: bool = True  # rows queued before messages existed have none: the default
    allow_overlap: bool = False


class Reschedule(_Booking, Write[ReschedulePayload, Move, Booking]):
    """One atomic supersede on the service; a barrier on replay (it frees a slot a later write
    may book)."""

    kind = "reschedule"
    Payload = ReschedulePayload
    creates = (("booking", "local_id"), ("reference", "new_reference"))

    @classmethod
    def check(cls, ask: Move) -> None:
        _one_of(ask.hold_id, ask.slot_id)

    @classmethod
    def prepare(cls, ctx: Context, ask: Move) -> Move:
        hold_id, slot_id = _held_offline(ctx, ask.hold_id, ask.slot_id)
        return Move(ask.reference, hold_id, slot_id, ask.call_id, ask.notify, ask.allow_overlap)

    @classmethod
    def ready(cls, ctx: Context, ask: Move) -> bool:
        return ctx.ids.real_ref(ask.reference) is not None

    @classmethod
    async def online(cls, api: CentralApi, ctx: Context, ask: Move, key: str | None) -> Booking:
        real = ctx.ids.real_ref(ask.reference)
        assert real is not None
        moved = await api.reschedule(
            real,
            hold_id=ask.hold_id,
            slot_id=ask.slot_id,
            notify=ask.notify,
            idempotency_key=key,
            allow_overlap=ask.allow_overlap,
        )
        with ctx.cache.transaction():
            booked(ctx, moved)
            ctx.cache.set_booking_status(
                real, BookingStatus.RESCHEDULED, superseded_by=moved.reference
            )
        return moved

    @classmethod
    def make(cls, ctx: Context, ask: Move, *, sent: bool = False) -> Reschedule:
        old = _changeable(ctx, ctx.ids.real_ref(ask.reference) or ask.reference.upper())
        slot = _slot_for(ctx, ask.hold_id, ask.slot_id, sent=sent)
        if slot.id == old.slot.id:
            raise ApiRefused(
                422, "invalid", "That is the slot already booked; pick a different one.", "slot_id"
            )
        if not sent:
            check_clashes(ctx, old.caller_id, slot, ask.allow_overlap, moving=old.reference)
        return cls(
            ReschedulePayload(
                reference=old.reference,
                slot_id=slot.id,
                call_id=ask.call_id,
                local_id=ctx.cache.next_local_id(),
                new_reference=PROVISIONAL_PREFIX + new_reference(),
                slot=slot,
                caller_id=old.caller_id,
                caller=CallerSnapshot(**caller_snapshot(ctx, old.caller_id)),
                notes=old.notes,
                notify=ask.notify,
                allow_overlap=ask.allow_overlap,
            )
        )

    def provisional(self, ctx: Context) -> Booking:
        p = self.payload
        old = ctx.cache.booking(p.reference)
        assert old is not None
        call_id = p.call_id if p.call_id is not None else old.call_id
        new = self._provisional_booking(ctx, old.caller_id, call_id, old.notes, old.reference)
        ctx.cache.set_booking_status(
            old.reference, BookingStatus.RESCHEDULED, superseded_by=new.reference
        )
        return new

    def request(self, ctx: Context) -> Request:
        p = self.payload
        reference = ctx.ids.real_ref(p.reference, strict=True)
        call_id = ctx.ids.real_int("call", p.call_id)
        body: dict[str, Any] = {
            "slot_id": p.slot_id,
            "hold_id": None,
            "call_id": call_id,
            **quiet(p.notify),
        }
        if p.allow_overlap:
            body["allow_overlap"] = True
        body = alias(body, p.new_reference)
        return Request("POST", f"/v1/bookings/{reference}/reschedule", body, call_id=call_id)

    def _replaced(self, ctx: Context, status: BookingStatus, by: str | None = None) -> None:
        old = ctx.ids.real_ref(self.payload.reference)
        if old:
            ctx.cache.set_booking_status(old, status, superseded_by=by)

    def _original(self, ctx: Context) -> str | None:
        return ctx.ids.real_ref(self.payload.reference)

    @property
    def made(self) -> str:
        return self.payload.new_reference

    def describe(self) -> str:
        return self._describe(f"move {self.payload.reference} to")


# -- a cancellation ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cancellation:
    reference: str
    reason: str
    call_id: int | None  # the desk's call
    notify: bool = True  # False: no message to the caller about the cancellation


class CancelPayload(BaseModel):
    reference: str
    reason: str = ""
    call_id: int | None = None
    notify: bool = True  # rows queued before messages existed have none: the default


class Cancel(Write[CancelPayload, Cancellation, Booking]):
    """A barrier on replay: it frees a slot a later write may book."""

    kind = "cancel"
    Payload = CancelPayload

    @classmethod
    def ready(cls, ctx: Context, ask: Cancellation) -> bool:
        return booking_known(ctx, ask.reference)

    @classmethod
    async def online(
        cls, api: CentralApi, ctx: Context, ask: Cancellation, key: str | None
    ) -> Booking:
        real = ctx.ids.real_ref(ask.reference)
        assert real is not None
        cancelled = await api.cancel(real, ask.reason, idempotency_key=key, notify=ask.notify)
        ctx.cache.put_booking(cancelled)
        return cancelled

    @classmethod
    def make(cls, ctx: Context, ask: Cancellation) -> Cancel:
        booking = _changeable(ctx, ctx.ids.real_ref(ask.reference) or ask.reference.upper())
        return cls(
            CancelPayload(
                reference=booking.reference,
                reason=ask.reason,
                call_id=ask.call_id,
                notify=ask.notify,
            )
        )

    def provisional(self, ctx: Context) -> Booking:
        changed = ctx.cache.set_booking_status(
            self.payload.reference, BookingStatus.CANCELLED, cancel_call_id=self.payload.call_id
        )
        assert changed is not None
        return changed

    def result(self, ctx: Context) -> Booking:
        reference = self.payload.reference
        found = ctx.cache.booking(ctx.ids.real_ref(reference) or reference)
        if found is None:
            raise not_cached("this booking")
        return found

    def request(self, ctx: Context) -> Request:
        p = self.payload
        reference = booking_reference(
            ctx,
            p.reference,
            never_confirmed=f"booking {p.reference} was never confirmed, so there is nothing to "
            "cancel",
            settles=True,
        )
        body = {
            "reason": p.reason,
            "call_id": ctx.ids.real_int("call", p.call_id),
            **quiet(p.notify),
        }
        return Request("POST", f"/v1/bookings/{reference}/cancel", body)

    def applied(self, ctx: Context, answer: Any) -> dict[str, Any]:
        booking = Booking.model_validate(answer)
        ctx.cache.put_booking(booking)
        return {"reference": booking.reference, "booking_id": booking.id}

    def issue(self, ctx: Context, kind: str, message: str) -> SyncIssue:
        """Whom to call back, and for which slot: from the booking as the desk has it."""
        issue = super().issue(ctx, kind, message)
        booking = ctx.cache.booking(ctx.ids.real_ref(self.payload.reference) or "")
        if booking is not None:
            who = caller_snapshot(ctx, booking.caller_id)
            issue.caller_id = booking.caller_id
            issue.caller_name, issue.caller_phone = who["name"], who["phone"]
            issue.slot = booking.slot
        return issue

    def describe(self) -> str:
        return f"cancel {self.payload.reference}"
