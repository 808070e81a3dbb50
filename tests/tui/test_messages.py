"""Messages to callers in the console, on the embedded demo: the caller's channel and consent
in the caller form (new, and ctrl+e editing the card's caller), what the booked dialog says
will be sent where and ``n`` switching it off (also after the confirmation went out), "notify
the caller" on cancel and reschedule, and each message's status on the caller card."""

from __future__ import annotations

import functools
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import support
from harness import settle, until
from sqlalchemy import select, update
from textual.geometry import Region
from textual.pilot import Pilot
from textual.widgets import Checkbox, Select, Static
from tui_shared import TODAY

from console.client.api import ApiRefused
from console.clock import Clock
from console.config import MessagesSection, SmsSection, SmtpSection
from console.domain.models import CallerIn, CallerPatch, MessageChannel, Slot
from console.screens.booking_dialogs import BookedDialog, CancelDialog, HoldDialog
from console.screens.bookings import BookingsScreen
from console.screens.lookup import LookupScreen
from console.screens.new_caller import NewCallerForm
from console.screens.slot_query import local_midnight
from console.screens.slots import SlotsScreen
from console.server.db import Database
from console.server.schema import bookings, callers, messages
from widgets.caller_card import CallerCardView

SIZE = (120, 36)
EMAIL = "janez.kovac@example.si"
CONSENT = CallerPatch(email=EMAIL, message_channel=MessageChannel.EMAIL, message_consent=True)
SERVICE = {"sl": "potni", "en": "passp"}


@pytest.fixture
def make_app(make_app):  # type: ignore[no-untyped-def]
    """The desk's own polls of the change feed come at most every 300 s."""
    return functools.partial(make_app, sync_seconds=300)


@pytest.fixture
def central(data_dir: Path):  # type: ignore[no-untyped-def]
    """The embedded service's database, read (and, to stage a message's fate, written)."""
    database = Database.open(data_dir / "central.db")
    yield database
    database.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def text_of(widget) -> str:  # type: ignore[no-untyped-def]
    return "\n".join(strip.text for strip in widget.render_lines(Region(0, 0, *widget.size)))


def card_text(card: CallerCardView) -> str:
    """What the caller card shows, part by part."""
    return "\n".join(text_of(part) for part in card.query(Static))


def footer(app) -> str:  # type: ignore[no-untyped-def]
    return " ".join(
        f"{key} {binding.description}"
        for key, (_node, binding, enabled, _tooltip) in app.active_bindings.items()
        if binding.show and enabled
    )


def messages_of(central: Database, booking_id: int) -> list[tuple[str, str, str | None]]:
    with central.read() as connection:
        rows = connection.execute(
            select(messages.c.kind, messages.c.status, messages.c.reason)
            .where(messages.c.booking_id == booking_id)
            .order_by(messages.c.id)
        ).all()
    return [tuple(row) for row in rows]


async def janez(pilot: Pilot, *, consent: bool = False) -> int:
    """Janez Kovač on the card (with consent to e-mail when asked for)."""
    app = pilot.app
    found = await app.desk.search("kova jan")
    caller_id = next(c.id for c in found.callers if c.first_name == "Janez")
    if consent:
        await app.desk.update_caller(caller_id, CONSENT)
    screen = app.screen
    assert isinstance(screen, LookupScreen)
    screen.open_caller(caller_id)
    await settle(pilot)
    return caller_id


async def book_from_the_list(pilot: Pilot, language: str, rows_down: int = 0) -> BookedDialog:
    """F3, the passport service, a slot, confirm: the booked dialog."""
    await pilot.press("f3")
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, SlotsScreen)
    await pilot.press(*SERVICE[language], "enter")
    await settle(pilot)
    for _ in range(rows_down):
        await pilot.press("down")
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(pilot.app.screen, HoldDialog)
    await pilot.press("ctrl+s")
    await settle(pilot)
    dialog = pilot.app.screen
    assert isinstance(dialog, BookedDialog)
    return dialog


async def passport_slots(app, count: int) -> list[Slot]:  # type: ignore[no-untyped-def]
    """The earliest free passport slots from the demo's (fixed) today, one per start time (they
    are booked for one caller: overlapping ones would be 409 caller_has_booking)."""
    service = next(s for s in app.desk.services if s.name_en == "Passport")
    start = local_midnight(app.desk.today())
    found = support.at_distinct_times(
        await app.desk.find_slots(service.id, start=start, end=start + timedelta(days=10))
    )
    assert len(found) >= count
    return found[:count]


