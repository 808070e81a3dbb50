"""The console against a real central service over HTTP, stopped and started mid-test.

The service runs under uvicorn on a loopback port, in a thread of the test process (as in
``tests/client/test_store_offline.py``), so it can be stopped — its port then refuses
connections, as a dead server's does — and started again in a tenth of a second. The console is
the real app over it: failover shown in the status bar and the offline banner, lookup and slots
from the local cache, a provisional booking marked as such, replay on reconnect (checked in the
server's database), and the sync issues list (F6) with rebook-in-one-step and follow-up.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import support
from harness import settle, until
from link import Link, gateway_page
from offline_rig import (
    SIZE,
    confirm,
    desk_console,
    look_up,
    notifications,
    open_caller,
    ready_and_synced,
    served_rig,
    shown_text,
    status_text,
)
from offline_rig import ServedRig as Rig
from sqlalchemy import select
from textual.pilot import Pilot
from textual.widgets import Input

from console.desk import SyncStatus
from console.screens.booking_dialogs import BookedDialog, HoldDialog
from console.screens.bookings import BookingsScreen
from console.screens.lookup import LookupScreen
from console.screens.open_calls import OpenCallsDialog
from console.screens.slots import SlotsScreen
from console.screens.startup import StartupScreen
from console.screens.sync_issues import IssueNoteDialog, IssueTable, NearestTable, SyncIssuesScreen
from console.server.schema import bookings, callbacks, calls
from widgets.bookings_table import BookingsTable
from widgets.caller_card import CallerCardView
from widgets.offline_banner import OfflineBanner
from widgets.reference_code import ReferenceCode
from widgets.status_bar import connection_text


@pytest.fixture
def rig(tmp_path: Path, _sqlite_template: Path) -> Iterator[Rig]:
    with served_rig(_sqlite_template, tmp_path, days=3, slots_per_day=6) as served:
        yield served


# -- helpers ----------------------------------------------------------------------------------


def banner(app) -> OfflineBanner:
    return app.screen.query_one(OfflineBanner)


async def book_first_slot(pilot: Pilot, service: str) -> tuple[str, BookedDialog]:
    """F3, the service by its code, enter on the first slot, confirm: what the slot list
    said, and the booked dialog."""
    await pilot.press("f3")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, SlotsScreen)
    field = screen.query_one("#service", Input)
    field.focus()
    field.value = ""
    await pilot.press(*service, "enter")
    await settle(pilot)
    said = str(screen.query_one("#slot-summary").render())
    screen.table.focus()
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(pilot.app.screen, HoldDialog)
    if pilot.app.desk.offline:
        assert pilot.app.screen.query("#hold-offline"), "the hold dialog says it is offline"
    return said, await confirm(pilot)


# -- the status bar's words -------------------------------------------------------------------


def test_the_status_bar_says_online_offline_and_syncing() -> None:
    from console import i18n

    i18n.set_language("sl")
    try:
        now = datetime.now(UTC)
        assert connection_text("online", SyncStatus(), now=now).plain == "● povezano"
        last = now - timedelta(seconds=12)
        offline = SyncStatus(state="offline", queued=3, last_sync=last)
        assert connection_text("offline", offline, now=now).plain == (
            "● brez povezave · 3 v čakalni vrsti · sinhronizirano pred 12 s"
        )
        syncing = SyncStatus(state="syncing", queued=7, done=5, total=12)
        assert connection_text("syncing", syncing, now=now).plain == "● usklajevanje 5/12"
        issues = SyncStatus(issues=2)
        assert "⚠ neusklajeno: 2 (F6)" in connection_text("online", issues, now=now).plain
    finally:
        i18n.set_language("sl")


# -- failover, offline work, replay -----------------------------------------------------------


async def test_an_outage_is_shown_worked_through_and_replayed(rig: Rig) -> None:
    app = rig.console()
    janez = rig.world.callers["janez"]
    async with app.run_test(size=SIZE) as pilot:
        await ready_and_synced(pilot)
        assert app.connection_state == "online" and not banner(app).display
        assert status_text(app).startswith(" Test agent (agent)  ready  ● online")
        await open_caller(pilot, "kovač")  # online: Janez is now in the desk's cache
        assert app.desk.caller.id == janez

        rig.central.stop()
        took = await until(pilot, lambda: app.connection_state == "offline")
        assert took < 6  # the next feed poll of the sync loop (every 2 s) fails over
        shown = banner(app)
        assert shown.display and shown.region.y == 1  # right under the status bar
        text = str(shown.render())
        assert "central system is unreachable" in text and "local cache" in text
        assert "provisional" in text and "Reconnecting by itself." in text  # room: the long form
        assert shown.region.height <= 2
        assert "● offline · last sync" in status_text(app)

        # Typing goes on undisturbed, and lookup answers from the cache, saying so.
        screen = await look_up(pilot, "kovac")
        assert [c.id for c in screen.results.callers] == [janez]
        info = str(screen.query_one("#lookup-info").render())
        assert "Found 1 in this desk's offline copy (only callers opened here)" in info

        said, dialog = await book_first_slot(pilot, "ue-id-card")
        assert said.startswith(" from the local cache (offline)  Identity card — free slots:")
        booking = dialog.booking
        assert booking.reference.startswith("P-") and getattr(booking, "provisional", False)
        assert "PROVISIONAL — tell the caller it will be confirmed" in str(
            dialog.query_one("#booked-provisional").render()
        )
        code = dialog.query_one(ReferenceCode)
        assert code.has_class("-provisional") and code.grouped == booking.reference_display
        slots = app.screen_stack[-2]
        assert isinstance(slots, SlotsScreen)
        assert str(slots.query_one("#slot-summary").render()).startswith(
            f"Provisionally booked {booking.reference_display} (to be confirmed)"
        )
        await pilot.press("enter")
        await pilot.press("f4")
        await settle(pilot)
        table = app.screen.query_one(BookingsTable)
        assert isinstance(app.screen, BookingsScreen)
        assert booking.reference in table._bookings
        assert "provisional, to be confirmed" in str(table.get_row(booking.reference)[1])
        await pilot.press("f2")
        await settle(pilot)
        card = app.screen.query_one(CallerCardView)
        assert "provisional, to be confirmed" in shown_text(card.query_one(".card--bookings"))
        assert app.sync_status.queued == 1
        assert "1 queued" in status_text(app) and "queued" not in str(banner(app).render())
        assert rig.rows(select(bookings)) == []  # nothing reached the service

        rig.central.start()
        app.action_reconnect()  # as the command palette's "Reconnect now" does
        took = await until(
            pilot,
            lambda: app.connection_state == "online" and app.sync_status.queued == 0,
        )
        assert took < 10
        await settle(pilot)
        assert not banner(app).display
        # ... and the agent is told the booking is confirmed under its real reference.
        assert status_text(app).startswith(
            " Test agent (agent)  on a call  ● online   ✓ confirmed: 1 (F6)    Call"
        )
        assert any("everything queued has been sent" in m for m in notifications(app))
        made = rig.rows(select(bookings))
        assert len(made) == 1 and made[0].caller_id == janez and made[0].status == "confirmed"
        assert made[0].reference == app.store.resolve_reference(booking.reference)
        assert made[0].slot_id == booking.slot.id
        # The caller card shows the confirmed booking now.
        card = app.screen.query_one(CallerCardView)
        await until(pilot, lambda: not card.card.bookings[0].reference.startswith("P-"))


async def test_a_new_caller_a_booking_and_the_wrap_up_are_queued_offline(rig: Rig) -> None:
    app = rig.console()
    async with app.run_test(size=SIZE) as pilot:
        await ready_and_synced(pilot)
        rig.central.stop()
        screen = await look_up(pilot, "Zupan Nika")  # surname first, as a lookup is typed
        await until(pilot, lambda: app.connection_state == "offline")
        assert screen.results.callers == []
        said = str(screen.query_one("#lookup-info").render())
        assert "None in this desk's offline copy (only callers opened here)" in said
        await pilot.press("ctrl+n")
        await settle(pilot)
        form = app.screen
        form.field("phones").input.value = "031 222 333"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        caller = app.desk.caller
        assert caller.id < 0 and (caller.first_name, caller.last_name) == ("Nika", "Zupan")
        card = screen.query_one(CallerCardView)
        assert card.query(".card--provisional"), "the new caller is marked as entered offline"
        _said, dialog = await book_first_slot(pilot, "health-gp")
        booking = dialog.booking
        await pilot.press("enter")

        await pilot.press("f9")
        await settle(pilot)
        wrapup = app.screen
        assert wrapup.dispositions.chosen.code == "booked"  # prefilled from the booking
        assert booking.reference_display in wrapup.notes.text
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.desk.call is None  # queued: the desk is free for the next call
        # The call, the caller, the attach, the booking, the wrap-up.
        assert app.sync_status.queued == 5

        rig.central.start()
        app.action_reconnect()
        await until(pilot, lambda: app.connection_state == "online" and not app.sync_status.queued)
        nika = app.store.real_id("caller", caller.id)
        made = rig.rows(select(calls))
        assert len(made) == 1 and made[0].disposition == "booked"
        assert made[0].caller_id == nika
        booked = rig.rows(select(bookings))
        assert [(b.caller_id, b.slot_id, b.call_id) for b in booked] == [
            (nika, booking.slot.id, made[0].id)
        ]
        # The wrap-up quoted the provisional reference: the service got the confirmed one.
        confirmed = (
            f"{booked[0].reference[:3]} {booked[0].reference[3:6]} {booked[0].reference[6:]}"
        )
        assert f"{confirmed} ({booking.reference_display})" in made[0].notes


# -- sync issues ------------------------------------------------------------------------------


async def test_slots_taken_meanwhile_become_sync_issues_the_agent_settles(rig: Rig) -> None:
    app = rig.console()
    spela = rig.world.callers["spela"]
    async with app.run_test(size=SIZE) as pilot:
        await ready_and_synced(pilot)
        # F6 always works (issue 12), but nothing puts it first in the footer yet.
        assert app.check_action("show_sync_issues", ())
        assert app.screen._first_keys() == ()
        await open_caller(pilot, "česnik")
        rig.central.stop()
        await until(pilot, lambda: app.connection_state == "offline")
        desk = app.desk
        taken = support.at_distinct_times(await desk.find_slots(rig.world.services["ue-id-card"]))[
            :2
        ]
        for slot in taken:
            await desk.hold_slot(slot.id)
            await desk.confirm()
        assert app.store.outbox_size() == 2

        rig.central.start()
        with rig.other_agent() as other:  # meanwhile another desk took both slots
            for slot in taken:
                answer = other.post(
                    "/v1/bookings",
                    json={"caller_id": rig.world.callers["marija"], "slot_id": slot.id},
                )
                assert answer.status_code == 201, answer.text
        app.action_reconnect()
        await until(pilot, lambda: app.sync_status.issues == 2 and not app.sync_status.queued)
        await settle(pilot)
        assert any("Press F6 for the sync issues" in m for m in notifications(app))
        assert app.check_action("show_sync_issues", ())
        assert app.screen._first_keys() == ("sync_issues",)  # now first in the footer
        assert "sync issues: 2 (F6)" in status_text(app)

        await pilot.press("f6")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SyncIssuesScreen)
        table = screen.query_one(IssueTable)
        assert table.row_count == 2
        row = [str(cell) for cell in table.get_row_at(0)]
        assert row[0] == "Špela Česnik" and row[1] == "031 555 111"
        assert row[4].startswith("P-") and row[5] == "slot taken meanwhile"
        nearest = screen.query_one(NearestTable)
        offered = nearest.slots
        assert offered and not {s.id for s in offered} & {s.id for s in taken}

        await pilot.press("r")  # rebook in one step: the nearest free slot
        await settle(pilot)
        assert isinstance(app.screen, BookedDialog)
        rebooked = app.screen.booking
        assert rebooked.slot.id == offered[0].id and not rebooked.reference.startswith("P-")
        made = rig.rows(
            select(bookings).where(bookings.c.caller_id == spela, bookings.c.status == "confirmed")
        )
        assert [(b.slot_id, b.reference) for b in made] == [(offered[0].id, rebooked.reference)]
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen and table.row_count == 1
        said = str(screen.query_one("#sync-message").render())
        assert said.startswith("Rebooked Špela Česnik:") and "031 555 111" in said

        await pilot.press("f")  # the other one becomes a callback
        await settle(pilot)
        assert isinstance(app.screen, IssueNoteDialog)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        await until(pilot, lambda: app.sync_status.issues == 0)
        assert app.store.conflicts() == []
        assert "No open sync issues" in str(screen.query_one("#sync-title").render())
        assert not app.check_action("show_sync_issues", ())
        # The follow-up is a callback in the queue (source sync_issue), kept for this agent.
        [follow_up] = rig.rows(select(callbacks))
        assert (follow_up.source, follow_up.number) == ("sync_issue", "+38631555111")
        assert follow_up.caller_id == spela and follow_up.status == "open"
        assert follow_up.assigned_to == rig.world.agents["agent"]
        assert follow_up.note.startswith(
            "Booking not confirmed after the outage: offer another time."
        )


# -- the UI never waits on the cache ----------------------------------------------------------


async def test_the_slot_window_is_written_in_short_transactions(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The window refresh writes a few slots per transaction (the console's event loop runs in
    between), and the cache still ends up with exactly the service's free slots."""
    from console.client import sync as sync_module
    from console.client.api import CentralApi
    from console.client.store import Store

    monkeypatch.setattr(sync_module, "WINDOW_CHUNK", 4)
    store = Store.open(CentralApi(rig.central.url, support.TOKENS["agent"]), rig.data_dir)
    try:
        assert await store.sync_once()
        assert store.cache.slot_count() == len(rig.world.slots)
        stale = store.cache.slot(rig.world.slots[0]).model_copy(update={"id": 10**9})
        store.cache.put_slots([stale])  # a slot the service no longer has
        store.sync.refresh_soon()  # due again
        assert await store.sync_once()
        assert store.cache.slot(10**9) is None
        assert store.cache.slot_count() == len(rig.world.slots)
    finally:
        await store.aclose()


