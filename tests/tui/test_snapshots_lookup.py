"""Snapshots of the caller lookup (F2) and the new-caller form, in Slovenian and in English.

Špela Česnik gets a booking and an earlier call before the console starts (written straight
into this test's copy of the database, with a fixed reference and fixed call times), so her
card shows every part: the interpreter badge, notes, an upcoming booking, a recent call. Two
more callers named Česnik make the search show several rows.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select, update
from textual.pilot import Pilot

from console.domain.models import Agent, BookingIn, CallerIn, Role
from console.domain.reference import check_symbol
from console.server import bookings, callers
from console.server.db import Database
from console.server.schema import agents, calls, services, slots
from console.server.schema import bookings as bookings_table
from console.server.schema import callers as callers_table

SIZE = (120, 36)
REFERENCE = "K7M4PX" + check_symbol("K7M4PX")
EARLIER_CALL_NOTES = {
    "sl": "Zanimalo jo je, katere dokumente potrebuje za osebno izkaznico.\nPokliče znova.",
    "en": "Asked which documents an ID card needs.\nWill call again.",
}


def give_spela_a_history(data_dir: Path, language: str) -> None:
    database = Database.open(data_dir / "central.db")
    try:
        with database.write() as connection:
            row = connection.execute(
                select(agents).where(agents.c.role == "agent").order_by(agents.c.id)
            ).first()
            agent = Agent(id=row.id, name=row.name, role=Role.AGENT)
            for new in (
                CallerIn(
                    first_name="Tomaž",
                    last_name="Česnik",
                    emso="1503985500008",
                    phones=["01 430 22 11"],
                ),
                CallerIn(
                    first_name="Špela",
                    last_name="Česnikar",
                    emso="2207001505018",
                    phones=["070 123 456", "041 765 432"],
                ),
            ):
                callers.create(connection, agent, new)
            spela = connection.execute(
                select(callers_table.c.id)
                .where(callers_table.c.last_name == "Česnik")
                .where(callers_table.c.first_name == "Špela")
            ).scalar_one()
            service = connection.execute(
                select(services.c.id).where(services.c.code == "ue-id-card")
            ).scalar_one()
            slot = connection.execute(
                select(slots.c.id)
                .where(slots.c.service_id == service, slots.c.status == "free")
                .order_by(slots.c.starts_at, slots.c.id)
                .limit(1)
            ).scalar_one()
            booking = bookings.create(
                connection, agent, BookingIn(caller_id=spela, slot_id=slot), None
            )
            connection.execute(
                update(bookings_table)
                .where(bookings_table.c.id == booking.id)
                .values(reference=REFERENCE)
            )
            connection.execute(
                calls.insert().values(
                    agent_id=agent.id,
                    caller_id=spela,
                    direction="inbound",
                    started_at=datetime(2030, 2, 27, 8, 12),
                    ended_at=datetime(2030, 2, 27, 8, 16),
                    disposition="information",
                    notes=EARLIER_CALL_NOTES[language],
                    wrapped_at=datetime(2030, 2, 27, 8, 17),
                )
            )
    finally:
        database.dispose()


async def _settle(pilot: Pilot) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def _spela_open(pilot: Pilot, ready) -> None:
    """The agent typed "česnik", went to the results and opened Špela's card."""
    await ready(pilot)
    screen = pilot.app.screen
    screen.search_box.value = "česnik"
    await _settle(pilot)
    await pilot.press("enter")  # to the results
    await _settle(pilot)
    await pilot.press("enter")  # open the first one
    await _settle(pilot)
    await _settle(pilot)


async def _new_caller_with_mistakes(pilot: Pilot, ready) -> None:
    """Ana Zupan is not found; the form opens with her name; the EMŠO has a wrong check
    digit (the agent has moved on: an error) and the phone is still being typed (a hint)."""
    await ready(pilot)
    app = pilot.app
    app.screen.search_box.value = "zupan ana"
    await _settle(pilot)
    await pilot.press("ctrl+n")
    await pilot.pause()
    form = app.screen
    form.field("emso").focus()
    await pilot.press(*"0101990500004")
    await pilot.press("tab")  # on to the ZZZS number
    phones = form.field("phones")
    phones.input.cursor_blink = False  # a steady cursor: the screenshot does not catch a blink
    phones.focus()
    await pilot.press(*"041 234 56")
    await pilot.pause()


class TestLookupSnapshots:
    @pytest.mark.parametrize("language", ["sl", "en"])
    def test_results_and_card(self, snap_compare, make_app, ready, data_dir, language) -> None:
        give_spela_a_history(data_dir, language)
        app = make_app(language=language)
        assert snap_compare(
            app, run_before=lambda pilot: _spela_open(pilot, ready), terminal_size=SIZE
        )


class TestNewCallerSnapshots:
    @pytest.mark.parametrize("language", ["sl", "en"])
    def test_form_with_validation_messages(self, snap_compare, make_app, ready, language) -> None:
        app = make_app(language=language)
        assert snap_compare(
            app,
            run_before=lambda pilot: _new_caller_with_mistakes(pilot, ready),
            terminal_size=SIZE,
        )