def messages_shown(dialog: BookedDialog) -> str:
    return text_of(dialog.query_one("#booked-facts"))


# -- the caller's channel and consent --------------------------------------------------------


async def test_consent_is_given_in_the_edit_form_and_shown_on_the_card(
    make_app, ready, central
) -> None:
    app = make_app(language="en")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        caller_id = await janez(pilot)
        card = app.screen.query_one(CallerCardView)
        assert "Messages       none" in card_text(card)
        assert "ctrl+e edit: contacts, messages, consent" in card_text(card)
        await pilot.press("ctrl+e")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, NewCallerForm) and form.editing is not None
        assert form.query_one("#new-caller-dialog").border_title == "Edit caller"
        assert form.field("first_name").value == "Janez"
        assert form.field("phones").value == "041 234 567"
        form.query_one("#new-caller-channel", Select).value = "email"
        form.query_one("#new-caller-consent", Checkbox).value = True
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form, "a channel without its address is refused"
        problem = str(form.query_one("#new-caller-problem").render())
        assert problem.startswith("Not saved: Messages by e-mail need an e-mail address")
        assert form.query_one("#new-caller-consent-at").has_class("-error")
        assert form.focused is form.query_one("#new-caller-channel")

        form.field("email").input.value = EMAIL
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, LookupScreen)
        shown = card_text(card)
        assert "Messages       e-mail  agreed" in shown
        assert any("Saved the changes to Janez Kovač" in n.message for n in app._notifications)
        with central.read() as connection:
            row = connection.execute(select(callers).where(callers.c.id == caller_id)).one()
        assert (row.email, row.message_channel, row.message_consent) == (EMAIL, "email", True)
        assert row.message_consent_at is not None
        assert app.desk.caller.message_address == EMAIL

        # Withdrawn again: the card says since when.
        await pilot.press("ctrl+e")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, NewCallerForm)
        assert "agreed" in str(form.query_one("#new-caller-consent-at").render())
        form.query_one("#new-caller-consent", Checkbox).value = False
        await pilot.press("ctrl+s")
        await settle(pilot)
        shown = card_text(card)
        assert "e-mail, no consent" in shown and "consent" in shown.split("no consent")[1]
        assert "withdrawn" in shown


async def test_a_new_callers_channel_needs_its_address_and_the_services_refusal_names_it(
    make_app, ready, central
) -> None:
    app = make_app(language="sl")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("ctrl+n")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, NewCallerForm)
        form.field("first_name").input.value = "Zala"
        form.field("last_name").input.value = "Izpad"
        form.field("phones").input.value = "01 234 56 78"  # a landline: no SMS to it
        form.query_one("#new-caller-channel", Select).value = "sms"
        form.query_one("#new-caller-consent", Checkbox).value = True
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form
        shown = str(form.query_one("#new-caller-consent-at").render())
        assert shown.startswith("Sporočila po SMS potrebujejo mobilno številko")

        # What the service says about the channel goes to the same place, in the UI language.
        payload = CallerIn(first_name="Zala", last_name="Izpad", message_channel="email")
        refusal = ApiRefused(
            422,
            "invalid",
            "Messages by e-mail need an e-mail address on the caller's card.",
            "message_channel",
        )
        await form._refused(refusal, payload)
        shown = str(form.query_one("#new-caller-consent-at").render())
        assert shown.startswith("Sporočila po e-pošti potrebujejo e-poštni naslov")
        assert str(form.query_one("#new-caller-problem").render()).startswith("Ni shranjeno: ")

        form.field("phones").input.value = "031 555 222"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, LookupScreen)
        with central.read() as connection:
            row = connection.execute(select(callers).where(callers.c.first_name == "Zala")).one()
        assert (row.message_channel, row.message_consent) == ("sms", True)
        card = app.screen.query_one(CallerCardView)
        assert "SMS na 031 555 222  soglasje" in card_text(card)


# -- the booked dialog -----------------------------------------------------------------------


async def test_the_booked_dialog_says_what_goes_where_and_n_switches_it_off(
    make_app, ready, central
) -> None:
    app = make_app(language="en")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await janez(pilot, consent=True)
        dialog = await book_from_the_list(pilot, "en")
        shown = messages_shown(dialog)
        assert f"Messages  e-mail to {EMAIL}" in shown
        assert "confirmation: goes out" in shown and "reminder: goes out" in shown
        assert "Nothing sends them from this console" in shown  # [messages] sender = false
        assert "n Don't send" in footer(app)
        booking_id = dialog.booking.id
        assert {status for _, status, _ in messages_of(central, booking_id)} == {"queued"}

        await pilot.press("n")
        await settle(pilot)
        assert messages_of(central, booking_id) == [
            ("booked", "cancelled", "Switched off by the agent."),
            ("reminder", "cancelled", "Switched off by the agent."),
        ]
        shown = messages_shown(dialog)
        assert "confirmation: switched off · reminder: switched off" in shown
        assert "Switched off: nothing goes to the caller." in shown
        assert "Don't send" not in footer(app)