async def test_a_console_started_during_an_outage_works_from_its_cache(rig: Rig) -> None:
    first = rig.console()
    async with first.run_test(size=SIZE) as pilot:
        await ready_and_synced(pilot)
        await open_caller(pilot, "kovač")
    rig.central.stop()

    app = rig.console(language="sl")
    async with app.run_test(size=SIZE) as pilot:
        # The first console left its call open (issue 12 item 4): offered for wrap-up, from
        # the desk's copy while the central system is down; escape leaves it for later.
        await until(
            pilot,
            lambda: (
                isinstance(app.screen, OpenCallsDialog)
                and bool(app.screen.query("#open-calls-list"))
            ),
        )
        assert app.connection_state == "offline"
        assert "Janez Kovač" in str(
            app.screen.query_one("#open-calls-list").get_option_at_index(0).prompt
        )
        await pilot.press("escape")
        await until(pilot, lambda: app.desk is not None and isinstance(app.screen, LookupScreen))
        assert app.connection_state == "offline"
        assert banner(app).display
        assert "Centralni sistem ni dosegljiv" in str(banner(app).render())
        assert "● brez povezave · sinhronizirano pred" in status_text(app)
        screen = await look_up(pilot, "kovac")
        assert [c.id for c in screen.results.callers] == [rig.world.callers["janez"]]


