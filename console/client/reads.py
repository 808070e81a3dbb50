"""The desk's reads: every read goes through :meth:`Reads.read_through` — fetched from the
central service while the desk is not offline and remembered in the local cache; when the
service is unreachable (the desk turns offline), recalled from the cache instead. What comes
from the cache says so where a screen tells the agent (``Cached…`` pages, ``from_cache=True``)
and what the cache does not have raises :class:`~console.client.api.Unreachable`.

Holds are here too: a hold is a lease, never queued; taken on the service whenever it
answers, else on this desk only.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from console.client.api import ApiRefused, CentralApi, Unreachable, directory_params
from console.client.cache import LocalCache, ProvisionalBooking, utcnow
from console.client.connection import Connection
from console.client.directory_cache import DirectoryCache
from console.client.outbox import Outbox
from console.client.pages import CachedCallerSearch, CachedDirectoryPage, CachedSlotPage
from console.client.provisional import IdMap
from console.client.writes import Context, not_cached
from console.client.writes.bookings import local_hold
from console.client.writes.callbacks import recall_queue, remember_claimed, remember_queue
from console.client.writes.reports import with_queued_reports
from console.domain.callbacks import Callback, CallbackPage, DeskExtension
from console.domain.floor import AgentDay, Floor
from console.domain.models import (
    Agent,
    Booking,
    Call,
    Caller,
    CallerSearch,
    ChangePage,
    DirectoryAreas,
    DirectoryDetail,
    DirectoryPage,
    Disposition,
    Hold,
    Location,
    Provider,
    ProviderReport,
    Service,
    SlotPage,
)
from console.domain.query import QUERY_TOO_SHORT, is_too_short

T = TypeVar("T")


def _floor_not_cached() -> Any:
    raise not_cached("the floor")


class Reads:
    """Every read of the desk (see the module docstring), with the ``CentralApi`` method's
    name and signature."""

    def __init__(
        self,
        api: CentralApi,
        ctx: Context,
        connection: Connection,
        *,
        window_days: int,
        hold_minutes: float,
    ) -> None:
        self.api = api
        self.ctx = ctx
        self.connection = connection
        self.window_days = window_days
        self.hold_minutes = hold_minutes
        self.cache: LocalCache = ctx.cache
        self.ids: IdMap = ctx.ids
        self.outbox: Outbox = ctx.outbox
        self.directory_cache: DirectoryCache = ctx.directory

    async def read_through(
        self,
        fetch: Callable[[], Awaitable[T]],
        remember: Callable[[T], object] | None,
        recall: Callable[[], T],
        *,
        online: bool = True,
    ) -> T:
        """Every read: ``fetch`` it from the service unless the desk is offline (or not
        ``online``: an id it names is still provisional), ``remember`` the answer in the
        cache; when the service is unreachable (the desk turns offline), ``recall`` it from
        the cache — which says so (a ``Cached…`` page, ``from_cache=True``) where a screen
        tells the agent, and raises :class:`Unreachable` for what the cache does not have."""
        if online and self.connection.may_read():
            try:
                found = await fetch()
            except Unreachable as exc:
                self.connection.went_offline(exc)
            else:
                if remember is not None:
                    remember(found)
                return found
        return recall()

    def _must(self, found: T | None, what: str) -> T:
        if not found:
            raise not_cached(what)
        return found

    async def me(self) -> Agent:
        return await self.read_through(
            self.api.me,
            self.cache.put_agent,
            lambda: self._must(
                self.cache.agent(), "who this desk's agent is (it has never been online)"
            ),
        )

    async def health(self) -> bool:
        return await self.api.health()

    # -- the supervisor's floor: online only (never cached: it is about now) -------------

    async def floor(self) -> Floor:
        return await self.read_through(self.api.floor, None, _floor_not_cached)

    async def agent_day(
        self, agent_id: int, day: date | None = None, *, include_caller: bool = False
    ) -> AgentDay:
        return await self.read_through(
            lambda: self.api.agent_day(agent_id, day, include_caller=include_caller),
            None,
            _floor_not_cached,
        )

    async def export_calls(self, day: date, fmt: str) -> bytes:
        return await self.read_through(
            lambda: self.api.export_calls(day, fmt), None, _floor_not_cached
        )

    async def services(self) -> list[Service]:
        return await self.read_through(
            self.api.services,
            self.cache.put_services,
            lambda: self._must(self.cache.services(), "the list of services"),
        )

    async def locations(self, region: str | None = None) -> list[Location]:
        def recall() -> list[Location]:
            self._must(self.cache.locations(), "the list of locations")
            return self.cache.locations(region)

        return await self.read_through(
            lambda: self.api.locations(region),
            lambda found: self.cache.put_locations(found, replace=region is None),
            recall,
        )

    async def providers(self, **filters: Any) -> list[Provider]:
        return await self.read_through(
            lambda: self.api.providers(**filters),
            lambda found: self.cache.put_providers(found, replace=not filters),
            lambda: self.cache.providers(**filters),
        )

    async def dispositions(self) -> list[Disposition]:
        return await self.read_through(
            self.api.dispositions,
            self.cache.put_dispositions,
            lambda: self._must(self.cache.dispositions(), "the list of wrap-up codes"),
        )

    async def search_callers(self, query: str, limit: int = 20) -> CallerSearch:
        text = query.strip()
        if is_too_short(text):
            raise ApiRefused(422, "query_too_short", QUERY_TOO_SHORT, "q")

        def recall() -> CallerSearch:
            kind, found, more = self.cache.search_callers(text, limit)
            return CachedCallerSearch(query=text, kind=kind, callers=found, more=more)

        return await self.read_through(lambda: self.api.search_callers(query, limit), None, recall)

    async def caller(self, caller_id: int) -> Caller:
        known, real = self.ids.resolved("caller", caller_id)
        return await self.read_through(
            lambda: self.api.caller(real),  # type: ignore[arg-type]
            self.cache.put_caller,
            lambda: self._must(self.cache.caller(real), "this caller"),  # type: ignore[arg-type]
            online=known,
        )

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
        async def fetch() -> SlotPage:
            page = await self.api.slots(
                service_id,
                start=start,
                end=end,
                limit=limit,
                location_id=location_id,
                region=region,
                provider_id=provider_id,
            )
            self.cache.put_slots(page.slots)
            if self.outbox.size():  # not yet replayed: this desk's provisional bookings
                page = SlotPage(slots=[s for s in page.slots if not self.cache.locally_taken(s.id)])
            return page

        def recall() -> SlotPage:
            until = end or (start or utcnow()) + timedelta(days=self.window_days)
            found = self.cache.free_slots(
                service_id,
                start=start,
                end=until,
                limit=limit,
                location_id=location_id,
                region=region,
                provider_id=provider_id,
            )
            return CachedSlotPage(slots=found)

        return await self.read_through(fetch, None, recall)

    async def bookings(self, caller_id: int, include_past: bool = False) -> list[Booking]:
        known, real = self.ids.resolved("caller", caller_id)
        assert real is not None

        async def fetch() -> list[Booking]:
            found = await self.api.bookings(real, include_past)
            with self.cache.transaction():
                for booking in found:
                    self.cache.put_booking(booking)
            cached = self.cache.bookings_for(real, include_past=include_past)
            pending = [b for b in cached if isinstance(b, ProvisionalBooking)]
            return sorted([*found, *pending], key=lambda b: b.slot.starts_at)

        return await self.read_through(
            fetch,
            None,
            lambda: self.cache.bookings_for(real, include_past=include_past),
            online=known,
        )

    async def booking(self, reference: str) -> Booking:
        """One booking; a provisional reference this desk made is read here until replayed,
        one another desk gave (the service keeps it as an alias) from the service."""
        real = self.ids.real_ref(reference)
        made_here = real is None and self.cache.booking(reference.upper()) is not None
        return await self.read_through(
            lambda: self.api.booking(real or reference),
            self.cache.put_booking,
            lambda: self._must(
                self.cache.booking(real or reference.upper()), f"booking {reference}"
            ),
            online=not made_here,
        )

    async def calls(
        self,
        caller_id: int | None = None,
        mine: bool = False,
        limit: int = 20,
        open_only: bool = False,
    ) -> list[Call]:
        known, real = self.ids.resolved("caller", caller_id)

        def remember(found: list[Call]) -> None:
            with self.cache.transaction():
                for call in found:
                    self.cache.put_call(call)

        return await self.read_through(
            lambda: self.api.calls(real, mine, limit, open_only),
            remember,
            lambda: self.cache.calls(
                caller_id=real,
                agent_id=self.ctx.me().id if mine else None,
                limit=limit,
                open_only=open_only,
            ),
            online=known,
        )

    async def changes(self, since: int, limit: int = 500) -> ChangePage:
        try:
            return await self.api.changes(since, limit)
        except Unreachable as exc:
            self.connection.went_offline(exc)
            raise

    async def latest_change(self) -> int:
        try:
            return await self.api.latest_change()
        except Unreachable as exc:
            self.connection.went_offline(exc)
            raise

    async def directory(self, **filters: Any) -> DirectoryPage:
        """Search the doctor directory (filters as :meth:`CentralApi.directory`). Offline, the
        same search runs over this desk's copy and answers a :class:`CachedDirectoryPage`."""
        directory_params(filters)  # refuse an unknown filter online and offline alike

        def recall() -> DirectoryPage:
            self._must(self.directory_cache.count(), "the doctor directory")
            limit = int(filters.pop("limit", None) or 50)
            offset = int(filters.pop("offset", None) or 0)
            entries, total = self.directory_cache.search(**filters, limit=limit, offset=offset)
            return CachedDirectoryPage(entries=entries, total=total, more=offset + limit < total)

        return await self.read_through(
            lambda: self.api.directory(**filters),
            lambda page: self.directory_cache.put_entries(page.entries),
            recall,
        )

    async def directory_areas(self) -> DirectoryAreas:
        return await self.read_through(
            self.api.directory_areas,
            self.directory_cache.put_areas,
            lambda: self._must(
                self.directory_cache.areas(), "the directory's list of regions and municipalities"
            ),
        )

    async def directory_entry(self, provider_id: int) -> DirectoryDetail:
        return await self.read_through(
            lambda: self.api.directory_entry(provider_id),
            self.directory_cache.put_detail,
            lambda: self._must(
                self.directory_cache.detail(provider_id),
                "this doctor's details (phone, order form, history)",
            ),
        )

    async def reports(self, status: str = "open", limit: int = 200) -> list[ProviderReport]:
        """Agents' reports, newest first (``open``, ``closed``, ``all``); offline, the list as
        last fetched, with this desk's queued reports and closes applied."""

        def recall() -> list[ProviderReport]:
            cached = self.directory_cache.reports(status)
            if cached is None:
                raise not_cached("the list of reports")
            return with_queued_reports(self.outbox, cached, status)[:limit]

        return await self.read_through(
            lambda: self.api.reports(status, limit),
            lambda found: self.directory_cache.put_reports(status, found),
            recall,
        )

    # -- callbacks ------------------------------------------------------------------------

    async def callbacks(
        self, status: str | None = None, number: str | None = None, limit: int = 200
    ) -> CallbackPage:
        """The callback queue (``status`` None: open and claimed). Offline, the queue as this
        desk last fetched it (a :class:`CachedCallbackPage`, with when), with its own queued
        outcomes and releases applied; other statuses and numbers are not kept."""
        queue = status is None and number is None

        def recall() -> CallbackPage:
            if not queue:
                raise not_cached("this list of callbacks")
            return recall_queue(self.cache, self.outbox)

        return await self.read_through(
            lambda: self.api.callbacks(status, number, limit),
            (lambda page: remember_queue(self.cache, page)) if queue else None,
            recall,
        )

    async def claim_callback(
        self, callback_id: int | None = None, idempotency_key: str | None = None
    ) -> Callback | None:
        """Lease the next due callback (a lease the central database decides on: never
        queued, like a hold). What is claimed is kept in the cache, so it can be worked
        through an outage (``console.client.writes.callbacks``)."""
        if not self.connection.may_read():
            raise Unreachable(
                "The central service is unreachable: a callback can only be claimed online "
                "(one claimed before the outage can still be worked)."
            )
        try:
            found = await self.api.claim_callback(callback_id, idempotency_key)
        except Unreachable as exc:
            self.connection.went_offline(exc)
            raise
        if found is not None:
            remember_claimed(self.cache, found)
        return found

    async def declare_extension(self, extension: str) -> DeskExtension:
        """This desk answers ``extension`` (online only: a desk declares it again when it is
        back online)."""
        try:
            return await self.api.declare_extension(extension)
        except Unreachable as exc:
            self.connection.went_offline(exc)
            raise

    async def release_extension(self) -> None:
        await self.api.release_extension()

    # -- holds: a lease, never queued: taken on the service whenever it answers -----------

    async def hold(self, slot_id: int) -> Hold:
        def remember(hold: Hold) -> None:
            self.cache.put_slots([hold.slot])
            self.cache.put_hold(hold.id, hold.slot_id, hold.expires_at, local=False)

        return await self.read_through(
            lambda: self.api.hold(slot_id),
            remember,
            lambda: local_hold(self.ctx, slot_id, self.hold_minutes),  # on this desk only
        )

    async def release(self, hold_id: int) -> None:
        if hold_id >= 0:  # offline, the hold runs out by itself on the service
            await self.read_through(lambda: self.api.release(hold_id), None, lambda: None)
        self.cache.remove_hold(hold_id)
