"""Answers the desk's local cache gave instead of the central service: they say so
(``from_cache=True``), and the screen tells the agent."""

from __future__ import annotations

from console.domain.models import CallerSearch, DirectoryPage, SlotPage


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
