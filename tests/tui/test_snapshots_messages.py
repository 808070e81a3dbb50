"""Screenshots of messages to callers at 80x24 and 120x36, in Slovenian and English: the
booked dialog saying what goes where and when, and the caller card with each message's status
(led by its booking's appointment).

Janez Kovač agrees to e-mail; his bookings are made through the real API with the service's
clock pinned (``FIXED``: 7:00 in Ljubljana on the demo's Monday), so each message's time, the
consent's date and the booking references are the same on every run. The console's sender
waits for a mail server on a port where nothing listens, as a demo does before
``agent-console mail-sink`` is started, and the card and the dialog say so.
"""

from __future__ import annotations

import functools
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from harness import settle
from sqlalchemy import update
from textual.pilot import Pilot
from textual.widgets import Checkbox, Select

from console.config import MessagesSection, SmtpSection
from console.domain.models import Booking, CallerPatch, MessageChannel
from console.domain.reference import new_reference
from console.screens.booking_dialogs import BookedDialog
from console.screens.new_caller import NewCallerForm
from console.screens.slot_query import local_midnight
from console.server import bookings as server_bookings
from console.server import clock
from console.server.db import Database
from console.server.schema import messages
from widgets import caller_messages
from widgets.caller_card import CallerCardView

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 36), id="120x36")]
LANGUAGES = ["sl", "en"]
FIXED = datetime(2030, 3, 4, 6, 0, tzinfo=UTC)  # Monday 7:00 in Ljubljana, before any slot
UNANSWERED_PORT = 9  # the discard port: nothing listens there on a test machine
EMAIL = "janez.kovac@example.si"


@pytest.fixture(autouse=True)
def _steady(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same references, agent name and clock on every run."""
    draw = random.Random(2030)
    monkeypatch.setattr(server_bookings, "new_reference", lambda: new_reference(draw))
    monkeypatch.setenv("USER", "mojca")
    monkeypatch.setattr(clock, "now", lambda: FIXED.replace(tzinfo=None))
    monkeypatch.setattr(caller_messages, "now", lambda: FIXED)


@pytest.fixture
def make_app(make_app):  # type: ignore[no-untyped-def]
    """The console's sender waits for a mail server that does not answer."""
    waiting = MessagesSection(smtp=SmtpSection(port=UNANSWERED_PORT))
    return functools.partial(make_app, sync_seconds=300, messages=waiting)


async def janez_books(pilot: Pilot, ready) -> tuple[int, list[Booking]]:  # type: ignore[no-untyped-def]
    """Janez agrees to e-mail and books a passport on Tuesday and on Wednesday."""
    await ready(pilot)
    app = pilot.app
    found = await app.desk.search("kova jan")
    janez = next(c.id for c in found.callers if c.first_name == "Janez")
    await app.desk.update_caller(
        janez, CallerPatch(email=EMAIL, message_channel=MessageChannel.EMAIL, message_consent=True)
    )
    service = next(s for s in app.desk.services if s.name_en == "Passport")
    made = []
    for day in (1, 2):
        start = local_midnight(app.desk.today() + timedelta(days=day))
        slot = (await app.desk.find_slots(service.id, start=start, limit=1))[0]
        made.append(await app.desk.api.book(janez, slot_id=slot.id))
    return janez, made


def stage(data_dir: Path, made: list[Booking]) -> None:
    """The first confirmation was refused by the caller's mail server, the second went out."""
    database = Database.open(data_dir / "central.db")
    try:
        with database.write() as connection:
            connection.execute(
                update(messages)
                .where(messages.c.booking_id == made[0].id, messages.c.kind == "booked")
                .values(status="failed", reason="550 5.1.1 No such user here", attempts=1)
            )
            connection.execute(
                update(messages)
                .where(messages.c.booking_id == made[1].id, messages.c.kind == "booked")
                .values(
                    status="sent",
                    attempts=1,
                    sent_at=(FIXED + timedelta(seconds=21)).replace(tzinfo=None),
                )
            )
    finally:
        database.dispose()


class TestBookedDialog:
    @pytest.mark.parametrize("size", SIZES)
    @pytest.mark.parametrize("language", LANGUAGES)
    def test_what_goes_where_and_when(self, snap_compare, make_app, ready, language, size) -> None:
        async def run_before(pilot: Pilot) -> None:
            janez, made = await janez_books(pilot, ready)
            await pilot.app.desk.open_caller(janez)
            await settle(pilot)  # the lookup shows the card (and moves its focus) first
            await pilot.app.push_screen(BookedDialog(made[1]))
            await settle(pilot)

        assert snap_compare(make_app(language=language), run_before=run_before, terminal_size=size)


class TestCallerCard:
    @pytest.mark.parametrize("size", SIZES)
    @pytest.mark.parametrize("language", LANGUAGES)
    def test_each_messages_status(
        self, snap_compare, make_app, ready, data_dir, language, size
    ) -> None:
        async def run_before(pilot: Pilot) -> None:
            janez, made = await janez_books(pilot, ready)
            stage(data_dir, made)
            screen = pilot.app.screen
            screen.open_caller(janez)
            await settle(pilot)
            card = screen.query_one(CallerCardView)
            card.focus()
            heading = card.query_one(".card--messages-heading")
            card.scroll_to_widget(heading, animate=False, top=True)
            await settle(pilot)

        assert snap_compare(make_app(language=language), run_before=run_before, terminal_size=size)


class TestCallerForm:
    @pytest.mark.parametrize("size", SIZES)
    @pytest.mark.parametrize("language", LANGUAGES)
    def test_consent_refused_without_its_address(
        self, snap_compare, make_app, ready, language, size
    ) -> None:
        """ctrl+e on Janez's card, e-mail and consent chosen, no e-mail address: the form
        stays, says why, and shows the channel it put the cursor on."""

        async def run_before(pilot: Pilot) -> None:
            await ready(pilot)
            app = pilot.app
            found = await app.desk.search("kova jan")
            janez = next(c.id for c in found.callers if c.first_name == "Janez")
            app.screen.open_caller(janez)
            await settle(pilot)
            await pilot.press("ctrl+e")
            await settle(pilot)
            form = app.screen
            assert isinstance(form, NewCallerForm)
            form.query_one("#new-caller-channel", Select).value = "email"
            form.query_one("#new-caller-consent", Checkbox).value = True
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert app.screen is form
            assert form.focused is form.query_one("#new-caller-channel")

        assert snap_compare(make_app(language=language), run_before=run_before, terminal_size=size)