async def test_a_confirmation_already_sent_is_said_to_be_sent(make_app, ready, central) -> None:
    app = make_app(language="en")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await janez(pilot, consent=True)
        dialog = await book_from_the_list(pilot, "en")
        sent_at = datetime.now(UTC).replace(tzinfo=None)
        with central.write() as connection:  # the service's delay is over: the sender sent it
            connection.execute(
                update(messages)
                .where(messages.c.booking_id == dialog.booking.id, messages.c.kind == "booked")
                .values(status="sent", sent_at=sent_at, attempts=1)
            )
        await pilot.press("n")
        await settle(pilot)
        assert [status for _, status, _ in messages_of(central, dialog.booking.id)] == [
            "sent",
            "cancelled",
        ]
        shown = messages_shown(dialog)
        assert "confirmation: sent" in shown and "reminder: switched off" in shown
        assert "Already sent: a message that went out cannot be recalled." in shown


async def test_without_consent_the_dialog_says_nothing_goes_and_why(make_app, ready) -> None:
    app = make_app(language="sl")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await janez(pilot)
        dialog = await book_from_the_list(pilot, "sl")
        assert dialog.booking.messages == []
        assert "Ničesar ne bomo poslali: klicatelj ni dal soglasja za sporočila." in (
            messages_shown(dialog)
        )
        assert "Ne pošlji" not in footer(app)


# -- notify the caller: cancel and reschedule ------------------------------------------------


async def test_cancel_notifies_by_default_and_not_when_switched_off(
    make_app, ready, central
) -> None:
    app = make_app(language="en")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        caller_id = await janez(pilot, consent=True)
        slots = await passport_slots(app, 2)
        made = [await app.desk.api.book(caller_id, slot_id=slot.id) for slot in slots]
        with central.write() as connection:  # the confirmations went out: the caller knows
            connection.execute(
                update(messages)
                .where(messages.c.booking_id.in_([b.id for b in made]))
                .where(messages.c.kind == "booked")
                .values(status="sent", sent_at=datetime.now(UTC).replace(tzinfo=None), attempts=1)
            )
        await pilot.press("f4")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, BookingsScreen)
        for booking, notify in zip(made, (False, True), strict=True):
            screen.table.move_cursor(row=screen.table.get_row_index(booking.reference))
            await pilot.press("c")
            await settle(pilot)
            dialog = app.screen
            assert isinstance(dialog, CancelDialog)
            choice = dialog.query_one("#cancel-notify", Checkbox)
            assert choice.value is True and f"Notify the caller: e-mail to {EMAIL}" in str(
                choice.label
            )
            assert not dialog.query("#cancel-untold")  # the caller read of it
            if not notify:
                await pilot.press("ctrl+n")
                assert choice.value is False
            await pilot.press("ctrl+s")
            await settle(pilot)
            kinds = [kind for kind, _, _ in messages_of(central, booking.id)]
            assert ("cancelled" in kinds) is notify, kinds
        told = f"The caller gets the cancellation: e-mail to {EMAIL}."
        await until(pilot, lambda: any(told in n.message for n in app._notifications))
        assert sum(told in n.message for n in app._notifications) == 1
        with central.read() as connection:
            statuses = connection.execute(
                select(bookings.c.status).where(bookings.c.id.in_([b.id for b in made]))
            ).scalars()
            assert set(statuses) == {"cancelled"}


async def test_a_booking_cancelled_before_its_confirmation_went_out_sends_nothing(
    make_app, ready, central
) -> None:
    """The dialog says so before (the confirmation goes out at …: cancelled before then,
    nothing is sent), and the answer after: nothing was sent, the caller never heard of it."""
    app = make_app(language="en")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        caller_id = await janez(pilot, consent=True)
        booking = await app.desk.api.book(caller_id, slot_id=(await passport_slots(app, 1))[0].id)
        await pilot.press("f4")
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, CancelDialog)
        assert dialog.query_one("#cancel-notify", Checkbox).value is True
        untold = text_of(dialog.query_one("#cancel-untold", Static))
        assert "Its confirmation goes out" in untold and "nothing is sent" in untold
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert messages_of(central, booking.id) == [
            ("booked", "cancelled", "The booking was cancelled before anything about it went out."),
            (
                "reminder",
                "cancelled",
                "The booking was cancelled before anything about it went out.",
            ),
        ]
        nothing = "Nothing was sent: the caller was never told about this booking."
        await until(pilot, lambda: any(nothing in n.message for n in app._notifications))