async def test_a_desk_that_was_never_online_waits_for_the_service_and_starts_when_it_answers(
    rig: Rig,
) -> None:
    rig.central.stop()
    app = rig.console()
    async with app.run_test(size=SIZE) as pilot:
        step = lambda: str(app.screen.query_one("#startup-step").render())  # noqa: E731
        await until(pilot, lambda: "never been connected" in step())
        # It says when it tries again and which keys do what; it tries by itself.
        assert "Trying again in 1 s: r tries now, ctrl+q quits." in step()
        await until(pilot, lambda: "Trying again in 2 s" in step(), timeout=15)
        assert app.desk is None and isinstance(app.screen, StartupScreen)
        # The service comes up (a desk started before it): the desk starts by itself.
        rig.central.start()
        await until(
            pilot, lambda: app.desk is not None and isinstance(app.screen, LookupScreen), 30
        )
        await until(pilot, lambda: app.store.last_sync is not None, 30)
        assert app.connection_state == "online"
        assert app.desk.agent is not None and app.desk.services


async def test_the_retry_key_on_the_start_screen_tries_at_once(rig: Rig) -> None:
    rig.central.stop()
    app = rig.console()
    async with app.run_test(size=SIZE) as pilot:
        step = lambda: str(app.screen.query_one("#startup-step").render())  # noqa: E731
        await until(pilot, lambda: "never been connected" in step())
        # Let the back-off grow past anything this test waits for, then press r.
        app.store.connection._backoff = 600.0
        await until(pilot, lambda: "Trying again in 600 s" in step(), timeout=15)
        rig.central.start()
        await pilot.press("r")
        await until(
            pilot, lambda: app.desk is not None and isinstance(app.screen, LookupScreen), 15
        )


