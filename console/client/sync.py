"""The desk's sync loop: keep the local cache fresh and the outbox empty, for as long as the
console runs.

One round (:meth:`SyncLoop.sync_once`): offline, probe the service; replay the outbox; refresh
the reference data, the directory copy and the slot window when due (every
``window_refresh`` seconds: the window rolls forward and catches new slots); then poll the
change feed (:class:`~console.client.feed.ChangeFeed`, the desk's one reader of it).
:meth:`SyncLoop.run` repeats it every ``interval`` seconds online, and after 1, 2, 4 …
seconds offline (:meth:`~console.client.connection.Connection.pause`).

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
from console.client.cache import LocalCache, ts, utcnow
from console.client.connection import OFFLINE, ONLINE, Connection
from console.client.directory_cache import DirectoryCache
from console.client.feed import ChangeFeed
from console.client.outbox import Outbox
from console.client.replay import Replayer
from console.client.writes.reports import pending_reports
from console.domain.models import Slot

log = logging.getLogger(__name__)

DEFAULT_WINDOW_DAYS = 30
# At most this many of a service's earliest free slots are kept: the national dataset has about
# a million free slots in 60 days; an outage needs the earliest ones, not a mirror of them all.
DEFAULT_WINDOW_SLOTS = 2000
DEFAULT_WINDOW_REFRESH = 3600.0  # seconds: the window rolls forward and catches new slots
SLOT_PAGE = 500  # the service's largest page
WINDOW_CHUNK = 500  # slots written per cache transaction; the event loop runs in between
DIRECTORY_PAGE = 1000  # directory rows per request when the desk copies the whole directory
HISTORY_DAYS = 30  # bookings and calls of this desk older than this leave the cache


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
        self._window_at: float | None = None  # time.monotonic() of the last window fetch
        self._lock = asyncio.Lock()
        # Seconds a long poll of the feed waits between rounds online (None: pause instead).
        self.long_poll: float | None = None

    def refresh_soon(self) -> None:
        """Refresh the reference data, the directory and the slot window in the next round."""
        self._window_at = None

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
                if (
                    self._window_at is None
                    or time.monotonic() - self._window_at > self.window_refresh
                ):
                    await self._refresh_reference()
                    await self._refresh_directory()
                    await self._refresh_window()
                await self.feed.poll()
            except Unreachable as exc:
                self.connection.went_offline(exc)
                return False
            except ApiRefused as exc:  # e.g. the token was revoked: say so, try again later
                self.connection.failed(exc.message)
                return False
            self.cache.last_sync_at = utcnow()
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
        self.directory.put_areas(areas)
        self.directory.put_entries(entries, replace=True)
        for report in pending_reports(self.outbox):  # still to send: keep showing them
            self.directory.add_report(report)

    async def _refresh_window(self) -> None:
        """Fetch the earliest free slots of every service for the window (paged, a few
        services at a time, at most ``window_slots`` a service). The feed cursor is taken first,
        so nothing that happens meanwhile is missed."""
        if self.cache.last_seq is None:
            self.cache.last_seq = await self.feed.head()
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
