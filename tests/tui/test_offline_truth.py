"""Offline, the whole truth, in the console: against the real ``agent-console serve`` (a
subprocess) through ``link.Link``, a TCP proxy that drops answers, swallows connections and
refuses them.

- A lost answer is not a refusal: the booking the service made is the one the desk shows once
  the replay has its answer; no sync issue, and the agent is told the real reference (issue 17,
  items 1 and 2).
- Quitting with writes queued asks, says what they are and how to send them; a desk that
  starts with writes queued says so at once (item 3).
- Stale displays after an outage (item 8) and the Slovenian words of it all (item 9).
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import support
from harness import settle, until
from link import Link
from offline_rig import (
    SIZE,
    DeskRig,
    confirm,
    look_up,
    notifications,
    open_caller,
    shown_text,
    status_text,
)
from offline_rig import ready_and_synced as synced
from served import ServedProcess
from sqlalchemy import select
from textual.css.query import NoMatches
from textual.widgets import Input

from console.app import AgentConsole
from console.config import Config, ServerSection, UiSection
from console.domain.reference import format_reference
from console.screens.booking_dialogs import HoldDialog
from console.screens.lookup import LookupScreen
from console.screens.quit import QuitConfirmation
from console.screens.slots import SlotsScreen
from console.screens.sync_issues import ConfirmationTable, IssueTable, SyncIssuesScreen
from console.server.db import Database
from console.server.schema import bookings, callbacks, calls
from widgets.caller_card import CallerCardView
from widgets.footer import FooterKey, KeysFooter


@dataclass
class Rig(DeskRig):
    """The world served by ``agent-console serve`` in a process of its own, reached by the
    desk through ``link`` (another desk reaches the service directly)."""

    service: ServedProcess = field(kw_only=True)
    link: Link = field(kw_only=True)

    timeout = 2.0  # the desks' request timeout

    @property
    def desk_url(self) -> str:
        return self.link.url

    @property
    def service_url(self) -> str:
        return self.service.url


@pytest.fixture
async def rig(tmp_path: Path, _sqlite_template: Path) -> AsyncIterator[Rig]:
    path = tmp_path / "central.db"
    shutil.copyfile(_sqlite_template, path)
    database = Database.open(path)
    world = support.build_world(database, days=3, slots_per_day=6)
    service = ServedProcess(str(path), tmp_path / "serve.log")
    service.start()
    link = Link(service.port)
    await link.start()
    try:
        yield Rig(database, world, tmp_path / "desk", service=service, link=link)
    finally:
        await link.stop()
        service.kill()
        database.dispose()


async def ready_and_synced(pilot) -> AgentConsole:  # type: ignore[no-untyped-def]
    """The lookup screen is up and the desk has filled its cache once (the service runs in a
    process of its own: on a loaded machine its first answers take a while)."""
    return await synced(pilot, 90)


def bar_text(app) -> str:  # type: ignore[no-untyped-def]
    """The status bar's text, or nothing while the screen is still being put up."""
    try:
        return status_text(app)
    except NoMatches:
        return ""


async def hold_first_slot(pilot, service: str) -> HoldDialog:  # type: ignore[no-untyped-def]
    """F3, the service by its code, enter on the first free slot: the hold dialog."""
    await pilot.press("f3")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, SlotsScreen)
    field = screen.query_one("#service", Input)
    field.focus()
    field.value = ""
    await pilot.press(*service, "enter")
    await settle(pilot)
    screen.table.focus()
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(pilot.app.screen, HoldDialog)
    return pilot.app.screen


async def back_online(pilot, rig: Rig) -> None:  # type: ignore[no-untyped-def]
    """The link works again; the console reconnects and replays everything."""
    app = pilot.app
    await rig.link.set(Link.PASS)
    app.action_reconnect()
    await until(pilot, lambda: app.connection_state == "online" and not app.sync_status.queued)
    await settle(pilot)


# -- items 1 and 2: a lost answer, and the reference the caller was given ---------------------


