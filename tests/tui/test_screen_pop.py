"""The screen pop: the telephone system posts ``ringing`` to a real central service (uvicorn on a
loopback port) over HTTP, and the console whose desk declared that extension shows the caller's
card, with no lookup; one key takes the call.

- one caller has the number: their card, and enter starts the call with them;
- several callers share it: they are listed, and the one chosen takes the call;
- nobody has it: the new-caller form opens with the number filled in, and saving it takes the
  call with the new caller;
- the call answered on another extension, or missed, takes the pop down;
- the desk declares its extension when it signs in and releases it when it quits, and follows
  the feed with a long poll (``wait=``) while its other requests go their own way.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import support
from harness import served_world, settle, until
from offline_rig import desk_console
from served import Central
from sqlalchemy import select
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Static

from console.app import AgentConsole
from console.config import TelephonySection
from console.domain.models import CallDirection, CallerIn
from console.screens.lookup import LookupScreen
from console.screens.new_caller import NewCallerForm
from console.screens.ringing import RingingCallerForm, RingingDialog
from console.server import callers
from console.server.agents import create_agent
from console.server.db import Database
from console.server.schema import callbacks, calls, telephony_extensions
from widgets.caller_card import CallerCardView
from widgets.footer import KeysFooter
from widgets.matched_callers import MatchedCallers
from widgets.textual_internals import FooterKey

SIZE = (120, 36)
PBX = "tok-pbx-screen-pop"
EXTENSION = "101"
TIMEOUT = 3.0


@dataclass
class Rig:
    central: Central
    database: Database
    world: support.World
    data_dir: Path
    family: list[int]

    def console(self, extension: str = EXTENSION, language: str = "en") -> AgentConsole:
        return desk_console(
            self.central.url,
            self.data_dir,
            timeout=TIMEOUT,
            language=language,
            telephony=TelephonySection(extension=extension),
        )

    def post(self, **event: object) -> dict:
        """The telephone system posts an event over HTTP."""
        response = httpx.post(
            f"{self.central.url}/v1/telephony/events",
            json=event,
            headers={"Authorization": f"Bearer {PBX}"},
            timeout=10,
        )
        assert response.status_code == 200, response.text
        return response.json()

    def rows(self, query) -> list:  # type: ignore[no-untyped-def]
        with self.database.read() as connection:
            return list(connection.execute(query))


@pytest.fixture
def rig(tmp_path: Path, _sqlite_template: Path) -> Iterator[Rig]:
    with served_world(_sqlite_template, tmp_path, days=2, slots_per_day=4) as served:
        central, database, world = served
        with database.write() as connection:
            create_agent(connection, "Asterisk", "telephony", token=PBX)
            admin = support._system_agent(world)
            family = [
                callers.create(
                    connection,
                    admin,
                    CallerIn(first_name=first, last_name="Zupan", phones=["01 444 55 66"]),
                )
                for first in ("Ana", "Boris")
            ]
        yield Rig(central, database, world, tmp_path / "desk", family)


async def signed_in(pilot: Pilot, rig: Rig) -> AgentConsole:
    """The console is up, synced once, and its extension is declared."""
    app = pilot.app
    await until(pilot, lambda: app.desk is not None and isinstance(app.screen, LookupScreen))
    await until(pilot, lambda: app.store.last_sync is not None)
    await until(pilot, lambda: app.desk.phone.declared)
    await settle(pilot)
    return app


def ring(rig: Rig, call_id: str, number: str, extension: str = EXTENSION) -> dict:
    return rig.post(event="ringing", call_id=call_id, extension=extension, number=number, line="UE")


async def test_the_card_of_the_caller_pops_and_enter_takes_the_call(rig: Rig) -> None:
    app = rig.console()
    async with app.run_test(size=SIZE) as pilot:
        await signed_in(pilot, rig)
        [(agent_id, extension)] = rig.rows(
            select(telephony_extensions.c.agent_id, telephony_extensions.c.extension)
        )
        assert (agent_id, extension) == (rig.world.agents["agent"], EXTENSION)
        assert app.store.sync.long_poll  # the feed is long-polled now

        answer = ring(rig, "1700000001.1", "041 234 567")
        assert answer["caller_ids"] == [rig.world.callers["janez"]]
        await until(pilot, lambda: isinstance(app.screen, RingingDialog), timeout=10)
        await settle(pilot)
        dialog = app.screen
        card = dialog.query_one(CallerCardView)
        assert card.display and card.caller_id == rig.world.callers["janez"]
        assert app.desk.call is None  # nothing happens on the desk until the agent takes it

        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, LookupScreen))
        await settle(pilot)
        desk = app.desk
        assert desk.call is not None and desk.caller is not None
        assert desk.caller.id == rig.world.callers["janez"]
        assert desk.call.direction == CallDirection.INBOUND
        assert app.screen.card.caller_id == rig.world.callers["janez"]
        [(caller_id,)] = rig.rows(select(calls.c.caller_id).where(calls.c.id == desk.call.id))
        assert caller_id == rig.world.callers["janez"]

    # Quitting releases the extension.
    assert rig.rows(select(telephony_extensions)) == []


async def test_several_callers_of_one_number_are_listed_and_the_chosen_one_takes_it(
    rig: Rig,
) -> None:
    app = rig.console()
    async with app.run_test(size=SIZE) as pilot:
        await signed_in(pilot, rig)
        ring(rig, "1700000002.1", "01 444 55 66")
        await until(pilot, lambda: isinstance(app.screen, RingingDialog), timeout=10)
        await settle(pilot)
        table = app.screen.query_one(MatchedCallers)
        assert table.display
        assert sorted(c.id for c in table.callers) == sorted(rig.family)
        await pilot.press("down")
        chosen = table.highlighted_id
        assert chosen == table.callers[1].id
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, LookupScreen))
        await settle(pilot)
        assert app.desk.caller is not None and app.desk.caller.id == chosen


async def test_a_number_nobody_has_opens_the_new_caller_form_with_it(rig: Rig) -> None:
    app = rig.console()
    async with app.run_test(size=SIZE) as pilot:
        await signed_in(pilot, rig)
        ring(rig, "1700000003.1", "040 111 222")
        await until(pilot, lambda: isinstance(app.screen, RingingCallerForm), timeout=10)
        await settle(pilot)
        form = app.screen
        assert form.field("phones").value == "040 111 222"
        form.field("first_name").value = "Nova"
        form.field("last_name").value = "Klicateljica"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, LookupScreen))
        await settle(pilot)
        desk = app.desk
        assert desk.call is not None and desk.caller is not None
        assert desk.caller.first_name == "Nova"
        assert [p.number for p in desk.caller.phones] == ["+38640111222"]


async def test_answered_elsewhere_or_missed_takes_the_pop_down(rig: Rig) -> None:
    app = rig.console()
    async with app.run_test(size=SIZE) as pilot:
        await signed_in(pilot, rig)
        ring(rig, "1700000004.1", "041 234 567")
        await until(pilot, lambda: isinstance(app.screen, RingingDialog), timeout=10)
        rig.post(event="answered", call_id="1700000004.1", extension="102")
        await until(pilot, lambda: isinstance(app.screen, LookupScreen), timeout=10)
        assert app.desk.call is None

        ring(rig, "1700000005.1", "040 111 222")
        await until(pilot, lambda: isinstance(app.screen, RingingCallerForm), timeout=10)
        rig.post(event="missed", call_id="1700000005.1", number="040 111 222", waited_seconds=20)
        await until(pilot, lambda: isinstance(app.screen, LookupScreen), timeout=10)
        assert not isinstance(app.screen, NewCallerForm)
        # The caller who gave up is in the callback queue.
        [(number, status)] = rig.rows(select(callbacks.c.number, callbacks.c.status))
        assert (number, status) == ("+38640111222", "open")


async def test_a_call_ringing_on_another_extension_pops_nothing(rig: Rig) -> None:
    app = rig.console()
    async with app.run_test(size=SIZE) as pilot:
        await signed_in(pilot, rig)
        ring(rig, "1700000006.1", "041 234 567", extension="102")
        ring(rig, "1700000007.1", "031 555 111")  # ours, after the other one
        await until(pilot, lambda: isinstance(app.screen, RingingDialog), timeout=10)
        assert app.screen.call.call_id == "1700000007.1"


async def test_writes_go_while_the_feed_is_long_polled(rig: Rig) -> None:
    """The long poll waits on its own connections: a write made meanwhile is not held up."""
    app = rig.console()
    async with app.run_test(size=SIZE) as pilot:
        await signed_in(pilot, rig)
        api = app.store.api
        assert api._long_poll is not None  # a long poll is waiting on the feed
        call = await app.desk.start_call_with(None, CallDirection.INBOUND)
        assert call.id > 0 and app.store.outbox_size() == 0  # sent at once, not queued


def _inside(widget: Widget, screen: Screen) -> bool:
    region, room = widget.region, screen.region
    return region.area > 0 and room.contains_region(region)


async def test_the_pop_is_usable_at_80x24(rig: Rig) -> None:
    """The number, the card (or the callers), the hint and the keys all fit on an 80x24
    terminal: nothing to scroll before taking the call."""
    app = rig.console()
    async with app.run_test(size=(80, 24)) as pilot:
        await signed_in(pilot, rig)
        for call_id, number, parts in (
            ("1700000008.1", "041 234 567", ("#ringing-card",)),
            ("1700000009.1", "01 444 55 66", ("#ringing-matches",)),
        ):
            ring(rig, call_id, number)
            await until(
                pilot,
                lambda call_id=call_id: (
                    isinstance(app.screen, RingingDialog) and app.screen.call.call_id == call_id
                ),
                timeout=10,
            )
            await settle(pilot)
            dialog = app.screen
            for selector in ("#ringing-title", *parts, "#ringing-hint", "KeysFooter"):
                assert _inside(dialog.query_one(selector), dialog), selector
            hint = str(dialog.query_one("#ringing-hint", Static).render())
            assert "enter" in hint and "ctrl+n" in hint
            footer = dialog.query_one(KeysFooter)
            shown = {key.key for key in footer.query(FooterKey)}
            assert {"enter", "ctrl+n", "escape"} <= shown
            await pilot.press("escape")
            await until(pilot, lambda: isinstance(app.screen, LookupScreen))
