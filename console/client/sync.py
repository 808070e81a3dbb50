"""The desk's sync loop: keep the local cache fresh and the outbox empty, for as long as the
console runs.

One round (:meth:`SyncLoop.sync_once`): offline, probe the service; replay the outbox; refresh
the reference data, the directory copy and the slot window when due (every
``window_refresh`` seconds of the desk's clock's ticks: the window rolls forward and catches
new slots); then poll the change feed (:class:`~console.client.feed.ChangeFeed`, the desk's one
reader of it). :meth:`SyncLoop.run` repeats it every ``interval`` seconds online, and after 1,
2, 4 … seconds offline (:meth:`~console.client.connection.Connection.pause`).

The refreshes stream: a page of slots (or of the directory) is written to the cache as it
arrives and let go, so the desk never holds the whole window (tens of thousands of slots) in
memory at once. Holding it all was most of what a refresh cost the console's memory, and what
Python's allocator then kept after every hourly refresh.

A desk whose place in the feed is older than the service keeps (``410 resync``, after a
prune, or a database restored from an older copy) reloads its cache from scratch
(:meth:`SyncLoop.resync`): the reference data, the directory, the slot window and the callers
it keeps; its outbox stays as it is; it follows the feed from the head taken before the
reload; and it tells the screens (a :class:`~console.client.feed.ChangeBatch` with
``resynced``).

With ``long_poll`` set (a desk that declared its telephone extension: a call ringing there
must show within a second), the wait between rounds online is a long poll of the feed instead
(``GET /v1/changes?wait=S``, over the client's separate connections for long polls): it ends
as soon as a change is made, and the next round reads it at once. The long poll only waits: the
round reads and applies the feed as always, so there is still one reader of it. A write queued
meanwhile, or the agent's retry, ends the wait (:meth:`Connection.wake`); a failed long poll
turns the desk offline like any request.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from console.client.api import ApiRefused, CentralApi, Unreachable
from console.client.cache import LocalCache, ts
from console.client.connection import OFFLINE, ONLINE, Connection
from console.client.directory_cache import DirectoryCache
from console.client.feed import ChangeBatch, ChangeFeed
from console.client.outbox import Outbox
from console.client.replay import Replayer
from console.client.writes.reports import pending_reports
from console.clock import Clock
from console.malloc import give_back_freed

log = logging.getLogger(__name__)

DEFAULT_WINDOW_DAYS = 30
# At most this many of a service's earliest free slots are kept: the national dataset has about
# a million free slots in 60 days; an outage needs the earliest ones, not a mirror of them all.
DEFAULT_WINDOW_SLOTS = 2000
DEFAULT_WINDOW_REFRESH = 3600.0  # seconds: the window rolls forward and catches new slots
SLOT_PAGE = 500  # the service's largest page
# Slots per request of the window refresh, each page written in its own cache transaction
# (the event loop runs in between) and then let go.
WINDOW_CHUNK = 500
WINDOW_CONCURRENCY = 4  # services whose window is fetched at once
DIRECTORY_PAGE = 1000  # directory rows per request when the desk copies the whole directory
HISTORY_DAYS = 30  # bookings and calls of this desk older than this leave the cache
RESYNC_CONCURRENCY = 4  # callers whose bookings a resync fetches at once


def is_resync(error: ApiRefused) -> bool:
    """The service's answer to a feed cursor older than what it keeps: reload from scratch."""
    return error.status == 410 and error.error == "resync"