async def test_a_lost_answer_is_the_booking_made_and_the_agent_gets_the_real_reference(
    rig: Rig,
) -> None:
    app = rig.console()
    janez = rig.world.callers["janez"]
    async with app.run_test(size=SIZE) as pilot:
        await ready_and_synced(pilot)
        await open_caller(pilot, "kovač")
        hold = await hold_first_slot(pilot, "ue-id-card")
        slot_id = hold.slot.id
        await rig.link.set(Link.DROP)  # the confirm reaches the service; its answer is lost
        dialog = await confirm(pilot)
        given = dialog.booking.reference
        assert given.startswith("P-") and app.connection_state == "offline"
        assert dialog.has_class("-provisional")
        made = rig.rows(select(bookings).where(bookings.c.slot_id == slot_id))
        assert len(made) == 1  # the service has it already, while the desk shows P-…
        await pilot.press("enter")

        await back_online(pilot, rig)
        # No false refusal: the replay got the first answer.
        assert app.store.conflicts() == [] and app.sync_status.issues == 0
        assert not any("need you" in m for m in notifications(app))
        [row] = rig.rows(select(bookings).where(bookings.c.slot_id == slot_id))
        assert (row.reference, row.status) == (made[0].reference, "confirmed")
        assert app.store.resolve_reference(given) == row.reference
        assert row.provisional_reference == given  # the service keeps what the caller heard
        real = format_reference(row.reference)
        assert any(f"is confirmed as {real}" in m for m in notifications(app))
        assert app.sync_status.confirmed == 1 and "✓ confirmed: 1 (F6)" in status_text(app)
        assert app.check_action("show_sync_issues", ())  # F6 in the footer

        # The caller card shows both references.
        await pilot.press("f2")
        await settle(pilot)
        card = app.screen.query_one(CallerCardView)
        await until(pilot, lambda: real in shown_text(card.query_one(".card--bookings")))
        assert f"given offline as {dialog.booking.reference_display}" in shown_text(
            card.query_one(".card--bookings")
        )
        # Another desk (any desk) finds the booking by the provisional reference.
        with rig.other_agent() as other:
            assert other.get(f"/v1/bookings/{given}").json()["reference"] == row.reference
        screen = await look_up(pilot, dialog.booking.reference_display)
        assert [c.id for c in screen.results.callers] == [janez]

        # F6: the confirmation, and one key to call the caller back to read it out.
        await pilot.press("f6")
        await settle(pilot)
        f6 = app.screen
        assert isinstance(f6, SyncIssuesScreen)
        table = f6.query_one(ConfirmationTable)
        assert table.row_count == 1 and app.focused is table
        cells = [str(cell) for cell in table.get_row_at(0)]
        assert cells[:4] == ["Janez Kovač", "041 234 567", dialog.booking.reference_display, real]
        await pilot.press("f")
        await settle(pilot)
        said = str(f6.query_one("#sync-message").render())
        assert f"read out {real}" in said and "follow-ups" not in said
        # A callback in the queue, kept for this agent, to read the real reference out; no
        # call is made up for it (the floor counts the agent's calls).
        [callback] = rig.rows(select(callbacks).where(callbacks.c.source == "sync_issue"))
        assert callback.caller_id == janez and callback.number == "+38641234567"
        assert real in callback.note and callback.assigned_to == rig.world.agents["agent"]
        assert not rig.rows(select(calls).where(calls.c.disposition == "callback"))
        await until(pilot, lambda: app.sync_status.confirmed == 0)
        assert not app.check_action("show_sync_issues", ())


# -- item 3: quitting with writes queued ----------------------------------------------------------


async def test_quitting_with_writes_queued_asks_and_says_how_to_send_them(rig: Rig) -> None:
    app = rig.console()
    async with app.run_test(size=SIZE) as pilot:
        await ready_and_synced(pilot)
        await open_caller(pilot, "kovač")
        await rig.link.set(Link.SWALLOW)  # connections hang: the desk times out into offline
        await until(pilot, lambda: app.connection_state == "offline", timeout=30)
        await hold_first_slot(pilot, "ue-id-card")
        booked = (await confirm(pilot)).booking
        await pilot.press("enter")
        await pilot.press("f9")
        await settle(pilot)
        await pilot.press("ctrl+s")  # the wrap-up, queued too
        await settle(pilot)
        assert app.sync_status.queued == 2

        await pilot.press("ctrl+q")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, QuitConfirmation) and app.is_running
        text = str(dialog.query_one("#quit-text").render())
        assert "2 writes are not sent to the central system yet" in text
        assert f"booking {booked.reference_display} · Janez Kovač" in text
        assert "wrap-up" in text
        command = f"agent-console --server {rig.link.url} sync"
        assert command in text
        await pilot.press("escape")  # stay
        await settle(pilot)
        assert not isinstance(app.screen, QuitConfirmation) and app.is_running

        await pilot.press("ctrl+q")
        await settle(pilot)
        await pilot.press("q")  # quit anyway
        await pilot.pause()
    assert app.return_code == 1
    assert app.return_value == (
        "agent-console: 2 writes were not sent to the central system; they stay queued on this "
        f"desk. Send them with: {command}"
    )

    # The next start says at once that writes wait (the service is still unreachable).
    again = rig.console()
    async with again.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: bool(notifications(again)))
        assert "2 writes from an earlier session wait on this desk" in notifications(again)[0]
        await until(pilot, lambda: isinstance(again.screen, LookupScreen), timeout=30)
        await until(pilot, lambda: "2 queued" in bar_text(again))
        # Back online, everything goes; quitting then asks nothing.
        await back_online(pilot, rig)
        await pilot.press("ctrl+q")
        await pilot.pause()
    assert again.return_code == 0
    made = rig.rows(select(bookings))
    assert [(b.provisional_reference, b.status) for b in made] == [(booked.reference, "confirmed")]