BUSY = b'{"error": "busy", "message": "the database is busy: retry shortly", "field": null}'


@pytest.mark.parametrize(
    ("answer", "says"),
    [
        (gateway_page(502, "Bad Gateway"), "never been connected"),
        (
            gateway_page(503, "Service Unavailable", BUSY, json=True),
            "cannot serve this desk now (503: the database is busy: retry shortly)",
        ),
    ],
    ids=["gateway-without-its-service", "service-busy"],
)
async def test_a_desk_that_was_never_online_waits_through_a_gateways_or_the_services_failure(
    rig: Rig, answer: bytes, says: str
) -> None:
    """The service restarting behind nginx (its own 502 page), or the service answering that
    it is busy (its 503): the new desk waits and says why, and starts once it is served."""
    link = Link(rig.central.port)
    await link.start()
    link.gateway_answer = answer
    await link.set(Link.GATEWAY_DOWN)
    app = desk_console(link.url, rig.data_dir, timeout=rig.timeout)
    try:
        async with app.run_test(size=SIZE) as pilot:
            step = lambda: str(app.screen.query_one("#startup-step").render())  # noqa: E731
            await until(pilot, lambda: says in step())
            assert "Trying again in 1 s: r tries now, ctrl+q quits." in step()
            await until(pilot, lambda: link.gateway_answers >= 2, timeout=15)
            assert app.desk is None and isinstance(app.screen, StartupScreen)
            await link.set(Link.PASS)
            await until(
                pilot, lambda: app.desk is not None and isinstance(app.screen, LookupScreen), 30
            )
            await until(pilot, lambda: app.store.last_sync is not None, 30)
            assert app.connection_state == "online"
    finally:
        await link.stop()


