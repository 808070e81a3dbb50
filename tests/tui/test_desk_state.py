"""The desk reports its agent's state to the central service: the real console over a real
service (uvicorn on a loopback port, stopped and started mid-test), checked on the service.

Ready on start with the outbox's counts, a heartbeat every ``heartbeat_seconds``, on a call and
in after-call work with the call, away and back with one key (F12, the reason chosen from the
service's list), the agent's own state in the status bar, ``replayed`` after an outage, and
``signed_out`` on quit. Never queued in the outbox.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import support
from harness import settle, until
from offline_rig import desk_console
from served import Central
from textual.pilot import Pilot

from console.app import AgentConsole
from console.screens.away import AwayDialog
from console.screens.lookup import LookupScreen
from console.screens.wrapup import WrapUpScreen
from console.server.db import Database
from console.server.floor_settings import FloorSettings
from console.server.settings import ServerSettings
from widgets.status_bar import StatusBar

SIZE = (120, 36)
TIMEOUT = 3.0
HEARTBEAT = 1  # seconds: the service asks for a heartbeat this often in these tests


@dataclass
class Rig:
    central: Central
    database: Database
    world: support.World
    data_dir: Path

    def console(self, language: str = "en", keys: dict[str, str] | None = None) -> AgentConsole:
        return desk_console(
            self.central.url, self.data_dir, timeout=TIMEOUT, language=language, keys=keys or {}
        )

    def kept(self) -> dict:
        """The agent's state as the service keeps it (its own GET, with the agent's token)."""
        with httpx.Client(base_url=self.central.url, headers=self.world.headers("agent")) as c:
            return c.get("/v1/desk/state").json()

    def on_floor(self) -> dict:
        """The agent's row of the floor, read with a supervisor's token."""
        with httpx.Client(
            base_url=self.central.url, headers=self.world.headers("supervisor")
        ) as client:
            floor = client.get("/v1/floor").json()
        return next(a for a in floor["agents"] if a["id"] == self.world.agents["agent"])


@pytest.fixture
def rig(tmp_path: Path, _sqlite_template: Path) -> Iterator[Rig]:
    path = tmp_path / "central.db"
    shutil.copyfile(_sqlite_template, path)
    database = Database.open(path)
    world = support.build_world(database, days=3, slots_per_day=6)
    floor = FloorSettings(heartbeat_seconds=HEARTBEAT, unreachable_after_seconds=30)
    central = Central(database, str(path), ServerSettings(database=str(path), floor=floor))
    central.start()
    try:
        yield Rig(central, database, world, tmp_path / "desk")
    finally:
        central.stop()
        database.dispose()


async def started(pilot: Pilot) -> AgentConsole:
    app = pilot.app
    await until(pilot, lambda: app.desk is not None and isinstance(app.screen, LookupScreen))
    await until(pilot, lambda: app.desk.presence is not None and app.desk.presence.sent >= 1)
    await settle(pilot)
    return app


def status_text(app: AgentConsole) -> str:
    return str(app.screen.query_one(StatusBar).render())


async def test_ready_on_start_with_the_counts_and_signed_out_on_quit(rig: Rig) -> None:
    app = rig.console()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        kept = rig.kept()
        assert (kept["state"], kept["queued_writes"], kept["sync_issues"]) == ("ready", 0, 0)
        assert kept["heartbeat_seconds"] == HEARTBEAT
        assert app.desk.presence.away_reasons, "the reasons came from the service"
        assert "ready" in status_text(app)
        assert app.store.outbox_size() == 0, "a state report is never queued"
    assert rig.kept()["state"] == "signed_out"
    assert rig.on_floor()["state"] == "signed_out"


async def test_the_heartbeat_reports_the_unchanged_state_every_interval(rig: Rig) -> None:
    app = rig.console()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        first_seen = rig.kept()["last_seen_at"]
        sent = app.desk.presence.sent
        await until(pilot, lambda: app.desk.presence.sent >= sent + 2, timeout=20)
        kept = rig.kept()
        assert kept["state"] == "ready"
        assert kept["last_seen_at"] > first_seen
        assert not kept["changed"]
        assert app.store.outbox_size() == 0


async def test_heartbeats_stop_offline_and_resume(rig: Rig) -> None:
    app = rig.console()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        rig.central.stop()
        await until(pilot, lambda: app.store.state == "offline", timeout=20)
        sent = app.desk.presence.sent
        await pilot.pause(HEARTBEAT * 2.5)
        assert app.desk.presence.sent == sent, "nothing is sent (or queued) while offline"
        assert app.store.outbox_size() == 0
        rig.central.start()
        await until(pilot, lambda: app.desk.presence.sent > sent, timeout=30)
        assert rig.kept()["state"] == "ready"


async def test_away_with_a_reason_and_back_with_one_key(rig: Rig) -> None:
    app = rig.console()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        footer_keys = [key for key, b in app.screen.active_bindings.items() if b.binding.show]
        assert "f12" in footer_keys, "the away key is in the footer"
        await pilot.press("f12")
        await until(pilot, lambda: isinstance(app.screen, AwayDialog))
        await pilot.press("down", "enter")  # the second reason: lunch
        await until(pilot, lambda: rig.kept()["state"] == "away")
        assert rig.kept()["reason"] == "lunch"
        await until(pilot, lambda: "away: Lunch" in status_text(app))
        await pilot.press("f12")  # back: no dialog
        await until(pilot, lambda: rig.kept()["state"] == "ready")
        assert not isinstance(app.screen, AwayDialog)
        await until(pilot, lambda: "ready" in status_text(app))
        await pilot.press("f12", "escape")  # changed their mind: stays ready
        await settle(pilot)
        assert rig.kept()["state"] == "ready"


async def test_the_away_key_follows_the_keymap(rig: Rig) -> None:
    app = rig.console(keys={"away": "f11"})
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await pilot.press("f11")
        await until(pilot, lambda: isinstance(app.screen, AwayDialog))
        await pilot.press("enter")
        await until(pilot, lambda: rig.kept()["state"] == "away")
        assert rig.kept()["reason"] == "break"


async def test_on_a_call_then_after_call_work_then_ready(rig: Rig) -> None:
    app = rig.console()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await pilot.press("f2", "ctrl+g")  # an anonymous call: the service puts the agent on it
        await until(pilot, lambda: app.desk.call is not None)
        await until(pilot, lambda: rig.kept()["state"] == "on_call")
        assert rig.kept()["call_id"] == app.desk.call.id
        await pilot.press("f12")  # not while on a call
        await settle(pilot)
        assert not isinstance(app.screen, AwayDialog)
        assert rig.kept()["state"] == "on_call"
        call_id = app.desk.call.id
        await pilot.press("f9")  # the caller hung up: after-call work
        await until(pilot, lambda: isinstance(app.screen, WrapUpScreen))
        await until(pilot, lambda: rig.kept()["state"] == "after_call_work")
        assert rig.kept()["call_id"] == call_id
        await app.desk.wrap_up("information", "")
        await until(pilot, lambda: rig.kept()["state"] == "ready")
        assert app.desk.presence.state == "ready"


async def test_after_an_outage_the_desk_reports_what_it_replayed(rig: Rig) -> None:
    app = rig.console()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        rig.central.stop()
        await pilot.press("f2", "ctrl+g")  # a call started offline: queued
        await until(pilot, lambda: app.desk.call is not None and app.store.outbox_size() >= 1)
        assert app.store.state == "offline"
        rig.central.start()
        await until(pilot, lambda: app.store.outbox_size() == 0, timeout=30)
        await until(pilot, lambda: rig.kept()["replayed"] >= 1, timeout=30)
        assert rig.on_floor()["replayed"] >= 1
        assert rig.kept()["state"] == "on_call"
