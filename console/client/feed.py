"""The desk's one reader of the central change feed (``GET /v1/changes?since=N``).

:class:`ChangeFeed` applies every change to the local cache (the slot window, this desk's
bookings, the directory's reports, stale callers), advancing the cursor in the same
transaction, so a restart resumes where it left off; then it publishes what it read to its
subscribers — plain callables given a :class:`ChangeBatch` (the console turns them into
Textual messages for the screens that follow the feed). The sync loop polls it every few
seconds; nothing else reads the feed.

No Textual here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from console.client.api import ApiRefused, CentralApi
from console.client.cache import LocalCache, utcnow
from console.client.directory_cache import DirectoryCache
from console.domain.models import Booking, Change, Slot, SlotStatus

log = logging.getLogger(__name__)

FEED_PAGE = 1000
# One poll delivers at most this many changes to subscribers; a subscriber that gets a batch
# that fell behind reloads what it shows rather than patch it.
MAX_DELIVERED = 10_000


@dataclass(frozen=True)
class ChangeBatch:
    """What one poll of the feed read, oldest first; ``fell_behind``: more than
    :data:`MAX_DELIVERED` changes, only the first of them here (or none, after a resync).
    ``resynced``: the feed no longer held the desk's place, and its cache was reloaded from
    scratch (``console.client.sync``): whatever a subscriber shows, it loads again."""

    changes: list[Change] = field(default_factory=list)
    fell_behind: bool = False
    resynced: bool = False


Subscriber = Callable[[ChangeBatch], None]


class ChangeFeed:
    """Polls the change feed, applies it to the cache and publishes it (see the module
    docstring)."""

    def __init__(
        self,
        api: CentralApi,
        cache: LocalCache,
        directory: DirectoryCache,
        *,
        window_days: int,
        page_size: int = FEED_PAGE,
    ) -> None:
        self.api = api
        self.cache = cache
        self.directory = directory
        self.window_days = window_days
        self.page_size = page_size
        self._subscribers: list[Subscriber] = []

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Call ``subscriber`` with every batch of changes read from now on; returns the
        function that ends the subscription."""
        self._subscribers.append(subscriber)

        def unsubscribe() -> None:
            with contextlib.suppress(ValueError):
                self._subscribers.remove(subscriber)

        return unsubscribe

    def publish(self, batch: ChangeBatch) -> None:
        for subscriber in list(self._subscribers):
            try:
                subscriber(batch)
            except Exception:  # one subscriber's failure must not stop the feed or the others
                log.exception("a change-feed subscriber failed")

    async def head(self) -> int:
        """The newest sequence number of the feed."""
        return await self.api.latest_change()

    async def poll(self) -> None:
        """Apply the feed since the cursor, a page at a time; the cursor advances with what
        it applied, in the same transaction. Then publish what was read (if anything)."""
        read: list[Change] = []
        fell_behind = False
        while True:
            since = self.cache.last_seq or 0
            page = await self.api.changes(since, self.page_size)
            if not page.changes:
                break
            await self._apply(page.changes, page.last_seq)
            if self._subscribers and not fell_behind:
                read.extend(page.changes)
                if len(read) > MAX_DELIVERED:
                    del read[MAX_DELIVERED:]
                    fell_behind = True
            if len(page.changes) < self.page_size:
                break
        if read or fell_behind:
            self.publish(ChangeBatch(read, fell_behind))

    async def _apply(self, changes: list[Change], last_seq: int) -> None:
        fetch_slots: set[int] = set()
        fetch_bookings: set[str] = set()
        for change in changes:
            if change.entity == "slot":
                known = self.cache.slot(change.entity_id) is not None
                if change.op in ("freed", "released") and not known:
                    fetch_slots.add(change.entity_id)
            elif change.entity == "booking":
                caller_id = change.data.get("caller_id")
                reference = change.data.get("reference", "")
                cached = self.cache.booking(reference) if reference else None
                fresh = (
                    cached is not None
                    and cached.status.value == change.data.get("status")
                    # a provisional reference kept after the fact (see keep_provisional)
                    and change.data.get("provisional_reference")
                    in (None, cached.provisional_reference)
                )
                if caller_id is not None and self.cache.has_caller(caller_id) and not fresh:
                    fetch_bookings.add(reference)
        fetched_slots = await self._fetch_slots(fetch_slots)
        fetched_bookings = await self._fetch_bookings(fetch_bookings)
        window_end = utcnow() + timedelta(days=self.window_days)
        with self.cache.transaction():
            for change in changes:
                self._apply_change(change)
            self.cache.put_slots([s for s in fetched_slots if s.starts_at < window_end])
            for booking in fetched_bookings:
                self.cache.put_booking(booking)
            self.cache.last_seq = last_seq

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
                    return Slot.model_validate(await self.api.send("GET", f"/v1/slots/{slot_id}"))
                except ApiRefused:
                    return None

        found = await asyncio.gather(*(one(i) for i in sorted(slot_ids)))
        return [s for s in found if s is not None]

    def _apply_change(self, change: Change) -> None:
        entity, entity_id, op, data = change.entity, change.entity_id, change.op, change.data
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
            report = self.directory.report_from_change(entity_id, data, change.agent_id)
            if report is not None:
                self.directory.add_report(report)
        elif entity == "provider" and op == "report_closed" and "report_id" in data:
            self.directory.close_report(entity_id, int(data["report_id"]))
        elif entity == "caller" and op == "updated":
            # Re-reading the record would write an audit entry no agent caused: mark it stale;
            # the next open (online) reads it afresh.
            self.cache.mark_caller_stale(entity_id)
