"""The supervisor's floor (F10): the real console over the embedded service, on a known morning
(``floor_world``) with the service's clock held at 11:00.

It is a supervisor's first screen; it shows every agent's state and day, the figures, slot fill
and the alerts worded by kind; enter drills down to an agent's calls, and who called only on
``c`` (an audited read); ``e`` exports the day to a file; another desk's state change arrives
through the change feed; the timers tick locally from the service's clock; agents get no floor.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from floor_clock import FakeClock
from floor_world import AGENTS, FLOOR_SECTION, build_floor
from harness import settle, until
from sqlalchemy import func, select
from textual.geometry import Region
from textual.widget import Widget
from textual.widgets import DataTable
from tui_shared import TODAY, wait_floor

from console.domain.callbacks import AnsweredEvent, MissedEvent, RingingEvent
from console.domain.floor import AgentState, DeskStateIn
from console.domain.models import Agent, Role
from console.screens.floor import FloorScreen
from console.screens.floor_dialogs import AgentDayScreen, ExportDialog
from console.server import agent_states, telephony
from console.server.db import Database
from console.server.schema import audit_log, bookings, messages
from console.server.settings import CallbackSettings
from widgets.floor_agents import AgentsTable
from widgets.floor_panels import (
    AlertsList,
    CallbackFigures,
    HourChart,
    MessageFigures,
    SlotFillTable,
)

SIZE = (120, 36)


@pytest.fixture
def world(data_dir, monkeypatch):  # type: ignore[no-untyped-def]
    clock = FakeClock(FakeClock.local(TODAY, 8)).install(monkeypatch)
    return build_floor(data_dir, clock, TODAY), clock


def row_text(table: AgentsTable, agent_id: int) -> list[str]:
    return [str(cell) for cell in table.get_row(str(agent_id))]


def widget_text(widget: Widget) -> str:
    """What a widget draws, as text."""
    region = Region(0, 0, widget.size.width, widget.size.height)
    return "\n".join(strip.text for strip in widget.render_lines(region))


def floor_of(app) -> FloorScreen:  # type: ignore[no-untyped-def]
    assert isinstance(app.screen, FloorScreen)
    return app.screen


async def test_the_floor_is_a_supervisors_first_screen(make_app, world) -> None:  # type: ignore[no-untyped-def]
    ids, _clock = world
    app = make_app(language="en", role="supervisor", floor=FLOOR_SECTION)
    async with app.run_test(size=SIZE) as pilot:
        await wait_floor(pilot)
        table = floor_of(app).table
        # A desk's queued writes and sync issues come right after its state and call: they
        # stay on screen when the day's figures after them scroll (issue columns fell off).
        headers = [str(column.label) for column in table.columns.values()]
        assert headers[:7] == ["Agent", "State", "For", "Call", "Queued", "Issues", "Service"]
        ana = row_text(table, ids["ana"])
        assert ana[:4] == ["Ana Kos", "on a call", "10:00", "10:00"]
        assert ana[6] == "Identity card"
        assert row_text(table, ids["bojan"])[1:4] == ["after-call work", "4:00", "2:00"]
        assert row_text(table, ids["cvetka"])[1:3] == ["away: Break", "40:00"]
        assert row_text(table, ids["dusan"])[1] == "unreachable"
        assert row_text(table, ids["dusan"])[4] == "3"  # queued writes
        assert ana[7:11] == ["2", "6:00", "1:00", "1"]  # calls, avg handle, avg ACW, booked
        alerts = str(app.screen.query_one(AlertsList).render())
        assert "Cvetka Horvat: away for 40:00 (limit 30:00)" in alerts
        assert "Dušan Mlakar: desk unreachable for 20:00 with 3 write(s) queued" in alerts
        fill = app.screen.query_one(SlotFillTable)
        assert fill.row_count > 0
        assert "supervisor" in str(app.screen.query_one("StatusBar").render())
        # no write keys for supervisors: neither away/ready nor anything that changes data
        shown = {key for key, b in app.screen.active_bindings.items() if b.binding.show}
        assert "f12" not in shown
        assert app.desk.presence is None


async def test_slovenian_words_the_states_and_alerts(make_app, world) -> None:  # type: ignore[no-untyped-def]
    ids, _clock = world
    app = make_app(language="sl", role="supervisor", floor=FLOOR_SECTION)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_floor(pilot)
        table = floor_of(app).table
        assert row_text(table, ids["cvetka"])[1] == "odsoten: Odmor"
        assert row_text(table, ids["dusan"])[1] == "nedosegljiv"
        alerts = str(app.screen.query_one(AlertsList).render())
        assert "Cvetka Horvat: odsoten že 40:00 (meja 30:00)" in alerts


async def test_the_floor_unreachable_is_said_in_the_ui_language(make_app, world) -> None:  # type: ignore[no-untyped-def]
    """Offline the floor (never cached: it is about now) says so in Slovenian, not the
    desk's English "not in this desk's local cache"."""
    from console.client.writes.base import not_cached

    app = make_app(language="sl", role="supervisor", floor=FLOOR_SECTION)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_floor(pilot)
        screen = floor_of(app)

        async def unreachable():  # type: ignore[no-untyped-def]
            raise not_cached("the floor")

        app.desk.floor = unreachable
        screen.load()
        hint = screen.query_one("#floor-hint")
        await until(pilot, lambda: "ni dosegljiv" in str(hint.render()))
        said = str(hint.render())
        assert "se prikaže znova" in said and "local cache" not in said


