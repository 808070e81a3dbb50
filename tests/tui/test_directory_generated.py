"""Issue 12 item 15: without the insurer's real lists the demo runs on generated clinics. The
directory screen itself says so, and its search covers the institution and the place, as it
does with the real lists."""

from __future__ import annotations

import pytest
from directory_world import shown_entries, shown_text
from harness import settle
from textual.pilot import Pilot

from console.domain.text import fold
from console.screens.directory import DirectoryScreen
from console.server import demo_data

SIZE = (120, 36)


async def open_directory(pilot: Pilot, ready) -> DirectoryScreen:  # type: ignore[no-untyped-def]
    await ready(pilot)
    await pilot.press("f7")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, DirectoryScreen)
    return screen


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("sl", "izmišljene demo ambulante, brez seznamov ZZZS"),
        ("en", "generated demo clinics, no ZZZS lists"),
    ],
)
async def test_the_directory_says_it_runs_on_generated_clinics(
    make_app, ready, language: str, said: str
) -> None:
    app = make_app(language=language)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_directory(pilot, ready)
        await settle(pilot)
        assert screen.areas.generated
        assert said in " ".join(shown_text(screen.query_one("#directory-summary")).split())


async def test_the_search_covers_institution_and_place(make_app, ready) -> None:
    clinic = next(c for c in demo_data.CLINICS if c.core and c.name.endswith("Šiška"))
    app = make_app(language="en")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_directory(pilot, ready)
        for query in ("siska", "zd ljubljana siska"):
            screen.search_box.value = query
            await settle(pilot)
            entries = shown_entries(app)
            assert entries, query
            assert {e.institution for e in entries} == {clinic.name}, query
        screen.search_box.value = fold(next(c for c in demo_data.CLINICS if c.core).town)
        await settle(pilot)
        assert len({e.institution for e in shown_entries(app)}) > 1  # every clinic of the town
