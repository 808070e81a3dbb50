"""The fix for the pinned Textual's leak (``widgets/textual_fixes.py``): a widget's render cache
goes with the widget, the colours come out as before, and the day Textual changes the method
this fails, so the fix can be dropped."""

from __future__ import annotations

import gc
import inspect
import weakref

from textual.app import App, ComposeResult
from textual.color import Color
from textual.containers import Vertical
from textual.widgets import Label

import console.app  # noqa: F401  (the console applies the fix when it is imported)
from widgets import textual_fixes
from widgets.textual_internals import StylesCache


def test_the_pinned_textual_still_caches_the_method_on_its_instances() -> None:
    """What the fix is for: an lru_cache on an instance method (``self`` in every key). When
    this fails, Textual changed it: check whether the leak is gone and drop the fix."""
    leaky = textual_fixes.LEAKY
    assert hasattr(leaky, "cache_info") and hasattr(leaky, "__wrapped__")
    first = next(iter(inspect.signature(leaky.__wrapped__).parameters))
    assert first == "cls"  # named so, but a plain method: the instance is the first argument
    assert not isinstance(inspect.getattr_static(StylesCache, "get_inner_outer"), classmethod)


def test_the_console_uses_the_fixed_method_and_the_colours_are_the_same() -> None:
    assert inspect.getattr_static(StylesCache, "get_inner_outer") is textual_fixes._get_inner_outer
    base, background = Color(18, 18, 18), Color(30, 30, 30, 0.5)
    assert StylesCache().get_inner_outer(base, background) == textual_fixes.LEAKY.__wrapped__(
        None, base, background
    )


class Rebuilt(App[None]):
    """Widgets made and removed over and over, as dialogs and notifications are all day."""

    def compose(self) -> ComposeResult:
        yield Vertical(id="list")


async def test_a_removed_widgets_render_cache_is_freed() -> None:
    app = Rebuilt()
    gone: list[weakref.ref[StylesCache]] = []
    async with app.run_test(size=(40, 20)) as pilot:
        box = app.query_one("#list")
        for round_ in range(5):
            labels = [Label(f"card {round_}.{i}") for i in range(20)]
            await box.mount(*labels)
            await pilot.pause()  # drawn: each label's StylesCache has rendered lines
            gone.extend(weakref.ref(label._styles_cache) for label in labels)
            await box.remove_children()
            await pilot.pause()
        del labels
        await box.mount(Label("the next frame"))  # the last frame's map lets the last go
        await pilot.pause()
        gc.collect()
        alive = sum(ref() is not None for ref in gone)
    assert alive == 0, f"{alive} of {len(gone)} removed widgets' render caches are still alive"
