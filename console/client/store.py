"""``Store``: what the desk talks to instead of :class:`CentralApi` — the same methods, and it
keeps working while the central service is unreachable.

``Desk(store)`` works unchanged: every ``CentralApi`` method is here with the same name and
signature. The Store is a façade over small parts:

- reads (``console.client.reads``) all go through one helper, ``read_through``: online to the
  service and written through to the local cache (``console.client.cache``); when a request
  raises ``Unreachable`` the desk turns offline (``console.client.connection``) and the cache
  answers instead — search results, slot and directory pages say so (``from_cache=True``);
- writes are handed to :class:`~console.client.writes.queue.Writes`: online when the service
  answers, else queued in the outbox with an idempotency key and answered with a provisional
  result (negative ids, ``P-`` references: ``console.client.provisional``); one class per kind
  of queued write (``console.client.writes``);
- :meth:`run` is the sync loop (``console.client.sync``): the one change-feed poller
  (``console.client.feed``, :meth:`subscribe`), probes with back-off while offline, and the
  replay of the outbox in order, exactly once (``console.client.replay``); what the replay
  cannot do becomes a sync issue for the agent (``console.client.issues``, :attr:`issues`).

``state`` (``"online"``, ``"offline"``, ``"syncing"``), :meth:`outbox_size` and
:meth:`queued` (what waits), ``last_sync``, :meth:`conflicts`, :meth:`confirmed` (references
the replay confirmed, to pass on: ``console.client.confirmations``), and
``on_state_change``: a plain callable, called with the state after any change of state,
outbox size, last sync or issues — the status bar redraws from it.

The Store runs on the console's event loop: the app runs :meth:`run` as a task; cache calls
are short SQLite statements made on that loop.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from console.client.api import CentralApi
from console.client.cache import DEFAULT_CALLER_LIMIT, LocalCache, cache_path
from console.client.confirmations import Confirmation, Confirmations
from console.client.connection import MAX_BACKOFF, Connection
from console.client.directory_cache import DirectoryCache
from console.client.feed import ChangeBatch, ChangeFeed
from console.client.issues import Issues, SyncIssue
from console.client.outbox import Outbox
from console.client.provisional import IdMap, is_provisional, is_provisional_id
from console.client.reads import Reads
from console.client.replay import REPLAY_CONCURRENCY, Replayer, ReplayReport
from console.client.sync import (
    DEFAULT_WINDOW_DAYS,
    DEFAULT_WINDOW_REFRESH,
    DEFAULT_WINDOW_SLOTS,
    SyncLoop,
)
from console.client.writes import REGISTRY, Context, not_cached
from console.client.writes.booking_followups import Silence, WithdrawMessages
from console.client.writes.bookings import (
    Book,
    Cancel,
    Cancellation,
    Move,
    NewBooking,
    Reschedule,
)
from console.client.writes.callbacks import (
    CallbackOutcome,
    CreateCallback,
    Outcome,
    ReleaseCallback,
    claimed_callback,
)
from console.client.writes.callers import CallerChange, CreateCaller, NewCaller, UpdateCaller
from console.client.writes.calls import (
    AttachCaller,
    CallCaller,
    CallNoteAsk,
    CallWrapUp,
    NewCall,
    NoteCall,
    StartCall,
    WrapUp,
)
from console.client.writes.queue import QueuedWrite, Writes, queued_write
from console.client.writes.reports import CloseReport, NewReport, ReportClosing, ReportProvider
from console.clock import Clock
from console.domain.callbacks import AttemptIn, Callback, CallbackIn
from console.domain.models import (
    Booking,
    Call,
    CallDirection,
    Caller,
    CallerIn,
    CallerMessage,
    CallerPatch,
    ProviderReport,
    ReportClose,
    ReportIn,
    WrapUpIn,
)


class Store(Reads):
    """The desk's data access: the central API when it answers, the local cache and outbox when
    it does not. See the module docstring."""

    def __init__(
        self,
        api: CentralApi,
        cache: LocalCache,
        *,
        window_days: int = DEFAULT_WINDOW_DAYS,
        window_slots: int = DEFAULT_WINDOW_SLOTS,
        window_refresh: float = DEFAULT_WINDOW_REFRESH,
        hold_minutes: float = 3.0,
        max_backoff: float = MAX_BACKOFF,
        on_state_change: Callable[[str], None] | None = None,
        replay_concurrency: int = REPLAY_CONCURRENCY,
        clock: Clock | None = None,
    ) -> None:
        self.clock = clock or Clock()  # the desk's: the window's start, stamps, ages
        outbox = Outbox(cache.db, now=self.clock.utcnow)
        ctx = Context(cache, IdMap(cache), outbox, DirectoryCache(cache), REGISTRY)
        connection = Connection(max_backoff=max_backoff, on_change=on_state_change)
        super().__init__(api, ctx, connection, window_days=window_days, hold_minutes=hold_minutes)
        self.writes = Writes(api, self.ctx, self.connection)
        self.issues = Issues(cache, self.outbox, api, self, self.connection.notify)
        self.confirmations = Confirmations(cache, self, self.connection.notify)
        self.replayer = Replayer(
            api,
            self.ctx,
            self.connection,
            self.issues,
            Path(f"{cache.path}.lock"),
            concurrency=replay_concurrency,
            on_applied=self._follow_call,
            clock=self.clock,
        )
        self.feed = ChangeFeed(api, cache, self.directory_cache, window_days=window_days)
        self.sync = SyncLoop(
            api,
            cache,
            self.outbox,
            self.directory_cache,
            self.connection,
            self.feed,
            self.replayer,
            window_days=window_days,
            window_slots=window_slots,
            window_refresh=window_refresh,
            clock=self.clock,
        )
        self._call_id: int | None = None

    @classmethod
    def open(
        cls,
        api: CentralApi,
        data_path: Path | str,
        *,
        caller_limit: int = DEFAULT_CALLER_LIMIT,
        **options: Any,
    ) -> Store:
        """A Store over the cache file for ``api``'s service in ``data_path``."""
        cache = LocalCache(cache_path(data_path, api.base_url), caller_limit=caller_limit)
        cache.server_url = api.base_url  # agent-console sync finds its outbox by it
        return cls(api, cache, **options)

    async def aclose(self) -> None:
        self.replayer.lock.release()
        await self.api.aclose()
        self.cache.close()

    # -- state ----------------------------------------------------------------------------

    @property
    def state(self) -> str:
        return self.connection.state

    @property
    def on_state_change(self) -> Callable[[str], None] | None:
        return self.connection.on_change

    @on_state_change.setter
    def on_state_change(self, callback: Callable[[str], None] | None) -> None:
        self.connection.on_change = callback

    @property
    def last_error(self) -> str | None:
        return self.connection.last_error

    @property
    def last_sync(self) -> datetime | None:
        """When the cache last caught up with the central service."""
        return self.cache.last_sync_at

    def outbox_size(self) -> int:
        """Writes waiting to be sent."""
        return self.outbox.size()

    def conflicts(self) -> list[SyncIssue]:
        """Open sync issues, oldest first."""
        return self.issues.open()

    def confirmed(self) -> list[Confirmation]:
        """Provisional references the replay confirmed, not passed on to the caller yet."""
        return self.confirmations.open()

    def queued(self) -> list[QueuedWrite]:
        """The writes waiting in the outbox, in order, as a person would name them."""
        return [queued_write(entry, self.ctx) for entry in self.outbox.pending()]

    def wake(self) -> None:
        """Probe or sync now instead of at the next tick (e.g. the agent pressed retry)."""
        self.connection.wake()

    @property
    def call_id(self) -> int | None:
        """The desk's current call (the Desk sets it); sent as ``X-Call-Id`` once it is real."""
        return self._call_id

    @call_id.setter
    def call_id(self, value: int | None) -> None:
        self._call_id = value
        self.api.call_id = self.ids.real_int("call", value)

    def _follow_call(self) -> None:
        """A write was replayed: the current call may have become real."""
        if is_provisional_id(self._call_id):
            self.api.call_id = self.ids.real_int("call", self._call_id)

    is_provisional_id = staticmethod(is_provisional_id)
    is_provisional = staticmethod(is_provisional)

    def real_id(self, kind: str, local: int) -> int | None:
        """The id the service gave a provisional caller or call (``kind``), once replayed."""
        return self.ids.real_int(kind, local)

    def resolve_reference(self, reference: str) -> str | None:
        """The real reference of a provisional booking, once replayed."""
        return self.ids.real_ref(reference)

    # -- syncing --------------------------------------------------------------------------

    async def run(
        self, interval: float = 2.0, after_first_round: Callable[[], object] | None = None
    ) -> None:
        """The sync loop (``console.client.sync``), until cancelled."""
        await self.sync.run(interval, after_first_round)

    async def sync_once(self) -> bool:
        """One round of sync; True if the desk ends it online and caught up."""
        return await self.sync.sync_once()

    async def replay(self, progress: Callable[[int, int], None] | None = None) -> ReplayReport:
        """Send the outbox now (``console.client.replay``)."""
        return await self.replayer.replay(progress)

    def subscribe(self, subscriber: Callable[[ChangeBatch], None]) -> Callable[[], None]:
        """Call ``subscriber`` with what each poll of the change feed reads; returns the
        function that ends the subscription."""
        return self.feed.subscribe(subscriber)

    # -- writes (console.client.writes) ---------------------------------------------------

    async def create_caller(self, caller: CallerIn, idempotency_key: str | None = None) -> Caller:
        ask = NewCaller(caller, self._call_id)
        return await self.writes.submit(CreateCaller, ask, idempotency_key)

    async def update_caller(self, caller_id: int, patch: CallerPatch) -> Caller:
        return await self.writes.submit(UpdateCaller, CallerChange(caller_id, patch))

    async def book(
        self,
        caller_id: int,
        *,
        hold_id: int | None = None,
        slot_id: int | None = None,
        call_id: int | None = None,
        notes: str = "",
        notify: bool = True,
        idempotency_key: str | None = None,
        allow_overlap: bool = False,
    ) -> Booking:
        ask = NewBooking(caller_id, hold_id, slot_id, call_id, notes, notify, allow_overlap)
        return await self.writes.submit(Book, ask, idempotency_key)

    async def cancel(
        self,
        reference: str,
        reason: str = "",
        idempotency_key: str | None = None,
        *,
        notify: bool = True,
    ) -> Booking:
        ask = Cancellation(reference, reason, self._call_id, notify)
        return await self.writes.submit(Cancel, ask, idempotency_key)

    async def reschedule(
        self,
        reference: str,
        *,
        hold_id: int | None = None,
        slot_id: int | None = None,
        notify: bool = True,
        idempotency_key: str | None = None,
        allow_overlap: bool = False,
    ) -> Booking:
        ask = Move(reference, hold_id, slot_id, self._call_id, notify, allow_overlap)
        return await self.writes.submit(Reschedule, ask, idempotency_key)

    async def withdraw_messages(self, reference: str) -> list[CallerMessage]:
        """Switch off a booking's messages not sent yet; offline, or while the booking is
        provisional, queued after it (the answer is then the messages as last seen)."""
        return await self.writes.submit(WithdrawMessages, Silence(reference))

    async def start_call(
        self,
        caller_id: int | None = None,
        direction: CallDirection = CallDirection.INBOUND,
        idempotency_key: str | None = None,
    ) -> Call:
        return await self.writes.submit(StartCall, NewCall(caller_id, direction), idempotency_key)

    async def attach_caller(self, call_id: int, caller_id: int | None) -> Call:
        return await self.writes.submit(AttachCaller, CallCaller(call_id, caller_id))

    async def wrap_up(
        self, call_id: int, wrap_up: WrapUpIn, idempotency_key: str | None = None
    ) -> Call:
        return await self.writes.submit(WrapUp, CallWrapUp(call_id, wrap_up), idempotency_key)

    async def add_call_note(
        self, call_id: int, note: str, idempotency_key: str | None = None
    ) -> Call:
        """Add a line to a call's record (also after its wrap-up; queued offline)."""
        return await self.writes.submit(NoteCall, CallNoteAsk(call_id, note), idempotency_key)

    async def report_provider(
        self, provider_id: int, report: ReportIn, idempotency_key: str | None = None
    ) -> ProviderReport:
        """Report that the directory is wrong about a doctor; offline, the doctor's row shows
        the queued report at once."""
        ask = NewReport(provider_id, report, self._call_id)
        return await self.writes.submit(ReportProvider, ask, idempotency_key)

    async def close_report(
        self, report_id: int, close: ReportClose, idempotency_key: str | None = None
    ) -> ProviderReport:
        """Close a report (the data was checked, or corrected at the source)."""
        ask = ReportClosing(report_id, close)
        return await self.writes.submit(CloseReport, ask, idempotency_key)

    # -- callbacks ------------------------------------------------------------------------

    def claimed_callback(self) -> Callback | None:
        """The callback this desk claimed and has not finished with (no network): it can be
        worked through an outage and a restart."""
        return claimed_callback(self.cache)

    async def callback_attempt(
        self, callback_id: int, attempt: AttemptIn, idempotency_key: str | None = None
    ) -> Callback:
        """Record an attempt's outcome on the callback this desk claimed; offline, queued with
        the time it was made and replayed."""
        held = claimed_callback(self.cache)
        if held is None or held.id != callback_id:
            held = await self.callback(callback_id)
        ask = Outcome(held, attempt.outcome, attempt.note, attempt.call_id or self._call_id)
        return await self.writes.submit(CallbackOutcome, ask, idempotency_key)

    async def release_callback(
        self, callback_id: int, idempotency_key: str | None = None
    ) -> Callback:
        """Give the claimed callback back to the queue; offline, queued."""
        held = claimed_callback(self.cache)
        if held is None or held.id != callback_id:
            held = await self.callback(callback_id)
        return await self.writes.submit(ReleaseCallback, held, idempotency_key)

    async def callback(self, callback_id: int) -> Callback:
        """One callback (the one this desk claimed, from the cache, while offline)."""

        def recall() -> Callback:
            held = claimed_callback(self.cache)
            if held is None or held.id != callback_id:
                raise not_cached("this callback")
            return held

        return await self.read_through(lambda: self.api.callback(callback_id), None, recall)

    async def create_callback(
        self, callback: CallbackIn, idempotency_key: str | None = None
    ) -> Callback:
        """An agent's own callback (e.g. a sync issue's follow-up); offline, queued."""
        return await self.writes.submit(CreateCallback, callback, idempotency_key)
