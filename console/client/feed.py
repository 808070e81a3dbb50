"""Following the central service's change feed (``GET /v1/changes?since=N``).

:class:`ChangeFollower` remembers the last sequence number it has seen and returns only what
happened after it. A new follower starts from the current end of the feed (what happened
before it was created is already in whatever the screen fetched), so the first :meth:`poll`
only finds that end and returns nothing.

No Textual here: screens call :meth:`ChangeFollower.poll` from their workers.
"""

from __future__ import annotations

from typing import Protocol

from console.domain.models import Change, ChangePage

PAGE_SIZE = 500
MAX_PAGES = 20  # one poll reads at most 10,000 changes; a screen that fell further behind reloads


class ChangeSource(Protocol):
    async def changes(self, since: int, limit: int = ...) -> ChangePage: ...

    async def latest_change(self) -> int: ...


async def feed_end(api: ChangeSource) -> int:
    """The sequence number of the newest change (0 for an empty feed)."""
    return await api.latest_change()


class ChangeFollower:
    """Reads the change feed forward from ``since`` (``None``: from the current end)."""

    def __init__(
        self, api: ChangeSource, since: int | None = None, *, page_size: int = PAGE_SIZE
    ) -> None:
        self.api = api
        self.since = since
        self.page_size = page_size
        self.fell_behind = False  # the last poll stopped at MAX_PAGES: reload rather than patch

    @property
    def started(self) -> bool:
        return self.since is not None

    async def start(self) -> int:
        """Find the current end of the feed, if not known yet; return the position."""
        if self.since is None:
            self.since = await feed_end(self.api)
        return self.since

    async def poll(self) -> list[Change]:
        """The changes since the last poll, oldest first (none on the very first poll)."""
        if self.since is None:
            await self.start()
            return []
        found: list[Change] = []
        self.fell_behind = False
        for _ in range(MAX_PAGES):
            page = await self.api.changes(self.since, limit=self.page_size)
            found.extend(page.changes)
            self.since = max(self.since, page.last_seq)
            if len(page.changes) < self.page_size:
                return found
        self.fell_behind = True
        return found
