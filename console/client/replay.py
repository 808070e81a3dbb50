"""The replay: the outbox sent to the central service, each write once, in order.

Each outbox row's idempotency key is fixed when the row is appended, and a request that went
unanswered is kept with the row (frozen), so a replay cut short by a dead service and tried
again re-sends the same request under the same key. A write the desk sent online whose answer
was lost is queued with the request it sent (``Request.sent_online``): the replay sends that
first, byte for byte, and so gets the first answer (the booking made then, not a refusal).
Rows are sent by their :class:`~console.client.writes.base.Write`; up to ``concurrency`` at
once, each only after the earlier rows it depends on have finished
(:meth:`~console.client.writes.base.Write.replay_keys`).

Outcomes: done (``applied``: provisional ids become real); a booking whose slot was taken
meanwhile becomes a ``slot_taken`` sync issue with the nearest free slots; a write the service
refuses (4xx) is never retried silently: it becomes a ``refused`` issue, and writes that
depended on it ``blocked`` issues. An unreachable service, a 5xx, a revoked token stop the
round: the rows stay pending (a write the service keeps failing on with a 5xx becomes an issue
after a few rounds, so it cannot block the rest). Nothing is dropped.

A write queued longer ago than the service keeps idempotency keys (``GET /v1/retention``,
``idempotency_key_days``, less :data:`KEY_MARGIN` for the clocks' disagreement) is never sent:
its key may be gone, so a write that reached the service once would be applied twice. It
becomes a ``too_old`` issue for the agent to check and redo by hand.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from console.client.api import ApiRefused, CentralApi, Unreachable
from console.client.connection import ONLINE, SYNCING, Connection
from console.client.issues import Issues, nearest_free
from console.client.outbox import OutboxEntry
from console.client.provisional import Unresolved
from console.client.writes import Context, Moot, Request, Write, replay_keys, write_for
from console.clock import Clock
from console.domain.models import Slot

log = logging.getLogger(__name__)

# Queued writes in flight at once during a replay (independent ones only); the rows looked at
# ahead of the oldest unsent one to find them.
REPLAY_CONCURRENCY = 8
REPLAY_LOOKAHEAD = 256
MAX_SERVER_FAULTS = 5  # 5xx answers to one queued write before it becomes an issue
# The service keeps a write's idempotency key this long unless it says otherwise (the
# default of its [retention] idempotency_days), and the margin kept from it: the desk's
# clock and the service's may disagree, and a key is dated by the service's first attempt.
DEFAULT_KEY_DAYS = 30
KEY_MARGIN = timedelta(days=1)
KEY_DAYS_META = "idempotency_key_days"  # the service's figure, as last heard (cache meta)


@dataclass
class ReplayReport:
    sent: int = 0
    done: int = 0
    conflicts: int = 0
    failed: int = 0
    remaining: int = 0
    unreachable: bool = False
    seconds: float = 0.0


class _ServiceFault(Exception):
    """The service answered, but with a fault that is not this write's (5xx, 401, 429)."""

    def __init__(self, error: ApiRefused) -> None:
        super().__init__(error.message)
        self.error = error


class ReplayLock:
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


def is_service_fault(error: ApiRefused) -> bool:
    """An answer that says nothing about the write itself: the service failed (5xx), the
    desk's token was refused (401), or it was asked to slow down (408, 429)."""
    return error.status >= 500 or error.status in (401, 408, 429)