async def test_enter_shows_the_agents_day_and_c_shows_who_called(make_app, world, data_dir) -> None:  # type: ignore[no-untyped-def]
    ids, _clock = world
    app = make_app(language="en", role="supervisor", floor=FLOOR_SECTION)
    database = Database.open(data_dir / "central.db")

    def audited() -> int:
        with database.read() as connection:
            return connection.execute(select(func.count()).select_from(audit_log)).scalar_one()

    async with app.run_test(size=SIZE) as pilot:
        await wait_floor(pilot)
        table = floor_of(app).table
        table.move_cursor(row=table.get_row_index(str(ids["ana"])))
        before = audited()
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, AgentDayScreen) and app.screen.day)
        screen = app.screen
        assert isinstance(screen, AgentDayScreen)
        assert screen.day is not None and not screen.day.caller_identity
        assert len(screen.day.calls) == 2
        assert audited() == before, "no caller was read"
        await pilot.press("c")
        await until(pilot, lambda: screen.day is not None and screen.day.caller_identity)
        assert audited() > before, "showing the callers is an audited read"
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, FloorScreen))
    database.dispose()


@pytest.mark.parametrize(("language", "size"), [("en", SIZE), ("sl", (80, 24))])
async def test_the_agents_day_names_services_and_dispositions_in_the_consoles_language(
    make_app, world, language, size
) -> None:  # type: ignore[no-untyped-def]
    ids, _clock = world
    app = make_app(language=language, role="supervisor", floor=FLOOR_SECTION)
    async with app.run_test(size=size) as pilot:
        await wait_floor(pilot)
        table = floor_of(app).table
        table.move_cursor(row=table.get_row_index(str(ids["ana"])))
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, AgentDayScreen) and app.screen.day)
        screen = app.screen
        assert isinstance(screen, AgentDayScreen) and screen.day is not None
        [booked] = [c for c in screen.day.calls if c.bookings]
        service = next(s for s in app.desk.services if s.code == "ue-id-card")
        assert (booked.service_name, booked.service_name_en) == (service.name, service.name_en)
        assert booked.bookings[0].service_name_en == service.name_en
        disposition = next(d for d in app.desk.dispositions if d.code == "booked")
        english = language == "en"
        cells = [
            str(cell) for cell in screen.query_one("#day-calls", DataTable).get_row(str(booked.id))
        ]
        assert cells[6] == (service.name_en if english else service.name)
        assert cells[5] == (disposition.label_en if english else disposition.label)
        assert service.name_en != service.name and disposition.label_en != disposition.label


