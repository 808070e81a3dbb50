"""The screens (Textual modes) other than the lookup, imported when first shown.

The console starts on the lookup, and importing every screen (and its widgets) would hold up
every start.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from typing import Protocol

from textual.screen import Screen

SCREENS = {
    "slots": ("console.screens.slots", "SlotsScreen"),
    "bookings": ("console.screens.bookings", "BookingsScreen"),
    "callbacks": ("console.screens.callbacks", "CallbacksScreen"),
    "wrapup": ("console.screens.wrapup", "WrapUpScreen"),
    "sync": ("console.screens.sync_issues", "SyncIssuesScreen"),
    "directory": ("console.screens.directory", "DirectoryScreen"),
    "reports": ("console.screens.reports", "ReportsScreen"),
    "floor": ("console.screens.floor", "FloorScreen"),
}


class Loads(Protocol):
    """A screen that loads its data afresh (the bookings and the sync issues)."""

    def load(self) -> object: ...


def screen_class(mode: str) -> type[Screen]:
    """The screen class of a mode, imported now if it was not yet."""
    module, name = SCREENS[mode]
    return getattr(importlib.import_module(module), name)


def new_screen(mode: str) -> Callable[[], Screen]:
    """A new screen of ``mode`` each time it is called (the app's ``MODES``)."""
    return lambda: screen_class(mode)()


def showing(screen: Screen, mode: str) -> bool:
    """Whether ``screen`` is the screen of ``mode`` (never, while its module is not loaded)."""
    module, name = SCREENS[mode]
    loaded = sys.modules.get(module)
    return loaded is not None and isinstance(screen, getattr(loaded, name))
