"""The doctor directory (F7), its details, the two-keystroke report, the reports list (F8) and
the referral in the wrap-up: the real console over the real insurer's lists.

Facts of the data (a municipality with a few accepting family doctors, a doctor a dated
correction says is full) are looked up in the database rather than hard-coded. The desk
pretends today is ``LIST_TODAY``, 93 days after the family doctors' list.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import directory_world
import pytest
from directory_world import (
    LIST_TODAY,
    database_of,
    disagreeing_doctor,
    municipality_with_accepting_gps,
    row_text,
    shown_entries,
    shown_text,
)
from harness import settle, until
from rich.console import Group
from rich.text import Text
from served import Central
from sqlalchemy import select
from textual.pilot import Pilot
from textual.widgets import Input, Select

from console.app import AgentConsole
from console.client.api import ApiRefused
from console.config import CacheSection, Config, ServerSection, UiSection
from console.domain.directory import accepting_now
from console.domain.models import Change, DoctorType, ReportKind, Role
from console.domain.text import fold
from console.screens.directory import DirectoryScreen
from console.screens.directory_detail import DirectoryDetailScreen
from console.screens.lookup import LookupScreen
from console.screens.report_provider import ReportDialog
from console.screens.reports import CloseReportDialog, ReportsScreen
from console.screens.wrapup import WrapUpScreen
from console.server.agents import create_agent
from console.server.schema import calls, provider_reports
from widgets.directory_text import STALE_STYLE
from widgets.reports_table import ReportsTable

SIZE = (120, 36)

# The world with the real lists (replaces conftest's ``data_dir``).
directory_seeded = directory_world.directory_seeded
data_dir = directory_world.data_dir


# -- helpers ----------------------------------------------------------------------------------


async def open_directory(pilot: Pilot, ready) -> DirectoryScreen:
    await ready(pilot)
    await pilot.press("f7")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, DirectoryScreen)
    return screen


async def type_into(pilot: Pilot, screen: DirectoryScreen, field_id: str, text: str) -> None:
    field = screen.query_one(f"#{field_id}", Input)
    field.focus()
    await pilot.pause()
    await pilot.press(*text)
    await settle(pilot)


async def choose_type(pilot: Pilot, screen: DirectoryScreen, kind: DoctorType) -> None:
    """Open the type list with enter and move down to ``kind``."""
    select = screen.query_one("#directory-type", Select)
    select.focus()
    await pilot.press("enter")
    await pilot.pause()
    for _ in range(list(DoctorType).index(kind) + 1):
        await pilot.press("down")
    await pilot.press("enter")
    await settle(pilot)
    assert select.value == kind.value


async def find_doctor(pilot: Pilot, ready, name: str) -> DirectoryScreen:
    """F7, the doctor's name in the search box, the cursor on the results."""
    screen = await open_directory(pilot, ready)
    await type_into(pilot, screen, "directory-q", fold(name))
    await pilot.press("down")
    await pilot.pause()
    return screen


def cells(screen: DirectoryScreen, provider_id: int) -> list[object]:
    return screen.table.get_row(str(provider_id))


def state_lines(screen: DirectoryScreen, provider_id: int) -> list[Text]:
    """The accepts cell's lines: the headline, the freshness, and a note if there is one."""
    cell = cells(screen, provider_id)[2]
    assert isinstance(cell, Group)
    return list(cell.renderables)  # type: ignore[arg-type]


def summary(screen: DirectoryScreen) -> str:
    return shown_text(screen.query_one("#directory-summary")).strip()


# -- searching --------------------------------------------------------------------------------


async def test_municipality_type_and_accepting_only_find_the_accepting_family_doctors(
    make_app, ready, data_dir: Path
) -> None:
    municipality, expected = municipality_with_accepting_gps(data_dir)
    app = make_app(today=LIST_TODAY)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_directory(pilot, ready)
        # The municipality typed without diacritics, in lower case.
        await type_into(pilot, screen, "directory-municipality", fold(municipality))
        await choose_type(pilot, screen, DoctorType.GP)
        await pilot.press("ctrl+t")
        await settle(pilot)

        assert screen.query_one("#directory-accepting").value is True
        entries = shown_entries(app)
        assert len(entries) == expected
        for entry in entries:
            assert entry.municipality == municipality
            assert entry.type is DoctorType.GP
            assert accepting_now(entry) is True
        assert screen.counts is not None and screen.counts.accepting == expected
        assert f", {expected} sprejema" in summary(screen)  # "12 zdravnikov, 2 sprejemata"

        # Accepting only off again: the full doctors of the municipality come back too.
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert len(shown_entries(app)) >= expected


