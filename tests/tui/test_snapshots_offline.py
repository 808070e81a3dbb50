"""Screenshots of offline work, in Slovenian and English: the offline banner and status bar over
a lookup served from the local cache, and the sync issues list (F6) after a replay in which two
provisional bookings lost their slots.

The console talks to the seeded demo database (fixed date, known callers) served by uvicorn on
a loopback port in a thread, stopped and started again mid-run.
"""

from __future__ import annotations

import random
import shutil
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
import support
from harness import serving, settle, until
from served import Central
from textual.pilot import Pilot

from console.app import AgentConsole
from console.client.writes import bookings as offline_bookings
from console.config import Config, ServerSection, UiSection
from console.domain.calendar import TZ
from console.domain.models import Role
from console.domain.reference import new_reference
from console.screens.lookup import LookupScreen
from console.server.agents import create_agent
from console.server.db import Database

SIZE = (120, 36)
# A stopped service refuses connections at once, so failover does not wait for this; it only
# has to be long enough that a busy test machine never times out a live request.
TIMEOUT = 3.0
LANGUAGES = ["sl", "en"]
TODAY = datetime(2030, 3, 4).date()
AGENT_TOKEN = "tok-snapshot-agent"
OTHER_TOKEN = "tok-snapshot-other"


@pytest.fixture
def central(data_dir: Path, tmp_path: Path) -> Iterator[Central]:
    """This test's copy of the seeded demo database, served; two desks' tokens in it."""
    path = tmp_path / "served.db"
    shutil.copyfile(data_dir / "central.db", path)
    database = Database.open(path)
    with database.write() as connection:
        create_agent(connection, "Mojca Kranjc", Role.AGENT, token=AGENT_TOKEN)
        create_agent(connection, "Other desk", Role.AGENT, token=OTHER_TOKEN)
    with serving(database, path) as served:
        yield served


@pytest.fixture
def make_console(central: Central, tmp_path: Path) -> Callable[[str], AgentConsole]:
    def make(language: str) -> AgentConsole:
        config = Config(
            server=ServerSection(url=central.url, token=AGENT_TOKEN, timeout_seconds=TIMEOUT),
            data_dir=str(tmp_path / "console"),
            ui=UiSection(timers=False, today=TODAY, search_delay_ms=0, language=language),
        )
        return AgentConsole(config)

    return make


@pytest.fixture(autouse=True)
def _steady(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same provisional references every run."""
    draw = random.Random(2030)
    monkeypatch.setattr(offline_bookings, "new_reference", lambda: new_reference(draw))


async def ready_and_synced(pilot: Pilot) -> None:
    app = pilot.app
    await until(pilot, lambda: app.desk is not None and isinstance(app.screen, LookupScreen))
    await until(pilot, lambda: app.store.last_sync is not None)
    await settle(pilot)


async def open_caller(pilot: Pilot, text: str) -> None:
    screen = pilot.app.screen
    assert isinstance(screen, LookupScreen)
    screen.search_box.focus()
    screen.search_box.value = text
    await settle(pilot)
    assert len(screen.results.callers) == 1
    await pilot.press("enter")
    await settle(pilot)


def last_sync_shown_as(app, seconds: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """The status bar's clock, pinned: the last sync was ``seconds`` ago."""
    last = app.store.last_sync
    monkeypatch.setattr(app.clock, "utcnow", lambda: last + timedelta(seconds=seconds))


class TestOffline:
    @pytest.mark.parametrize("language", LANGUAGES)
    def test_the_banner_and_status_over_a_lookup_from_the_cache(
        self, snap_compare, make_console, central, monkeypatch, language: str
    ) -> None:
        async def run_before(pilot: Pilot) -> None:
            app = pilot.app
            await ready_and_synced(pilot)
            await open_caller(pilot, "0101990500003")  # Janez Kovač, online: now cached
            await open_caller(pilot, "01 234 56 78")  # Marija Novak: the call is hers now
            central.stop()
            await until(pilot, lambda: app.connection_state == "offline")
            last_sync_shown_as(app, 12, monkeypatch)
            await open_caller(pilot, "0101990500003")  # from the cache; the attach is queued
            await until(pilot, lambda: app.sync_status.queued == 1)
            app.clear_notifications()
            app.refresh_status_bars()
            await pilot.pause()

        assert snap_compare(make_console(language), run_before=run_before, terminal_size=SIZE)


class TestSyncIssues:
    @pytest.mark.parametrize("language", LANGUAGES)
    def test_two_bookings_whose_slots_were_taken(
        self, snap_compare, make_console, central, language: str
    ) -> None:
        async def run_before(pilot: Pilot) -> None:
            app = pilot.app
            desk = app.desk
            await ready_and_synced(pilot)
            desk = app.desk
            await open_caller(pilot, "031 555 111")  # Špela Česnik
            service = next(s for s in desk.services if s.code == "ue-id-card")
            start = datetime.combine(TODAY, datetime.min.time(), TZ)
            found = await desk.find_slots(service.id, start=start, limit=20)  # now cached
            wanted = support.at_distinct_times(found)[:2]  # one caller: never two at one time
            central.stop()
            for slot in wanted:  # offline: two provisional bookings
                await desk.hold_slot(slot.id)
                await desk.confirm()
            assert app.connection_state == "offline"
            central.start()
            headers = {"Authorization": f"Bearer {OTHER_TOKEN}"}
            with httpx.Client(base_url=central.url, headers=headers) as other:
                marija = other.get("/v1/callers", params={"q": "01 234 56 78"}).json()
                for slot in wanted:  # meanwhile another desk booked both slots
                    answer = other.post(
                        "/v1/bookings",
                        json={"caller_id": marija["callers"][0]["id"], "slot_id": slot.id},
                    )
                    assert answer.status_code == 201, answer.text
            app.action_reconnect()
            await until(pilot, lambda: app.sync_status.issues == 2 and not app.sync_status.queued)
            await pilot.press("f6")
            await settle(pilot)
            app.clear_notifications()
            await pilot.pause()

        assert snap_compare(make_console(language), run_before=run_before, terminal_size=SIZE)
