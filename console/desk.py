"""The agent's desk: what one call needs, as use cases the screens call.

``Desk`` holds the state of the call in progress (the agent, the call, the caller, a held
slot, a booking being rescheduled) and does the work through :class:`CentralApi`, or through
the :class:`~console.client.store.Store` that wraps it and keeps working offline (the console
always uses a Store; tests and tools may pass a bare ``CentralApi``). Screens talk to the desk
only: the sync issues an outage left (rebook, follow up, dismiss) and the subscription to the
change feed are here too. It knows nothing of Textual: screens run its coroutines in workers
and redraw from its state.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from console.client.api import ApiError, CentralApi, new_idempotency_key
from console.client.confirmations import Confirmation
from console.client.connection import OFFLINE
from console.client.feed import ChangeBatch
from console.client.issues import Issues, SyncIssue
from console.client.presence import Presence
from console.client.store import Store
from console.client.writes.queue import QueuedWrite
from console.clock import Clock
from console.desk_phone import CallbackWork, ScreenPop
from console.desk_views import (
    CallAction,
    CallerCard,
    Delivery,
    LeftOpen,
    Referral,
    SyncStatus,
)
from console.domain.calendar import format_datetime
from console.domain.callbacks import Callback
from console.domain.clashes import Clashes, clashes
from console.domain.floor import AgentDay, AgentState, Floor
from console.domain.models import (
    Agent,
    Booking,
    BookingStatus,
    Call,
    CallDirection,
    Caller,
    CallerIn,
    CallerMessage,
    CallerPatch,
    CallerSearch,
    DirectoryAreas,
    DirectoryDetail,
    DirectoryEntry,
    DirectoryPage,
    Disposition,
    DoctorType,
    Hold,
    Location,
    ProviderReport,
    ReportClose,
    ReportIn,
    ReportKind,
    Role,
    Service,
    Slot,
    WrapUpIn,
)
from console.i18n import _
from console.offline_wording import (
    callback_note,
    follow_up_call_notes,
    rebooked_note,
    reference_text,
)

log = logging.getLogger(__name__)


@dataclass
class Desk:
    api: CentralApi | Store
    agent: Agent | None = None
    services: list[Service] = field(default_factory=list)
    locations: list[Location] = field(default_factory=list)
    dispositions: list[Disposition] = field(default_factory=list)
    call: Call | None = None
    call_started: float | None = None  # time.monotonic() when the call began
    call_ended: float | None = None  # when the agent began the wrap-up (after-call work)
    caller: Caller | None = None
    hold: Hold | None = None
    rescheduling: Booking | None = None
    last_booking: Booking | None = None
    clock: Clock = field(default_factory=Clock)  # every date and time the desk shows or uses
    slots_from_cache: bool = False  # the last slot search was served by the local cache
    referral: Referral | None = None  # where the current caller was referred (directory)
    presence: Presence | None = None  # this desk's state on the floor (agents and admins)
    # Whether anything sends the messages to callers (the embedded service's sender says;
    # None: a networked desk, whose central service's sender it cannot see).
    delivery_source: Callable[[], Delivery] | None = None
    # The agent chose to book the held slot beside the caller's overlapping booking.
    allow_overlap: bool = False
    # The call was left open (the console quit or crashed) and taken up again to wrap it up:
    # its real end is unknown, so it is recorded as ending when it started (no talk time).
    resumed: bool = False
    # What the call in progress did to bookings, in order (the wrap-up's pre-fill says all).
    actions: list[CallAction] = field(default_factory=list)
    _areas: DirectoryAreas | None = None
    _pending_keys: dict[str, str] = field(default_factory=dict)
    callbacks: CallbackWork = field(init=False)  # the callback being worked (console.desk_phone)
    phone: ScreenPop = field(init=False)  # the extension and the calls ringing on it

    def __post_init__(self) -> None:
        self.callbacks = CallbackWork(self)
        self.phone = ScreenPop(self)

    def today(self) -> date:
        """Today in Ljubljana, by the desk's clock (``[ui] today`` may pretend a date)."""
        return self.clock.today()

    # -- the session ----------------------------------------------------------------------

    async def connect(self) -> Agent:
        """Who am I, and the reference data every screen needs (fetched concurrently)."""
        agent, self.services, self.locations, self.dispositions = await asyncio.gather(
            self.api.me(), self.api.services(), self.api.locations(), self.api.dispositions()
        )
        self.agent = agent
        return agent

    # -- this desk's state on the supervisors' floor --------------------------------------

    def open_presence(self, on_change: Callable[[], None] | None = None) -> Presence | None:
        """Make the desk's :class:`Presence` (not for a supervisor: they take no calls)."""
        if self.read_only or self.presence is not None:
            return self.presence
        store = self.store
        api = store.api if store is not None else self.api
        assert isinstance(api, CentralApi)
        self.presence = Presence(
            api,
            may_send=lambda: not self.offline,
            counts=lambda: (
                (store.outbox_size(), len(store.conflicts())) if store is not None else (0, 0)
            ),
            call_id=self._real_call_id,
            on_change=on_change,
        )
        return self.presence

    def _real_call_id(self) -> int | None:
        """The current call's id on the service; None while it is provisional (offline)."""
        if self.call is None:
            return None
        if self.call.id > 0:
            return self.call.id
        store = self.store
        return store.real_id("call", self.call.id) if store is not None else None

    @property
    def agent_state(self) -> AgentState | None:
        return self.presence.state if self.presence is not None else None

    def away_label(self, language: str) -> str | None:
        """Why the agent is away, in ``language`` (the service's labels)."""
        presence = self.presence
        if presence is None or presence.state is not AgentState.AWAY:
            return None
        return presence.reason_label(presence.reason, language)

    def go_away(self, reason: str) -> None:
        """The agent steps away (a reason from the service's list); reported at once."""
        if self.presence is None:
            raise RuntimeError("This desk reports no state.")
        if self.call is not None:
            raise RuntimeError("Wrap up the call first.")
        self.presence.post(AgentState.AWAY, reason=reason)

    def back_ready(self) -> None:
        """The agent is back and ready for calls; reported at once."""
        if self.presence is not None:
            self.presence.post(AgentState.READY)

    async def floor(self) -> Floor:
        """The supervisor's floor now (online only)."""
        return await self.api.floor()

    async def agent_day(self, agent_id: int, *, include_caller: bool = False) -> AgentDay:
        """One agent's calls today; ``include_caller``: who called (an audited read)."""
        return await self.api.agent_day(agent_id, self.today(), include_caller=include_caller)

    async def export_calls(self, day: date, fmt: str) -> bytes:
        """The day's calls as the bytes of a csv or xlsx file."""
        return await self.api.export_calls(day, fmt)

    async def save_export(self, day: date, fmt: str, path: str | Path) -> Path:
        """Export the day's calls (``fmt``: csv or xlsx) into the file ``path`` (``~`` is the
        home folder; missing folders are made); returns where it went."""
        target = Path(path).expanduser().resolve()
        data = await self.export_calls(day, fmt)

        def write() -> None:
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(target.name + ".part")
            partial.write_bytes(data)
            partial.replace(target)

        await asyncio.to_thread(write)
        return target

    @property
    def store(self) -> Store | None:
        """The offline-capable Store behind the desk, if there is one."""
        return self.api if isinstance(self.api, Store) else None

    @property
    def works_offline(self) -> bool:
        """The desk has a Store: it keeps working offline, and may have sync issues."""
        return self.store is not None

    @property
    def offline(self) -> bool:
        """Working from the local cache: writes queue, bookings are provisional."""
        return self.store is not None and self.store.state == OFFLINE

    def sync_status(self) -> SyncStatus:
        """The connection as the status bar shows it (a bare CentralApi is always online)."""
        store = self.store
        if store is None:
            return SyncStatus()
        return SyncStatus(
            state=store.state,
            queued=store.outbox_size(),
            issues=len(store.conflicts()),
            last_sync=store.last_sync,
            confirmed=len(store.confirmed()),
        )

    def delivery(self) -> Delivery:
        """Whether the messages queued for callers go out, as far as this desk can tell."""
        return self.delivery_source() if self.delivery_source is not None else Delivery()

    # -- the connection, the change feed and sync issues ----------------------------------

    def subscribe_changes(self, subscriber: Callable[[ChangeBatch], None]) -> Callable[[], None]:
        """Call ``subscriber`` with what each poll of the central change feed reads (the
        Store's one poller); returns the function that ends the subscription. A bare
        CentralApi has no poller: nothing is delivered."""
        store = self.store
        return store.subscribe(subscriber) if store is not None else lambda: None

    def catch_up(self) -> None:
        """Sync now (poll the change feed; offline: probe) rather than at the next tick."""
        if self.store is not None:
            self.store.wake()

    def is_provisional_caller(self, caller_id: int) -> bool:
        """Entered offline and not yet accepted by the central service."""
        store = self.store
        if caller_id >= 0:
            return False
        return store is None or store.real_id("caller", caller_id) is None

    def sync_issues(self) -> list[SyncIssue]:
        """The open sync issues (writes the replay could not do), oldest first; no network."""
        store = self.store
        return store.conflicts() if store is not None else []

    def _issues(self) -> Issues:
        if self.store is None:
            raise RuntimeError("Sync issues need the desk's Store.")
        return self.store.issues

    async def rebook(self, issue: SyncIssue, slot_id: int) -> Booking:
        """Book ``slot_id`` for the issue's caller (a reschedule if that is what failed) and
        close the issue; the record of the call the failed booking was made in says so."""
        issues = self._issues()
        booking = await issues.rebook(issue, slot_id)
        await issues.note_on_call(
            issue, rebooked_note(issue, booking.reference, booking.slot), "rb"
        )
        return booking

    async def refresh_nearest(self, issue: SyncIssue) -> SyncIssue:
        """Look up the free slots nearest to the one the issue's caller wanted again."""
        return await self._issues().refresh_nearest(issue)

    async def to_follow_up(self, issue: SyncIssue, note: str) -> Call | Callback:
        """Owe the issue's caller a callback (in the queue in 15 minutes, kept for this agent;
        without a phone, a follow-up call that the service makes a callback) and close the
        issue; the record of the call the write was made in says so."""
        issues = self._issues()
        call = await issues.to_follow_up(issue, note, notes=follow_up_call_notes(issue))
        await issues.note_on_call(issue, callback_note(issue), "fu")
        return call

    # -- confirmations to pass on, and what waits in the outbox ---------------------------

    def confirmations(self) -> list[Confirmation]:
        """Provisional references the replay confirmed, still to pass on to the callers."""
        store = self.store
        return store.confirmed() if store is not None else []

    def told(self, confirmation: Confirmation) -> None:
        """The agent gave the caller the real reference."""
        if self.store is not None:
            self.store.confirmations.told(confirmation)

    async def read_out_later(self, confirmation: Confirmation) -> Call | Callback:
        """A callback to read the real reference out to the caller (in 15 minutes)."""
        if self.store is None:
            raise RuntimeError("Confirmations need the desk's Store.")
        given = reference_text(confirmation.provisional)
        real = reference_text(confirmation.reference)
        when = format_datetime(confirmation.starts_at)
        return await self.store.confirmations.to_follow_up(
            confirmation,
            notes=_(
                "After the outage: booking {given} ({when}, {where}) is confirmed as {real}."
            ).format(given=given, when=when, where=confirmation.location_name, real=real),
            note=_(
                "Read out the confirmed reference {real} (the caller was given {given})."
            ).format(real=real, given=given),
        )

    def queued_writes(self) -> list[QueuedWrite]:
        """The writes this desk has not sent yet, in order."""
        store = self.store
        return store.queued() if store is not None else []

    def dismiss(self, issue: SyncIssue, note: str = "") -> None:
        """Close the issue: the agent settled it another way (``note`` says how)."""
        self._issues().dismiss(issue, note)

    @property
    def read_only(self) -> bool:
        return self.agent is not None and self.agent.role is Role.SUPERVISOR

    @property
    def regions(self) -> list[str]:
        return sorted({location.region for location in self.locations})

    def service(self, service_id: int) -> Service | None:
        return next((s for s in self.services if s.id == service_id), None)

    def location(self, location_id: int) -> Location | None:
        return next((loc for loc in self.locations if loc.id == location_id), None)

    def _key(self, action: str) -> str:
        """One idempotency key per intended write, kept until it succeeds: a retry after a
        timeout reuses it, so the server applies the write once."""
        return self._pending_keys.setdefault(action, new_idempotency_key())

    def _done(self, action: str) -> None:
        self._pending_keys.pop(action, None)

    def key_for(self, action: str) -> str:
        """The idempotency key of an intended write (see :meth:`_key`), for the desk's parts."""
        return self._key(action)

    def done_with(self, action: str) -> None:
        self._done(action)

    # -- the call -------------------------------------------------------------------------

    def call_seconds(self, now: float | None = None) -> int | None:
        if self.call_started is None:
            return None
        end = self.call_ended if self.call_ended is not None else (now or time.monotonic())
        return int(end - self.call_started)

    async def ensure_call(self) -> Call | None:
        """Start a call if none is in progress (supervisors never start one)."""
        if self.call is not None or self.read_only:
            return self.call
        self.call = await self.api.start_call(idempotency_key=self._key("start_call"))
        self._done("start_call")
        self.call_started = time.monotonic()
        self.call_ended = None
        self.api.call_id = self.call.id
        if self.presence is not None:
            # The service put the agent on the call when it started it: nothing to send.
            self.presence.set(AgentState.ON_CALL)
        return self.call

    async def start_call_with(self, caller_id: int | None, direction: CallDirection) -> Call:
        """Start a call with this caller from its first moment (a callback dialled out, a
        ringing call taken): the caller is the call's from the start. None: not known yet."""
        if self.call is not None:
            raise RuntimeError("A call is in progress.")
        action = f"start_call:{direction.value}:{caller_id}"
        key = self._key(action)
        self.call = await self.api.start_call(caller_id, direction, idempotency_key=key)
        self._done(action)
        self.call_started = time.monotonic()
        self.call_ended = None
        self.api.call_id = self.call.id
        if self.presence is not None:
            # The service put the agent on the call when it started it: nothing to send.
            self.presence.set(AgentState.ON_CALL)
        return self.call

    async def open_calls(self) -> list[LeftOpen]:
        """This agent's calls left open (no wrap-up), oldest first, other than the call in
        progress: offered for wrap-up on start. Offline, from the desk's copy."""
        if self.read_only:
            return []
        found = await self.api.calls(mine=True, open_only=True, limit=50)
        current = self.call.id if self.call is not None else None
        store = self.store
        left = []
        for call in sorted(found, key=lambda c: (c.started_at, c.id)):
            if call.id == current or call.wrapped_at is not None:
                continue
            known = store.cache.caller(call.caller_id) if store and call.caller_id else None
            name = f"{known.first_name} {known.last_name}" if known is not None else None
            left.append(LeftOpen(call=call, caller=name))
        return left

    async def resume_call(self, call: Call) -> Call:
        """Take up a call left open to wrap it up: it becomes the desk's call (with its caller),
        its after-call work counted from now."""
        if self.call is not None:
            raise RuntimeError("A call is in progress.")
        self.reset()
        caller = await self.api.caller(call.caller_id) if call.caller_id is not None else None
        self.call = call
        self.caller = caller
        self.actions = await self._actions_of(call)
        self.resumed = True
        self.call_started = self.call_ended = time.monotonic()
        self.api.call_id = call.id
        return call

    async def _actions_of(self, call: Call) -> list[CallAction]:
        """What a call left open did to its caller's bookings, as the service recorded it (the
        desk's copy offline), in the order it was done: the wrap-up's pre-fill says it as it
        would have in that call. A booking made (or moved to) in the call, then the ones
        cancelled in it."""
        if call.caller_id is None:
            return []
        try:
            found = await self.api.bookings(call.caller_id, include_past=True)
        except ApiError:  # the pre-fill is a help: the wrap-up goes on without it
            log.warning("the bookings of call %s could not be read for its wrap-up", call.id)
            return []
        made = sorted((b for b in found if b.call_id == call.id), key=lambda b: b.created_at)
        actions = [CallAction("rescheduled" if b.replaces else "booked", b) for b in made]
        actions += [
            CallAction("cancelled", b)
            for b in found
            if b.cancel_call_id == call.id and b.status is BookingStatus.CANCELLED
        ]
        return actions

    def end_call(self) -> None:
        """The caller hung up: after-call work starts now."""
        if self.call is not None and self.call_ended is None:
            self.call_ended = time.monotonic()
            if self.presence is not None:
                self.presence.post(AgentState.AFTER_CALL_WORK, service_id=self.presence.service_id)

    async def wrap_up(
        self,
        disposition: str,
        notes: str,
        follow_up_at: datetime | None = None,
        follow_up_note: str = "",
        follow_up_number: str | None = None,
        follow_up_assign: str = "me",
    ) -> Call:
        """Save the wrap-up, end the call, and clear the desk for the next one. A follow-up
        becomes a callback on ``follow_up_number`` (default: the caller's first phone), kept
        for this agent (``follow_up_assign`` "me") or for anyone ("pool")."""
        if self.call is None:
            raise RuntimeError("There is no call to wrap up.")
        self.end_call()
        assert self.call_ended is not None
        ended_at = self.clock.utcnow() - timedelta(seconds=time.monotonic() - self.call_ended)
        if self.resumed:
            ended_at = self.call.started_at  # left open: when it really ended is unknown
        payload = WrapUpIn(
            disposition=disposition,
            notes=notes,
            follow_up_at=follow_up_at,
            follow_up_note=follow_up_note,
            after_call_work_seconds=int(time.monotonic() - self.call_ended),
            ended_at=ended_at,
            referred_provider_id=self.referral.provider_id if self.referral else None,
            follow_up_number=follow_up_number if follow_up_at is not None else None,
            follow_up_assign="pool" if follow_up_assign == "pool" else "me",
        )
        call = await self.api.wrap_up(self.call.id, payload, idempotency_key=self._key("wrap_up"))
        self._done("wrap_up")
        await self.release_hold()
        self.reset()
        if self.presence is not None:
            # The service made the agent ready with the wrap-up: nothing to send.
            self.presence.set(AgentState.READY)
        return call

    def reset(self) -> None:
        self.call = None
        self.call_started = None
        self.call_ended = None
        self.caller = None
        self.hold = None
        self.rescheduling = None
        self.last_booking = None
        self.referral = None
        self.resumed = False
        self.actions = []
        self.api.call_id = None
        self._pending_keys.clear()

    # -- callers --------------------------------------------------------------------------

    async def search(self, query: str) -> CallerSearch:
        return await self.api.search_callers(query)

    async def open_caller(self, caller_id: int) -> CallerCard:
        """Load the caller card and make this the call's caller."""
        await self.ensure_call()  # the card is read within the call, for the audit log
        caller, bookings, calls = await asyncio.gather(
            self.api.caller(caller_id),
            self.api.bookings(caller_id),
            self.api.calls(caller_id=caller_id, limit=5),
        )
        await self._attach(caller)
        return CallerCard(caller=caller, bookings=bookings, calls=calls, delivery=self.delivery())

    async def read_card(self, caller_id: int) -> CallerCard:
        """The caller card, without making this the call's caller (a card popped while the
        phone rings, a callback's caller before dialling)."""
        caller, bookings, calls = await asyncio.gather(
            self.api.caller(caller_id),
            self.api.bookings(caller_id),
            self.api.calls(caller_id=caller_id, limit=5),
        )
        return CallerCard(caller=caller, bookings=bookings, calls=calls)

    async def create_caller(self, new: CallerIn) -> Caller:
        """Create a caller and make them the call's caller. The idempotency key follows the
        form's content: a retry of the same form is applied once, an edited form is new."""
        action = "create_caller:" + new.model_dump_json()
        caller = await self.api.create_caller(new, idempotency_key=self._key(action))
        self._done(action)
        await self.ensure_call()
        await self._attach(caller)
        return caller

    async def update_caller(self, caller_id: int, patch: CallerPatch) -> Caller:
        """Change a caller's record (only the fields set in ``patch``); offline it is queued
        like any write. The call's caller is kept up to date."""
        caller = await self.api.update_caller(caller_id, patch)
        if self.caller is not None and self.caller.id == caller.id:
            self.caller = caller
        return caller

    async def _attach(self, caller: Caller) -> None:
        if self.caller is not None and self.caller.id != caller.id:
            self.rescheduling = None
        self.caller = caller
        if self.call is not None and self.call.caller_id != caller.id and not self.read_only:
            self.call = await self.api.attach_caller(self.call.id, caller.id)

    async def bookings(self, include_past: bool = False) -> list[Booking]:
        if self.caller is None:
            return []
        return await self.api.bookings(self.caller.id, include_past=include_past)

    # -- slots and bookings ---------------------------------------------------------------

    async def find_slots(
        self,
        service_id: int,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        region: str | None = None,
        location_id: int | None = None,
        limit: int = 30,
    ) -> list[Slot]:
        presence = self.presence
        if (
            presence is not None
            and self.call is not None
            and presence.state is AgentState.ON_CALL
            and presence.service_id != service_id
        ):
            presence.post(AgentState.ON_CALL, service_id=service_id)  # what the caller needs
        page = await self.api.slots(
            service_id,
            start=start,
            end=end,
            region=region,
            location_id=location_id,
            limit=limit,
        )
        self.slots_from_cache = bool(getattr(page, "from_cache", False))
        return page.slots

    async def clashes_for(self, slot: Slot) -> Clashes:
        """The caller's active bookings of the slot's service and at an overlapping time (the
        booking being rescheduled does not count): what the agent is told before a hold."""
        caller_id = (
            self.rescheduling.caller_id
            if self.rescheduling is not None
            else (self.caller.id if self.caller is not None else None)
        )
        if caller_id is None:
            return Clashes()
        service = self.service(slot.service_id)
        return clashes(
            await self.api.bookings(caller_id),
            slot,
            one_per_caller=service is not None and service.one_booking_per_caller,
            moving=self.rescheduling.reference if self.rescheduling is not None else None,
        )  # "active" by the real clock, as the service judges it (not a demo's pretended day)

    async def hold_slot(self, slot_id: int, *, allow_overlap: bool = False) -> Hold:
        """Hold a slot for this agent, letting go of any slot held before. ``allow_overlap``:
        the agent chose to book it beside the caller's overlapping booking."""
        if self.hold is not None and self.hold.slot_id != slot_id:
            await self.release_hold()
        self.hold = await self.api.hold(slot_id)
        self.allow_overlap = allow_overlap
        return self.hold

    async def release_hold(self) -> None:
        hold, self.hold = self.hold, None
        self.allow_overlap = False
        if hold is not None:
            with contextlib.suppress(Exception):
                await self.api.release(hold.id)

    def hold_seconds_left(self) -> int | None:
        if self.hold is None:
            return None
        return max(0, int((self.hold.expires_at - self.clock.utcnow()).total_seconds()))

    async def confirm(self, notes: str = "", *, notify: bool = True) -> Booking:
        """Book the held slot for the current caller, or move the booking being rescheduled
        there. The hold is consumed either way. ``notify=False``: no message to the caller
        about it (the agent switched it off)."""
        if self.hold is None:
            raise RuntimeError("Hold a slot first.")
        if self.rescheduling is not None:
            booking = await self.api.reschedule(
                self.rescheduling.reference,
                hold_id=self.hold.id,
                notify=notify,
                idempotency_key=self._key(f"reschedule:{self.rescheduling.reference}"),
                allow_overlap=self.allow_overlap,
            )
            self._done(f"reschedule:{self.rescheduling.reference}")
            self.rescheduling = None
        else:
            if self.caller is None:
                raise RuntimeError("Find the caller first.")
            booking = await self.api.book(
                self.caller.id,
                hold_id=self.hold.id,
                call_id=self.call.id if self.call else None,
                notes=notes,
                notify=notify,
                idempotency_key=self._key(f"book:{self.hold.id}"),
                allow_overlap=self.allow_overlap,
            )
            self._done(f"book:{self.hold.id}")
        self.hold = None
        self.allow_overlap = False
        self.last_booking = booking
        if self.call is not None:
            kind = "rescheduled" if booking.replaces else "booked"
            self.actions.append(CallAction(kind, booking))
        return booking

    async def cancel(self, booking: Booking, reason: str = "", *, notify: bool = True) -> Booking:
        cancelled = await self.api.cancel(
            booking.reference,
            reason,
            idempotency_key=self._key(f"cancel:{booking.reference}"),
            notify=notify,
        )
        self._done(f"cancel:{booking.reference}")
        if self.call is not None:
            self.actions.append(CallAction("cancelled", cancelled))
        return cancelled

    async def withdraw_messages(self, booking: Booking) -> list[CallerMessage]:
        """Switch off the booking's messages that have not gone out yet (the booked dialog's
        switch); answers with all its messages (one already sent stays ``sent``). Offline, or
        for a provisional booking, it is queued after the booking: the messages as last seen."""
        found = await self.api.withdraw_messages(booking.reference)
        if self.last_booking is not None and self.last_booking.reference == booking.reference:
            self.last_booking = self.last_booking.model_copy(update={"messages": found})
        return found

    def start_reschedule(self, booking: Booking) -> None:
        self.rescheduling = booking

    def stop_reschedule(self) -> None:
        self.rescheduling = None

    # -- the doctor directory -------------------------------------------------------------

    async def directory(
        self,
        *,
        q: str = "",
        type: DoctorType | None = None,
        municipality: str | None = None,
        region: str | None = None,
        accepting: bool = False,
        limit: int = 100,
        offset: int = 0,
    ) -> DirectoryPage:
        """A page of the doctor directory, accepting doctors first."""
        return await self.api.directory(
            q=q.strip() or None,
            type=type,
            municipality=municipality,
            region=region,
            accepting=True if accepting else None,
            limit=limit,
            offset=offset,
        )

    async def directory_areas(self) -> DirectoryAreas:
        """The regions and municipalities to filter by (fetched once per session)."""
        if self._areas is None or not self._areas.municipalities:
            self._areas = await self.api.directory_areas()
        return self._areas

    async def directory_entry(self, provider_id: int) -> DirectoryDetail:
        return await self.api.directory_entry(provider_id)

    async def report_provider(
        self, provider_id: int, kind: ReportKind, note: str = ""
    ) -> ProviderReport:
        """Report that the directory is wrong about a doctor, within the current call if there
        is one. One idempotency key per report as typed: a retry is applied once."""
        report = ReportIn(kind=kind, note=note.strip(), call_id=self.call.id if self.call else None)
        action = f"report:{provider_id}:" + report.model_dump_json()
        saved = await self.api.report_provider(
            provider_id, report, idempotency_key=self._key(action)
        )
        self._done(action)
        return saved

    async def reports(self, status: str = "open") -> list[ProviderReport]:
        """Agents' reports, newest first."""
        return await self.api.reports(status)

    async def close_report(self, report_id: int, resolution: str) -> ProviderReport:
        action = f"close_report:{report_id}"
        closed = await self.api.close_report(
            report_id,
            ReportClose(resolution=resolution.strip()),
            idempotency_key=self._key(action),
        )
        self._done(action)
        return closed

    def refer(self, entry: DirectoryEntry) -> Referral:
        """Note that the current caller was referred to this doctor (saved with the wrap-up)."""
        if self.call is None:
            raise RuntimeError("There is no call to refer the caller in.")
        self.referral = Referral(
            provider_id=entry.provider_id,
            name=entry.name,
            institution=entry.institution,
            town=entry.town,
            type=entry.type,
        )
        return self.referral

    def clear_referral(self) -> None:
        self.referral = None
