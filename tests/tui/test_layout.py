"""Every screen usable at 80x24, the classic terminal, and using the room at 200x50 (issue 12,
item 20): what a screen shows must lie inside the screen, whole, not cut at its right edge, and a
wide terminal must widen what holds the data. Checked on the widgets' regions, in both languages.
"""

from __future__ import annotations

import functools

import pytest
from harness import settle
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Input, Select, Static

from console.screens.slots import SlotsScreen

SLOT_FIELDS = ("#service", "#region", "#location", "#from", "#to")


@pytest.fixture
def make_app(make_app):  # type: ignore[no-untyped-def]
    return functools.partial(make_app, sync_seconds=300)


def inside(widget: Widget) -> bool:
    """The widget is shown, whole, on its screen."""
    region = widget.region
    return bool(region) and widget.screen.region.contains_region(region)


async def open_slots(pilot: Pilot, ready) -> SlotsScreen:  # type: ignore[no-untyped-def]
    await ready(pilot)
    await pilot.press("f3")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, SlotsScreen)
    return screen


# -- the slot search's form -------------------------------------------------------------------


@pytest.mark.parametrize("language", ["sl", "en"])
async def test_every_field_of_the_slot_search_is_on_screen_at_80x24(
    make_app, ready, language: str
) -> None:
    """Service, region, location, from and to: all on an 80-column screen (on two rows), and
    each reached with tab."""
    app = make_app(language=language)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_slots(pilot, ready)
        fields = [screen.query_one(selector) for selector in SLOT_FIELDS]
        assert all(inside(field) for field in fields), [
            (field.id, field.region) for field in fields
        ]
        assert len({field.region.y for field in fields}) == 2  # two rows
        assert screen.query_one("#slot-table").region.y > max(f.region.bottom for f in fields) - 1
        reached = []
        for _ in range(len(SLOT_FIELDS) - 1):
            await pilot.press("tab")
            await pilot.pause()
            reached.append(app.focused.id if app.focused else None)
        assert reached == ["region", "location", "from", "to"]


async def test_the_slot_search_is_one_row_where_there_is_room(make_app, ready) -> None:
    app = make_app(language="sl")
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_slots(pilot, ready)
        fields = [screen.query_one(selector) for selector in SLOT_FIELDS]
        assert all(inside(field) for field in fields)
        assert len({field.region.y for field in fields}) == 1
        assert isinstance(fields[0], Input) and isinstance(fields[1], Select)


def shown_text(widget: Widget) -> str:
    """What the screen shows where the widget is (its children too), its lines joined,
    spaces collapsed."""
    region = widget.region
    strips = widget.screen._compositor.render_strips()
    lines = [strips[y].crop(region.x, region.right).text for y in range(region.y, region.bottom)]
    return " ".join(" ".join(lines).split())


@pytest.mark.parametrize("language", ["sl", "en"])
async def test_the_slot_search_says_whole_what_it_found_at_80x24(
    make_app, ready, language: str
) -> None:
    """The line above the list (service, how many, from when) is not cut at the edge."""
    app = make_app(language=language)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_slots(pilot, ready)
        await pilot.press(*"health-den-y", "enter")
        await settle(pilot)
        summary = screen.query_one("#slot-summary", Static)
        said = " ".join(str(summary.render()).split())
        assert len(said) > 76  # longer than a line
        assert shown_text(summary) == said
