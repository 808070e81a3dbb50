"""Long polls of the change feed: ``GET /v1/changes?since=N&wait=S`` answers as soon as a change
after N exists, or after S seconds with none.

Waiting requests do not each ask the database. One watcher per process and event loop reads
where the feed ends (``SELECT max(seq)``, a plain read of the primary key: no feed lock) every
``POLL_SECONDS`` while anyone waits, and wakes every waiter whose cursor it passed. A change
committed by another process (another uvicorn worker) is seen within one poll, so a ringing
desk's card pops well within a second without a second server or a message bus. When nobody
waits, the watcher stops.

The end it reads is only a hint: a waiter woken by it reads the feed the usual way
(``changes.since``), which answers only settled rows; a row committed after ``since`` is always
at or below the end read later, so a woken reader always finds it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from sqlalchemy import func, select
from starlette.concurrency import run_in_threadpool

from console.server.db import Database
from console.server.schema import changes

POLL_SECONDS = 0.1
MAX_WAIT_SECONDS = 25.0
DISCONNECT_CHECK_SECONDS = 1.0  # a long poll checks this often whether its client went away


def feed_end(database: Database) -> int:
    with database.read() as connection:
        return int(
            connection.execute(select(func.coalesce(func.max(changes.c.seq), 0))).scalar() or 0
        )


class FeedWatcher:
    """Wakes long polls when the feed's end passes their cursor (see the module docstring)."""

    def __init__(self, read_end: Callable[[], int], poll_seconds: float = POLL_SECONDS) -> None:
        self._read_end = read_end
        self._poll = poll_seconds
        self._end = -1
        self._waiters = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._moved: asyncio.Event | None = None

    async def wait_past(self, since: int, timeout: float) -> int | None:
        """Wait until the feed ends after ``since``: the end seen, or None after ``timeout``
        seconds."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # a new event loop (tests start several): start afresh
            self._loop, self._task, self._moved, self._end = loop, None, asyncio.Event(), -1
        deadline = loop.time() + timeout
        self._waiters += 1
        try:
            if self._task is None or self._task.done():
                self._task = loop.create_task(self._watch())
            while self._end <= since:
                remaining = deadline - loop.time()
                if remaining <= 0:
                    return None
                moved = self._moved
                assert moved is not None
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(moved.wait(), remaining)
            return self._end
        finally:
            self._waiters -= 1

    async def _watch(self) -> None:
        while self._waiters > 0:
            try:
                end = await run_in_threadpool(self._read_end)
            except Exception:  # the database is away for a moment: try again next poll
                end = -1
            if end > self._end:
                self._end = end
                moved, self._moved = self._moved, asyncio.Event()
                if moved is not None:
                    moved.set()
            await asyncio.sleep(self._poll)