async def test_a_new_desk_that_does_not_trust_the_services_certificate_says_so(
    tmp_path: Path, _sqlite_template: Path
) -> None:
    """Over HTTPS with a certificate of the call centre's own authority, not in ``[server]
    ca_file``: the start screen says the certificate is not trusted and which setting to set,
    not only that the central system is unreachable."""
    import shutil

    import trustme
    from served import Central

    from console.server.db import Database

    path = tmp_path / "central.db"
    shutil.copyfile(_sqlite_template, path)
    database = Database.open(path)
    support.build_world(database, days=1, slots_per_day=2)
    certificate = tmp_path / "server.pem"
    ca = trustme.CA()
    ca.issue_cert("127.0.0.1").private_key_and_cert_chain_pem.write_to_path(str(certificate))
    central = Central(database, str(path), certificate=certificate)
    central.start()
    try:
        app = desk_console(central.url, tmp_path / "desk", timeout=5.0, language="sl")
        async with app.run_test(size=(80, 24)) as pilot:
            step = lambda: str(app.screen.query_one("#startup-step").render())  # noqa: E731
            await until(pilot, lambda: "Nov poskus čez" in step())
            assert "Potrdilu centralnega sistema to delovno mesto ne zaupa" in step()
            assert "[server] ca_file" in step() and "certificate" in step()
            assert app.desk is None and isinstance(app.screen, StartupScreen)
    finally:
        central.stop()
        database.dispose()


async def test_a_desk_that_was_never_online_shows_its_start_screen_in_slovenian(
    rig: Rig,
) -> None:
    rig.central.stop()
    app = rig.console(language="sl")
    async with app.run_test(size=(80, 24)) as pilot:
        step = lambda: str(app.screen.query_one("#startup-step").render())  # noqa: E731
        await until(pilot, lambda: "Nov poskus čez" in step())
        assert "nikoli povezano" in step()
        assert "r poskusi takoj, ctrl+q za izhod." in step()
        # Wrapped within the 80 columns, not cut off at the edge. (Not settle(): the start's
        # worker is waiting for the service, and settle waits for workers to finish.)
        await pilot.pause(0.2)
        label = app.screen.query_one("#startup-step")
        assert label.region.right <= 80 and label.region.height >= 3
        shown = " ".join(line.strip() for line in shown_text(label).splitlines())
        assert "se mora nanj vsaj enkrat povezati." in shown


# -- lookup offline: the desk's copy is not the register -----------------------------------------

OFFLINE_ANSWERS = {
    # language: (a short list, nobody found): what the copy holds, that the caller may exist
    # centrally, what to do
    "sl": (
        (
            "Najdenih: 1 v lokalni kopiji (brez povezave; le tu odprti klicatelji)",
            "drugi so morda v centrali",
            "vprašajte za EMŠO ali telefon",
        ),
        (
            "Ni ga v lokalni kopiji (brez povezave; le tu odprti klicatelji)",
            "morda je v centrali",
            "vprašajte za EMŠO ali telefon",
        ),
    ),
    "en": (
        (
            "Found 1 in this desk's offline copy (only callers opened here)",
            "more may exist centrally",
            "ask for the EMŠO or phone",
        ),
        (
            "None in this desk's offline copy (only callers opened here)",
            "may exist centrally",
            "ask for the EMŠO or phone",
        ),
    ),
}