async def test_each_row_says_which_source_how_old_and_highlights_a_stale_fact(
    make_app, ready, data_dir: Path
) -> None:
    municipality, _expected = municipality_with_accepting_gps(data_dir)
    for today, age, stale in (
        (LIST_TODAY, "pred 93 dnevi", True),
        (date(2026, 9, 1), "pred 11 dnevi", False),
    ):
        app = make_app(today=today)
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_directory(pilot, ready)
            await type_into(pilot, screen, "directory-municipality", municipality)
            await choose_type(pilot, screen, DoctorType.GP)
            await pilot.press("ctrl+t")
            await settle(pilot)
            entry = shown_entries(app)[0]
            headline, freshness = state_lines(screen, entry.provider_id)[:2]
            assert headline.plain == "✔ sprejema nove paciente"
            assert freshness.plain == f"ZZZS 21. 8. 2026 · {age}"
            assert (freshness.style == STALE_STYLE) is stale


async def test_a_correction_that_contradicts_the_insurer_is_said_plainly(
    make_app, ready, data_dir: Path
) -> None:
    provider_id, name = disagreeing_doctor(data_dir)
    app = make_app(today=LIST_TODAY)
    async with app.run_test(size=SIZE) as pilot:
        screen = await find_doctor(pilot, ready, name)
        lines = state_lines(screen, provider_id)
        assert lines[0].plain == "✔ sprejema nove paciente"  # the insurer's list is newer
        note = lines[2].plain
        assert note.startswith("⚠ ")
        assert "ZZZS: sprejema" in note
        assert "popravek: poln (" in note

        # Enter: both facts side by side in the details; escape: back to the same row.
        await pilot.press("enter")
        await settle(pilot)
        details = app.screen
        assert isinstance(details, DirectoryDetailScreen)
        sources = shown_text(details.query_one("#detail-sources"))
        assert "ZZZS" in sources and "popravek" in sources
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen
        assert screen.table.highlighted_entry().provider_id == provider_id
        assert screen.search_box.value == fold(name)


# -- reporting --------------------------------------------------------------------------------


async def test_p_then_enter_reports_the_doctor_full_and_the_row_says_so(
    make_app, ready, data_dir: Path
) -> None:
    provider_id, name = disagreeing_doctor(data_dir)
    app = make_app(today=LIST_TODAY)
    async with app.run_test(size=SIZE) as pilot:
        screen = await find_doctor(pilot, ready, name)
        await pilot.press("p")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ReportDialog)
        assert dialog.kind is ReportKind.FULL  # the row says accepts: "full" is preselected
        await pilot.press("enter")
        await settle(pilot)

        assert app.screen is screen
        lines = state_lines(screen, provider_id)
        assert lines[0].plain == "✖ ne sprejema"  # the report is the freshest evidence now
        assert lines[1].plain.startswith("prijava ") and lines[1].plain.endswith(" · pravkar")
        assert "prijavljeno: poln – Mojca, pravkar" in lines[2].plain
        reports = await app.desk.reports("open")
        mine = [r for r in reports if r.provider_id == provider_id]
        assert [(r.kind, r.agent_name) for r in mine] == [(ReportKind.FULL, "Mojca")]


async def test_a_report_from_the_details_shows_on_the_row_at_once(
    make_app, ready, data_dir: Path
) -> None:
    """Issue 12 item 10: p in a doctor's details, escape: the row says what the report says,
    as the count above it does, without a new search."""
    provider_id, name = disagreeing_doctor(data_dir)
    app = make_app(today=LIST_TODAY)
    async with app.run_test(size=SIZE) as pilot:
        screen = await find_doctor(pilot, ready, name)
        assert state_lines(screen, provider_id)[0].plain == "✔ sprejema nove paciente"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DirectoryDetailScreen)
        await pilot.press("p")
        await settle(pilot)
        assert isinstance(app.screen, ReportDialog)
        await pilot.press("enter")  # full
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen
        assert state_lines(screen, provider_id)[0].plain == "✖ ne sprejema"
        assert screen.counts is not None and screen.counts.accepting == 0
        assert ", 0 sprejema" in summary(screen)


