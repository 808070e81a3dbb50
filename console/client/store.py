"""``Store``: what the desk talks to instead of :class:`CentralApi` — the same methods, and it
keeps working while the central service is unreachable.

``Desk(store)`` works unchanged: every ``CentralApi`` method is here with the same name and
signature. What the Store adds:

- **Online**, reads go to the service and are written through to the local cache
  (``console.client.cache``): callers this desk opens or creates, their bookings and calls,
  reference data, and the slot window (the next 30 days of free slots, fetched on start and
  kept fresh from the change feed).
- **Failover.** A request that raises :class:`Unreachable` (refused connection, timeout: within
  the client's timeout) turns the Store ``offline``. Reads are then served from the cache
  (search results and slot pages come back as :class:`CachedCallerSearch` /
  :class:`CachedSlotPage`, ``from_cache=True``, so the screen can say so); writes are queued
  in the outbox (``console.client.outbox``) with an idempotency key, and answered with a
  provisional result:

  - a caller gets a negative id (``Store.is_provisional_id``);
  - a call gets a negative id;
  - a booking is a :class:`ProvisionalBooking` (a ``Booking`` subclass with
    ``provisional=True``), its reference ``P-`` and a local code (``Store.is_provisional``):
    the agent tells the caller it will be confirmed;
  - a hold is local (negative id), so this desk does not offer the slot twice;
  - wrap-ups, cancellations, reschedules and caller edits are queued as they are.

  While offline, :meth:`run` probes the service with back-off (1, 2, 4 … 30 s) and switches
  back by itself.
- **Replay**, in order, exactly once: each outbox row's idempotency key is fixed when the row is
  appended, and a request that went unanswered is kept with the row, so a replay cut short by
  a dead service and tried again re-sends the same request under the same key. While anything
  waits in the outbox, new writes queue behind it (order is kept). A provisional
  caller is first matched to an existing one (by EMŠO; else by phone number *and* name), or
  created; later rows that refer to provisional ids or references are sent with the real ones.
  A booking whose slot was taken meanwhile becomes a :class:`SyncIssue` (``slot_taken``) with
  the caller's name and phone, the wanted slot and the nearest free slots; :meth:`rebook` and
  :meth:`to_follow_up` resolve it in one step. A write the service refuses (4xx) is never
  retried silently: it becomes a ``refused`` issue, and writes that depended on it become
  ``blocked`` issues. Nothing is dropped.
- ``state`` (``"online"``, ``"offline"``, ``"syncing"``), :meth:`outbox_size`, ``last_sync``,
  :meth:`conflicts`, and ``on_state_change``: a plain callable, called with the state after any
  change of state, outbox size, last sync or issues — the status bar redraws from it.

The Store runs on the console's event loop: the app runs :meth:`run` as a worker; cache calls
are short SQLite statements made on that loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from console.client.api import (
    ApiRefused,
    CentralApi,
    Unreachable,
    _refusal,
    directory_params,
    new_idempotency_key,
)
from console.client.cache import (
    DEFAULT_CALLER_LIMIT,
    LocalCache,
    ProvisionalBooking,
    cache_path,
    ts,
    utcnow,
)
from console.client.directory_cache import DirectoryCache
from console.client.outbox import Outbox, OutboxEntry
from console.domain.calendar import TZ
from console.domain.email import parse_email
from console.domain.emso import emso_birth_date, parse_emso
from console.domain.errors import InvalidValue
from console.domain.models import (
    Agent,
    Booking,
    BookingStatus,
    Call,
    CallDirection,
    Caller,
    CallerIn,
    CallerPatch,
    CallerSearch,
    ChangePage,
    DirectoryAreas,
    DirectoryDetail,
    DirectoryPage,
    Disposition,
    Hold,
    Location,
    Phone,
    Provider,
    ProviderReport,
    ReportClose,
    ReportIn,
    Service,
    Slot,
    SlotPage,
    SlotStatus,
    WrapUpIn,
)
from console.domain.phone import format_phone, is_mobile, parse_phone
from console.domain.reference import PROVISIONAL_PREFIX, format_reference, new_reference
from console.domain.text import fold
from console.domain.zzzs import parse_zzzs

__all__ = [
    "OFFLINE",
    "ONLINE",
    "SYNCING",
    "CachedCallerSearch",
    "CachedDirectoryPage",
    "CachedSlotPage",
    "ProvisionalBooking",
    "ReplayReport",
    "Store",
    "SyncIssue",
]

log = logging.getLogger(__name__)

ONLINE = "online"
OFFLINE = "offline"
SYNCING = "syncing"

DEFAULT_WINDOW_DAYS = 30
# At most this many of a service's earliest free slots are kept: the national dataset has about
# a million free slots in 60 days; an outage needs the earliest ones, not a mirror of them all.
DEFAULT_WINDOW_SLOTS = 2000
DEFAULT_WINDOW_REFRESH = 3600.0  # seconds: the window rolls forward and catches new slots
SLOT_PAGE = 500  # the service's largest page
WINDOW_CHUNK = 500  # slots written per cache transaction; the event loop runs in between
FEED_PAGE = 1000
DIRECTORY_PAGE = 1000  # directory rows per request when the desk copies the whole directory
MAX_BACKOFF = 30.0
# Queued writes in flight at once during a replay (independent ones only, see Store.replay);
# the rows looked at ahead of the oldest unsent one to find them.
REPLAY_CONCURRENCY = 8
REPLAY_LOOKAHEAD = 256
SETTLE_SECONDS = 3.0  # a write made while syncing waits this long for the replay to finish
MAX_SERVER_FAULTS = 5  # 5xx answers to one queued write before it becomes an issue
NEAREST = 5
HISTORY_DAYS = 30  # bookings and calls of this desk older than this leave the cache
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
_API_FIELDS = {"zzzs": "zzzs_number", "phone": "phones"}
# A provisional reference as the agent or the wrap-up form writes it: P-K7M4PXR, P-K7M 4PX R.
_PROVISIONAL_IN_TEXT = re.compile(r"\bP-([0-9A-Z]{3}) ?([0-9A-Z]{3}) ?([0-9A-Z])\b")


class CachedCallerSearch(CallerSearch):
    """Search results served from the local cache: only callers this desk has seen."""

    from_cache: bool = True


class CachedSlotPage(SlotPage):
    """Free slots from the local window, minus those this desk holds or booked offline."""

    from_cache: bool = True


class CachedDirectoryPage(DirectoryPage):
    """Directory rows from this desk's copy (the whole directory as of the last sync, and the
    reports it has seen since): say so on the screen."""

    from_cache: bool = True


@dataclass
class SyncIssue:
    """A queued write the replay could not do by itself; the agent resolves it.

    ``kind``: ``slot_taken`` (the slot went to someone else: :meth:`Store.rebook` one of
    ``nearest`` or :meth:`Store.to_follow_up`), ``refused`` (the service said no, ``message``
    says why), ``blocked`` (it depended on a write that was refused).
    """

    id: int
    kind: str
    action: str  # the outbox row's kind: book, reschedule, create_caller, cancel, ...
    message: str
    outbox_seq: int
    created_at: datetime
    caller_id: int | None = None
    caller_name: str = ""
    caller_phone: str | None = None
    reference: str | None = None  # the provisional reference the caller was given
    original_reference: str | None = None  # a reschedule: the booking that stays as it was
    slot: Slot | None = None  # the slot the caller wanted
    nearest: list[Slot] = field(default_factory=list)  # free slots closest to it
    call_id: int | None = None
    notes: str = ""
    resolved_at: datetime | None = None
    resolution: str | None = None

    def to_json(self) -> dict:
        data = asdict(self)
        data["slot"] = self.slot.model_dump(mode="json") if self.slot else None
        data["nearest"] = [s.model_dump(mode="json") for s in self.nearest]
        for name in ("id", "kind", "outbox_seq", "created_at", "resolved_at", "resolution"):
            data.pop(name)
        return data

    @classmethod
    def from_row(cls, row: dict) -> SyncIssue:
        data = dict(row["data"])
        slot = data.pop("slot", None)
        nearest = data.pop("nearest", [])
        return cls(
            id=row["id"],
            kind=row["kind"],
            outbox_seq=row["outbox_seq"],
            created_at=row["created_at"],
            resolved_at=row["resolved_at"],
            resolution=row["resolution"],
            slot=Slot.model_validate(slot) if slot else None,
            nearest=[Slot.model_validate(s) for s in nearest],
            **data,
        )


@dataclass
class ReplayReport:
    sent: int = 0
    done: int = 0
    conflicts: int = 0
    failed: int = 0
    remaining: int = 0
    unreachable: bool = False
    seconds: float = 0.0


class _Unresolved(Exception):
    """A row refers to a provisional id whose creating write was refused."""

    def __init__(self, kind: str, local: int | str) -> None:
        super().__init__(f"{kind} {local}")
        self.kind = kind
        self.local = local


class _Moot(Exception):
    """A row has nothing left to do (e.g. cancelling a booking that was never confirmed)."""


class _ServiceFault(Exception):
    """The service answered, but with a fault that is not this write's (5xx, 401, 429)."""

    def __init__(self, error: ApiRefused) -> None:
        super().__init__(error.message)
        self.error = error


class _ReplayLock:
    """One replay at a time per cache file, across processes (the console and
    ``agent-console sync`` may both run): an advisory lock on ``<cache>.lock``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle: Any = None

    def acquire(self) -> bool:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: one process at a time by convention
            return True
        handle = self.path.open("a")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        self._handle = handle
        return True

    def release(self) -> None:
        if self._handle is not None:
            self._handle.close()  # closing the file releases the lock
            self._handle = None


def _is_service_fault(error: ApiRefused) -> bool:
    """An answer that says nothing about the write itself: the service failed (5xx), the
    desk's token was refused (401), or it was asked to slow down (408, 429)."""
    return error.status >= 500 or error.status in (401, 408, 429)


def _unreachable_from(exc: httpx.HTTPError) -> Unreachable:
    if isinstance(exc, httpx.TimeoutException):
        return Unreachable("The central service did not answer in time.")
    return Unreachable(f"Cannot reach the central service ({type(exc).__name__}).")


def _clean_caller(values: dict) -> dict:
    """Check a new caller or a patch the way the service will, so that a caller created
    offline is not refused on replay for a typo the agent could have fixed while on the phone.
    Raises ApiRefused(422) naming the API's field."""
    cleaned = dict(values)
    try:
        for name in ("first_name", "last_name"):
            if name in cleaned and cleaned[name] is not None:
                cleaned[name] = " ".join(cleaned[name].split())
                if not cleaned[name]:
                    raise InvalidValue(name, "Name must not be empty.")
        if cleaned.get("emso"):
            cleaned["emso"] = parse_emso(cleaned["emso"])
            cleaned["birth_date"] = emso_birth_date(cleaned["emso"]).isoformat()
        elif "emso" in cleaned:
            cleaned["emso"] = None
            cleaned["birth_date"] = None
        if cleaned.get("zzzs_number"):
            cleaned["zzzs_number"] = parse_zzzs(cleaned["zzzs_number"])
        elif "zzzs_number" in cleaned:
            cleaned["zzzs_number"] = None
        if cleaned.get("email"):
            cleaned["email"] = parse_email(cleaned["email"])
        elif "email" in cleaned:
            cleaned["email"] = None
        if cleaned.get("phones") is not None:
            numbers: list[str] = []
            for raw in cleaned["phones"]:
                try:
                    number = parse_phone(raw)
                except InvalidValue as exc:
                    raise InvalidValue("phones", f"Phone number {raw!r}: {exc.message}") from None
                if number not in numbers:
                    numbers.append(number)
            cleaned["phones"] = numbers
        if cleaned.get("flags") is not None:
            cleaned["flags"] = sorted({f.strip() for f in cleaned["flags"] if f.strip()})
    except InvalidValue as exc:
        raise ApiRefused(
            422, "invalid", exc.message, _API_FIELDS.get(exc.field, exc.field)
        ) from None
    return cleaned