class Replayer:
    """Sends the outbox (see the module docstring)."""

    def __init__(
        self,
        api: CentralApi,
        ctx: Context,
        connection: Connection,
        issues: Issues,
        lock_path: Path,
        *,
        concurrency: int = REPLAY_CONCURRENCY,
        on_applied: Callable[[], None] | None = None,
        clock: Clock | None = None,
    ) -> None:
        if concurrency < 1:
            raise ValueError("replay_concurrency must be at least 1")
        self.api = api
        self.ctx = ctx
        self.outbox = ctx.outbox
        self.connection = connection
        self.issues = issues
        self.concurrency = concurrency
        self.on_applied = on_applied  # after each write done: e.g. the desk's call became real
        self.lock = ReplayLock(lock_path)
        self.clock = clock or Clock()
        self._round_issues: list[int] = []  # slot_taken issues of the replay in progress
        self._oldest: datetime | None = None  # writes queued before this are not sent
        self._key_days = DEFAULT_KEY_DAYS  # how long the service keeps a key, as last heard

    async def replay(self, progress: Callable[[int, int], None] | None = None) -> ReplayReport:
        """Send the outbox, each write once, in order for every entity it touches. Stops (rows
        stay pending) when the service becomes unreachable; ``progress(done, total)`` after
        each row.

        Up to ``concurrency`` writes are in flight at once: a row is sent only when no earlier
        unfinished row touches what it touches (the same caller, call, slot, booking, report
        or doctor), and barriers (cancellations, reschedules, caller edits, kinds not known
        here) wait for every earlier row and hold back every later one. So a caller created
        offline is confirmed before the call that names it starts, that call before its
        booking, the booking before the wrap-up that quotes it, and two writes to one entity
        keep their order; independent calls overlap on the wire."""
        report = ReplayReport()
        started = time.perf_counter()
        if not self.lock.acquire():
            report.remaining = self.outbox.size()
            self.connection.last_error = "Another process on this desk is replaying the outbox."
            return report
        total = self.outbox.size()
        self._round_issues = []
        self.connection.set(SYNCING)
        try:
            try:
                self._oldest = await self.oldest_replayable()
            except Unreachable as exc:
                report.unreachable = True
                self.connection.went_offline(exc)
                return report
            await self._round(report, total, progress)
            # Later writes of this round may have taken slots offered as the nearest: offer
            # what is free now.
            for issue_id in [] if report.unreachable else self._round_issues:
                found = self.issues.get(issue_id)
                if found is not None:
                    with contextlib.suppress(Unreachable, ApiRefused):
                        await self.issues.refresh_nearest(found)
        finally:
            self.lock.release()
            if self.connection.state == SYNCING:
                self.connection.set(ONLINE)
        report.remaining = self.outbox.size()
        report.seconds = time.perf_counter() - started
        return report

    async def oldest_replayable(self) -> datetime:
        """Writes queued before this moment are not sent: how long the service keeps
        idempotency keys (asked now, else as last heard, else its default), less the margin."""
        meta = self.ctx.cache
        try:
            policy = await self.api.retention()
        except ApiRefused as exc:  # a service that does not say (or a refused token)
            log.info("retention not known (%s): keys taken to last as last heard", exc.message)
            days = int(meta.get_meta(KEY_DAYS_META) or DEFAULT_KEY_DAYS)
        else:
            days = policy.idempotency_key_days
            meta.set_meta(KEY_DAYS_META, str(days))
        self._key_days = days
        return self.clock.utcnow() - timedelta(days=days) + KEY_MARGIN

    async def _round(
        self,
        report: ReplayReport,
        total: int,
        progress: Callable[[int, int], None] | None,
    ) -> None:
        """Send the pending rows (and rows queued meanwhile), at most ``concurrency`` at a
        time, each only after the earlier rows it depends on have finished."""
        waiting: list[tuple[OutboxEntry, frozenset | None]] = []  # in seq order, not sent
        running: dict[asyncio.Task, tuple[OutboxEntry, frozenset | None]] = {}
        last_loaded = 0
        settled = 0
        stop = False

        def load() -> None:
            nonlocal last_loaded
            for entry in self.outbox.pending_after(last_loaded):
                last_loaded = entry.seq
                waiting.append((entry, replay_keys(entry)))

        def startable() -> list[int]:
            """Positions in ``waiting`` that may be sent now, in order."""
            busy: set = set()
            for _entry, keys in running.values():
                if keys is None:
                    return []  # a barrier is in flight: nothing else goes
                busy |= keys
            chosen: list[int] = []
            room = self.concurrency - len(running)
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
                        task = asyncio.ensure_future(self._one(entry, report))
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

    async def _one(self, entry: OutboxEntry, report: ReplayReport) -> bool:
        """Send one row and record its outcome in ``report``; False: stop sending (the
        service is unreachable or at fault, or a bug): the row stays pending."""
        report.sent += 1
        try:
            outcome = await self.send(entry)
        except Unreachable as exc:
            self.outbox.record_attempt(entry.seq, exc.message)
            report.unreachable = True
            self.connection.went_offline(exc)
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
            self.connection.went_offline(Unreachable(fault.error.message))
            return False
        except Exception as exc:  # a bug must not lose the row or spin on it silently
            log.exception("replaying outbox row %s failed", entry.seq)
            message = f"{type(exc).__name__}: {exc}"
            self.outbox.record_attempt(entry.seq, message)
            if entry.attempts + 1 >= MAX_SERVER_FAULTS:
                self._refused(entry, ApiRefused(0, "internal", message))
                report.failed += 1
                return True
            self.connection.last_error = message
            return False
        setattr(report, outcome, getattr(report, outcome) + 1)
        self.connection.notify()
        return True

    async def send(self, entry: OutboxEntry) -> str:
        """Send one row; returns the ReplayReport field to count it under."""
        write = write_for(entry)
        ctx = self.ctx
        if self._oldest is not None and entry.created_at < self._oldest:
            self._too_old(write)
            return "failed"
        try:
            if entry.request is None:
                settled = await write.settle(self.api, ctx)
                if settled is not None:
                    self._applied(write, settled.answer, settled.notes)
                    return "done"
            request = Request.from_json(entry.request) if entry.request else write.request(ctx)
            try:
                answer = await self._send(entry, request)
            except ApiRefused as exc:
                if not request.sent_online or is_service_fault(exc):
                    raise
                # The request sent online (its answer lost) is refused: it was never done, so
                # nothing is stored under its key. What the row itself asks goes instead, under
                # the same key (e.g. the slot, where the hold sent online has expired since).
                own = write.request(ctx)
                if own.same_as(request):
                    raise
                answer = await self._send(entry, own)
        except Unresolved as missing:
            self._blocked(write, missing)
            return "failed"
        except Moot as moot:
            self._moot(entry, moot)
            return "done"
        except ApiRefused as exc:
            if is_service_fault(exc):
                raise _ServiceFault(exc) from None
            settled = await write.settle(self.api, ctx, exc)
            if settled is not None:
                self._applied(write, settled.answer, settled.notes)
                return "done"
            if exc.error in write.conflicts:
                await self._slot_taken(write, exc)
                return "conflicts"
            self._refused(entry, exc)
            return "failed"
        self._applied(write, answer)
        return "done"

    async def _send(self, entry: OutboxEntry, request: Request) -> Any:
        """Send ``request`` for ``entry`` under its key; one left without an answer (or
        failed by the service) is frozen with the row first."""
        try:
            return await request.send(self.api, entry.idempotency_key)
        except (Unreachable, ApiRefused) as exc:
            if isinstance(exc, Unreachable) or is_service_fault(exc):
                self._freeze(entry, request)  # the retry sends exactly this, same key
            raise

    def _freeze(self, entry: OutboxEntry, request: Request) -> None:
        """Keep the request a row sent without an answer: every retry sends exactly it. (Had
        the desk died before this, the retry builds the same request again: rows go in order,
        so the ids it refers to were settled before it was first sent.)"""
        frozen = request.to_json()
        if entry.request != frozen:
            self.outbox.set_request(entry.seq, frozen)

    def _applied(self, write: Write, answer: Any, notes: dict | None = None) -> None:
        """The service did it: record the answer, make provisional ids real, refresh the
        cache; all in one local transaction."""
        assert write.entry is not None
        with self.ctx.cache.transaction():
            result = write.applied(self.ctx, answer)
            self.outbox.mark_done(write.entry.seq, {**result, **(notes or {})})
        if self.on_applied is not None:
            self.on_applied()

    async def _slot_taken(self, write: Write, error: ApiRefused) -> None:
        assert write.entry is not None
        nearest: list[Slot] = []
        if write.wanted is not None:
            with contextlib.suppress(Unreachable, ApiRefused):
                nearest = await nearest_free(self.api, write.wanted)
        with self.ctx.cache.transaction():
            issue = write.conflict(self.ctx, error.message, nearest)
            issue.error = error.error
            self._round_issues.append(self.issues.add(issue))
            self.outbox.mark_conflict(write.entry.seq, f"{error.error}: {error.message}")

    def _refused(self, entry: OutboxEntry, error: ApiRefused) -> None:
        write = write_for(entry)
        issue = write.issue(self.ctx, "refused", error.message)
        issue.error = error.error
        with self.ctx.cache.transaction():
            write.dropped(self.ctx)
            self.issues.add(issue)
            self.outbox.mark_failed(entry.seq, f"{error.status} {error.error}: {error.message}")

    def _too_old(self, write: Write) -> None:
        """Queued longer ago than the service keeps its key: not sent (it could be applied
        twice); an issue for the agent instead."""
        assert write.entry is not None
        days = (self.clock.utcnow() - write.entry.created_at).days
        message = (
            f"Not sent: queued {days} days ago, longer than the central service keeps a "
            f"write's key ({self._key_days} days). Sending it now could apply it twice: check "
            "whether it was done, and redo it if not."
        )
        issue = write.issue(self.ctx, "too_old", message)
        with self.ctx.cache.transaction():
            write.dropped(self.ctx)
            self.issues.add(issue)
            self.outbox.mark_failed(write.entry.seq, message)

    def _blocked(self, write: Write, missing: Unresolved) -> None:
        assert write.entry is not None
        creator = self.ctx.creator_of(missing.kind, missing.local)
        because = f" (write #{creator.seq}, {creator.kind})" if creator else ""
        message = (
            f"Not sent: it needs {missing.kind} {missing.local}, "
            f"which the central service did not accept{because}."
        )
        issue = write.issue(self.ctx, "blocked", message)
        issue.error = "blocked"
        with self.ctx.cache.transaction():
            write.dropped(self.ctx)
            self.issues.add(issue)
            self.outbox.mark_failed(write.entry.seq, message)

    def _moot(self, entry: OutboxEntry, moot: Moot) -> None:
        with self.ctx.cache.transaction():
            self.outbox.mark_done(entry.seq, {"skipped": str(moot)})
            if moot.settles is not None:
                self.issues.settle_for(moot.settles, "cancelled by the agent")
