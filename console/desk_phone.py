"""The desk and the telephone: callbacks to work (:class:`CallbackWork`) and the caller's card
popped when the desk's extension rings (:class:`ScreenPop`).

Both work on the :class:`~console.desk.Desk` they belong to (``desk.callbacks``,
``desk.phone``): a callback reached, or a ringing call taken, becomes the desk's call like any
other, and goes on to the slot search, a booking and the wrap-up.

**Callbacks.** ``claim()`` leases the next due callback (online only: the central database
decides who gets it); the desk keeps it until it records an outcome or releases it, through an
outage and a restart too (the Store keeps it in its cache). ``reached(caller_id)`` starts the
callback's call (outbound, with the caller chosen among those the number matches, or none: a
new caller) and records the attempt in that call: the callback stays this agent's until the
call's wrap-up closes it (the service does); ``record(outcome)`` records
no answer, busy, wrong number or declined; ``release()`` gives it back. Offline, outcomes and
releases queue like every other write.

**Screen pop.** With ``[telephony] extension`` set, the desk declares it to the service when it
signs in (and again after an outage) and follows the change feed's ``ringing`` changes: a call
ringing on that extension is :meth:`ScreenPop.ringing`, matched to callers by the number; an
``answered`` elsewhere or ``missed`` ends it. ``take(call, caller_id)`` starts the desk's call
with that caller (inbound: the number's open callback closes as reached). The long poll that
brings a ringing call within a second is the Store's sync loop's (``long_poll``).

No Textual here.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from console.client.api import ApiError, ApiRefused, Unreachable, new_idempotency_key
from console.client.feed import ChangeBatch
from console.desk_views import CallerCard
from console.domain.callbacks import AttemptIn, AttemptOutcome, Callback, CallbackPage
from console.domain.models import Call, CallDirection, Caller

if TYPE_CHECKING:
    from console.desk import Desk

# The wait of the sync loop's long poll of the feed while an extension is declared (the
# client's long-poll connections time out above it).
LONG_POLL_SECONDS = 20.0
# A ringing change older than this when it arrives (the desk was offline, say) rings no more.
RINGING_FRESH = timedelta(minutes=3)
MAX_MATCHES = 20  # callers fetched for one number (a family's landline: a few)


class CallInProgress(Exception):
    """The desk is in a call: wrap it up before calling back or taking another."""


@dataclass
class Matches:
    """Who a number belongs to: the callers found (all of them when several), the card of the
    one (``card``) when exactly one, and how many the desk could not load (offline, not in its
    cache)."""

    number: str | None
    callers: list[Caller] = field(default_factory=list)
    card: CallerCard | None = None
    missing: int = 0

    @property
    def none(self) -> bool:
        return not self.callers and not self.missing


@dataclass(frozen=True)
class RingingCall:
    """A call ringing on this desk's extension (the change feed's ``ringing``)."""

    call_id: str
    number: str | None
    line: str | None
    extension: str
    caller_ids: tuple[int, ...]
    at: datetime


async def _matches(
    desk: Desk, number: str | None, caller_ids: tuple[int, ...] | list[int]
) -> Matches:
    """Load the callers a number matched: the whole card when there is one, else each caller."""
    wanted = list(dict.fromkeys(caller_ids))[:MAX_MATCHES]
    if len(wanted) == 1:
        try:
            card = await desk.read_card(wanted[0])
        except Unreachable:
            return Matches(number, missing=1)
        return Matches(number, [card.caller], card)
    found = await asyncio.gather(*(desk.api.caller(i) for i in wanted), return_exceptions=True)
    callers = [c for c in found if isinstance(c, Caller)]
    for problem in found:
        if isinstance(problem, BaseException) and not isinstance(problem, ApiError):
            raise problem
    return Matches(number, callers, missing=len(wanted) - len(callers))


class CallbackWork:
    """The callback this desk works on (see the module docstring)."""

    def __init__(self, desk: Desk) -> None:
        self.desk = desk
        self.held: Callback | None = None  # claimed, no outcome yet
        self._claim_key: str | None = None

    def now(self) -> datetime:
        """The moment waits, and the callback hours, are counted to: the desk's clock's."""
        return self.desk.clock.utcnow()

    def resume(self) -> Callback | None:
        """The callback this desk claimed before (an outage, a restart), if it still holds it."""
        store = self.desk.store
        if self.held is None and store is not None:
            self.held = store.claimed_callback()
        return self.held

    async def queue(self) -> CallbackPage:
        """The queue, oldest first (offline: as last seen, ``from_cache``)."""
        return await self.desk.api.callbacks()

    def _free(self) -> None:
        if self.desk.call is not None:
            raise CallInProgress()

    async def claim(self) -> Callback | None:
        """Lease the next due callback (None when none is due). The one held already, if any."""
        if self.resume() is not None:
            return self.held
        self._free()
        self._claim_key = self._claim_key or new_idempotency_key()
        found = await self.desk.api.claim_callback(idempotency_key=self._claim_key)
        self._claim_key = None
        self.held = found
        return found

    async def matches(self) -> Matches:
        """The callers the held callback's number matches."""
        held = self._held()
        return await _matches(self.desk, held.number, held.caller_ids)

    def _held(self) -> Callback:
        if self.held is None:
            raise RuntimeError("No callback is claimed.")
        return self.held

    async def reached(self, caller_id: int | None) -> Call:
        """The caller answered: the callback's call starts (outbound, with ``caller_id``, or
        no caller yet: a new one), and the attempt is recorded in that call. The call goes on
        like any other, and its wrap-up closes the callback. A refused attempt (another agent
        has the callback now) leaves the call as it is and raises."""
        held = self._held()
        self._free()
        call = await self.desk.start_call_with(caller_id, CallDirection.OUTBOUND)
        if caller_id is not None:
            await self.desk.open_caller(caller_id)
        note = ""
        try:
            await self._attempt(held, AttemptOutcome.REACHED, note, call)
        finally:
            self.held = None
        return call

    async def record(self, outcome: AttemptOutcome, note: str = "") -> Callback:
        """No answer, busy, wrong number or declined: recorded, and the callback is done with
        (no answer and busy come back after the configured wait)."""
        if outcome is AttemptOutcome.REACHED:
            raise ValueError("A reached callback goes on as a call: use reached().")
        held = self._held()
        try:
            return await self._attempt(held, outcome, note, None)
        finally:
            self.held = None

    async def _attempt(
        self, held: Callback, outcome: AttemptOutcome, note: str, call: Call | None
    ) -> Callback:
        real_call = call.id if call is not None and call.id > 0 else None
        attempt = AttemptIn(outcome=outcome, note=note, call_id=real_call)
        action = f"callback_attempt:{held.id}:{outcome.value}"
        done = await self.desk.api.callback_attempt(
            held.id, attempt, idempotency_key=self.desk.key_for(action)
        )
        self.desk.done_with(action)
        return done

    async def release(self) -> Callback:
        """Give the held callback back to the queue as it was."""
        held = self._held()
        action = f"callback_release:{held.id}"
        try:
            done = await self.desk.api.release_callback(
                held.id, idempotency_key=self.desk.key_for(action)
            )
        finally:
            self.held = None
        self.desk.done_with(action)
        return done