def _phones(numbers: list[str]) -> list[Phone]:
    return [Phone(number=n, label="mobile" if is_mobile(n) else "landline") for n in numbers]


def _replay_keys(entry: OutboxEntry) -> frozenset | None:
    """What a queued write touches, for ordering the replay: two rows that share a key are
    sent one after the other, in order. None: the row is a barrier (it waits for every
    earlier row and every later row waits for it) — a cancellation or reschedule frees a slot
    a later row may book, a caller edit may change what a later new caller is matched on, and
    a kind not listed here is not known to be independent of anything."""
    p = entry.payload
    keys: set[tuple[str, Any]] = set()

    def add(kind: str, value: Any) -> None:
        if value is not None:
            keys.add((kind, value))

    if entry.kind == "create_caller":
        caller = p.get("caller") or {}
        add("caller", p.get("local_id"))
        add("call", p.get("call_id"))
        # Two new callers that may be one person are matched one after the other.
        for name in ("emso", "zzzs_number"):
            add(name, str(caller.get(name) or "").strip() or None)
        for number in caller.get("phones") or []:
            add("phone", str(number))
        add("new caller", fold(f"{caller.get('first_name', '')} {caller.get('last_name', '')}"))
    elif entry.kind == "start_call":
        add("call", p.get("local_id"))
        add("caller", p.get("caller_id"))
    elif entry.kind == "attach_caller":
        add("call", p.get("call_id"))
        add("caller", p.get("caller_id"))
    elif entry.kind == "book":
        add("booking", p.get("local_id"))
        add("reference", str(p.get("reference") or "").upper() or None)
        add("caller", p.get("caller_id"))
        add("call", p.get("call_id"))
        add("slot", p.get("slot_id"))
    elif entry.kind == "wrap_up":
        add("call", p.get("call_id"))
        # The notes may quote provisional references: sent with the confirmed ones.
        for match in _PROVISIONAL_IN_TEXT.finditer(str((p.get("wrap_up") or {}).get("notes"))):
            add("reference", PROVISIONAL_PREFIX + "".join(match.groups()))
    elif entry.kind == "report_provider":
        add("report", p.get("local_id"))
        add("provider", p.get("provider_id"))
        add("call", p.get("call_id"))
    elif entry.kind == "close_report":
        add("report", p.get("report_id"))
    else:
        return None
    return frozenset(keys)


def _local_time(value: datetime) -> str:
    return value.astimezone(TZ).strftime("%d. %m. %Y %H:%M")