async def test_the_floor_shows_the_callback_queue_and_missed_calls(
    make_app, world, data_dir
) -> None:  # type: ignore[no-untyped-def]
    """Issue 15 on the floor: the queue's length and oldest wait, the share reached today, and
    missed calls per hour (the telephone system's calls that did not get through)."""
    _ids, clock = world
    settings = CallbackSettings()
    eleven = clock.now()
    database = Database.open(data_dir / "central.db")
    with database.write() as connection:
        for call_id, number, hour in (
            ("m.1", "041 234 567", 9),
            ("m.2", "031 555 111", 10),
            ("m.3", "040 111 222", 10),
        ):
            clock.set(FakeClock.local(TODAY, hour, 30))
            telephony.record_event(
                connection,
                MissedEvent(event="missed", call_id=call_id, number=number),
                settings,
                clock.now(),
            )
        clock.set(FakeClock.local(TODAY, 10, 45))  # the first number calls again and is served
        for event in (
            RingingEvent(event="ringing", call_id="r.1", extension="101", number="041 234 567"),
            AnsweredEvent(event="answered", call_id="r.1", extension="101"),
        ):
            telephony.record_event(connection, event, settings, clock.now())
    database.dispose()
    clock.set(eleven)
    app = make_app(language="en", role="supervisor", floor=FLOOR_SECTION)
    async with app.run_test(size=SIZE) as pilot:
        await wait_floor(pilot)
        floor = floor_of(app)
        assert floor.floor is not None
        queue = floor.floor.callbacks
        assert (queue.queue_length, queue.missed_today, queue.reached_today) == (2, 3, 1)
        shown = " ".join(widget_text(floor.query_one(CallbackFigures)).split())
        assert "In the queue 2" in shown and "Missed calls today 3" in shown
        assert "Oldest wait 30:00" in shown  # 10:30 to 11:00
        assert "Reached today 100 % (1 of 1)" in shown
        by_hour = {h.hour: h.missed_calls for h in floor.floor.today.hours}
        assert (by_hour["09:00"], by_hour["10:00"]) == (1, 2)
        assert "missed" in widget_text(floor.query_one(HourChart))  # a series of the chart


async def test_the_day_is_exported_to_the_file_the_supervisor_confirms(
    make_app, world, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    app = make_app(language="en", role="supervisor", floor=FLOOR_SECTION)
    target = tmp_path / "out" / "calls.csv"
    async with app.run_test(size=SIZE) as pilot:
        await wait_floor(pilot)
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, ExportDialog))
        box = app.screen.query_one("#export-path")
        box.value = str(tmp_path / "out" / "calls.txt")
        await pilot.press("enter")
        assert isinstance(app.screen, ExportDialog), "only .csv or .xlsx"
        box.value = str(target)
        await pilot.press("enter")
        await until(pilot, target.exists)
        await settle(pilot)
        notes = [n.message for n in app._notifications]
        assert any(str(target) in note for note in notes)
    rows = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8-sig"))))
    assert len(rows) == 1 + 4  # the header, and the morning's four calls


async def test_another_desks_state_change_arrives_through_the_feed(
    make_app, world, data_dir
) -> None:  # type: ignore[no-untyped-def]
    ids, clock = world
    app = make_app(language="en", role="supervisor", floor=FLOOR_SECTION, sync_seconds=0.5)
    async with app.run_test(size=SIZE) as pilot:
        await wait_floor(pilot)
        table = floor_of(app).table
        assert row_text(table, ids["cvetka"])[1] == "away: Break"
        database = Database.open(data_dir / "central.db")
        cvetka = Agent(id=ids["cvetka"], name=AGENTS["cvetka"][0], role=Role.AGENT)
        clock.advance(5)
        with database.write() as connection:
            agent_states.report(
                connection,
                cvetka,
                DeskStateIn(state=AgentState.READY),
                FLOOR_SECTION.settings(),
            )
        database.dispose()
        await until(pilot, lambda: row_text(table, ids["cvetka"])[1] == "ready", timeout=20)
        alerts = str(app.screen.query_one(AlertsList).render())
        assert "Cvetka" not in alerts


