"""Screenshots of the doctor directory (F7) on the real lists: a municipality's family doctors,
a row where the sources disagree, the report dialog, and a doctor's details.

Each in Slovenian and English, at 120×36. The desk pretends today is ``LIST_TODAY`` (so the
lists are 92–93 days old), and the server's and the console's clocks are fixed for reports
made in a test (``fixed_clock``), so every run draws the same picture.
"""

from __future__ import annotations

from pathlib import Path

import directory_world
import pytest
from directory_world import (
    LIST_TODAY,
    disagreeing_doctor,
    fixed_clock,
    municipality_with_accepting_gps,
)
from harness import settle
from textual.pilot import Pilot
from textual.widgets import Input, Select

from console.domain.models import DoctorType
from console.domain.text import fold

SIZE = (120, 36)
LANGUAGES = ["sl", "en"]

directory_seeded = directory_world.directory_seeded
data_dir = directory_world.data_dir


@pytest.fixture(autouse=True)
def _steady(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("USER", "mojca")
    fixed_clock(monkeypatch)


async def directory(pilot: Pilot, ready) -> None:
    await ready(pilot)
    await pilot.press("f7")
    await settle(pilot)


async def search(pilot: Pilot, text: str) -> None:
    box = pilot.app.screen.query_one("#directory-q", Input)
    box.focus()
    await pilot.press(*text)
    await settle(pilot)
    await pilot.press("down")
    await settle(pilot)


async def reported(pilot: Pilot, ready, name: str) -> None:
    """The doctor found, then reported full with ``p``, enter."""
    await directory(pilot, ready)
    await search(pilot, fold(name))
    await pilot.press("p")
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)


class TestDirectory:
    @pytest.mark.parametrize("language", LANGUAGES)
    def test_a_municipalitys_family_doctors(
        self, snap_compare, make_app, ready, data_dir: Path, language: str
    ) -> None:
        municipality, _count = municipality_with_accepting_gps(data_dir)

        async def run_before(pilot: Pilot) -> None:
            await directory(pilot, ready)
            screen = pilot.app.screen
            field = screen.query_one("#directory-municipality", Input)
            field.focus()
            await pilot.press(*fold(municipality))
            screen.query_one("#directory-type", Select).value = DoctorType.GP.value
            await settle(pilot)
            screen.table.focus()
            await settle(pilot)

        app = make_app(language=language, today=LIST_TODAY)
        assert snap_compare(app, run_before=run_before, terminal_size=SIZE)

    @pytest.mark.parametrize("language", LANGUAGES)
    def test_a_row_where_a_report_contradicts_the_insurer(
        self, snap_compare, make_app, ready, data_dir: Path, language: str
    ) -> None:
        _provider_id, name = disagreeing_doctor(data_dir)

        async def run_before(pilot: Pilot) -> None:
            await reported(pilot, ready, name)
            pilot.app.clear_notifications()  # "report sent" goes away in its own time
            await settle(pilot)

        app = make_app(language=language, today=LIST_TODAY)
        assert snap_compare(app, run_before=run_before, terminal_size=SIZE)


class TestReport:
    @pytest.mark.parametrize("language", LANGUAGES)
    def test_the_report_dialog(
        self, snap_compare, make_app, ready, data_dir: Path, language: str
    ) -> None:
        _provider_id, name = disagreeing_doctor(data_dir)

        async def run_before(pilot: Pilot) -> None:
            await directory(pilot, ready)
            await search(pilot, fold(name))
            await pilot.press("p")
            await settle(pilot)
            await pilot.press(*"sestra")

        app = make_app(language=language, today=LIST_TODAY)
        assert snap_compare(app, run_before=run_before, terminal_size=SIZE)


class TestDetails:
    @pytest.mark.parametrize("language", LANGUAGES)
    def test_a_doctors_details_with_every_source_and_the_report(
        self, snap_compare, make_app, ready, data_dir: Path, language: str
    ) -> None:
        _provider_id, name = disagreeing_doctor(data_dir)

        async def run_before(pilot: Pilot) -> None:
            await reported(pilot, ready, name)
            pilot.app.clear_notifications()
            await pilot.press("enter")
            await settle(pilot)

        app = make_app(language=language, today=LIST_TODAY)
        assert snap_compare(app, run_before=run_before, terminal_size=SIZE)
