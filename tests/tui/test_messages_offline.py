"""Messages to callers while the central service is down: the real console against the real
service over HTTP, stopped and started mid-test (as ``test_offline.py`` does). A caller's
consent changed offline is queued like any caller change, shown on the card and replayed; a
provisional booking's dialog says the confirmation goes out once the booking is confirmed, and
switching it off there is queued behind the booking and replayed after it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from harness import settle, until
from offline_rig import SIZE, ready_and_synced, served_rig, shown_text
from offline_rig import ServedRig as Rig
from sqlalchemy import select
from textual.pilot import Pilot
from textual.widgets import Checkbox, Input, Select, Static

from console.domain.models import CallerPatch, MessageChannel
from console.screens.booking_dialogs import BookedDialog, HoldDialog
from console.screens.lookup import LookupScreen
from console.screens.new_caller import NewCallerForm
from console.screens.slots import SlotsScreen
from console.server.schema import bookings, callers, messages
from widgets.caller_card import CallerCardView

EMAIL = "janez.kovac@example.si"


@pytest.fixture
def rig(tmp_path: Path, _sqlite_template: Path) -> Iterator[Rig]:
    with served_rig(_sqlite_template, tmp_path, days=3, slots_per_day=6) as served:
        yield served


def flat(card: CallerCardView) -> str:
    """What the card shows, its lines joined (a narrow card wraps them)."""
    return " ".join(" ".join(shown_text(part) for part in card.query(Static)).split())


async def janez_on_the_card(pilot: Pilot, rig: Rig) -> CallerCardView:
    """Online: the desk caches Janez's card as it opens it."""
    app = await ready_and_synced(pilot)
    app.screen.open_caller(rig.world.callers["janez"])
    await settle(pilot)
    return app.screen.query_one(CallerCardView)


async def offline(pilot: Pilot, rig: Rig) -> None:
    rig.central.stop()
    await until(pilot, lambda: pilot.app.connection_state == "offline")


async def back_online(pilot: Pilot, rig: Rig) -> None:
    app = pilot.app
    rig.central.start()
    app.action_reconnect()
    await until(pilot, lambda: app.connection_state == "online" and app.sync_status.queued == 0)
    await settle(pilot)


async def test_consent_changed_offline_is_queued_shown_and_replayed(rig: Rig) -> None:
    app = rig.console("en")
    janez = rig.world.callers["janez"]
    async with app.run_test(size=SIZE) as pilot:
        card = await janez_on_the_card(pilot, rig)
        assert "Messages none" in flat(card)
        await offline(pilot, rig)

        await pilot.press("ctrl+e")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, NewCallerForm) and form.editing is not None
        form.field("email").input.value = EMAIL
        form.query_one("#new-caller-channel", Select).value = "email"
        form.query_one("#new-caller-consent", Checkbox).value = True
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, LookupScreen)
        assert any("is queued" in n.message for n in app._notifications)
        assert "Messages e-mail agreed" in flat(card)
        assert app.sync_status.queued == 1
        assert rig.rows(select(callers.c.message_consent).where(callers.c.id == janez)) == [
            (False,)
        ]

        await back_online(pilot, rig)
        row = rig.rows(select(callers).where(callers.c.id == janez))[0]
        assert (row.email, row.message_channel, row.message_consent) == (EMAIL, "email", True)
        assert row.message_consent_at is not None


async def test_a_provisional_bookings_confirmation_waits_and_its_switch_off_is_queued(
    rig: Rig,
) -> None:
    app = rig.console("en")
    janez = rig.world.callers["janez"]
    async with app.run_test(size=SIZE) as pilot:
        await janez_on_the_card(pilot, rig)
        await app.desk.update_caller(
            janez,
            CallerPatch(email=EMAIL, message_channel=MessageChannel.EMAIL, message_consent=True),
        )
        await offline(pilot, rig)

        await pilot.press("f3")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SlotsScreen)
        field = screen.query_one("#service", Input)
        field.focus()
        field.value = ""
        await pilot.press(*"ue-id-card", "enter")
        await settle(pilot)
        screen.table.focus()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, HoldDialog)
        await pilot.press("ctrl+s")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, BookedDialog) and dialog.provisional
        shown = " ".join(shown_text(dialog.query_one("#booked-facts")).split())
        assert f"Goes out once the central system confirms the booking: e-mail to {EMAIL}" in shown
        await pilot.press("n")
        await settle(pilot)
        shown = " ".join(shown_text(dialog.query_one("#booked-facts")).split())
        assert "Switching off is queued" in shown
        assert [row.kind for row in app.store.outbox.pending()] == ["book", "withdraw_messages"]

        await back_online(pilot, rig)
        made = rig.rows(select(bookings).where(bookings.c.caller_id == janez))
        assert len(made) == 1 and made[0].status == "confirmed"
        sent = rig.rows(
            select(messages.c.kind, messages.c.status, messages.c.reason).where(
                messages.c.booking_id == made[0].id
            )
        )
        assert sent and all(
            (status, reason) == ("cancelled", "Switched off by the agent.")
            for _kind, status, reason in sent
        )