async def test_a_report_this_agent_made_elsewhere_updates_the_row_when_the_feed_says_so(
    make_app, ready, data_dir: Path
) -> None:
    """Issue 12 item 10: a report made from the reports list's details (another screen) is
    this agent's too; the feed's change redraws the row."""
    provider_id, name = disagreeing_doctor(data_dir)
    app = make_app(today=LIST_TODAY)
    async with app.run_test(size=SIZE) as pilot:
        screen = await find_doctor(pilot, ready, name)
        report = await app.desk.report_provider(provider_id, ReportKind.FULL, "")
        change = Change(
            seq=1,
            at=report.created_at,
            entity="provider",
            entity_id=provider_id,
            op="reported",
            agent_id=app.desk.agent.id,
        )
        await screen.apply_changes([change])
        await settle(pilot)
        assert state_lines(screen, provider_id)[0].plain == "✖ ne sprejema"


async def test_the_report_dialog_takes_another_kind_and_a_note(
    make_app, ready, data_dir: Path
) -> None:
    provider_id, name = disagreeing_doctor(data_dir)
    app = make_app(today=LIST_TODAY, language="en")
    async with app.run_test(size=SIZE) as pilot:
        screen = await find_doctor(pilot, ready, name)
        await pilot.press("p")
        await settle(pilot)
        await pilot.press("3")  # wrong contact (the note is still empty: a digit picks)
        await pilot.press(*"phone 01 234")  # then digits are the note's
        assert app.screen.kind is ReportKind.CONTACT
        await pilot.press("up")
        assert app.screen.kind is ReportKind.ACCEPTS
        await pilot.press("down", "enter")
        await settle(pilot)
        assert app.screen is screen
        report = next(r for r in await app.desk.reports("open") if r.provider_id == provider_id)
        assert (report.kind, report.note) == (ReportKind.CONTACT, "phone 01 234")
        note = state_lines(screen, provider_id)[2].plain
        assert "reported wrong contact by Mojca just now" in note


async def test_a_supervisor_has_no_report_key_and_the_server_refuses_anyway(
    make_app, ready, data_dir: Path
) -> None:
    provider_id, name = disagreeing_doctor(data_dir)
    app = make_app(today=LIST_TODAY, role="supervisor")
    async with app.run_test(size=SIZE) as pilot:
        screen = await find_doctor(pilot, ready, name)
        assert screen.focused is screen.table
        footer = {
            b.binding.description
            for b in screen.active_bindings.values()
            if b.enabled and b.binding.show
        }
        assert "Prijavi" not in footer and "Napoti" not in footer
        await pilot.press("p")
        await settle(pilot)
        assert app.screen is screen  # no dialog, but a word why
        assert "nadzorniki ne prijavljajo" in summary(screen)
        assert any("nadzorniki ne prijavljajo" in n.message for n in app._notifications)
        with pytest.raises(ApiRefused) as refused:
            await app.desk.report_provider(provider_id, ReportKind.FULL, "")
        assert refused.value.status == 403


def networked(central: Central, token: str, desk: Path) -> AgentConsole:
    """A console on the central service over HTTP (its own desk folder: cache, outbox)."""
    return AgentConsole(
        Config(
            server=ServerSection(url=central.url, token=token, timeout_seconds=30),
            data_dir=str(desk),
            cache=CacheSection(sync_seconds=0.3),
            ui=UiSection(timers=False, search_delay_ms=0, today=LIST_TODAY),
        )
    )


async def networked_directory(pilot: Pilot, name: str) -> DirectoryScreen:
    """Wait for the console and its Store's first sync, then F7 and the doctor's name."""
    app = pilot.app
    await until(pilot, lambda: app.desk is not None and isinstance(app.screen, LookupScreen))
    # The Store's first sync (reference data, the slot window, its directory copy) is done: one
    # process runs the service and the consoles, so let it finish first.
    await until(pilot, lambda: app.store.last_sync is not None, timeout=60)
    await pilot.press("f7")
    await settle(pilot)
    screen = app.screen
    await type_into(pilot, screen, "directory-q", fold(name))
    await pilot.press("down")
    return screen


def reports_of(database, provider_id: int) -> list[str]:
    with database.read() as connection:
        return list(
            connection.execute(
                select(provider_reports.c.kind).where(provider_reports.c.provider_id == provider_id)
            ).scalars()
        )