class ScreenPop:
    """This desk's extension and the calls ringing on it (see the module docstring)."""

    def __init__(self, desk: Desk) -> None:
        self.desk = desk
        self.extension: str | None = None
        self.declared = False

    async def sign_in(self, extension: str) -> None:
        """Answer ``extension`` on this desk: declare it to the service, and follow the feed
        with a long poll (a ringing call shows within a second). Offline, it is declared once
        the desk is back online (:meth:`declare_again`)."""
        self.extension = extension
        store = self.desk.store
        if store is not None:
            store.sync.long_poll = LONG_POLL_SECONDS
        await self.declare_again()

    async def declare_again(self) -> bool:
        """Declare the extension if it is not (after an outage); True once it is."""
        if self.extension is None or self.desk.read_only:
            return False
        if not self.declared:
            try:
                await self.desk.api.declare_extension(self.extension)
            except Unreachable:
                return False
            self.declared = True
        return True

    async def sign_out(self, timeout: float = 2.0) -> None:
        """The desk quits: the extension is no longer this agent's (best effort)."""
        if self.extension is None or not self.declared:
            return
        self.declared = False
        with contextlib.suppress(ApiRefused, Unreachable, TimeoutError):
            await asyncio.wait_for(self.desk.api.release_extension(), timeout)

    def calls_in(self, batch: ChangeBatch) -> tuple[list[RingingCall], set[str]]:
        """What a batch of the change feed says about this extension: calls now ringing here,
        and the call ids that stopped ringing (answered elsewhere, missed, or ringing on
        another extension now), in order (a call that rang and ended in one batch is ended)."""
        ringing: dict[str, RingingCall] = {}
        ended: set[str] = set()
        if self.extension is None:
            return [], ended
        fresh_after = self.desk.clock.utcnow() - RINGING_FRESH
        for change in batch.changes:
            if change.entity != "ringing":
                continue
            data = change.data
            call_id = str(data.get("call_id") or "")
            if not call_id:
                continue
            here = data.get("extension") == self.extension
            if change.op == "ringing" and here and change.at >= fresh_after:
                ringing[call_id] = RingingCall(
                    call_id=call_id,
                    number=data.get("number"),
                    line=data.get("line"),
                    extension=self.extension,
                    caller_ids=tuple(int(i) for i in data.get("caller_ids") or ()),
                    at=change.at,
                )
                ended.discard(call_id)
            elif change.op == "answered" and here:
                continue  # answered here: the agent takes it on the desk
            elif change.op in ("ringing", "answered", "missed"):
                ringing.pop(call_id, None)
                ended.add(call_id)
        return list(ringing.values()), ended

    async def matches(self, call: RingingCall) -> Matches:
        """The callers the ringing number matches (each loaded; the card when one)."""
        return await _matches(self.desk, call.number, call.caller_ids)

    async def take(self, call: RingingCall, caller_id: int | None) -> Call:
        """Take the ringing call: the desk's call starts with ``caller_id`` (inbound), or the
        empty call already started (F2) gets the caller. A call with a caller in progress
        must be wrapped up first."""
        desk = self.desk
        current = desk.call
        if current is not None and (current.caller_id is not None or desk.last_booking):
            raise CallInProgress()
        if current is None:
            await desk.start_call_with(caller_id, CallDirection.INBOUND)
        if caller_id is not None:
            await desk.open_caller(caller_id)
        assert desk.call is not None
        return desk.call


def watch_ringing(
    pop: ScreenPop, on_ringing: Callable[[list[RingingCall], set[str]], None]
) -> Callable[[ChangeBatch], None]:
    """A change-feed subscriber handing ``on_ringing`` what each batch says about this desk's
    extension (when it says anything)."""

    def subscriber(batch: ChangeBatch) -> None:
        ringing, ended = pop.calls_in(batch)
        if ringing or ended:
            on_ringing(ringing, ended)

    return subscriber