async def test_a_booking_past_the_withdraw_window_is_cancelled_with_a_message(
    make_app, ready, central
) -> None:
    """Its confirmation never got out (the sender was not running), but the booking was made a
    minute ago: the caller has known of it since that call. The dialog does not say nothing
    is sent, and the caller gets the cancellation."""
    from console.server import clock

    app = make_app(language="en")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        caller_id = await janez(pilot, consent=True)
        booking = await app.desk.api.book(caller_id, slot_id=(await passport_slots(app, 1))[0].id)
        made = clock.now() - timedelta(minutes=1)  # as if booked a minute ago
        with central.write() as connection:
            connection.execute(
                update(bookings).where(bookings.c.id == booking.id).values(created_at=made)
            )
            connection.execute(
                update(messages)
                .where(messages.c.booking_id == booking.id, messages.c.kind == "booked")
                .values(send_after=made + timedelta(seconds=20))
            )
        await pilot.press("f4")
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, CancelDialog)
        assert dialog.query_one("#cancel-notify", Checkbox).value is True
        assert not dialog.query("#cancel-untold")
        await pilot.press("ctrl+s")
        await settle(pilot)
        kinds = [(kind, status) for kind, status, _why in messages_of(central, booking.id)]
        assert ("cancelled", "queued") in kinds or ("cancelled", "sending") in kinds, kinds
        going = "The caller gets the cancellation"
        await until(pilot, lambda: any(going in n.message for n in app._notifications))


async def test_a_reschedule_sends_nothing_when_switched_off(make_app, ready, central) -> None:
    app = make_app(language="en")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        caller_id = await janez(pilot, consent=True)
        first = (await passport_slots(app, 1))[0]
        old = await app.desk.api.book(caller_id, slot_id=first.id)
        await pilot.press("f4")
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SlotsScreen) and app.desk.rescheduling is not None
        screen.table.focus()
        await pilot.press("down", "enter")
        await settle(pilot)
        hold = app.screen
        assert isinstance(hold, HoldDialog)
        choice = hold.query_one("#hold-notify", Checkbox)
        assert choice.value is True and "e-mail to" in str(choice.label)
        await pilot.press("ctrl+n")
        assert choice.value is False
        await pilot.press("ctrl+s")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, BookedDialog) and dialog.booking.replaces == old.reference
        assert "Nothing will be sent: switched off for this booking." in messages_shown(dialog)
        assert messages_of(central, dialog.booking.id) == []
        moot = messages_of(central, old.id)
        assert moot and all(status == "cancelled" for _, status, _ in moot)


# -- the caller card -------------------------------------------------------------------------


async def test_the_card_shows_each_messages_status_and_that_nothing_sends(
    make_app, ready, central
) -> None:
    port = free_port()  # nothing listens: the console's sender waits for its mail server
    waiting = MessagesSection(smtp=SmtpSection(port=port))
    app = make_app(language="en", messages=waiting)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        caller_id = await janez(pilot, consent=True)
        free = await passport_slots(app, 2)
        one = await app.desk.api.book(caller_id, slot_id=free[0].id)
        two = await app.desk.api.book(caller_id, slot_id=free[1].id)
        with central.write() as connection:
            connection.execute(
                update(messages)
                .where(messages.c.booking_id == one.id, messages.c.kind == "booked")
                .values(status="failed", reason="550 5.1.1 No such user here", attempts=1)
            )
            connection.execute(
                update(messages)
                .where(messages.c.booking_id == two.id, messages.c.kind == "booked")
                .values(
                    status="sent",
                    attempts=1,
                    sent_at=datetime.now(UTC).replace(tzinfo=None) - timedelta(minutes=1),
                )
            )
        app.screen.open_caller(caller_id)
        await settle(pilot)
        card = app.screen.query_one(CallerCardView)
        shown = " ".join(text_of(card.query_one(".card--messages")).split())  # lines unwrapped
        assert "confirmation, e-mail: failed: 550 5.1.1 No such user here" in shown
        assert "confirmation, e-mail: sent" in shown
        assert "reminder, e-mail: goes out" in shown
        assert f"Not sending yet: the mail server at 127.0.0.1:{port} does not answer" in shown
        assert app.desk.delivery().state == "waiting"