class SyncLoop:
    """Rounds of sync (see the module docstring)."""

    def __init__(
        self,
        api: CentralApi,
        cache: LocalCache,
        outbox: Outbox,
        directory: DirectoryCache,
        connection: Connection,
        feed: ChangeFeed,
        replayer: Replayer,
        *,
        window_days: int = DEFAULT_WINDOW_DAYS,
        window_slots: int = DEFAULT_WINDOW_SLOTS,
        window_refresh: float = DEFAULT_WINDOW_REFRESH,
        clock: Clock | None = None,
    ) -> None:
        self.api = api
        self.cache = cache
        self.outbox = outbox
        self.directory = directory
        self.connection = connection
        self.feed = feed
        self.replayer = replayer
        self.window_days = window_days
        self.window_slots = window_slots
        self.window_refresh = window_refresh
        self.clock = clock or Clock()
        self._window_at: float | None = None  # the clock's ticks at the last window fetch
        self.resyncs = 0  # how often the feed sent this desk back to reload from scratch
        self.refreshes = 0  # slot-window refreshes done
        self._lock = asyncio.Lock()
        # Seconds a long poll of the feed waits between rounds online (None: pause instead).
        self.long_poll: float | None = None

    def refresh_soon(self) -> None:
        """Refresh the reference data, the directory and the slot window in the next round."""
        self._window_at = None

    def _refresh_due(self) -> bool:
        """Every ``window_refresh`` seconds of the desk's clock's ticks."""
        return self._window_at is None or self.clock.ticks() - self._window_at > self.window_refresh

    async def run(
        self, interval: float = 2.0, after_first_round: Callable[[], object] | None = None
    ) -> None:
        """Sync every ``interval`` seconds online, with back-off offline, until cancelled.
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
            if not await self._long_poll():
                await self.connection.pause(interval)

    async def _long_poll(self) -> bool:
        """Online with ``long_poll`` set: wait until the feed has a change after the cursor
        (or the wait ends, or :meth:`Connection.wake`). False when it did not wait (then the
        caller pauses as usual): no long poll set, offline, or the service refused it."""
        wait, since = self.long_poll, self.cache.last_seq
        if not wait or since is None or self.connection.state != ONLINE:
            return False
        started = time.monotonic()
        poll = asyncio.ensure_future(self.api.changes(since, 1, wait=wait))
        woken = asyncio.ensure_future(self.connection.woken())
        try:
            await asyncio.wait({poll, woken}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (poll, woken):
                task.cancel()
            await asyncio.gather(poll, woken, return_exceptions=True)
        if poll.cancelled():
            return True  # woken: the next round now
        error = poll.exception()
        if isinstance(error, Unreachable):
            self.connection.went_offline(error)
            return True
        if error is not None:  # refused (an older service, a 410 the round handles): pause
            log.warning("long poll of the change feed failed: %s", error)
            return False
        # An answer long before the wait was up with nothing in it (a service that does not
        # wait): pause as usual rather than ask again at once.
        return bool(poll.result().changes) or time.monotonic() - started >= wait / 2

    async def sync_once(self) -> bool:
        """One round: probe if offline; replay the outbox; refresh reference data and the slot
        window when due; apply the change feed. True if the desk ends it online and caught up."""
        async with self._lock:
            if self.connection.state == OFFLINE and not await self.connection.probe(self.api):
                return False
            try:
                if self.outbox.size():
                    report = await self.replayer.replay()
                    if report.unreachable:
                        return False
                if self._refresh_due():
                    await self._refresh_reference()
                    await self._refresh_directory()
                    await self._refresh_window()
                try:
                    await self.feed.poll()
                except ApiRefused as exc:
                    if not is_resync(exc):
                        raise
                    await self.resync(exc.message)
            except Unreachable as exc:
                self.connection.went_offline(exc)
                return False
            except ApiRefused as exc:  # e.g. the token was revoked: say so, try again later
                self.connection.failed(exc.message)
                return False
            self.cache.last_sync_at = self.clock.utcnow()
            self.connection.last_error = None
            self.connection.set(ONLINE)
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

    async def _refresh_directory(self) -> None:
        """Copy the whole active directory and its filter lists to this desk (with the
        reference data), so the health line can still find a doctor while offline: a page at
        a time, each written as it arrives; doctors no longer listed then leave. A service
        without a directory is no reason to fail the sync."""
        try:
            areas = await self.api.directory_areas()
            listed: set[int] = set()
            offset = 0
            while True:
                page = await self.api.directory(limit=DIRECTORY_PAGE, offset=offset)
                self.directory.put_entries(page.entries)
                listed.update(entry.provider_id for entry in page.entries)
                offset += len(page.entries)
                if not page.more or not page.entries:
                    break
                await asyncio.sleep(0)
        except ApiRefused as exc:
            log.warning("directory not copied: %s", exc.message)
            return
        self.directory.put_areas(areas)
        self.directory.keep_only(listed)
        for report in pending_reports(self.outbox):  # still to send: keep showing them
            self.directory.add_report(report)

    async def _refresh_window(self, *, from_scratch: bool = False) -> None:
        """Fetch the earliest free slots of every service for the window (at most
        ``window_slots`` a service, a few services at a time), writing each page as it
        arrives. The feed cursor is taken first, so nothing that happens meanwhile is missed.
        ``from_scratch``: also forget every cached slot outside the window just fetched."""
        if self.cache.last_seq is None:
            self.cache.last_seq = await self.feed.head()
        start = self.clock.utcnow()
        end = start + timedelta(days=self.window_days)
        gate = asyncio.Semaphore(WINDOW_CONCURRENCY)
        services = [service.id for service in self.cache.services()]

        async def one(service_id: int) -> int:
            async with gate:
                return await self._refresh_service_window(service_id, start, end)

        counts = await asyncio.gather(*(one(service_id) for service_id in services))
        with self.cache.transaction():
            if from_scratch:
                marks = ",".join("?" * len(services))
                self.cache.db.execute(
                    f"DELETE FROM slots WHERE starts_at >= ? OR service_id NOT IN ({marks})",
                    (ts(end), *services),
                )
            self.cache.drop_past_slots(start)
            self.cache.drop_history(older_than=start - timedelta(days=HISTORY_DAYS))
        self._window_at = self.clock.ticks()
        self.refreshes += 1
        give_back_freed()  # the window replaced: its old pages, freed, back to the system
        log.info("slot window: %d slots", sum(counts))

    async def _refresh_service_window(self, service_id: int, start: datetime, end: datetime) -> int:
        """Replace one service's window in the cache, a page at a time, earliest first; how
        many slots it holds now.

        Each page replaces the cached slots of its own time range, ``[low, high)``, in one
        short transaction, so a window of thousands of slots never holds up the event loop
        the console's UI runs on, and a reader in between sees each range either as it was or
        as fetched, never half of it. A page's last moment may have more slots than the page
        holds: the slots at it wait for the next page, which starts at that moment."""
        low = "0"  # before any time the cache stores (its times are ISO text)
        since = start
        kept = 0
        while True:
            wanted = min(WINDOW_CHUNK, SLOT_PAGE, self.window_slots - kept)
            page = (await self.api.slots(service_id, start=since, end=end, limit=wanted)).slots
            last = len(page) < wanted or kept + len(page) >= self.window_slots
            ready = page
            if not last:
                boundary = page[-1].starts_at
                ready = [slot for slot in page if slot.starts_at < boundary]
                if not ready:  # a whole page at one moment: a time cursor gets no further
                    ready, last = page, True
            high = ts(end) if last else ts(boundary)
            with self.cache.transaction():
                self.cache.db.execute(
                    "DELETE FROM slots WHERE service_id = ? AND starts_at >= ? AND starts_at < ?",
                    (service_id, low, high),
                )
                self.cache.put_slots(ready)
            kept += len(ready)
            if last:
                return kept
            low, since = high, boundary
            del page, ready
            await asyncio.sleep(0)

    # -- 410 resync: the feed no longer holds this desk's place ---------------------------

    async def resync(self, reason: str = "") -> None:
        """Reload the cache from scratch: the reference data, the directory, the slot window,
        the callers this desk keeps (their records are read afresh when next opened, their
        bookings now) and the list of open reports. The outbox is not touched: its writes are
        still this desk's to send. The new cursor is the feed's head, taken before the
        reload, so a change made meanwhile is applied (again) after it."""
        log.warning("the change feed no longer holds this desk's place (%s): resync", reason)
        head = await self.feed.head()
        await self._refresh_reference()
        await self._refresh_directory()
        await self._refresh_window(from_scratch=True)
        await self._reload_callers()
        with self.cache.transaction():
            self.cache.last_seq = head
        self.resyncs += 1
        log.info("resync done: following the change feed from #%d", head)
        self.feed.publish(ChangeBatch([], fell_behind=True, resynced=True))

    async def _reload_callers(self) -> None:
        """The callers this desk keeps: their records may have changed unseen (read afresh,
        audited, when an agent next opens one); their upcoming bookings are fetched now. The
        list of open reports too."""
        now = ts(self.clock.utcnow())
        ids = self.cache.mark_all_callers_stale()
        gate = asyncio.Semaphore(RESYNC_CONCURRENCY)

        async def bookings(caller_id: int) -> None:
            async with gate:
                found = await self.api.bookings(caller_id)
            with self.cache.transaction():
                self.cache.db.execute(
                    "DELETE FROM bookings WHERE caller_id = ? AND provisional = 0 "
                    "AND starts_at >= ?",
                    (caller_id, now),
                )
                for booking in found:
                    self.cache.put_booking(booking)

        await asyncio.gather(*(bookings(caller_id) for caller_id in ids))
        try:
            self.directory.put_reports("open", await self.api.reports("open"))
        except ApiRefused as exc:  # a service without the directory
            log.warning("reports not reloaded: %s", exc.message)
