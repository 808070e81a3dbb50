"""The directory's and the reports' ages follow the desk's day across midnight, without a restart.

The real console over the real insurer's lists (``directory_world``), with the desk's clock
injected as in ``test_days.py``: standing 1.5 s before midnight until the test lets it run. The
family doctors' list is dated 21. 8. 2026: on that day a row says "today", the day after
"yesterday"; 30 days after it the row is not stale yet, 31 days after it it is
(``[directory] stale_after_days``, 30 by default). A screen open at midnight shows the new day
at once; one away at midnight shows it when it is shown again.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import directory_world
from directory_world import database_of, municipality_with_accepting_gps, shown_entries, shown_text
from harness import settle, until
from rich.console import Group
from rich.text import Text
from sqlalchemy import insert, select
from test_days import HeldTime, just_before_midnight
from textual.pilot import Pilot
from textual.widgets import Input, Select

from console.clock import Clock
from console.domain.calendar import TZ
from console.domain.models import DoctorType
from console.screens.directory import DirectoryScreen
from console.screens.directory_detail import DirectoryDetailScreen
from console.screens.lookup import LookupScreen
from console.screens.reports import ReportsScreen
from console.server.schema import agents, provider_reports, providers
from widgets.directory_text import STALE_STYLE

SIZE = (120, 36)
LIST_DATE = date(2026, 8, 21)  # the family doctors' list (ZZZS)

# The world with the real lists (replaces conftest's ``data_dir``).
directory_seeded = directory_world.directory_seeded
data_dir = directory_world.data_dir


async def accepting_gps(pilot: Pilot, ready, municipality: str) -> DirectoryScreen:  # type: ignore[no-untyped-def]
    """F7: the family doctors of ``municipality`` who accept new patients."""
    await ready(pilot)
    await pilot.press("f7")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, DirectoryScreen)
    screen.query_one("#directory-municipality", Input).focus()
    await pilot.pause()
    await pilot.press(*municipality)
    await settle(pilot)
    kind = screen.query_one("#directory-type", Select)
    kind.focus()
    await pilot.press("enter")
    await pilot.pause()
    for _ in range(list(DoctorType).index(DoctorType.GP) + 1):
        await pilot.press("down")
    await pilot.press("enter")
    await settle(pilot)
    await pilot.press("ctrl+t")
    await settle(pilot)
    assert shown_entries(pilot.app)
    return screen


def freshness(screen: DirectoryScreen, provider_id: int) -> Text:
    """A row's second line in the accepts column: source, date, age."""
    cell = screen.table.get_row(str(provider_id))[2]
    assert isinstance(cell, Group)
    line = list(cell.renderables)[1]
    assert isinstance(line, Text)
    return line


def first_row(screen: DirectoryScreen) -> int:
    return shown_entries(screen.app)[0].provider_id


# -- the directory ----------------------------------------------------------------------------


async def test_a_row_dated_today_says_yesterday_after_midnight(
    make_app, ready, data_dir: Path
) -> None:
    municipality, _count = municipality_with_accepting_gps(data_dir)
    desk_time = just_before_midnight(LIST_DATE + timedelta(days=1))  # 21. 8. 2026, 23:59:58.5
    app = make_app(today=None, clock=Clock(desk_time), language="en")
    async with app.run_test(size=SIZE) as pilot:
        screen = await accepting_gps(pilot, ready, municipality)
        row = first_row(screen)
        assert freshness(screen, row).plain == "ZZZS 21. 8. 2026 · today"
        desk_time.run()
        await until(
            pilot,
            lambda: freshness(screen, row).plain == "ZZZS 21. 8. 2026 · yesterday",
            what=lambda: freshness(screen, row).plain,
        )
        assert screen.table.highlighted_entry() is not None  # the rows stay, the cursor too


async def test_a_row_crosses_the_stale_threshold_at_midnight(
    make_app, ready, data_dir: Path
) -> None:
    """A pretended date (``[ui] today``) 30 days after the list: not stale; at midnight it is
    31 days old and highlighted as stale."""
    municipality, _count = municipality_with_accepting_gps(data_dir)
    desk_time = just_before_midnight(date(2030, 3, 5))
    app = make_app(today=None, clock=Clock(desk_time, today=LIST_DATE + timedelta(days=30)))
    async with app.run_test(size=SIZE) as pilot:
        screen = await accepting_gps(pilot, ready, municipality)
        row = first_row(screen)
        before = freshness(screen, row)
        assert before.plain == "ZZZS 21. 8. 2026 · pred 30 dnevi"
        assert before.style != STALE_STYLE
        desk_time.run()
        await until(
            pilot,
            lambda: freshness(screen, row).plain == "ZZZS 21. 8. 2026 · pred 31 dnevi",
            what=lambda: freshness(screen, row).plain,
        )
        assert freshness(screen, row).style == STALE_STYLE


