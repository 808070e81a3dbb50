"""A fix for a memory leak in the pinned Textual (8.2.8), applied once when the console starts.

``textual._styles_cache.StylesCache.get_inner_outer`` is an *instance* method under
``functools.lru_cache(1024)``: every call's key holds the ``StylesCache`` it was called on, so
the cache keeps the ``StylesCache`` of up to 1,024 widgets alive after the widgets are gone,
each with every line it rendered (``Strip`` objects, each with its own small caches). A console
creates widgets all day (the hold and booked dialogs of every call, notifications, the footer's
keys of every screen shown), so its memory grew by tens of megabytes over the first calls of a
shift and stayed there, and every refresh of the slot window then grew on top of it (measured in
``python -m benchmarks --only shift``; Textual issue 6665).

The fix keeps the cache, keyed on the two colours alone (the method never reads ``self``), so a
widget's ``StylesCache`` goes with the widget. ``tests/unit/test_textual_fixes.py`` fails the
day Textual changes the method, so the fix can go when Textual's own does.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from textual.color import Color

from widgets.textual_internals import StylesCache

# The method as the pinned Textual defines it: the lru_cache wrapper, and the plain function.
LEAKY = StylesCache.__dict__["get_inner_outer"]
_compute = LEAKY.__wrapped__


@lru_cache(1024)
def _inner_outer(base_background: Color, background: Color) -> Any:
    return _compute(None, base_background, background)


def _get_inner_outer(_self: StylesCache, base_background: Color, background: Color) -> Any:
    """Inner and outer background styles, cached by the colours only."""
    return _inner_outer(base_background, background)


def apply() -> None:
    """Replace the leaking method (once; what it already holds is let go)."""
    if StylesCache.__dict__["get_inner_outer"] is LEAKY:
        LEAKY.cache_clear()
        StylesCache.get_inner_outer = _get_inner_outer  # type: ignore[method-assign, assignment]