async def test_the_quit_dialog_follows_the_outbox_while_it_is_open(rig: Rig) -> None:
    app = rig.console()
    async with app.run_test(size=SIZE) as pilot:
        await ready_and_synced(pilot)
        await open_caller(pilot, "kovač")
        await rig.link.set(Link.REFUSE)
        await hold_first_slot(pilot, "ue-id-card")
        await confirm(pilot)
        await pilot.press("enter")
        await pilot.press("ctrl+q")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, QuitConfirmation)
        assert "1 write is not sent" in str(dialog.query_one("#quit-text").render())
        await rig.link.set(Link.PASS)
        await pilot.press("s")  # send now
        await until(pilot, lambda: not app.sync_status.queued)
        await until(
            pilot, lambda: "write is not sent" not in str(dialog.query_one("#quit-text").render())
        )
        # The call itself is still open (issue 12 item 4): the dialog keeps asking about it.
        assert "A call is not wrapped up" in str(dialog.query_one("#quit-text").render())
        assert "s" not in {b.binding.key for b in dialog.active_bindings.values() if b.enabled}
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0


# -- item 8: stale displays after an outage -------------------------------------------------------


async def test_after_an_outage_nothing_stale_stays_on_screen(rig: Rig) -> None:
    app = rig.console()
    async with app.run_test(size=SIZE) as pilot:
        await ready_and_synced(pilot)
        await open_caller(pilot, "kovač")
        await rig.link.set(Link.REFUSE)
        # Search results from the local cache say so; back online they are asked again.
        screen = await look_up(pilot, "kovac")
        info = lambda: str(screen.query_one("#lookup-info").render())  # noqa: E731
        assert "this desk's offline copy" in info()
        await rig.link.set(Link.PASS)
        app.action_reconnect()
        await until(pilot, lambda: "offline copy" not in info())
        assert "Callers found: 1" in info()

        # An offline booking in F3, then the next caller: F3 starts clean for them.
        await rig.link.set(Link.REFUSE)
        await open_caller(pilot, "kovač")
        hold = await hold_first_slot(pilot, "ue-id-card")
        taken = hold.slot.id
        await confirm(pilot)
        await pilot.press("enter")
        slots = app.screen
        assert isinstance(slots, SlotsScreen)
        assert "Provisionally booked" in str(slots.query_one("#slot-summary").render())
        await pilot.press("f9")
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        await back_online(pilot, rig)
        await open_caller(pilot, "novak")
        await pilot.press("f3")
        await settle(pilot)
        assert app.screen is slots
        summary = str(slots.query_one("#slot-summary").render())
        assert "Provisionally booked" not in summary and "local cache" not in summary
        assert taken not in {slot.id for slot in slots.table.slots}


async def test_a_taken_suggestion_keeps_its_explanation_when_the_list_refreshes(
    rig: Rig,
) -> None:
    app = rig.console()
    async with app.run_test(size=SIZE) as pilot:
        await ready_and_synced(pilot)
        await open_caller(pilot, "česnik")
        await rig.link.set(Link.REFUSE)
        await until(pilot, lambda: app.connection_state == "offline", timeout=30)
        taken = (await app.desk.find_slots(rig.world.services["ue-id-card"]))[0]
        await app.desk.hold_slot(taken.id)
        await app.desk.confirm()
        with rig.other_agent() as other:  # another desk takes the slot meanwhile
            answer = other.post(
                "/v1/bookings",
                json={"caller_id": rig.world.callers["marija"], "slot_id": taken.id},
            )
            assert answer.status_code == 201, answer.text
        await back_online(pilot, rig)
        await until(pilot, lambda: app.sync_status.issues == 1)
        await pilot.press("f6")
        await settle(pilot)
        f6 = app.screen
        assert isinstance(f6, SyncIssuesScreen) and f6.query_one(IssueTable).row_count == 1
        offered = f6.nearest_table.highlighted_slot()
        with rig.other_agent() as other:  # ... and the first suggestion too, just now
            answer = other.post(  # for another caller: Marija already has the first slot
                "/v1/bookings",
                json={"caller_id": rig.world.callers["janez"], "slot_id": offered.id},
            )
            assert answer.status_code == 201, answer.text
        await pilot.press("r")
        await settle(pilot)
        said = str(f6.query_one("#sync-message").render())
        assert "This slot was just booked by someone else" in said
        assert "The list is fresh: pick another slot." in said
        assert offered.id not in {s.id for s in f6.nearest_table.slots}