async def test_the_timers_tick_from_the_services_clock(make_app, world) -> None:  # type: ignore[no-untyped-def]
    ids, _clock = world
    app = make_app(language="en", role="supervisor", floor=FLOOR_SECTION, timers=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_floor(pilot)
        table = floor_of(app).table
        table._received -= 65  # as if the floor had arrived 65 s ago
        table.tick()
        assert row_text(table, ids["ana"])[2:4] == ["11:05", "11:05"]
        assert row_text(table, ids["bojan"])[2:4] == ["5:05", "2:00"], "the talk stays"
        assert table.service_now() - table.floor.at >= timedelta(seconds=65)


async def test_an_agent_has_no_floor(make_app, ready) -> None:  # type: ignore[no-untyped-def]
    app = make_app(language="en")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        shown = {key for key, b in app.screen.active_bindings.items() if b.binding.show}
        assert "f10" not in shown
        await pilot.press("f10")
        await pilot.press("alt+0")
        await settle(pilot)
        assert not isinstance(app.screen, FloorScreen)


@pytest.mark.parametrize("language", ["en", "sl"])
async def test_a_wide_floor_shows_every_column_of_both_tables(make_app, world, language) -> None:  # type: ignore[no-untyped-def]
    """At 200x50 the slot fill sits under the agents, where its columns all fit (in the side
    panel its 3- and 5-day columns were past the edge); the agents' columns fit too."""
    app = make_app(language=language, role="supervisor", floor=FLOOR_SECTION)
    async with app.run_test(size=(200, 50)) as pilot:
        await wait_floor(pilot)
        screen = floor_of(app)
        await until(pilot, lambda: screen.query_one("#floor-fill-left", SlotFillTable).row_count)
        await pilot.pause()
        fill = screen.query_one("#floor-fill-left", SlotFillTable)
        assert fill.display and not screen.query_one("#floor-fill", SlotFillTable).display
        for table in (fill, screen.table):
            assert table.virtual_size.width <= table.scrollable_content_region.width, table.id
        assert fill.region.y > screen.table.region.bottom  # under the agents

    narrower = make_app(language=language, role="supervisor", floor=FLOOR_SECTION)
    async with narrower.run_test(size=(120, 36)) as pilot:  # in the side panel, as before
        await wait_floor(pilot)
        screen = floor_of(narrower)
        assert screen.query_one("#floor-fill", SlotFillTable).display
        assert not screen.query_one("#floor-fill-left", SlotFillTable).display


@pytest.mark.parametrize("language", ["en", "sl"])
async def test_the_floor_shows_todays_messages_to_callers_by_status(
    make_app, world, data_dir, language
) -> None:  # type: ignore[no-untyped-def]
    """Issue 16 on the floor: today's confirmations and reminders, queued, sent, failed (a
    caller not told: red) and withdrawn."""
    _ids, clock = world
    now = clock.now().replace(tzinfo=None)
    database = Database.open(data_dir / "central.db")
    with database.write() as connection:
        booking = connection.execute(select(bookings.c.id, bookings.c.caller_id)).first()
        assert booking is not None
        statuses = ["sent", "sent", "sent", "failed", "queued", "sending", "cancelled"]
        connection.execute(
            messages.insert(),
            [
                {
                    "booking_id": booking.id,
                    "caller_id": booking.caller_id,
                    "kind": "booked",
                    "channel": "email",
                    "address": "ana@example.org",
                    "language": "sl",
                    "status": status,
                    "message_id": f"<floor-{index}@agent-console>",
                    "ical_uid": f"floor-{index}",
                    "created_at": now,
                    "send_after": now,
                    "next_attempt_at": now,
                    "claimed_by": "sender" if status == "sending" else None,
                }
                for index, status in enumerate(statuses)
            ],
        )
    database.dispose()
    app = make_app(language=language, role="supervisor", floor=FLOOR_SECTION)
    async with app.run_test(size=SIZE) as pilot:
        await wait_floor(pilot)
        floor = floor_of(app)
        assert floor.floor is not None
        counts = floor.floor.messages
        assert (counts.queued, counts.sending, counts.sent, counts.failed, counts.cancelled) == (
            1,
            1,
            3,
            1,
            1,
        )
        shown = " ".join(widget_text(floor.query_one(MessageFigures)).split())
        if language == "en":
            assert "Queued 2 Sent 3" in shown and "Failed 1 Withdrawn 1" in shown
        else:
            assert "V vrsti 2 Poslano 3" in shown and "Neuspešno 1 Umaknjeno 1" in shown