class Store:
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
    ) -> None:
        if replay_concurrency < 1:
            raise ValueError("replay_concurrency must be at least 1")
        self.api = api
        self.replay_concurrency = replay_concurrency
        self.cache = cache
        self.outbox = Outbox(cache.db)
        self.directory_cache = DirectoryCache(cache)
        self.window_days = window_days
        self.window_slots = window_slots
        self.window_refresh = window_refresh
        self.hold_minutes = hold_minutes
        self.max_backoff = max_backoff
        self.on_state_change = on_state_change
        self._state = ONLINE
        self._call_id: int | None = None
        self._backoff = 1.0
        self._window_at: float | None = None  # time.monotonic() of the last window fetch
        self._sync_lock = asyncio.Lock()
        self._idle = asyncio.Event()
        self._idle.set()
        self._wake = asyncio.Event()
        self._replay_lock = _ReplayLock(Path(f"{cache.path}.lock"))
        self._round_issues: list[int] = []  # slot_taken issues of the replay in progress
        self.last_error: str | None = None

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
        return cls(api, cache, **options)

    async def aclose(self) -> None:
        self._replay_lock.release()
        await self.api.aclose()
        self.cache.close()

    # -- state ----------------------------------------------------------------------------

    @property
    def state(self) -> str:
        return self._state

    @property
    def last_sync(self) -> datetime | None:
        """When the cache last caught up with the central service."""
        return self.cache.last_sync_at

    def outbox_size(self) -> int:
        """Writes waiting to be sent."""
        return self.outbox.size()

    def conflicts(self) -> list[SyncIssue]:
        """Open sync issues, oldest first."""
        return [SyncIssue.from_row(row) for row in self.cache.issues()]

    def _set_state(self, state: str) -> None:
        if state != self._state:
            log.info("store: %s -> %s", self._state, state)
            self._state = state
            if state == SYNCING:
                self._idle.clear()
            else:
                self._idle.set()
        self._notify()

    def _notify(self) -> None:
        if self.on_state_change is not None:
            try:
                self.on_state_change(self._state)
            except Exception:  # a redraw failure must not break the data path
                log.exception("on_state_change failed")

    def _went_offline(self, error: Unreachable) -> None:
        self.last_error = error.message
        if self._state != OFFLINE:
            self._backoff = 1.0
        self._set_state(OFFLINE)

    def wake(self) -> None:
        """Probe or sync now instead of at the next tick (e.g. the agent pressed retry)."""
        self._wake.set()

    @property
    def call_id(self) -> int | None:
        """The desk's current call (the Desk sets it); sent as ``X-Call-Id`` once it is real."""
        return self._call_id

    @call_id.setter
    def call_id(self, value: int | None) -> None:
        self._call_id = value
        self.api.call_id = self._real_int("call", value, strict=False)

    # -- provisional ids ------------------------------------------------------------------

    @staticmethod
    def is_provisional_id(value: int | None) -> bool:
        """True for the negative ids of callers and calls created offline."""
        return value is not None and value < 0

    @staticmethod
    def is_provisional(reference: str) -> bool:
        """True for a booking reference made offline (``P-…``)."""
        return reference.upper().startswith(PROVISIONAL_PREFIX)

    def real_id(self, kind: str, local: int) -> int | None:
        """The id the service gave a provisional caller or call (``kind``), once replayed."""
        return self._real_int(kind, local, strict=False)

    def resolve_reference(self, reference: str) -> str | None:
        """The real reference of a provisional booking, once replayed."""
        return self._real_ref(reference, strict=False)

    def _real_int(self, kind: str, value: int | None, *, strict: bool) -> int | None:
        if value is None or value > 0:
            return value
        real = self.cache.real_id(kind, value)
        if real is not None:
            return int(real)
        if strict:
            raise _Unresolved(kind, value)
        return None

    def _real_ref(self, reference: str, *, strict: bool) -> str | None:
        if not self.is_provisional(reference):
            return reference
        real = self.cache.real_id("reference", reference.upper())
        if real is None and strict:
            raise _Unresolved("reference", reference)
        return real

    def _resolved(self, kind: str, value: int | None) -> tuple[bool, int | None]:
        """(known to the service, its real id) for an id the desk passes in."""
        if value is None or value > 0:
            return True, value
        real = self._real_int(kind, value, strict=False)
        return (real is not None), (real if real is not None else value)

    # -- the plumbing of online and offline ----------------------------------------------

    def _may_read_online(self) -> bool:
        return self._state != OFFLINE

    async def _may_write_online(self) -> bool:
        """Writes go straight to the service only when nothing older waits in the outbox:
        the outbox keeps the desk's writes in order."""
        if self._state == SYNCING:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._idle.wait(), SETTLE_SECONDS)
        return self._state == ONLINE and self.outbox.size() == 0

    def _queued(self, entry: OutboxEntry) -> None:
        log.info("queued %s #%s", entry.kind, entry.seq)
        self._notify()
        self._wake.set()

    @staticmethod
    def _not_cached(what: str) -> Unreachable:
        return Unreachable(
            f"The central service is unreachable and {what} is not in this desk's local cache."
        )

    def _me(self) -> Agent:
        agent = self.cache.agent()
        return agent or Agent(id=0, name="", role="agent")  # type: ignore[arg-type]

    # -- who and reference data -----------------------------------------------------------

    async def me(self) -> Agent:
        if self._may_read_online():
            try:
                agent = await self.api.me()
            except Unreachable as exc:
                self._went_offline(exc)
            else:
                self.cache.put_agent(agent)
                return agent
        agent = self.cache.agent()
        if agent is None:
            raise self._not_cached("who this desk's agent is (it has never been online)")
        return agent

    async def health(self) -> bool:
        return await self.api.health()

    async def services(self) -> list[Service]:
        if self._may_read_online():
            try:
                found = await self.api.services()
            except Unreachable as exc:
                self._went_offline(exc)
            else:
                self.cache.put_services(found)
                return found
        found = self.cache.services()
        if not found:
            raise self._not_cached("the list of services")
        return found

    async def locations(self, region: str | None = None) -> list[Location]:
        if self._may_read_online():
            try:
                found = await self.api.locations(region)
            except Unreachable as exc:
                self._went_offline(exc)
            else:
                self.cache.put_locations(found, replace=region is None)
                return found
        found = self.cache.locations(region)
        if not found and not self.cache.locations():
            raise self._not_cached("the list of locations")
        return found

    async def providers(self, **filters: Any) -> list[Provider]:
        if self._may_read_online():
            try:
                found = await self.api.providers(**filters)
            except Unreachable as exc:
                self._went_offline(exc)
            else:
                self.cache.put_providers(found, replace=not filters)
                return found
        return self.cache.providers(**filters)

    async def dispositions(self) -> list[Disposition]:
        if self._may_read_online():
            try:
                found = await self.api.dispositions()
            except Unreachable as exc:
                self._went_offline(exc)
            else:
                self.cache.put_dispositions(found)
                return found
        found = self.cache.dispositions()
        if not found:
            raise self._not_cached("the list of wrap-up codes")
        return found

    # -- callers --------------------------------------------------------------------------

    async def search_callers(self, query: str, limit: int = 20) -> CallerSearch:
        text = query.strip()
        if len(text) < 2:
            raise ApiRefused(422, "query_too_short", "Type at least 2 characters to search.", "q")
        if self._may_read_online():
            try:
                return await self.api.search_callers(query, limit)
            except Unreachable as exc:
                self._went_offline(exc)
        kind, found, more = self.cache.search_callers(text, limit)
        return CachedCallerSearch(query=text, kind=kind, callers=found, more=more)

    async def caller(self, caller_id: int) -> Caller:
        known, real = self._resolved("caller", caller_id)
        if known and self._may_read_online():
            try:
                caller = await self.api.caller(real)  # type: ignore[arg-type]
            except Unreachable as exc:
                self._went_offline(exc)
            else:
                self.cache.put_caller(caller)
                return caller
        cached = self.cache.caller(real)  # type: ignore[arg-type]
        if cached is None:
            raise self._not_cached("this caller")
        return cached

    async def create_caller(self, caller: CallerIn, idempotency_key: str | None = None) -> Caller:
        key = idempotency_key or new_idempotency_key()
        earlier = self.outbox.by_key(key)
        if earlier is not None:  # the same write asked again: the same answer
            return self._provisional_caller(earlier.payload["local_id"])
        if await self._may_write_online():
            try:
                created = await self.api.create_caller(caller, idempotency_key=key)
            except Unreachable as exc:
                self._went_offline(exc)
            else:
                self.cache.put_caller(created)
                return created
        return self._queue_caller(caller, key)

    def _provisional_caller(self, local_id: int) -> Caller:
        real = self._real_int("caller", local_id, strict=False)
        found = self.cache.caller(real if real is not None else local_id)
        if found is None:
            raise self._not_cached("this caller")
        return found

    def _queue_caller(self, new: CallerIn, key: str) -> Caller:
        values = _clean_caller(new.model_dump())
        for name, label in (("emso", "EMŠO"), ("zzzs_number", "ZZZS number")):
            if values.get(name):
                twins = self.cache.callers_with(**{name.split("_")[0]: values[name]})
                if twins:
                    raise ApiRefused(
                        409,
                        "caller_exists",
                        f"Caller {twins[0].id} already has this {label}; open that record.",
                    )
        now = utcnow()
        with self.cache.transaction(durable=True):
            local_id = self.cache.next_local_id()
            caller = Caller(
                id=local_id,
                first_name=values["first_name"],
                last_name=values["last_name"],
                phones=_phones(values["phones"]),
                emso=values["emso"],
                zzzs_number=values["zzzs_number"],
                email=values["email"],
                language=values["language"],
                notes=values["notes"],
                flags=values["flags"],
                birth_date=values["birth_date"],
                created_at=now,
                updated_at=now,
            )
            self.cache.put_caller(caller, provisional=True)
            entry = self.outbox.append(
                "create_caller",
                {
                    "local_id": local_id,
                    "caller": new.model_dump(mode="json", exclude_unset=True),
                    "call_id": self._call_id,
                },
                key,
            )
        self._queued(entry)
        return caller

    async def update_caller(self, caller_id: int, patch: CallerPatch) -> Caller:
        known, real = self._resolved("caller", caller_id)
        if known and await self._may_write_online():
            try:
                updated = await self.api.update_caller(real, patch)  # type: ignore[arg-type]
            except Unreachable as exc:
                self._went_offline(exc)
            else:
                self.cache.put_caller(updated)
                return updated
        current = self.cache.caller(real)  # type: ignore[arg-type]
        if current is None:
            raise self._not_cached("this caller")
        sent = patch.model_dump(exclude_unset=True)
        if not sent:
            raise ApiRefused(422, "invalid", "Nothing to change: send at least one field.")
        values = _clean_caller(sent)
        update = {k: v for k, v in values.items() if k != "phones"}
        if "phones" in values:
            update["phones"] = _phones(values["phones"])
        update["updated_at"] = utcnow()
        changed = current.model_copy(update=update)
        with self.cache.transaction(durable=True):
            self.cache.put_caller(changed, provisional=changed.id < 0)
            entry = self.outbox.append(
                "update_caller",
                {
                    "caller_id": changed.id,
                    "patch": patch.model_dump(mode="json", exclude_unset=True),
                },
            )
        self._queued(entry)
        return changed

    # -- slots and holds ------------------------------------------------------------------

    async def slots(
        self,
        service_id: int,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        location_id: int | None = None,
        region: str | None = None,
        provider_id: int | None = None,
        limit: int = 20,
    ) -> SlotPage:
        if self._may_read_online():
            try:
                page = await self.api.slots(
                    service_id,
                    start=start,
                    end=end,
                    location_id=location_id,
                    region=region,
                    provider_id=provider_id,
                    limit=limit,
                )
            except Unreachable as exc:
                self._went_offline(exc)
            else:
                self.cache.put_slots(page.slots)
                if self.outbox.size():  # not yet replayed: this desk's provisional bookings
                    page = SlotPage(
                        slots=[s for s in page.slots if not self.cache.locally_taken(s.id)]
                    )
                return page
        found = self.cache.free_slots(
            service_id,
            start=start,
            end=end or (start or utcnow()) + timedelta(days=self.window_days),
            location_id=location_id,
            region=region,
            provider_id=provider_id,
            limit=limit,
        )
        return CachedSlotPage(slots=found)

    async def hold(self, slot_id: int) -> Hold:
        # A hold is a lease, never queued: take it on the service whenever it answers.
        if self._may_read_online():
            try:
                hold = await self.api.hold(slot_id)
            except Unreachable as exc:
                self._went_offline(exc)
            else:
                self.cache.put_slots([hold.slot])
                self.cache.put_hold(hold.id, hold.slot_id, hold.expires_at, local=False)
                return hold
        return self._local_hold(slot_id)

    def _local_hold(self, slot_id: int) -> Hold:
        """Offline: hold the slot on this desk only, so it is not offered twice here."""
        slot = self._bookable_slot(slot_id)
        expires = utcnow() + timedelta(minutes=self.hold_minutes)
        with self.cache.transaction():
            self.cache.remove_holds_on(slot_id)
            local_id = self.cache.next_local_id()
            self.cache.put_hold(local_id, slot_id, expires, local=True)
        return Hold(
            id=local_id,
            slot_id=slot_id,
            agent_id=self._me().id,
            expires_at=expires,
            slot=slot.model_copy(update={"status": SlotStatus.HELD, "held_until": expires}),
        )

    def _bookable_slot(self, slot_id: int, *, own_hold: int | None = None) -> Slot:
        slot = self.cache.slot(slot_id)
        if slot is None:
            raise self._not_cached("this slot")
        now = utcnow()
        if slot.starts_at <= now:
            raise ApiRefused(409, "slot_past", "This slot has already started; pick a later one.")
        taken = self.cache.locally_taken(slot_id)
        if slot.status is SlotStatus.BOOKED or taken == "booked":
            raise ApiRefused(
                409, "slot_booked", "This slot was just booked by someone else; pick another."
            )
        held_by_other = (
            slot.status is SlotStatus.HELD
            and slot.held_until is not None
            and slot.held_until > now
            and (own_hold is None or own_hold < 0)
            and not self._holds_server_side(slot_id)
        )
        if held_by_other:
            raise ApiRefused(409, "slot_held", "Another agent is holding this slot; pick another.")
        return slot

    def _holds_server_side(self, slot_id: int) -> bool:
        return any(
            row["slot_id"] == slot_id and not row["local"]
            for row in self.cache.db.query("SELECT * FROM holds WHERE slot_id = ?", (slot_id,))
        )

    async def release(self, hold_id: int) -> None:
        if hold_id < 0:
            self.cache.remove_hold(hold_id)
            return
        if self._may_read_online():
            try:
                await self.api.release(hold_id)
            except Unreachable as exc:
                self._went_offline(exc)  # the hold runs out by itself on the service
        self.cache.remove_hold(hold_id)

    # -- bookings -------------------------------------------------------------------------

    async def book(
        self,
        caller_id: int,
        *,
        hold_id: int | None = None,
        slot_id: int | None = None,
        call_id: int | None = None,
        notes: str = "",
        idempotency_key: str | None = None,
    ) -> Booking:
        if (hold_id is None) == (slot_id is None):
            raise ApiRefused(422, "invalid", "Send either hold_id or slot_id.", "hold_id")
        key = idempotency_key or new_idempotency_key()
        earlier = self.outbox.by_key(key)
        if earlier is not None:
            return self._queued_booking(earlier)
        caller_known, real_caller = self._resolved("caller", caller_id)
        if hold_id is not None and hold_id < 0:  # held offline: book the slot itself
            local_hold = self.cache.hold(hold_id)
            if local_hold is None:
                raise ApiRefused(
                    409, "hold_released", "This hold was released; hold the slot again."
                )
            slot_id, hold_id = local_hold["slot_id"], None
        if caller_known and await self._may_write_online():
            try:
                booking = await self.api.book(
                    real_caller,  # type: ignore[arg-type]
                    hold_id=hold_id,
                    slot_id=slot_id,
                    call_id=self._real_int("call", call_id, strict=False),
                    notes=notes,
                    idempotency_key=key,
                )
            except Unreachable as exc:
                self._went_offline(exc)
            else:
                self._booked(booking)
                return booking
        return self._queue_booking(real_caller, hold_id, slot_id, call_id, notes, key)  # type: ignore[arg-type]

    def _booked(self, booking: Booking) -> None:
        with self.cache.transaction():
            self.cache.put_booking(booking)
            self.cache.set_slot_status(booking.slot.id, SlotStatus.BOOKED)
            self.cache.remove_holds_on(booking.slot.id)

    def _slot_for(self, hold_id: int | None, slot_id: int | None) -> Slot:
        if hold_id is not None:
            hold = self.cache.hold(hold_id)
            if hold is None:
                raise self._not_cached("this hold")
            if hold["expires_at"] <= utcnow():
                raise ApiRefused(
                    409,
                    "hold_expired",
                    "The hold expired and the slot may be taken; hold it again.",
                )
            return self._bookable_slot(hold["slot_id"], own_hold=hold_id)
        assert slot_id is not None
        return self._bookable_slot(slot_id)

    def _caller_snapshot(self, caller_id: int) -> dict:
        caller = self.cache.caller(caller_id)
        if caller is None:
            return {"name": "", "phone": None}
        return {
            "name": f"{caller.first_name} {caller.last_name}",
            "phone": caller.phones[0].number if caller.phones else None,
        }

    def _provisional_booking(
        self, caller_id: int, slot: Slot, call_id: int | None, notes: str, replaces: str | None
    ) -> ProvisionalBooking:
        service = self.cache.service(slot.service_id)
        location = self.cache.location(slot.location_id)
        if service is None or location is None:
            raise self._not_cached("this slot's service or location")
        code = new_reference()
        return ProvisionalBooking(
            id=self.cache.next_local_id(),
            reference=PROVISIONAL_PREFIX + code,
            reference_display=PROVISIONAL_PREFIX + format_reference(code),
            status=BookingStatus.CONFIRMED,
            caller_id=caller_id,
            slot=slot.model_copy(update={"status": SlotStatus.BOOKED, "held_until": None}),
            service=service,
            location=location,
            created_at=utcnow(),
            created_by=self._me().id,
            call_id=call_id,
            notes=notes,
            replaces=replaces,
        )

    def _queue_booking(
        self,
        caller_id: int,
        hold_id: int | None,
        slot_id: int | None,
        call_id: int | None,
        notes: str,
        key: str,
    ) -> Booking:
        slot = self._slot_for(hold_id, slot_id)
        with self.cache.transaction(durable=True):
            booking = self._provisional_booking(caller_id, slot, call_id, notes, None)
            self.cache.put_booking(booking, provisional=True)
            self.cache.remove_holds_on(slot.id)
            entry = self.outbox.append(
                "book",
                {
                    "local_id": booking.id,
                    "reference": booking.reference,
                    "caller_id": caller_id,
                    "slot_id": slot.id,
                    "call_id": call_id,
                    "notes": notes,
                    "slot": slot.model_dump(mode="json"),
                    "caller": self._caller_snapshot(caller_id),
                },
                key,
            )
        self._queued(entry)
        return booking

    def _queued_booking(self, entry: OutboxEntry) -> Booking:
        reference = entry.payload.get("new_reference") or entry.payload["reference"]
        real = self._real_ref(reference, strict=False)
        found = self.cache.booking(real or reference)
        if found is None:
            raise self._not_cached("this booking")
        return found

    async def bookings(self, caller_id: int, include_past: bool = False) -> list[Booking]:
        known, real = self._resolved("caller", caller_id)
        if known and self._may_read_online():
            try:
                found = await self.api.bookings(real, include_past)  # type: ignore[arg-type]
            except Unreachable as exc:
                self._went_offline(exc)
            else:
                with self.cache.transaction():
                    for booking in found:
                        self.cache.put_booking(booking)
                pending = [
                    b
                    for b in self.cache.bookings_for(real, include_past=include_past)  # type: ignore[arg-type]
                    if isinstance(b, ProvisionalBooking)
                ]
                return sorted([*found, *pending], key=lambda b: b.slot.starts_at)
        return self.cache.bookings_for(real, include_past=include_past)  # type: ignore[arg-type]

    async def booking(self, reference: str) -> Booking:
        real = self._real_ref(reference, strict=False)
        if real is not None and self._may_read_online():
            try:
                found = await self.api.booking(real)
            except Unreachable as exc:
                self._went_offline(exc)
            else:
                self.cache.put_booking(found)
                return found
        cached = self.cache.booking(real or reference.upper())
        if cached is None:
            raise self._not_cached(f"booking {reference}")
        return cached

    async def cancel(
        self, reference: str, reason: str = "", idempotency_key: str | None = None
    ) -> Booking:
        key = idempotency_key or new_idempotency_key()
        earlier = self.outbox.by_key(key)
        if earlier is not None:
            return self._queued_booking(earlier)
        real = self._real_ref(reference, strict=False)
        if real is not None and await self._may_write_online():
            try:
                cancelled = await self.api.cancel(real, reason, idempotency_key=key)
            except Unreachable as exc:
                self._went_offline(exc)
            else:
                self.cache.put_booking(cancelled)
                return cancelled
        booking = self._changeable(real or reference.upper())
        with self.cache.transaction(durable=True):
            changed = self.cache.set_booking_status(booking.reference, BookingStatus.CANCELLED)
            entry = self.outbox.append(
                "cancel",
                {"reference": booking.reference, "reason": reason, "call_id": self._call_id},
                key,
            )
        self._queued(entry)
        assert changed is not None
        return changed

    def _changeable(self, reference: str) -> Booking:
        booking = self.cache.booking(reference)
        if booking is None:
            raise self._not_cached(f"booking {reference}")
        if booking.status is not BookingStatus.CONFIRMED:
            raise ApiRefused(
                409,
                f"booking_{booking.status.value}",
                f"Booking {booking.reference_display} is {booking.status.value.replace('_', '-')}"
                "; it cannot be changed.",
            )
        return booking

    async def reschedule(
        self,
        reference: str,
        *,
        hold_id: int | None = None,
        slot_id: int | None = None,
        idempotency_key: str | None = None,
    ) -> Booking:
        if (hold_id is None) == (slot_id is None):
            raise ApiRefused(422, "invalid", "Send either hold_id or slot_id.", "hold_id")
        key = idempotency_key or new_idempotency_key()
        earlier = self.outbox.by_key(key)
        if earlier is not None:
            return self._queued_booking(earlier)
        if hold_id is not None and hold_id < 0:
            local_hold = self.cache.hold(hold_id)
            if local_hold is None:
                raise ApiRefused(
                    409, "hold_released", "This hold was released; hold the slot again."
                )
            slot_id, hold_id = local_hold["slot_id"], None
        real = self._real_ref(reference, strict=False)
        if real is not None and await self._may_write_online():
            try:
                moved = await self.api.reschedule(
                    real, hold_id=hold_id, slot_id=slot_id, idempotency_key=key
                )
            except Unreachable as exc:
                self._went_offline(exc)
            else:
                with self.cache.transaction():
                    self._booked(moved)
                    self.cache.set_booking_status(
                        real, BookingStatus.RESCHEDULED, superseded_by=moved.reference
                    )
                return moved
        old = self._changeable(real or reference.upper())
        slot = self._slot_for(hold_id, slot_id)
        if slot.id == old.slot.id:
            raise ApiRefused(
                422, "invalid", "That is the slot already booked; pick a different one.", "slot_id"
            )
        call_id = self._call_id if self._call_id is not None else old.call_id
        with self.cache.transaction(durable=True):
            new = self._provisional_booking(old.caller_id, slot, call_id, old.notes, old.reference)
            self.cache.put_booking(new, provisional=True)
            self.cache.set_booking_status(
                old.reference, BookingStatus.RESCHEDULED, superseded_by=new.reference
            )
            self.cache.remove_holds_on(slot.id)
            entry = self.outbox.append(
                "reschedule",
                {
                    "reference": old.reference,
                    "slot_id": slot.id,
                    "call_id": self._call_id,
                    "local_id": new.id,
                    "new_reference": new.reference,
                    "slot": slot.model_dump(mode="json"),
                    "caller_id": old.caller_id,
                    "caller": self._caller_snapshot(old.caller_id),
                    "notes": old.notes,
                },
                key,
            )
        self._queued(entry)
        return new

    # -- calls ----------------------------------------------------------------------------

    async def start_call(
        self,
        caller_id: int | None = None,
        direction: CallDirection = CallDirection.INBOUND,
        idempotency_key: str | None = None,
    ) -> Call:
        key = idempotency_key or new_idempotency_key()
        earlier = self.outbox.by_key(key)
        if earlier is not None:
            return self._cached_call(earlier.payload["local_id"])
        known, real = self._resolved("caller", caller_id)
        if known and await self._may_write_online():
            try:
                call = await self.api.start_call(real, direction, idempotency_key=key)
            except Unreachable as exc:
                self._went_offline(exc)
            else:
                self.cache.put_call(call)
                return call
        me = self._me()
        with self.cache.transaction(durable=True):
            call = Call(
                id=self.cache.next_local_id(),
                agent_id=me.id,
                agent_name=me.name or None,
                caller_id=real,
                direction=direction,
                started_at=utcnow(),
                ended_at=None,
                disposition=None,
                notes=None,
                follow_up_at=None,
                follow_up_note=None,
                after_call_work_seconds=None,
                wrapped_at=None,
            )
            self.cache.put_call(call, provisional=True)
            entry = self.outbox.append(
                "start_call",
                {
                    "local_id": call.id,
                    "caller_id": real,
                    "direction": direction.value,
                    "started_at": call.started_at.isoformat(),
                },
                key,
            )
        self._queued(entry)
        return call

    def _doctor_name(self, provider_id: int | None) -> str | None:
        entry = self.directory_cache.entry(provider_id) if provider_id is not None else None
        return entry.name if entry else None

    def _cached_call(self, call_id: int) -> Call:
        real = self._real_int("call", call_id, strict=False)
        found = self.cache.call(real if real is not None else call_id)
        if found is None:
            raise self._not_cached("this call")
        return found

    async def attach_caller(self, call_id: int, caller_id: int | None) -> Call:
        call_known, real_call = self._resolved("call", call_id)
        caller_known, real_caller = self._resolved("caller", caller_id)
        if call_known and caller_known and await self._may_write_online():
            try:
                call = await self.api.attach_caller(real_call, real_caller)  # type: ignore[arg-type]
            except Unreachable as exc:
                self._went_offline(exc)
            else:
                self.cache.put_call(call)
                return call
        current = self.cache.call(real_call)  # type: ignore[arg-type]
        if current is None:
            raise self._not_cached("this call")
        changed = current.model_copy(update={"caller_id": real_caller})
        with self.cache.transaction(durable=True):
            self.cache.put_call(changed, provisional=changed.id < 0)
            entry = self.outbox.append(
                "attach_caller", {"call_id": changed.id, "caller_id": real_caller}
            )
        self._queued(entry)
        return changed

    async def wrap_up(
        self, call_id: int, wrap_up: WrapUpIn, idempotency_key: str | None = None
    ) -> Call:
        key = idempotency_key or new_idempotency_key()
        earlier = self.outbox.by_key(key)
        if earlier is not None:
            return self._cached_call(earlier.payload["call_id"])
        known, real = self._resolved("call", call_id)
        if known and await self._may_write_online():
            body = self._wrap_up_body(wrap_up.model_dump(mode="json"), call_id, real)  # type: ignore[arg-type]
            try:
                call = await self.api.wrap_up(
                    real,  # type: ignore[arg-type]
                    WrapUpIn.model_validate(body),
                    idempotency_key=key,
                )
            except Unreachable as exc:
                self._went_offline(exc)
            else:
                self.cache.put_call(call)
                return call
        now = utcnow()
        current = self.cache.call(real)  # type: ignore[arg-type]
        if current is None:  # never lose a wrap-up: queue it even without the call's copy
            me = self._me()
            current = Call(
                id=real,  # type: ignore[arg-type]
                agent_id=me.id,
                agent_name=me.name or None,
                caller_id=None,
                direction=CallDirection.INBOUND,
                started_at=wrap_up.ended_at or now,
                ended_at=None,
                disposition=None,
                notes=None,
                follow_up_at=None,
                follow_up_note=None,
                after_call_work_seconds=None,
                wrapped_at=None,
            )
        if current.wrapped_at is not None:
            raise ApiRefused(409, "call_wrapped", "This call is already wrapped up.")
        changed = current.model_copy(
            update={
                "ended_at": wrap_up.ended_at or now,
                "disposition": wrap_up.disposition,
                "notes": wrap_up.notes,
                "follow_up_at": wrap_up.follow_up_at,
                "follow_up_note": wrap_up.follow_up_note or None,
                "after_call_work_seconds": wrap_up.after_call_work_seconds,
                "wrapped_at": now,
                "referred_provider_id": wrap_up.referred_provider_id,
                "referred_provider_name": self._doctor_name(wrap_up.referred_provider_id),
            }
        )
        with self.cache.transaction(durable=True):
            self.cache.put_call(changed, provisional=changed.id < 0)
            entry = self.outbox.append(
                "wrap_up", {"call_id": call_id, "wrap_up": wrap_up.model_dump(mode="json")}, key
            )
        self._queued(entry)
        return changed

    async def calls(
        self, caller_id: int | None = None, mine: bool = False, limit: int = 20
    ) -> list[Call]:
        known, real = self._resolved("caller", caller_id)
        if known and self._may_read_online():
            try:
                found = await self.api.calls(real, mine, limit)
            except Unreachable as exc:
                self._went_offline(exc)
            else:
                with self.cache.transaction():
                    for call in found:
                        self.cache.put_call(call)
                return found
        return self.cache.calls(
            caller_id=real, agent_id=self._me().id if mine else None, limit=limit
        )

    async def changes(self, since: int, limit: int = 500) -> ChangePage:
        try:
            return await self.api.changes(since, limit)
        except Unreachable as exc:
            self._went_offline(exc)
            raise

    async def latest_change(self) -> int:
        try:
            return await self.api.latest_change()
        except Unreachable as exc:
            self._went_offline(exc)
            raise

    # -- the doctor directory -------------------------------------------------------------

    async def directory(self, **filters: Any) -> DirectoryPage:
        """Search the doctor directory (filters as :meth:`CentralApi.directory`). Offline, the
        same search runs over this desk's copy and answers a :class:`CachedDirectoryPage`."""
        directory_params(filters)  # refuse an unknown filter online and offline alike
        if self._may_read_online():
            try:
                page = await self.api.directory(**filters)
            except Unreachable as exc:
                self._went_offline(exc)
            else:
                self.directory_cache.put_entries(page.entries)
                return page
        if not self.directory_cache.count():
            raise self._not_cached("the doctor directory")
        limit = int(filters.pop("limit", None) or 50)
        offset = int(filters.pop("offset", None) or 0)
        entries, total = self.directory_cache.search(**filters, limit=limit, offset=offset)
        return CachedDirectoryPage(entries=entries, total=total, more=offset + limit < total)

    async def directory_areas(self) -> DirectoryAreas:
        if self._may_read_online():
            try:
                areas = await self.api.directory_areas()
            except Unreachable as exc:
                self._went_offline(exc)
            else:
                self.directory_cache.put_areas(areas)
                return areas
        areas = self.directory_cache.areas()
        if areas is None:
            raise self._not_cached("the directory's list of regions and municipalities")
        return areas

    async def directory_entry(self, provider_id: int) -> DirectoryDetail:
        if self._may_read_online():
            try:
                detail = await self.api.directory_entry(provider_id)
            except Unreachable as exc:
                self._went_offline(exc)
            else:
                self.directory_cache.put_detail(detail)
                return detail
        detail = self.directory_cache.detail(provider_id)
        if detail is None:
            raise self._not_cached("this doctor's details (phone, order form, history)")
        return detail

    async def report_provider(
        self, provider_id: int, report: ReportIn, idempotency_key: str | None = None
    ) -> ProviderReport:
        """Report that the directory is wrong about a doctor. Offline, the report is queued
        and answered with a provisional one (negative id) that the doctor's row shows at once;
        the replay sends it under the same idempotency key."""
        key = idempotency_key or new_idempotency_key()
        earlier = self.outbox.by_key(key)
        if earlier is not None:
            return self._queued_report(earlier)
        call_known, call_id = self._resolved("call", report.call_id or self._call_id)
        if call_known and await self._may_write_online():
            try:
                made = await self.api.report_provider(
                    provider_id,
                    report.model_copy(update={"call_id": call_id}),
                    idempotency_key=key,
                )
            except Unreachable as exc:
                self._went_offline(exc)
            else:
                self.directory_cache.add_report(made)
                return made
        return self._queue_report(provider_id, report, call_id, key)

    def _queue_report(
        self, provider_id: int, report: ReportIn, call_id: int | None, key: str
    ) -> ProviderReport:
        me = self._me()
        entry = self.directory_cache.entry(provider_id)
        with self.cache.transaction(durable=True):
            made = ProviderReport(
                id=self.cache.next_local_id(),
                provider_id=provider_id,
                provider_name=entry.name if entry else "",
                institution=entry.institution if entry else "",
                type=entry.type if entry else None,
                kind=report.kind,
                note=report.note,
                agent_id=me.id,
                agent_name=me.name,
                call_id=call_id,
                created_at=utcnow(),
                status="open",
            )
            self.directory_cache.add_report(made)
            queued = self.outbox.append(
                "report_provider",
                {
                    "local_id": made.id,
                    "provider_id": provider_id,
                    "report": report.model_dump(mode="json", exclude={"call_id"}),
                    "call_id": call_id,
                    "made": made.model_dump(mode="json"),
                },
                key,
            )
        self._queued(queued)
        return made

    def _queued_report(self, queued: OutboxEntry) -> ProviderReport:
        """What a queued report (or close) was answered with; the real one once replayed."""
        if queued.state == "done" and isinstance(queued.result, dict) and "report" in queued.result:
            return ProviderReport.model_validate(queued.result["report"])
        return ProviderReport.model_validate(queued.payload["made"])

    async def reports(self, status: str = "open", limit: int = 200) -> list[ProviderReport]:
        """Agents' reports, newest first (``open``, ``closed``, ``all``); offline, the list as
        last fetched, with this desk's queued reports and closes applied."""
        if self._may_read_online():
            try:
                found = await self.api.reports(status, limit)
            except Unreachable as exc:
                self._went_offline(exc)
            else:
                self.directory_cache.put_reports(status, found)
                return found
        cached = self.directory_cache.reports(status)
        if cached is None:
            raise self._not_cached("the list of reports")
        return self._with_queued_reports(cached, status)[:limit]

    def _with_queued_reports(
        self, reports: list[ProviderReport], status: str
    ) -> list[ProviderReport]:
        made = [
            ProviderReport.model_validate(e.payload["made"])
            for e in self.outbox.entries(states=("pending",))
            if e.kind == "report_provider"
        ]
        closed = {
            e.payload["report_id"]: e.payload["made"]
            for e in self.outbox.entries(states=("pending",))
            if e.kind == "close_report"
        }
        merged = []
        for report in [*sorted(made, key=lambda r: r.created_at, reverse=True), *reports]:
            if report.id in closed:
                report = ProviderReport.model_validate(closed[report.id])
            if status == "all" or report.status == status:
                merged.append(report)
        return merged

    async def close_report(
        self, report_id: int, close: ReportClose, idempotency_key: str | None = None
    ) -> ProviderReport:
        """Close a report (the data was checked, or corrected at the source). Offline, the
        close is queued like any other write."""
        key = idempotency_key or new_idempotency_key()
        earlier = self.outbox.by_key(key)
        if earlier is not None:
            return self._queued_report(earlier)
        known, real = self._resolved("report", report_id)
        if known and await self._may_write_online():
            try:
                closed = await self.api.close_report(real, close, idempotency_key=key)  # type: ignore[arg-type]
            except Unreachable as exc:
                self._went_offline(exc)
            else:
                self.directory_cache.close_report(closed.provider_id, closed.id)
                return closed
        current = self.directory_cache.report(real)  # type: ignore[arg-type]
        if current is None:
            current = next(
                (r for r in self._with_queued_reports([], "open") if r.id == report_id), None
            )
        if current is None:
            raise self._not_cached("this report")
        current = self._with_queued_reports([current], "all")[-1]  # a queued close applies
        if current.status != "open":
            raise ApiRefused(409, "report_closed", "This report is already closed.")
        me = self._me()
        closed = current.model_copy(
            update={
                "status": "closed",
                "closed_at": utcnow(),
                "closed_by_name": me.name,
                "resolution": close.resolution,
            }
        )
        with self.cache.transaction(durable=True):
            self.directory_cache.close_report(current.provider_id, current.id)
            queued = self.outbox.append(
                "close_report",
                {
                    "report_id": report_id,
                    "close": close.model_dump(mode="json"),
                    "made": closed.model_dump(mode="json"),
                },
                key,
            )
        self._queued(queued)
        return closed

    async def _refresh_directory(self) -> None:
        """Copy the whole active directory and its filter lists to this desk (with the
        reference data), so the health line can still find a doctor while offline. A service
        without a directory is no reason to fail the sync."""
        try:
            areas = await self.api.directory_areas()
            entries = []
            offset = 0
            while True:
                page = await self.api.directory(limit=DIRECTORY_PAGE, offset=offset)
                entries.extend(page.entries)
                offset += len(page.entries)
                if not page.more or not page.entries:
                    break
        except ApiRefused as exc:
            log.warning("directory not copied: %s", exc.message)
            return
        self.directory_cache.put_areas(areas)
        self.directory_cache.put_entries(entries, replace=True)
        for queued in self.outbox.entries(states=("pending",)):
            if queued.kind == "report_provider":  # still to send: keep showing it
                self.directory_cache.add_report(
                    ProviderReport.model_validate(queued.payload["made"])
                )

    # -- the sync loop --------------------------------------------------------------------

    async def run(
        self, interval: float = 2.0, after_first_round: Callable[[], object] | None = None
    ) -> None:
        """Keep the cache fresh and the outbox empty, for as long as the console runs.

        Online: every ``interval`` seconds, poll the change feed. Offline: probe the service
        after 1, 2, 4, … up to ``max_backoff`` seconds; when it answers, replay the outbox.
        ``after_first_round`` is called once the first round has ended, whatever its outcome.
        """
        while True:
            try:
                await self.sync_once()
            except asyncio.CancelledError:
                raise
            except Exception:  # keep the loop alive; the next tick tries again
                log.exception("sync failed")
            if after_first_round is not None:
                after_first_round()
                after_first_round = None
            if self._state == OFFLINE:
                delay = self._backoff
                self._backoff = min(self._backoff * 2, self.max_backoff)
            else:
                delay = interval
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), delay)
            self._wake.clear()

    async def sync_once(self) -> bool:
        """One round: probe if offline; replay the outbox; refresh reference data and the slot
        window when due; apply the change feed. True if the desk ends it online and caught up."""
        async with self._sync_lock:
            if self._state == OFFLINE:
                try:
                    await self.api.health()
                except Unreachable as exc:
                    self.last_error = exc.message
                    self._notify()
                    return False
                except ApiRefused as exc:  # up, but not healthy (e.g. 503 behind a proxy)
                    self.last_error = exc.message
                    return False
                self._set_state(ONLINE)
            try:
                if self.outbox.size():
                    report = await self.replay()
                    if report.unreachable:
                        return False
                if (
                    self._window_at is None
                    or time.monotonic() - self._window_at > self.window_refresh
                ):
                    await self._refresh_reference()
                    await self._refresh_directory()
                    await self._refresh_window()
                await self._poll_feed()
            except Unreachable as exc:
                self._went_offline(exc)
                return False
            except ApiRefused as exc:  # e.g. the token was revoked: say so, try again later
                self.last_error = exc.message
                self._notify()
                return False
            self.cache.last_sync_at = utcnow()
            self.last_error = None
            self._set_state(ONLINE)
            return True

    async def _refresh_reference(self) -> None:
        agent, services, locations, providers, dispositions, mine = await asyncio.gather(
            self.api.me(),
            self.api.services(),
            self.api.locations(),
            self.api.providers(limit=5000),
            self.api.dispositions(),
            self.api.calls(mine=True, limit=50),
        )
        with self.cache.transaction():
            self.cache.put_agent(agent)
            self.cache.put_services(services)
            self.cache.put_locations(locations)
            self.cache.put_providers(providers)
            self.cache.put_dispositions(dispositions)
            for call in mine:
                self.cache.put_call(call)

    async def _refresh_window(self) -> None:
        """Fetch the earliest free slots of every service for the window (paged, a few
        services at a time, at most ``window_slots`` a service). The feed cursor is taken first,
        so nothing that happens meanwhile is missed."""
        if self.cache.last_seq is None:
            self.cache.last_seq = await self._feed_head()
        start = utcnow()
        end = start + timedelta(days=self.window_days)
        gate = asyncio.Semaphore(4)

        async def fetch(service_id: int) -> tuple[int, list[Slot]]:
            async with gate:
                found: dict[int, Slot] = {}
                since = start
                while True:
                    wanted = min(SLOT_PAGE, self.window_slots - len(found))
                    page = await self.api.slots(service_id, start=since, end=end, limit=wanted)
                    fresh = [s for s in page.slots if s.id not in found]
                    found.update((s.id, s) for s in fresh)
                    if len(page.slots) < wanted or not fresh or len(found) >= self.window_slots:
                        return service_id, list(found.values())
                    since = page.slots[-1].starts_at

        results = await asyncio.gather(*(fetch(s.id) for s in self.cache.services()))
        for service_id, slots in results:
            await self._write_window(service_id, slots, end)
        with self.cache.transaction():
            self.cache.drop_past_slots()
            self.cache.drop_history(older_than=start - timedelta(days=HISTORY_DAYS))
        self._window_at = time.monotonic()
        log.info("slot window: %d slots", sum(len(s) for _, s in results))

    async def _write_window(self, service_id: int, slots: list[Slot], end: datetime) -> None:
        """Replace one service's window in the cache, a time range at a time: each range (up
        to ``WINDOW_CHUNK`` slots) in its own short transaction, so that a window of tens of
        thousands of slots never holds up the event loop the console's UI runs on. A reader
        in between sees each range either as it was or as fetched, never half of it."""
        ordered = sorted(slots, key=lambda s: (s.starts_at, s.id))
        chunks: list[list[Slot]] = [[]]
        for slot in ordered:
            current = chunks[-1]
            if len(current) >= WINDOW_CHUNK and slot.starts_at != current[-1].starts_at:
                chunks.append([slot])
            else:
                current.append(slot)
        low = "0"  # before any time the cache stores (its times are ISO text)
        for index, chunk in enumerate(chunks):
            last = index == len(chunks) - 1
            high = ts(end) if last else ts(chunks[index + 1][0].starts_at)
            with self.cache.transaction():
                self.cache.db.execute(
                    "DELETE FROM slots WHERE service_id = ? AND starts_at >= ? AND starts_at < ?",
                    (service_id, low, high),
                )
                self.cache.put_slots(chunk)
            low = high
            await asyncio.sleep(0)

    async def _feed_head(self) -> int:
        """The newest sequence number of the change feed."""
        return await self.api.latest_change()

    async def _poll_feed(self) -> None:
        """Apply the change feed since the cursor; the cursor advances with what it applied, in
        the same transaction, so a restart resumes where this left off."""
        while True:
            since = self.cache.last_seq or 0
            page = await self.api.changes(since, FEED_PAGE)
            if not page.changes:
                return
            fetch_slots: set[int] = set()
            fetch_bookings: set[str] = set()
            for change in page.changes:
                if change.entity == "slot":
                    known = self.cache.slot(change.entity_id) is not None
                    if change.op in ("freed", "released") and not known:
                        fetch_slots.add(change.entity_id)
                elif change.entity == "booking":
                    caller_id = change.data.get("caller_id")
                    reference = change.data.get("reference", "")
                    known = self.cache.booking(reference) if reference else None
                    fresh = known is not None and known.status.value == change.data.get("status")
                    if caller_id is not None and self.cache.has_caller(caller_id) and not fresh:
                        fetch_bookings.add(reference)
            fetched_slots = await self._fetch_slots(fetch_slots)
            fetched_bookings = await self._fetch_bookings(fetch_bookings)
            window_end = utcnow() + timedelta(days=self.window_days)
            with self.cache.transaction():
                for change in page.changes:
                    self._apply_change(
                        change.entity, change.entity_id, change.op, change.data, change.agent_id
                    )
                self.cache.put_slots([s for s in fetched_slots if s.starts_at < window_end])
                for booking in fetched_bookings:
                    self.cache.put_booking(booking)
                self.cache.last_seq = page.last_seq
            if len(page.changes) < FEED_PAGE:
                return

    async def _fetch_bookings(self, references: set[str]) -> list[Booking]:
        found = []
        for reference in sorted(r for r in references if r):
            with contextlib.suppress(ApiRefused):
                found.append(await self.api.booking(reference))
        return found

    async def _fetch_slots(self, slot_ids: set[int]) -> list[Slot]:
        gate = asyncio.Semaphore(8)

        async def one(slot_id: int) -> Slot | None:
            async with gate:
                try:
                    return Slot.model_validate(await self._send("GET", f"/v1/slots/{slot_id}"))
                except ApiRefused:
                    return None

        found = await asyncio.gather(*(one(i) for i in sorted(slot_ids)))
        return [s for s in found if s is not None]

    def _apply_change(
        self, entity: str, entity_id: int, op: str, data: dict, agent_id: int | None = None
    ) -> None:
        if entity == "slot":
            if op == "booked":
                self.cache.set_slot_status(entity_id, SlotStatus.BOOKED)
            elif op == "held":
                until = data.get("until")
                held_until = datetime.fromisoformat(until.replace("Z", "+00:00")) if until else None
                self.cache.set_slot_status(entity_id, SlotStatus.HELD, held_until)
            elif op in ("released", "freed"):
                self.cache.set_slot_status(entity_id, SlotStatus.FREE)
        elif entity == "provider" and op == "reported":
            report = self.directory_cache.report_from_change(entity_id, data, agent_id)
            if report is not None:
                self.directory_cache.add_report(report)
        elif entity == "provider" and op == "report_closed" and "report_id" in data:
            self.directory_cache.close_report(entity_id, int(data["report_id"]))
        elif entity == "caller" and op == "updated":
            # Re-reading the record would write an audit entry no agent caused: mark it stale;
            # the next open (online) reads it afresh.
            self.cache.mark_caller_stale(entity_id)

    # -- replay ---------------------------------------------------------------------------

    async def replay(self, progress: Callable[[int, int], None] | None = None) -> ReplayReport:
        """Send the outbox, each write once, in order for every entity it touches. Stops (rows
        stay pending) when the service becomes unreachable; ``progress(done, total)`` after
        each row.

        Up to ``replay_concurrency`` writes are in flight at once: a row is sent only when no
        earlier unfinished row touches what it touches (the same caller, call, slot, booking,
        report or doctor; see :func:`_replay_keys`), and cancellations, reschedules, caller
        edits and kinds not known here wait for every earlier row and hold back every later
        one. So a caller created offline is confirmed before the call that names it starts,
        that call before its booking, the booking before the wrap-up that quotes it, and two
        writes to one entity keep their order; independent calls overlap on the wire."""
        report = ReplayReport()
        started = time.perf_counter()
        if not self._replay_lock.acquire():
            report.remaining = self.outbox.size()
            self.last_error = "Another process on this desk is replaying the outbox."
            return report
        total = self.outbox.size()
        self._round_issues = []
        self._set_state(SYNCING)
        try:
            await self._replay_round(report, total, progress)
            # Later writes of this round may have taken slots offered as the nearest: offer
            # what is free now.
            for issue_id in [] if report.unreachable else self._round_issues:
                found = self.issue(issue_id)
                if found is not None:
                    with contextlib.suppress(Unreachable, ApiRefused):
                        await self.refresh_nearest(found)
        finally:
            self._replay_lock.release()
            if self._state == SYNCING:
                self._set_state(ONLINE)
        report.remaining = self.outbox.size()
        report.seconds = time.perf_counter() - started
        return report

    async def _replay_round(
        self,
        report: ReplayReport,
        total: int,
        progress: Callable[[int, int], None] | None,
    ) -> None:
        """Send the pending rows (and rows queued meanwhile), at most ``replay_concurrency`` at
        a time, each only after the earlier rows it depends on have finished."""
        waiting: list[tuple[OutboxEntry, frozenset | None]] = []  # in seq order, not sent
        running: dict[asyncio.Task, tuple[OutboxEntry, frozenset | None]] = {}
        last_loaded = 0
        settled = 0
        stop = False

        def load() -> None:
            nonlocal last_loaded
            for entry in self.outbox.pending_after(last_loaded):
                last_loaded = entry.seq
                waiting.append((entry, _replay_keys(entry)))

        def startable() -> list[int]:
            """Positions in ``waiting`` that may be sent now, in order."""
            busy: set = set()
            for _entry, keys in running.values():
                if keys is None:
                    return []  # a barrier is in flight: nothing else goes
                busy |= keys
            chosen: list[int] = []
            room = self.replay_concurrency - len(running)
            for position, (_entry, keys) in enumerate(waiting[:REPLAY_LOOKAHEAD]):
                if len(chosen) >= room:
                    break
                if keys is None:  # a barrier: after everything before it, before the rest
                    if position == 0 and not running:
                        chosen.append(position)
                    break
                if keys.isdisjoint(busy):
                    chosen.append(position)
                busy |= keys  # later rows with these keys wait for this one
            return chosen

        load()
        try:
            while True:
                if not stop:
                    if not waiting:
                        load()
                    for position in reversed(startable()):
                        entry, keys = waiting.pop(position)
                        task = asyncio.ensure_future(self._replay_one(entry, report))
                        running[task] = (entry, keys)
                if not running:
                    break
                finished, _pending = await asyncio.wait(
                    running, return_when=asyncio.FIRST_COMPLETED
                )
                for task in finished:
                    running.pop(task)
                    if not task.result():
                        stop = True
                        continue
                    settled += 1
                    if progress is not None:
                        progress(settled, max(total, settled))
                if not stop and len(waiting) < REPLAY_LOOKAHEAD:
                    load()
        finally:
            if running:  # cancelled from outside: the rows in flight stay pending
                for task in running:
                    task.cancel()
                await asyncio.gather(*running, return_exceptions=True)

    async def _replay_one(self, entry: OutboxEntry, report: ReplayReport) -> bool:
        """Send one row and record its outcome in ``report``; False: stop sending (the
        service is unreachable or at fault, or a bug): the row stays pending."""
        report.sent += 1
        try:
            outcome = await self._replay_entry(entry)
        except Unreachable as exc:
            self.outbox.record_attempt(entry.seq, exc.message)
            report.unreachable = True
            self._went_offline(exc)
            return False
        except _ServiceFault as fault:
            # Not this write's fault (a 5xx, a revoked token): it stays pending, and the desk
            # waits as if offline. A write the service keeps failing on with a 5xx becomes an
            # issue after a few rounds, so it cannot block the rest.
            self.outbox.record_attempt(entry.seq, fault.error.message)
            if fault.error.status >= 500 and entry.attempts + 1 >= MAX_SERVER_FAULTS:
                self._refused(entry, fault.error)
                report.failed += 1
                return True
            report.unreachable = True
            self._went_offline(Unreachable(fault.error.message))
            return False
        except Exception as exc:  # a bug must not lose the row or spin on it silently
            log.exception("replaying outbox row %s failed", entry.seq)
            message = f"{type(exc).__name__}: {exc}"
            self.outbox.record_attempt(entry.seq, message)
            if entry.attempts + 1 >= MAX_SERVER_FAULTS:
                self._refused(entry, ApiRefused(0, "internal", message))
                report.failed += 1
                return True
            self.last_error = message
            return False
        setattr(report, outcome, getattr(report, outcome) + 1)
        self._notify()
        return True

    async def _send(
        self,
        method: str,
        path: str,
        body: Any = None,
        key: str | None = None,
        call_id: int | None = None,
    ) -> Any:
        """One request with an explicit call id (the replay must not borrow the desk's current
        call). Same error mapping as ``CentralApi``."""
        headers = {}
        if call_id is not None:
            headers["X-Call-Id"] = str(call_id)
        if key:
            headers["Idempotency-Key"] = key
        try:
            response = await self.api._client.request(method, path, json=body, headers=headers)
        except httpx.TransportError as exc:
            raise _unreachable_from(exc) from None
        if response.status_code >= 400:
            raise _refusal(response)
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    async def _replay_entry(self, entry: OutboxEntry) -> str:
        """Send one row; returns the ReplayReport field to count it under."""
        try:
            if (
                entry.kind == "create_caller"
                and entry.request is None
                and await self._match_caller(entry) is not None
            ):
                return "done"
            request = entry.request or self._request_for(entry)
            try:
                data = await self._send(
                    request["method"],
                    request["path"],
                    request.get("body"),
                    entry.idempotency_key if request.get("keyed", True) else None,
                    request.get("call_id"),
                )
            except (Unreachable, ApiRefused) as exc:
                if isinstance(exc, Unreachable) or _is_service_fault(exc):
                    self._freeze(entry, request)  # the retry sends exactly this, same key
                raise
        except _Unresolved as missing:
            self._blocked(entry, missing)
            return "failed"
        except _Moot as moot:
            self._moot(entry, str(moot))
            return "done"
        except ApiRefused as exc:
            if _is_service_fault(exc):
                raise _ServiceFault(exc) from None
            if (
                entry.kind == "create_caller"
                and exc.error == "caller_exists"
                and await self._match_caller(entry, after_refusal=True) is not None
            ):
                return "done"
            if entry.kind in ("book", "reschedule") and exc.error in SLOT_ERRORS:
                await self._slot_taken(entry, exc)
                return "conflicts"
            self._refused(entry, exc)
            return "failed"
        self._applied(entry, data)
        return "done"

    def _freeze(self, entry: OutboxEntry, request: dict) -> None:
        """Keep the request a row sent without an answer: every retry sends exactly it. (Had
        the desk died before this, the retry builds the same request again: rows go in order,
        so the ids it refers to were settled before it was first sent.)"""
        if entry.request is None:
            self.outbox.set_request(entry.seq, request)

    def _request_for(self, entry: OutboxEntry) -> dict:
        p = entry.payload
        opt_call = self._real_int("call", p.get("call_id"), strict=False)
        if entry.kind == "create_caller":
            return {
                "method": "POST",
                "path": "/v1/callers",
                "body": p["caller"],
                "call_id": opt_call,
            }
        if entry.kind == "update_caller":
            caller_id = self._real_int("caller", p["caller_id"], strict=True)
            return {
                "method": "PATCH",
                "path": f"/v1/callers/{caller_id}",
                "body": p["patch"],
                "keyed": False,
            }
        if entry.kind == "start_call":
            caller_id = self._real_int("caller", p.get("caller_id"), strict=False)
            body = {"caller_id": caller_id, "direction": p["direction"]}
            return {"method": "POST", "path": "/v1/calls", "body": body}
        if entry.kind == "attach_caller":
            call_id = self._real_int("call", p["call_id"], strict=True)
            caller_id = self._real_int("caller", p.get("caller_id"), strict=True)
            return {
                "method": "PATCH",
                "path": f"/v1/calls/{call_id}",
                "body": {"caller_id": caller_id},
                "keyed": False,
            }
        if entry.kind == "book":
            caller_id = self._real_int("caller", p["caller_id"], strict=True)
            body = {
                "caller_id": caller_id,
                "slot_id": p["slot_id"],
                "hold_id": None,
                "call_id": opt_call,
                "notes": p.get("notes", ""),
            }
            return {"method": "POST", "path": "/v1/bookings", "body": body, "call_id": opt_call}
        if entry.kind == "cancel":
            reference = self._reference_or_moot(p["reference"])
            body = {"reason": p.get("reason", ""), "call_id": opt_call}
            return {"method": "POST", "path": f"/v1/bookings/{reference}/cancel", "body": body}
        if entry.kind == "reschedule":
            reference = self._real_ref(p["reference"], strict=True)
            body = {"slot_id": p["slot_id"], "hold_id": None, "call_id": opt_call}
            return {
                "method": "POST",
                "path": f"/v1/bookings/{reference}/reschedule",
                "body": body,
                "call_id": opt_call,
            }
        if entry.kind == "wrap_up":
            call_id = self._real_int("call", p["call_id"], strict=True)
            body = self._wrap_up_body(p["wrap_up"], p["call_id"], call_id)  # type: ignore[arg-type]
            return {"method": "POST", "path": f"/v1/calls/{call_id}/wrapup", "body": body}
        if entry.kind == "report_provider":
            body = {**p["report"], "call_id": opt_call}
            return {
                "method": "POST",
                "path": f"/v1/directory/{p['provider_id']}/reports",
                "body": body,
                "call_id": opt_call,
            }
        if entry.kind == "close_report":
            report_id = self._real_int("report", p["report_id"], strict=True)
            return {"method": "POST", "path": f"/v1/reports/{report_id}/close", "body": p["close"]}
        raise ValueError(f"unknown outbox kind {entry.kind!r}")

    def _reference_or_moot(self, reference: str) -> str:
        real = self._real_ref(reference, strict=False)
        if real is not None:
            return real
        creator = self._creator_of("reference", reference)
        if creator is not None and creator.state in ("conflict", "failed"):
            raise _Moot(f"booking {reference} was never confirmed, so there is nothing to cancel")
        raise _Unresolved("reference", reference)

    def _wrap_up_body(self, wrap_up: dict, call_id: int, real_call_id: int) -> dict:
        """A call started offline begins on the service only when replayed, so the times the
        desk saw would fall before its start (and be refused): they go into the notes, the end
        is left to the service, and a follow-up that would now fall before the call's start is
        moved just after it (the time asked for kept in the note). Provisional references in
        the notes (the wrap-up quotes the booking made in the call) become the confirmed ones."""
        body = dict(wrap_up)
        if body.get("notes"):
            body["notes"] = self._confirmed_references(body["notes"])
        starts = self.outbox.find("start_call", local_id=call_id) if call_id < 0 else []
        if not starts:
            return body
        started = datetime.fromisoformat(starts[0].payload["started_at"])
        ended = datetime.fromisoformat(body["ended_at"]) if body.get("ended_at") else None
        span = _local_time(started) + (f"–{ended.astimezone(TZ):%H:%M}" if ended else "")
        body["notes"] = f"[offline call {span}] {body.get('notes') or ''}".strip()[:8000]
        body["ended_at"] = None
        real = self.cache.call(real_call_id)
        real_start = real.started_at if real else utcnow()
        if body.get("follow_up_at"):
            wanted = datetime.fromisoformat(body["follow_up_at"])
            if wanted <= real_start:
                body["follow_up_at"] = (real_start + timedelta(minutes=5)).isoformat()
                note = body.get("follow_up_note") or ""
                body["follow_up_note"] = f"[asked for {_local_time(wanted)}] {note}".strip()[:1000]
        return body

    def _confirmed_references(self, text: str) -> str:
        """``P-K7M 4PX R`` → ``A3C 9KM T (P-K7M 4PX R)`` for each provisional reference the
        service has confirmed; the others stay as written."""

        def confirmed(match: re.Match[str]) -> str:
            real = self._real_ref(PROVISIONAL_PREFIX + "".join(match.groups()), strict=False)
            return f"{format_reference(real)} ({match.group(0)})" if real else match.group(0)

        return _PROVISIONAL_IN_TEXT.sub(confirmed, text)

    def _creator_of(self, kind: str, local: int | str) -> OutboxEntry | None:
        if kind == "reference":
            rows = self.outbox.find("book", reference=local) or self.outbox.find(
                "reschedule", new_reference=local
            )
        else:
            rows = self.outbox.find(
                "create_caller" if kind == "caller" else "start_call", local_id=local
            )
        return rows[0] if rows else None

    async def _match_caller(
        self, entry: OutboxEntry, *, after_refusal: bool = False
    ) -> Caller | None:
        """An existing caller for a provisional one: the same EMŠO (or ZZZS number, when the
        service says it exists), else the same phone number *and* name — a family often
        shares a landline, so the number alone does not make two people one."""
        wanted = _clean_caller(entry.payload["caller"])
        found: Caller | None = None
        how = ""
        for field_name, label in (("emso", "emso"), ("zzzs_number", "zzzs")):
            if field_name == "zzzs_number" and not after_refusal:
                continue
            if wanted.get(field_name):
                hits = await self.api.search_callers(wanted[field_name], limit=5)
                exact = [c for c in hits.callers if getattr(c, field_name) == wanted[field_name]]
                if exact:
                    found, how = await self._read_caller(exact[0].id), label
                    break
        if found is None:
            name = fold(f"{wanted['first_name']} {wanted['last_name']}")
            for number in wanted.get("phones") or []:
                hits = await self.api.search_callers(number, limit=20)
                same = [
                    c
                    for c in hits.callers
                    if number in c.phones and fold(f"{c.first_name} {c.last_name}") == name
                ]
                if same:
                    found, how = await self._read_caller(same[0].id), "phone"
                    break
        if found is None:
            return None
        local_id = entry.payload["local_id"]
        with self.cache.transaction():
            self.cache.map_id("caller", local_id, found.id)
            self.cache.rekey_caller(local_id, found)
            self.outbox.mark_done(entry.seq, {"caller_id": found.id, "matched_on": how})
        return found

    async def _read_caller(self, caller_id: int) -> Caller:
        return Caller.model_validate(await self._send("GET", f"/v1/callers/{caller_id}"))

    def _applied(self, entry: OutboxEntry, data: Any) -> None:
        """The service did it: record the answer, make provisional ids real, refresh the cache;
        all in one local transaction."""
        p = entry.payload
        kind = entry.kind
        with self.cache.transaction():
            if kind in ("create_caller", "update_caller"):
                caller = Caller.model_validate(data)
                if kind == "create_caller":
                    self.cache.map_id("caller", p["local_id"], caller.id)
                    self.cache.rekey_caller(p["local_id"], caller)
                else:
                    self.cache.put_caller(caller)
                result: Any = {"caller_id": caller.id}
            elif kind in ("start_call", "attach_caller", "wrap_up"):
                call = Call.model_validate(data)
                if kind == "start_call":
                    self.cache.map_id("call", p["local_id"], call.id)
                    self.cache.rekey_call(p["local_id"], call)
                    if self._call_id == p["local_id"]:
                        self.api.call_id = call.id
                else:
                    self.cache.put_call(call)
                result = {"call_id": call.id}
            elif kind in ("report_provider", "close_report"):
                report = ProviderReport.model_validate(data)
                if kind == "report_provider":
                    self.cache.map_id("report", p["local_id"], report.id)
                    self.directory_cache.replace_report(report.provider_id, p["local_id"], report)
                result = {"report_id": report.id, "report": report.model_dump(mode="json")}
            else:
                booking = Booking.model_validate(data)
                if kind in ("book", "reschedule"):
                    self.cache.map_id("booking", p["local_id"], booking.id)
                    provisional = p.get("new_reference") or p["reference"]
                    self.cache.map_id("reference", provisional, booking.reference)
                    self.cache.remove_booking(p["local_id"])
                    self.cache.set_slot_status(booking.slot.id, SlotStatus.BOOKED)
                    if kind == "reschedule":
                        old = self._real_ref(p["reference"], strict=False)
                        if old:
                            self.cache.set_booking_status(
                                old, BookingStatus.RESCHEDULED, superseded_by=booking.reference
                            )
                self.cache.put_booking(booking)
                result = {"reference": booking.reference, "booking_id": booking.id}
            self.outbox.mark_done(entry.seq, result)

    async def _slot_taken(self, entry: OutboxEntry, error: ApiRefused) -> None:
        p = entry.payload
        wanted = Slot.model_validate(p["slot"])
        try:
            nearest = await self._nearest(wanted)
        except (Unreachable, ApiRefused):
            nearest = []
        caller_id = self._real_int("caller", p["caller_id"], strict=False)
        issue = SyncIssue(
            id=0,
            kind="slot_taken",
            action=entry.kind,
            message=error.message,
            outbox_seq=entry.seq,
            created_at=utcnow(),
            caller_id=caller_id if caller_id is not None else p["caller_id"],
            caller_name=p["caller"]["name"],
            caller_phone=p["caller"]["phone"],
            reference=p.get("new_reference") or p["reference"],
            original_reference=(
                self._real_ref(p["reference"], strict=False) if entry.kind == "reschedule" else None
            ),
            slot=wanted,
            nearest=nearest,
            call_id=self._real_int("call", p.get("call_id"), strict=False),
            notes=p.get("notes", ""),
        )
        with self.cache.transaction():
            self.cache.remove_booking(p["local_id"])
            if issue.original_reference:  # the old booking stands on the service
                self.cache.set_booking_status(issue.original_reference, BookingStatus.CONFIRMED)
            self._round_issues.append(self.cache.add_issue(entry.seq, issue.kind, issue.to_json()))
            self.outbox.mark_conflict(entry.seq, f"{error.error}: {error.message}")

    async def _nearest(self, wanted: Slot, count: int = NEAREST) -> list[Slot]:
        """Free slots for the same service closest in time to the one wanted, the same
        location first."""
        now = utcnow()
        start = max(now, wanted.starts_at - timedelta(days=3))
        end = max(wanted.starts_at, now) + timedelta(days=14)
        page = await self.api.slots(wanted.service_id, start=start, end=end, limit=200)
        candidates = [s for s in page.slots if s.id != wanted.id]
        if not candidates:
            page = await self.api.slots(wanted.service_id, limit=50)
            candidates = [s for s in page.slots if s.id != wanted.id]
        candidates.sort(
            key=lambda s: (
                s.location_id != wanted.location_id,
                abs((s.starts_at - wanted.starts_at).total_seconds()),
            )
        )
        return candidates[:count]

    def _issue_base(self, entry: OutboxEntry, kind: str, message: str) -> SyncIssue:
        p = entry.payload
        caller_ref = p.get("caller_id")
        caller_id = (
            self._real_int("caller", caller_ref, strict=False) if caller_ref is not None else None
        )
        snapshot = p.get("caller") if isinstance(p.get("caller"), dict) else None
        if entry.kind == "create_caller":
            snapshot = {
                "name": f"{p['caller'].get('first_name', '')} {p['caller'].get('last_name', '')}",
                "phone": (p["caller"].get("phones") or [None])[0],
            }
            caller_id = p["local_id"]
        elif snapshot is None and caller_ref is not None:
            snapshot = self._caller_snapshot(caller_id if caller_id is not None else caller_ref)
        slot = Slot.model_validate(p["slot"]) if p.get("slot") else None
        return SyncIssue(
            id=0,
            kind=kind,
            action=entry.kind,
            message=message,
            outbox_seq=entry.seq,
            created_at=utcnow(),
            caller_id=caller_id if caller_id is not None else caller_ref,
            caller_name=(snapshot or {}).get("name", ""),
            caller_phone=(snapshot or {}).get("phone"),
            reference=p.get("new_reference") or p.get("reference"),
            slot=slot,
            call_id=self._real_int("call", p.get("call_id"), strict=False),
            notes=p.get("notes", ""),
        )

    def _refused(self, entry: OutboxEntry, error: ApiRefused) -> None:
        issue = self._issue_base(entry, "refused", error.message)
        with self.cache.transaction():
            self._drop_provisional(entry)
            self.cache.add_issue(entry.seq, issue.kind, issue.to_json())
            self.outbox.mark_failed(entry.seq, f"{error.status} {error.error}: {error.message}")

    def _blocked(self, entry: OutboxEntry, missing: _Unresolved) -> None:
        creator = self._creator_of(missing.kind, missing.local)
        because = f" (write #{creator.seq}, {creator.kind})" if creator else ""
        message = (
            f"Not sent: it needs {missing.kind} {missing.local}, "
            f"which the central service did not accept{because}."
        )
        issue = self._issue_base(entry, "blocked", message)
        with self.cache.transaction():
            self._drop_provisional(entry)
            self.cache.add_issue(entry.seq, issue.kind, issue.to_json())
            self.outbox.mark_failed(entry.seq, message)

    def _drop_provisional(self, entry: OutboxEntry) -> None:
        """A booking or report that will not happen leaves the cache (its issue keeps the
        details)."""
        if entry.kind == "report_provider":
            self.directory_cache.close_report(
                entry.payload["provider_id"], entry.payload["local_id"]
            )
        if entry.kind in ("book", "reschedule"):
            self.cache.remove_booking(entry.payload["local_id"])
            if entry.kind == "reschedule":
                old = self._real_ref(entry.payload["reference"], strict=False)
                if old:
                    self.cache.set_booking_status(old, BookingStatus.CONFIRMED)

    def _moot(self, entry: OutboxEntry, reason: str) -> None:
        with self.cache.transaction():
            self.outbox.mark_done(entry.seq, {"skipped": reason})
            creator = self._creator_of("reference", entry.payload["reference"])
            issue = self.cache.issue_for(creator.seq) if creator else None
            if issue is not None:
                self.cache.resolve_issue(issue["id"], "cancelled by the agent")

    # -- resolving issues -----------------------------------------------------------------

    def issue(self, issue_id: int) -> SyncIssue | None:
        row = self.cache.issue(issue_id)
        return SyncIssue.from_row(row) if row else None

    async def refresh_nearest(self, issue: SyncIssue) -> SyncIssue:
        """Fetch the free slots nearest to the wanted one again (they go fast)."""
        if issue.slot is None:
            return issue
        issue.nearest = await self._nearest(issue.slot)
        self.cache.update_issue(issue.id, issue.to_json())
        return issue

    async def rebook(self, issue: SyncIssue, slot_id: int) -> Booking:
        """Book ``slot_id`` (one of ``issue.nearest``, or any other) for the issue's caller —
        a reschedule of the original booking if that is what failed — and close the issue."""
        if issue.kind != "slot_taken" or issue.caller_id is None:
            raise ValueError("Only a booking whose slot was taken can be rebooked.")
        entry = self.outbox.get(issue.outbox_seq)
        key = f"{entry.idempotency_key if entry else new_idempotency_key()}-rb{slot_id}"[:80]
        if issue.action == "reschedule" and issue.original_reference:
            booking = await self.reschedule(
                issue.original_reference, slot_id=slot_id, idempotency_key=key
            )
        else:
            booking = await self.book(
                issue.caller_id,
                slot_id=slot_id,
                call_id=issue.call_id,
                notes=issue.notes,
                idempotency_key=key,
            )
        self.cache.resolve_issue(issue.id, f"rebooked as {booking.reference}")
        self._notify()
        return booking

    async def to_follow_up(
        self,
        issue: SyncIssue,
        note: str,
        *,
        at: datetime | None = None,
        disposition: str = "callback",
    ) -> Call:
        """Record a callback owed to the issue's caller: an outbound call wrapped up with
        ``disposition`` and a follow-up at ``at`` (default: in 15 minutes), then close the
        issue. The agent's worklist of follow-ups picks it up."""
        entry = self.outbox.get(issue.outbox_seq)
        base = entry.idempotency_key if entry else new_idempotency_key()
        caller_id = issue.caller_id
        if caller_id is not None and caller_id < 0:
            caller_id = self._real_int("caller", caller_id, strict=False)
        call = await self.start_call(
            caller_id, CallDirection.OUTBOUND, idempotency_key=f"{base}-fc"[:80]
        )
        wanted = (
            f" ({_local_time(issue.slot.starts_at)}, {issue.slot.location_name})"
            if issue.slot
            else ""
        )
        reference = f" {issue.reference}" if issue.reference else ""
        wrapped = await self.wrap_up(
            call.id,
            WrapUpIn(
                disposition=disposition,
                notes=f"Sync issue: booking{reference}{wanted} not confirmed: {issue.message}",
                follow_up_at=at or utcnow() + timedelta(minutes=15),
                follow_up_note=note,
            ),
            idempotency_key=f"{base}-fw"[:80],
        )
        self.cache.resolve_issue(issue.id, "follow-up: " + note)
        self._notify()
        return wrapped

    def dismiss(self, issue: SyncIssue, note: str = "") -> None:
        """The agent has dealt with an issue another way (e.g. fixed and re-entered a caller the
        service refused): close it, with a note for the record."""
        self.cache.resolve_issue(issue.id, "dismissed" + (f": {note}" if note else ""))
        self._notify()

    # -- for `agent-console sync --status` ------------------------------------------------

    def summary(self) -> dict[str, Any]:
        return {
            "state": self._state,
            "outbox": self.outbox.counts(),
            "last_sync": self.last_sync,
            "last_seq": self.cache.last_seq,
            "issues": len(self.cache.issues()),
            "callers": self.cache.caller_count(),
            "slots": self.cache.slot_count(),
        }