async def test_another_console_sees_the_report_on_its_row_after_the_feed_tick(
    data_dir: Path, tmp_path: Path
) -> None:
    """Two consoles on one central service (uvicorn on loopback): one reports, the other's
    open directory shows it on the doctor's row at the next change-feed poll."""
    provider_id, name = disagreeing_doctor(data_dir)
    database = database_of(data_dir)
    with database.write() as connection:
        _a, token_a = create_agent(connection, "Mojca", Role.AGENT)
        _b, token_b = create_agent(connection, "Marko", Role.AGENT)
    central = Central(database, str(data_dir / "central.db"))
    central.start()
    try:
        reporter = networked(central, token_a, tmp_path / "desk-a")
        watcher = networked(central, token_b, tmp_path / "desk-b")
        async with watcher.run_test(size=SIZE) as watching:
            watched = await networked_directory(watching, name)
            assert len(state_lines(watched, provider_id)) == 3  # the correction's note only
            async with reporter.run_test(size=SIZE) as reporting:
                await networked_directory(reporting, name)
                await reporting.press("p")
                await settle(reporting)
                await reporting.press("enter")
                await settle(reporting)
                assert isinstance(reporting.app.screen, DirectoryScreen)  # the dialog is done
            assert reports_of(database, provider_id) == ["full"]

            def reported() -> bool:
                note = state_lines(watched, provider_id)[2].plain
                return "prijavljeno: poln – Mojca" in note

            await until(
                watching, reported, timeout=20, what=lambda: row_text(cells(watched, provider_id))
            )
            assert state_lines(watched, provider_id)[0].plain == "✖ ne sprejema"
    finally:
        central.stop()
        database.dispose()


async def test_a_report_made_offline_waits_on_its_row_and_is_sent_on_reconnect(
    data_dir: Path, tmp_path: Path
) -> None:
    provider_id, name = disagreeing_doctor(data_dir)
    database = database_of(data_dir)
    with database.write() as connection:
        _agent, token = create_agent(connection, "Mojca", Role.AGENT)
    central = Central(database, str(data_dir / "central.db"))
    central.start()
    try:
        app = networked(central, token, tmp_path / "desk")
        async with app.run_test(size=SIZE) as pilot:
            screen = await networked_directory(pilot, name)
            central.stop()  # the central system goes away: connections are refused
            await pilot.press("p", "enter")
            await settle(pilot)
            assert app.screen is screen
            note = state_lines(screen, provider_id)[2].plain
            assert "prijavljeno: poln – Mojca, pravkar (v čakalni vrsti" in note
            assert any("Poslana bo" in n.message for n in app._notifications)
            assert reports_of(database, provider_id) == []

            central.start()
            await until(pilot, lambda: app.store.outbox_size() == 0, timeout=60)
        assert reports_of(database, provider_id) == ["full"]
    finally:
        central.stop()
        database.dispose()


# -- the reports list (F8) ---------------------------------------------------------------------


async def test_the_reports_list_shows_open_reports_and_an_agent_closes_one(
    make_app, ready, data_dir: Path
) -> None:
    provider_id, name = disagreeing_doctor(data_dir)
    app = make_app(today=LIST_TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await find_doctor(pilot, ready, name)
        await pilot.press("p", *"sestra pravi polni", "enter")
        await settle(pilot)
        await pilot.press("f8")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ReportsScreen)
        table = screen.query_one(ReportsTable)
        [report] = table.reports
        assert (report.provider_id, report.note) == (provider_id, "sestra pravi polni")
        texts = [cell.plain for cell in table.get_row(str(report.id))]
        assert texts[0] == "pravkar" and name in texts[1] and texts[3] == "poln"

        await pilot.press("enter")  # the doctor's details
        await settle(pilot)
        assert isinstance(app.screen, DirectoryDetailScreen)
        assert "sestra pravi polni" in shown_text(app.screen.query_one("#detail-reports"))
        await pilot.press("escape")
        await settle(pilot)

        await pilot.press("z")
        await settle(pilot)
        assert isinstance(app.screen, CloseReportDialog)
        await pilot.press(*"preverjeno", "enter")
        await settle(pilot)
        assert table.reports == []
    database = database_of(data_dir)
    try:
        with database.read() as connection:
            row = connection.execute(
                select(provider_reports.c.status, provider_reports.c.resolution).where(
                    provider_reports.c.provider_id == provider_id
                )
            ).one()
    finally:
        database.dispose()
    assert (row.status, row.resolution) == ("closed", "preverjeno")


async def test_a_supervisor_sees_the_reports_but_cannot_close_them(
    make_app, ready, data_dir: Path
) -> None:
    app = make_app(today=LIST_TODAY, role="supervisor")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        footer_keys = {b.binding.key for b in app.screen.active_bindings.values() if b.enabled}
        assert "f8" in footer_keys  # a supervisor's footer offers the list
        await pilot.press("f8")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ReportsScreen)
        enabled = {b.binding.action for b in screen.active_bindings.values() if b.enabled}
        assert "close_report" not in enabled


# -- referral ---------------------------------------------------------------------------------