# -- item 9: the Slovenian UI, in full, at 80x24 --------------------------------------------------


def footer_keys(app) -> list[tuple[str, str, bool]]:  # type: ignore[no-untyped-def]
    """The footer's keys in order: (key, label, whole on screen)."""
    width = app.screen.size.width
    return [
        (key.key_display, key.description, key.region.right <= width)
        for key in app.screen.query_one(KeysFooter).query(FooterKey)
        if key.display and key.region.width
    ]


async def test_the_outage_in_slovenian_at_80x24_is_slovenian_and_uncut(rig: Rig) -> None:
    app = rig.console(language="sl")
    async with app.run_test(size=(80, 24)) as pilot:
        await ready_and_synced(pilot)
        await open_caller(pilot, "kovač")
        free = await app.desk.find_slots(rig.world.services["ue-id-card"])
        await app.desk.hold_slot(free[0].id)
        booked = await app.desk.confirm()  # online: a real booking
        await rig.link.set(Link.REFUSE)
        await app.desk.cancel(booked, "ne pride")  # offline: queued
        with rig.other_agent() as other:  # meanwhile another desk cancelled it already
            gone = other.post(f"/v1/bookings/{booked.reference}/cancel", json={"reason": "x"})
            assert gone.status_code == 200, gone.text

        # A new caller entered offline: the card says so in full, wrapped, not cut.
        screen = await look_up(pilot, "Nika Zupan")
        await pilot.press("ctrl+n")
        await settle(pilot)
        app.screen.field("phones").input.value = "031 222 333"
        await pilot.press("ctrl+s")
        await settle(pilot)
        label = screen.query_one(CallerCardView).query_one(".card--provisional")
        said = " ".join(shown_text(label).split())
        assert said == (
            "Nov klicatelj, vnesen brez povezave: v centralni register bo vpisan, ko bo "
            "povezava spet vzpostavljena"
        )
        # Nothing waits on F6 yet: the key is there (issue 12: always), but not put first.
        assert footer_keys(app)[0][0] != "f6"

        await back_online(pilot, rig)
        await until(pilot, lambda: app.sync_status.issues == 1)
        await settle(pilot)
        # F6 is the first key of the footer, whole, on every screen.
        assert footer_keys(app)[0] == ("f6", "Neusklajeno", True)
        assert "⚠ neusklajeno: 1 (F6)" in status_text(app)
        await pilot.press("f6")
        await settle(pilot)
        f6 = app.screen
        assert isinstance(f6, SyncIssuesScreen)
        row = [str(cell) for cell in f6.query_one(IssueTable).get_row_at(0)]
        assert row[0] == "Janez Kovač" and row[2] == "odpoved"
        assert row[5] == "zavrnjeno: rezervacija je bila že odpovedana"  # not the service's English
        await pilot.press("f")
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        said = str(f6.query_one("#sync-message").render())
        # The callback is in the central callbacks queue (no list of tasks is promised).
        assert "je v vrsti povratnih klicev" in said and "opravil" not in said
        [callback] = rig.rows(select(callbacks).where(callbacks.c.source == "sync_issue"))
        assert "Po izpadu ni bilo izvedeno: odpoved " in callback.note
        assert "Sync issue" not in callback.note and "offline call" not in callback.note
        # The call the cancellation was made in says what finally became of it.
        [original] = rig.rows(select(calls).where(calls.c.id == app.desk.call.id))
        assert original.notes.endswith("klicatelja bomo poklicali nazaj.")


async def test_a_config_key_in_brackets_is_shown_as_written(rig: Rig) -> None:
    config = Config(
        server=ServerSection(url=rig.link.url, token=""),
        data_dir=str(rig.data_dir),
        ui=UiSection(timers=False, language="en"),
    )
    app = AgentConsole(config)
    async with app.run_test(size=SIZE) as pilot:
        step = lambda: str(app.screen.query_one("#startup-step").render())  # noqa: E731
        await until(pilot, lambda: "No token" in step())
        assert "set [server] token in config.toml" in step()
