"""The doctor directory (F7) at 80x24, 120x36 and 200x50, on the real lists (issue 12, item 20):
every field of its form on the screen and its text whole ("Any municipalit", "Samo
sprejemajo" were cut), the type whole on one line, the row's source, date and age whole
("ZZZS 22. 8. 20", "pred 102" without "dnevi" were cut), and the room of a wide terminal
given to the table. In Slovenian and English.
"""

from __future__ import annotations

import re
from pathlib import Path

import directory_world
import pytest
from directory_world import LIST_TODAY
from harness import settle
from test_layout import inside, shown_text
from textual.pilot import Pilot
from textual.widgets import Checkbox, Input, Select, Static
from textual.widgets._select import SelectCurrent

from console.domain.models import DoctorType
from console.screens.directory import DirectoryScreen
from widgets.directory_table import DirectoryTable

directory_seeded = directory_world.directory_seeded
data_dir = directory_world.data_dir

FIELDS = (
    "#directory-q",
    "#directory-type",
    "#directory-municipality",
    "#directory-region",
    "#directory-accepting",
)
FRESHNESS = {
    "sl": re.compile(r"ZZZS \d+\. \d+\. \d{4} · pred \d+ dnevi"),
    "en": re.compile(r"ZZZS \d+\. \d+\. \d{4} · \d+ days ago"),
}
WORDS = {
    "sl": ("Vse občine", "Vse regije", "Samo sprejemajo", "zobozdravnik za mladino"),
    "en": ("Any municipality", "All regions", "Accepting only", "dentist for youth"),
}


async def directory(pilot: Pilot, ready) -> DirectoryScreen:  # type: ignore[no-untyped-def]
    await ready(pilot)
    await pilot.press("f7")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, DirectoryScreen)
    return screen


@pytest.mark.parametrize("size", [(80, 24), (120, 36)], ids=["80x24", "120x36"])
@pytest.mark.parametrize("language", ["sl", "en"])
async def test_the_directory_form_is_whole_on_screen(
    make_app, ready, data_dir: Path, language: str, size: tuple[int, int]
) -> None:
    app = make_app(language=language, today=LIST_TODAY)
    async with app.run_test(size=size) as pilot:
        screen = await directory(pilot, ready)
        fields = [screen.query_one(selector) for selector in FIELDS]
        assert all(inside(field) for field in fields), [(f.id, f.region) for f in fields]
        municipality, region, accepting, youth = WORDS[language]
        assert municipality in shown_text(screen.query_one("#directory-municipality", Input))
        assert region in shown_text(screen.query_one("#directory-region", Input))
        assert accepting in shown_text(screen.query_one("#directory-accepting", Checkbox))
        kind = screen.query_one("#directory-type", Select)
        kind.value = DoctorType.DEN_Y.value
        await settle(pilot)
        current = kind.query_one(SelectCurrent)
        assert current.region.height == 3 and youth in shown_text(current)  # on one line
        assert screen.table.region.y >= max(field.region.bottom for field in fields)
        summary = screen.query_one("#directory-summary", Static)  # how many, and the hint
        assert shown_text(summary) == " ".join(str(summary.render()).split())


@pytest.mark.parametrize("size", [(80, 24), (120, 36)], ids=["80x24", "120x36"])
@pytest.mark.parametrize("language", ["sl", "en"])
async def test_the_rows_say_whole_which_source_as_of_when(
    make_app, ready, data_dir: Path, language: str, size: tuple[int, int]
) -> None:
    """The doctor, the place and whether they accept, with the source, date and age, are on
    the screen without scrolling sideways."""
    app = make_app(language=language, today=LIST_TODAY)
    async with app.run_test(size=size) as pilot:
        screen = await directory(pilot, ready)
        table = screen.query_one(DirectoryTable)
        assert table.row_count > 0
        shown = shown_text(table)
        assert FRESHNESS[language].search(shown), shown
        upto_accepts = 0
        for column in table.ordered_columns:
            upto_accepts += column.get_render_width(table)
            if column.key.value == "accepts":
                break
        assert upto_accepts <= table.scrollable_content_region.width  # nothing of it cut
        for entry in table.entries[:3]:  # whole, or cut with an ellipsis at 80 columns
            assert entry.name in shown or entry.name[:14] in shown
            assert entry.institution[:12] in shown


async def test_a_wide_terminal_widens_the_directory(make_app, ready, data_dir: Path) -> None:
    """At 200x50 the table takes the width: the institutions' names are no longer cut."""
    app = make_app(language="sl", today=LIST_TODAY)
    async with app.run_test(size=(200, 50)) as pilot:
        screen = await directory(pilot, ready)
        table = screen.query_one(DirectoryTable)
        assert table.virtual_size.width >= table.scrollable_content_region.width - 2
        shown = shown_text(table)
        longest = max((entry.institution for entry in table.entries[:10]), key=len)
        assert longest in shown


@pytest.mark.parametrize("language", ["sl", "en"])
async def test_the_directory_form_is_one_row_at_120_columns(
    make_app, ready, data_dir: Path, language: str
) -> None:
    """Where there is room (120x36) the form keeps to one row, every label whole."""
    app = make_app(language=language, today=LIST_TODAY)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await directory(pilot, ready)
        fields = [screen.query_one(selector) for selector in FIELDS]
        assert len({field.region.y for field in fields}) == 1
        for label in screen.query("#directory-form Label"):
            assert shown_text(label) == " ".join(str(label.render()).split())