@pytest.mark.parametrize("language", ["sl", "en"])
async def test_offline_a_lookup_says_the_copy_holds_only_the_callers_opened_here(
    rig: Rig, language: str
) -> None:
    """Three Novaks centrally, one opened at this desk: offline, "novak" finds that one and
    says others may exist centrally; "česnik" (Špela, never opened here) finds nobody and
    says she may exist centrally and to ask for the EMŠO or phone, not to add her with the
    new-caller key (a duplicate). Each in the two rows the line has at 80 columns."""
    from rich.text import Text

    from console import i18n

    with rig.other_agent() as other:
        for first, phone in (("Ana", "041 111 222"), ("Peter", "041 111 333")):
            made = other.post(
                "/v1/callers", json={"first_name": first, "last_name": "Novak", "phones": [phone]}
            )
            assert made.status_code == 201, made.text
    app = rig.console(language=language)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await ready_and_synced(pilot)
            screen = await look_up(pilot, "novak")
            assert len(screen.results.callers) == 3
            await open_caller(pilot, "novak marija")  # now in the desk's copy
            rig.central.stop()
            await until(pilot, lambda: app.connection_state == "offline")
            await settle(pilot)
            line = screen.query_one("#lookup-info")
            short_list, nobody = OFFLINE_ANSWERS[language]
            for query, found, expected in (("novak", 1, short_list), ("česnik", 0, nobody)):
                screen = await look_up(pilot, query)
                assert len(screen.results.callers) == found
                said = str(line.render())
                for needed in expected:
                    assert needed in said, (needed, said)
                assert "ctrl+n" not in said, said  # not straight to a new caller
                # In full: two rows at most at 80 columns, none of it cut off.
                rows = Text(said).wrap(app.console, line.content_size.width)
                assert len(rows) <= line.region.height <= 2, [str(row) for row in rows]
                assert line.region.bottom <= screen.results.region.y
    finally:
        i18n.set_language("sl")


# -- the banner at 80x24 ----------------------------------------------------------------------


def visible_rows(table) -> int:
    """How many of a table's rows show (its height less the header's row)."""
    return min(table.row_count, table.scrollable_content_region.height - 1)


@pytest.mark.parametrize("language", ["sl", "en"])
async def test_at_80x24_the_banner_takes_two_rows_and_the_screens_keep_their_content(
    rig: Rig, language: str
) -> None:
    from console import i18n

    app = rig.console(language=language)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await ready_and_synced(pilot)
            await open_caller(pilot, "kovač")  # online: Janez is now in the desk's cache
            rig.central.stop()
            await until(pilot, lambda: app.connection_state == "offline")
            await settle(pilot)
            shown = banner(app)
            text = str(shown.render())
            assert shown.display and shown.region.y == 1 and shown.region.height == 2, text
            unreachable = "ni dosegljiv" if language == "sl" else "unreachable"
            local = "lokalne kopije" if language == "sl" else "local cache"
            provisional = "začasne (P-…)" if language == "sl" else "provisional (P-…)"
            for needed in (unreachable, local, provisional):
                assert needed in text, (needed, text)
            # What the status bar says (the last sync) the banner does not say again; the
            # queue's count, none queued and so not in the bar, it does.
            bar = status_text(app)
            synced = "sinhronizirano pred" if language == "sl" else "last sync"
            queued = "0 v čakalni vrsti" if language == "sl" else "0 queued"
            assert synced in bar and synced not in text
            assert queued in text and queued not in bar

            screen = await look_up(pilot, "kovac")
            assert len(screen.results.callers) == 1
            assert visible_rows(screen.results) >= 1

            await pilot.press("f3")
            await settle(pilot)
            slots = app.screen
            assert isinstance(slots, SlotsScreen) and banner(app).region.height == 2
            field = slots.query_one("#service", Input)
            field.focus()
            field.value = ""
            await pilot.press(*"ue-id-card", "enter")
            await settle(pilot)
            assert slots.table.row_count > 0 and visible_rows(slots.table) >= 3

            await pilot.press("f4")
            await settle(pilot)
            assert isinstance(app.screen, BookingsScreen) and banner(app).region.height == 2
            table = app.screen.query_one(BookingsTable)
            assert table.scrollable_content_region.height >= 3  # the header and rows
            shown_rows = table.region.y + table.region.height
            assert shown_rows <= 24 - 2  # above the footer's two rows at 80 columns
    finally:
        i18n.set_language("sl")