async def test_the_directory_away_at_midnight_counts_from_the_new_day_when_shown_again(
    make_app, ready, data_dir: Path
) -> None:
    municipality, _count = municipality_with_accepting_gps(data_dir)
    desk_time = just_before_midnight(date(2030, 3, 5))
    app = make_app(today=None, clock=Clock(desk_time, today=LIST_DATE + timedelta(days=30)))
    async with app.run_test(size=SIZE) as pilot:
        screen = await accepting_gps(pilot, ready, municipality)
        row = first_row(screen)
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, LookupScreen)
        desk_time.run()
        await until(pilot, lambda: app._day == LIST_DATE + timedelta(days=31), what=str)
        await pilot.press("f7")
        await settle(pilot)
        assert app.screen is screen
        line = freshness(screen, row)
        assert line.plain == "ZZZS 21. 8. 2026 · pred 31 dnevi"
        assert line.style == STALE_STYLE
        assert screen.query_one("#directory-municipality", Input).value == municipality


def verdict_text(screen: DirectoryDetailScreen) -> str:
    return shown_text(screen.query_one("#detail-verdict"))


async def test_the_details_open_at_midnight_and_the_list_under_them_move_on(
    make_app, ready, data_dir: Path
) -> None:
    municipality, _count = municipality_with_accepting_gps(data_dir)
    desk_time = just_before_midnight(LIST_DATE + timedelta(days=1))
    app = make_app(today=None, clock=Clock(desk_time), language="en")
    async with app.run_test(size=SIZE) as pilot:
        screen = await accepting_gps(pilot, ready, municipality)
        row = first_row(screen)
        screen.table.focus()
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        details = app.screen
        assert isinstance(details, DirectoryDetailScreen)
        assert "21. 8. 2026 · today" in verdict_text(details)
        desk_time.run()
        await until(
            pilot,
            lambda: "21. 8. 2026 · yesterday" in verdict_text(details),
            what=lambda: verdict_text(details),
        )
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen
        assert freshness(screen, row).plain == "ZZZS 21. 8. 2026 · yesterday"


async def test_the_details_away_at_midnight_count_from_the_new_day_when_shown_again(
    make_app, ready, data_dir: Path
) -> None:
    """The details left open under another screen (F2), shown again (F7) the next day."""
    municipality, _count = municipality_with_accepting_gps(data_dir)
    desk_time = just_before_midnight(LIST_DATE + timedelta(days=1))
    app = make_app(today=None, clock=Clock(desk_time), language="en")
    async with app.run_test(size=SIZE) as pilot:
        screen = await accepting_gps(pilot, ready, municipality)
        screen.table.focus()
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        details = app.screen
        assert isinstance(details, DirectoryDetailScreen)
        assert "21. 8. 2026 · today" in verdict_text(details)
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, LookupScreen)
        desk_time.run()
        await until(pilot, lambda: app._day == LIST_DATE + timedelta(days=1), what=str)
        await pilot.press("f7")
        await settle(pilot)
        assert app.screen is details
        assert "21. 8. 2026 · yesterday" in verdict_text(details)


# -- the reports ------------------------------------------------------------------------------


def add_report(data: Path, created_at: datetime, note: str) -> None:
    """An open report on some doctor, made by the demo desk's agent at ``created_at``."""
    database = database_of(data)
    try:
        with database.write() as connection:
            provider = connection.execute(select(providers.c.id).limit(1)).scalar_one()
            agent = connection.execute(select(agents.c.id).limit(1)).scalar_one()
            connection.execute(
                insert(provider_reports).values(
                    provider_id=provider,
                    agent_id=agent,
                    kind="full",
                    note=note,
                    created_at=created_at.astimezone(UTC).replace(tzinfo=None),
                )
            )
    finally:
        database.dispose()


def report_age(screen: ReportsScreen, note: str) -> str:
    for report in screen.table.reports:
        if report.note == note:
            return str(screen.table.get_row(str(report.id))[0])
    raise AssertionError(f"no report {note!r} listed")


NOTE = "Ne sprejema več, pravijo v ambulanti."


def two_days_before(desk_time: HeldTime) -> datetime:
    """Two days before the coming midnight: 47 h old before it, 2 days after it."""
    midnight = (desk_time.start + timedelta(seconds=1.5)).astimezone(TZ)
    return midnight - timedelta(days=2)


async def test_the_reports_open_at_midnight_count_their_ages_afresh(
    make_app, ready, data_dir: Path
) -> None:
    desk_time = just_before_midnight(date(2030, 3, 5))
    add_report(data_dir, two_days_before(desk_time), NOTE)
    app = make_app(today=None, clock=Clock(desk_time), language="en")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("f8")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ReportsScreen)
        assert report_age(screen, NOTE) == "47 h ago"
        desk_time.run()
        await until(
            pilot,
            lambda: report_age(screen, NOTE) == "2 days ago",
            what=lambda: report_age(screen, NOTE),
        )


async def test_the_reports_away_at_midnight_count_afresh_when_shown_again(
    make_app, ready, data_dir: Path
) -> None:
    desk_time = just_before_midnight(date(2030, 3, 5))
    add_report(data_dir, two_days_before(desk_time), NOTE)
    app = make_app(today=None, clock=Clock(desk_time), language="en")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("f8")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ReportsScreen)
        assert report_age(screen, NOTE) == "47 h ago"
        await pilot.press("f2")
        await settle(pilot)
        desk_time.run()
        await until(pilot, lambda: app._day == date(2030, 3, 5), what=str)
        await pilot.press("f8")
        await settle(pilot)
        assert app.screen is screen
        assert report_age(screen, NOTE) == "2 days ago"