async def test_the_card_follows_its_queued_messages_until_they_go_out(
    make_app, ready, central
) -> None:
    app = make_app(language="en", messages=MessagesSection(sender=False, delay_seconds=1))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        caller_id = await janez(pilot, consent=True)
        slot = (await passport_slots(app, 1))[0]
        booked = await app.desk.api.book(caller_id, slot_id=slot.id)
        app.screen.refresh_bookings()
        await settle(pilot)
        card = app.screen.query_one(CallerCardView)
        shown = " ".join(text_of(card.query_one(".card--messages")).split())  # as wrapped
        assert "confirmation, e-mail: goes out" in shown
        with central.write() as connection:  # a sender (send-messages) sends it meanwhile
            connection.execute(
                update(messages)
                .where(messages.c.booking_id == booked.id, messages.c.kind == "booked")
                .values(status="sent", attempts=1, sent_at=datetime.now(UTC).replace(tzinfo=None))
            )
        await until(
            pilot,
            lambda: "confirmation, e-mail: sent" in text_of(card.query_one(".card--messages")),
            timeout=20,
        )


async def test_on_the_demo_alone_confirmations_go_to_its_own_mailbox(
    make_app, ready, data_dir
) -> None:
    """The README's first command and nothing else started: a caller who agreed is booked in
    the console, and the confirmation really goes out (SMTP, to the console's own mail sink):
    the booked dialog says where to read it, the card says sent, and the text is there."""
    quiet = MessagesSection(
        delay_seconds=0,
        poll_seconds=0.2,
        smtp=SmtpSection(port=free_port()),
        sms=SmsSection(url=f"http://127.0.0.1:{free_port()}/sms"),
    )
    app = make_app(language="en", mailbox=True, messages=quiet)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await janez(pilot, consent=True)
        mailbox = data_dir / "mailbox"
        assert app.desk.delivery().mailbox == str(mailbox)
        dialog = await book_from_the_list(pilot, "en")
        shown = messages_shown(dialog)
        assert f"e-mail to {EMAIL}" in shown
        assert str(mailbox) in "".join(line.strip() for line in shown.splitlines())
        reference = dialog.booking.reference_display
        # The dialog follows its messages: once the confirmation went out it says so (not
        # "goes out …" after it has), and there is nothing left to switch off but the reminder.
        await until(
            pilot,
            lambda: "confirmation: sent" in " ".join(messages_shown(dialog).split()),
            timeout=30,
        )
        await pilot.press("enter", "f2")  # closed, and back to the caller's card
        await settle(pilot)
        card = app.screen.query_one(CallerCardView)
        await until(
            pilot,
            lambda: "confirmation, e-mail: sent" in card_text(card),
            timeout=30,
        )
        kept = [path.read_text(encoding="utf-8") for path in sorted(mailbox.glob("*.txt"))]
        assert len(kept) == 1
        assert EMAIL in kept[0] and reference in kept[0] and "METHOD:REQUEST" in kept[0]


async def test_the_card_follows_its_queued_messages_by_the_desks_clock(
    make_app, ready, central
) -> None:
    """A confirmation goes out 20 minutes from now by the system's clock: too far ahead for
    the card to wait for it; by the desk's clock (injected, 20 minutes ahead) it is due in a
    second, and the card follows it until it goes out."""
    ahead = timedelta(minutes=20)
    clock = Clock(lambda: datetime.now(UTC) + ahead, today=TODAY)
    waiting = MessagesSection(sender=False, delay_seconds=int(ahead.total_seconds()) + 1)
    app = make_app(language="en", messages=waiting, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        caller_id = await janez(pilot, consent=True)
        slot = (await passport_slots(app, 1))[0]
        booked = await app.desk.api.book(caller_id, slot_id=slot.id)
        app.screen.refresh_bookings()
        await settle(pilot)
        card = app.screen.query_one(CallerCardView)
        assert "confirmation, e-mail: goes out" in " ".join(
            text_of(card.query_one(".card--messages")).split()
        )
        with central.write() as connection:  # a sender (send-messages) sends it meanwhile
            connection.execute(
                update(messages)
                .where(messages.c.booking_id == booked.id, messages.c.kind == "booked")
                .values(status="sent", attempts=1, sent_at=datetime.now(UTC).replace(tzinfo=None))
            )
        await until(
            pilot,
            lambda: "confirmation, e-mail: sent" in text_of(card.query_one(".card--messages")),
            timeout=20,
        )
