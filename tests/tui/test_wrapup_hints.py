"""Issue 12, item 13: a wrap-up refused for a missing disposition names the field; the call-back
field's example is a future date (the next working day, by the desk's clock); F2 selects the
last query, so typing replaces it."""

from __future__ import annotations

from datetime import date, datetime

from harness import settle
from textual.widgets import Input, Static

from console.domain.calendar import TZ
from console.screens.lookup import LookupScreen
from console.screens.wrapup import WrapUpScreen
from widgets.follow_up_input import FollowUpInput, example, parse_follow_up

SIZE = (120, 36)


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 11, 0, tzinfo=TZ)


def test_the_example_is_the_next_working_day() -> None:
    assert example(at(date(2030, 3, 4))) == "5. 3. 2030 10:00"  # Monday: Tuesday
    assert example(at(date(2030, 3, 8))) == "11. 3. 2030 10:00"  # Friday: Monday
    assert example(at(date(2030, 12, 24))) == "27. 12. 2030 10:00"  # over the holidays
    now = at(date(2030, 3, 4))
    assert parse_follow_up(example(now), now) > now  # the example itself passes


async def test_a_missing_disposition_is_named_and_the_example_is_ahead(make_app, ready) -> None:  # type: ignore[no-untyped-def]
    app = make_app(language="en")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        found = await app.desk.search("0101990500003")
        await app.desk.open_caller(found.callers[0].id)
        await pilot.press("f9")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, WrapUpScreen)
        await pilot.press("ctrl+s")
        await settle(pilot)
        message = str(screen.query_one("#wrapup-message", Static).render())
        assert message == "Not saved: correct Disposition."
        field = screen.query_one(FollowUpInput)
        assert field.input.placeholder == "5. 3. 2030 10:00"  # the tests' day is 4. 3. 2030


async def test_f2_selects_the_last_query_so_typing_replaces_it(make_app, ready) -> None:  # type: ignore[no-untyped-def]
    app = make_app(language="en")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press(*"koskova")
        await settle(pilot)
        await pilot.press("f3")
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, LookupScreen)
        await pilot.press(*"novak")
        box = app.screen.query_one("#lookup-search", Input)
        assert box.value == "novak"
        await pilot.press("f2")  # F2 on the lookup itself selects it too
        await settle(pilot)
        await pilot.press(*"zupan")
        assert box.value == "zupan"