def describe_entry(entry: OutboxEntry) -> str:
    """One line for a person: what this queued write does."""
    p = entry.payload
    if entry.kind == "create_caller":
        c = p["caller"]
        return f"new caller {c.get('first_name', '')} {c.get('last_name', '')} (id {p['local_id']})"
    if entry.kind == "update_caller":
        return f"change caller {p['caller_id']}: {', '.join(sorted(p['patch']))}"
    if entry.kind == "start_call":
        return (
            f"call {p['local_id']} started {_local_time(datetime.fromisoformat(p['started_at']))}"
        )
    if entry.kind == "attach_caller":
        return f"call {p['call_id']}: caller {p['caller_id']}"
    if entry.kind in ("book", "reschedule"):
        slot = Slot.model_validate(p["slot"])
        who = p["caller"]["name"] or f"caller {p['caller_id']}"
        phone = f" {format_phone(p['caller']['phone'])}" if p["caller"].get("phone") else ""
        verb = "book" if entry.kind == "book" else f"move {p['reference']} to"
        reference = p.get("new_reference") or p["reference"]
        return (
            f"{verb} {_local_time(slot.starts_at)} {slot.location_name} for {who}{phone} "
            f"({reference})"
        )
    if entry.kind == "cancel":
        return f"cancel {p['reference']}"
    if entry.kind == "wrap_up":
        return f"wrap up call {p['call_id']}: {p['wrap_up']['disposition']}"
    if entry.kind == "report_provider":
        made = p["made"]
        doctor = made.get("provider_name") or f"doctor {p['provider_id']}"
        note = f": {made['note']}" if made.get("note") else ""
        return f"report {doctor} {made['kind']}{note}"
    if entry.kind == "close_report":
        return f"close report {p['report_id']}"
    return entry.kind