async def test_n_refers_outside_a_call_too_and_the_footer_shows_it(
    make_app, ready, data_dir: Path
) -> None:
    """Issue 12 item 18: the footer shows n (refer) outside a call, where it works: a health-line
    caller is often anonymous, and a referral needs no caller record; it starts the call."""
    provider_id, name = disagreeing_doctor(data_dir)
    app = make_app(today=LIST_TODAY)
    async with app.run_test(size=SIZE) as pilot:
        screen = await find_doctor(pilot, ready, name)
        assert app.desk.call is None
        footer = {
            b.binding.description
            for b in screen.active_bindings.values()
            if b.enabled and b.binding.show
        }
        assert "Napoti" in footer
        await pilot.press("n")
        await settle(pilot)
        assert app.desk.call is not None and app.desk.call.caller_id is None
        assert app.desk.referral is not None and app.desk.referral.provider_id == provider_id
        assert row_text(cells(screen, provider_id)).startswith("➜ ")
        # In the doctor's details too.
        await pilot.press("n")  # again: the referral is cleared
        await settle(pilot)
        assert app.desk.referral is None
        await pilot.press("enter")
        await settle(pilot)
        details = app.screen
        assert isinstance(details, DirectoryDetailScreen)
        assert "refer" in {
            b.binding.action
            for b in details.active_bindings.values()
            if b.enabled and b.binding.show
        }
        await pilot.press("n")
        await settle(pilot)
        assert app.desk.referral is not None and app.desk.referral.provider_id == provider_id


async def test_a_referral_is_shown_in_the_wrap_up_and_saved_with_it(
    make_app, ready, data_dir: Path
) -> None:
    provider_id, name = disagreeing_doctor(data_dir)
    app = make_app(today=LIST_TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("f2", "ctrl+g")  # an anonymous call starts
        await settle(pilot)
        screen = await find_doctor(pilot, ready, name)
        await pilot.press("n")
        await settle(pilot)
        assert app.desk.referral is not None and app.desk.referral.provider_id == provider_id
        assert "Napoten k:" in shown_text(screen.query_one("#directory-referral"))
        assert row_text(cells(screen, provider_id)).startswith("➜ ")

        await pilot.press("f9")
        await settle(pilot)
        wrapup = app.screen
        assert isinstance(wrapup, WrapUpScreen)
        assert name in shown_text(wrapup.query_one("#wrapup-referral"))
        assert f"Napoten k: {name}" in wrapup.notes.text
        assert wrapup.dispositions.chosen is not None
        assert wrapup.dispositions.chosen.code == "referred"
        call_id = app.desk.call.id
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.desk.referral is None
    database = database_of(data_dir)
    try:
        with database.read() as connection:
            row = connection.execute(
                select(calls.c.referred_provider_id, calls.c.notes).where(calls.c.id == call_id)
            ).one()
    finally:
        database.dispose()
    assert row.referred_provider_id == provider_id
    assert f"Napoten k: {name}" in row.notes


async def test_clearing_the_referral_in_the_wrap_up_takes_it_out_of_the_notes(
    make_app, ready, data_dir: Path
) -> None:
    _provider_id, name = disagreeing_doctor(data_dir)
    app = make_app(today=LIST_TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("f2")
        await settle(pilot)
        await find_doctor(pilot, ready, name)
        await pilot.press("n", "f9")
        await settle(pilot)
        wrapup = app.screen
        assert name in wrapup.notes.text
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert app.desk.referral is None
        assert name not in wrapup.notes.text
        assert wrapup.query_one("#wrapup-referral").display is False


# -- moving around ----------------------------------------------------------------------------


async def test_typing_on_the_results_goes_on_in_the_search_box(make_app, ready) -> None:
    app = make_app(today=LIST_TODAY)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_directory(pilot, ready)
        await type_into(pilot, screen, "directory-q", "nov")
        await pilot.press("down")
        assert screen.focused is screen.table
        await pilot.press("a", "k")
        await settle(pilot)
        assert screen.search_box.value == "novak"
        assert screen.focused is screen.search_box
        assert all("novak" in fold(e.name + " " + e.institution) for e in shown_entries(app))


async def test_moving_past_the_last_row_fetches_the_next_page(make_app, ready) -> None:
    app = make_app(today=LIST_TODAY)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_directory(pilot, ready)
        page = screen.page
        assert page is not None and page.more
        first = screen.table.row_count
        screen.table.focus()
        await pilot.press("ctrl+end")
        await settle(pilot)
        assert screen.table.row_count == 2 * first
        ids = [e.provider_id for e in shown_entries(app)]
        assert len(ids) == len(set(ids))
