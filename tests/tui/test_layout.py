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

from console.screens.base import SPARE_KEYS
from console.screens.slots import SlotsScreen
from widgets.footer import KeysFooter, _keys
from widgets.textual_internals import FooterKey

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


# -- the footer -------------------------------------------------------------------------------

SCREEN_KEYS = {"lookup": (), "slots": ("f3",), "bookings": ("f4",), "directory": ("f7",)}


@pytest.mark.parametrize("language", ["sl", "en"])
@pytest.mark.parametrize("screen_name", list(SCREEN_KEYS))
async def test_the_footer_takes_two_rows_at_80_columns(
    make_app, ready, language: str, screen_name: str
) -> None:
    """At 80x24 the keys take at most two of the 24 rows. The screen's own keys, help, the
    caller, slots and wrap-up are always there; what does not fit is in F1 and ctrl+p."""
    app = make_app(language=language)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        found = await app.desk.search("kova jan")
        janez = next(c for c in found.callers if c.first_name == "Janez")
        await app.desk.open_caller(janez.id)
        await settle(pilot)
        for key in SCREEN_KEYS[screen_name]:
            await pilot.press(key)
            await settle(pilot)
        footer = app.screen.query_one(KeysFooter)
        assert footer.region.height <= 2
        keys = [key for key in footer.query(FooterKey) if key.display]
        placed = [key for key in keys if key.region]
        assert all(inside(key) and footer.region.contains_region(key.region) for key in placed)
        shown = {key.key for key in placed}
        assert {"f1", "f2", "f3", "f9"} <= shown | set(SCREEN_KEYS[screen_name])
        # Every key the footer means to show but the spare ones (the app's least needed).
        planned = {key.key for key in _keys(footer._plan()) if key.id not in SPARE_KEYS}
        assert planned - {"ctrl+p"} <= shown


# -- the caller lookup ------------------------------------------------------------------------


async def test_the_lookup_shows_several_callers_at_80x24(make_app, ready) -> None:  # type: ignore[no-untyped-def]
    """A name search lists up to 20 callers: at 80x24 the agent sees at least five of them at
    once, not two above an empty caller card."""
    app = make_app(language="sl")
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("f2")
        await pilot.press(*"novak")
        await settle(pilot)
        results = app.screen.query_one("#lookup-results")
        assert results.row_count >= 5  # the demo has many Novaks
        header = 1
        assert results.scrollable_content_region.height - header >= 5


@pytest.mark.parametrize("size", [(80, 24), (120, 36), (200, 50)])
async def test_a_date_field_shows_its_whole_date_while_typed_in(make_app, ready, size) -> None:  # type: ignore[no-untyped-def]
    """Focused, with the cursor after the last digit, "18. 12. 2026" reads whole: a field that
    scrolled its first digit away read "8. 12. 2026" — a wrong date to read to a caller."""
    app = make_app(language="sl")
    async with app.run_test(size=size) as pilot:
        screen = await open_slots(pilot, ready)
        for selector in ("#from", "#to"):
            field = screen.query_one(selector, Input)
            field.focus()
            field.value = "18. 12. 2026"
            field.cursor_position = len(field.value)
            await settle(pilot)
            assert field.scroll_offset.x == 0, (selector, size, field.scroll_offset)


@pytest.mark.parametrize("size", [(80, 24), (120, 36)])
async def test_region_names_are_whole_in_the_field_and_its_list(make_app, ready, size) -> None:  # type: ignore[no-untyped-def]
    """The longest region, chosen, reads whole on one row inside its field; in the open list
    no name is broken across rows."""
    app = make_app(language="sl")
    async with app.run_test(size=size) as pilot:
        screen = await open_slots(pilot, ready)
        region = screen.query_one("#region", Select)
        names = [str(label) for label, value in region._options if value != Select.NULL]
        longest = max(names, key=len)
        region.value = next(v for label, v in region._options if str(label) == longest)
        await settle(pilot)
        current = region.query_one("SelectCurrent")
        assert current.region.height == 3, current.region  # one row of text inside its border
        shown = " ".join(str(s.render()) for s in current.query(Static))
        assert longest in shown, shown
        region.focus()
        await pilot.press("enter")  # open the list
        await settle(pilot)
        overlay = region.query_one("SelectOverlay")
        assert overlay.display
        widest = max(len(name) for name in names)
        assert overlay.scrollable_content_region.width >= widest, overlay.region
