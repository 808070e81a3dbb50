"""The caller's channel and consent, and the outbox: one message per event, written in the
booking's own transaction, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta

from message_rig import Rig
from sqlalchemy import func, select, update

from console.domain.calendar import TZ
from console.server import clock
from console.server.messages import outbox
from console.server.schema import messages


def _rows(rig: Rig) -> list:
    with rig.database.read() as connection:
        return connection.execute(select(messages).order_by(messages.c.id)).all()


# --- the caller's channel and consent --------------------------------------------------------


def test_channel_and_consent_are_stored_with_the_time_of_consent(rig: Rig) -> None:
    caller_id = rig.world.callers["janez"]
    fresh = rig.get(f"/v1/callers/{caller_id}").json()
    assert fresh["message_channel"] == "none"
    assert fresh["message_consent"] is False
    assert fresh["message_consent_at"] is None and fresh["message_address"] is None

    before = clock.from_db(clock.now())
    body = rig.consent("janez", email="janez.kovac@example.org")
    assert body["message_channel"] == "email" and body["message_consent"] is True
    assert body["message_address"] == "janez.kovac@example.org"
    given = datetime.fromisoformat(body["message_consent_at"])
    assert given >= before

    # Changing the channel keeps the time consent was given; withdrawing it records a new one.
    to_sms = rig.patch(f"/v1/callers/{caller_id}", json={"message_channel": "sms"}).json()
    assert to_sms["message_address"] == "+38641234567"
    assert datetime.fromisoformat(to_sms["message_consent_at"]) == given
    withdrawn = rig.patch(f"/v1/callers/{caller_id}", json={"message_consent": False}).json()
    assert withdrawn["message_consent"] is False and withdrawn["message_address"] is None
    assert datetime.fromisoformat(withdrawn["message_consent_at"]) > given


def test_a_channel_needs_its_address(rig: Rig) -> None:
    marija = rig.world.callers["marija"]  # a landline only, no e-mail
    for channel in ("email", "sms"):
        answer = rig.patch(f"/v1/callers/{marija}", json={"message_channel": channel})
        assert answer.status_code == 422, answer.text
        assert answer.json()["field"] == "message_channel"
    bad = rig.patch(f"/v1/callers/{marija}", json={"message_channel": "fax"})
    assert bad.status_code == 422 and bad.json()["field"] == "message_channel"
    # Removing the e-mail address of a caller who wants e-mail is refused too.
    rig.consent("janez")
    gone = rig.patch(f"/v1/callers/{rig.world.callers['janez']}", json={"email": None})
    assert gone.status_code == 422 and gone.json()["field"] == "message_channel"


def test_a_new_caller_may_come_with_consent(rig: Rig) -> None:
    answer = rig.post(
        "/v1/callers",
        json={
            "first_name": "Ana",
            "last_name": "Zupan",
            "phones": ["040 111 222"],
            "message_channel": "sms",
            "message_consent": True,
        },
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["message_address"] == "+38640111222" and body["message_consent_at"]
    supervisor = rig.patch(
        f"/v1/callers/{body['id']}", "supervisor", json={"message_consent": False}
    )
    assert supervisor.status_code == 403


# --- the outbox ------------------------------------------------------------------------------


def test_a_booking_queues_its_confirmation_and_its_reminder(rig: Rig) -> None:
    rig.consent("janez")
    booking = rig.book(slot=rig.slot(day=2))
    kinds = [(m["kind"], m["channel"], m["address"], m["status"]) for m in booking["messages"]]
    assert kinds == [
        ("booked", "email", "janez@example.org", "queued"),
        ("reminder", "email", "janez@example.org", "queued"),
    ]
    reminder = booking["messages"][1]
    local = datetime.fromisoformat(reminder["send_after"]).astimezone(TZ)
    assert (local.hour, local.minute) == (10, 0)
    assert local.date() == rig.world.days[1]  # the working day before the appointment
    rows = _rows(rig)
    assert [row.message_id for row in rows] == [m["message_id"] for m in booking["messages"]]
    assert len({row.message_id for row in rows}) == 2
    assert {row.ical_uid for row in rows} == {f"booking-{booking['reference']}@ue.example"}
    # Read back on the booking and on the caller.
    read = rig.get(f"/v1/bookings/{booking['reference']}").json()
    assert [m["id"] for m in read["messages"]] == [m["id"] for m in booking["messages"]]
    listed = rig.get("/v1/bookings", params={"caller": rig.world.callers["janez"]}).json()
    assert [m["kind"] for m in listed[0]["messages"]] == ["booked", "reminder"]
    mine = rig.get(f"/v1/callers/{rig.world.callers['janez']}/messages").json()
    assert [m["kind"] for m in mine] == ["reminder", "booked"]  # newest first


def test_no_message_without_consent_channel_or_when_switched_off(rig: Rig) -> None:
    assert rig.book("janez", slot=rig.slot(index=0))["messages"] == []  # no consent given
    rig.consent("spela", channel="sms")
    assert rig.book("spela", slot=rig.slot(index=1), notify=False)["messages"] == []
    rig.patch(f"/v1/callers/{rig.world.callers['spela']}", json={"message_channel": "none"})
    assert rig.book("spela", slot=rig.slot(index=2))["messages"] == []
    assert _rows(rig) == []


def test_a_retried_or_refused_booking_writes_no_second_message(rig: Rig) -> None:
    rig.consent("janez")
    key = {"Idempotency-Key": "booking-retry-0001"}
    first = rig.book(slot=rig.slot(index=3), headers=key)
    again = rig.book(slot=rig.slot(index=3), headers=key)
    assert again == first
    refused = rig.post(
        "/v1/bookings",
        json={"caller_id": rig.world.callers["janez"], "slot_id": rig.slot(index=3)},
    )
    assert refused.status_code == 409
    assert len(_rows(rig)) == 2  # the one booking's confirmation and reminder


def test_a_reschedule_moots_the_old_reminder_and_keeps_the_calendar_uid(rig: Rig) -> None:
    rig.consent("janez")
    booking = rig.book(slot=rig.slot(day=1))
    # Its confirmation went out (the caller knows of the booking); its reminder waits.
    with rig.database.write() as connection:
        connection.execute(
            update(messages)
            .where(messages.c.id == booking["messages"][0]["id"])
            .values(status="sent", attempts=1, sent_at=clock.now())
        )
    moved = rig.post(
        f"/v1/bookings/{booking['reference']}/reschedule", json={"slot_id": rig.slot(day=2)}
    )
    assert moved.status_code == 201, moved.text
    new = moved.json()
    assert [m["kind"] for m in new["messages"]] == ["rescheduled", "reminder"]
    old = rig.get(f"/v1/bookings/{booking['reference']}").json()["messages"]
    statuses = {m["kind"]: (m["status"], m["reason"]) for m in old}
    assert statuses["booked"] == ("sent", None)
    assert statuses["reminder"] == (
        "cancelled",
        f"The booking was rescheduled to {new['reference']}.",
    )
    rows = {row.id: row for row in _rows(rig)}
    new_row = rows[new["messages"][0]["id"]]
    assert new_row.ical_uid == f"booking-{booking['reference']}@ue.example"
    assert new_row.ical_sequence == 1
    # A cancel: METHOD:CANCEL's message, the same UID, the next SEQUENCE; the reminder moot.
    cancelled = rig.post(f"/v1/bookings/{new['reference']}/cancel", json={"reason": "ill"})
    assert cancelled.status_code == 200, cancelled.text
    # The answer: the booking's messages made moot, with why, and the cancellation queued.
    answer = [(m["kind"], m["status"], m["reason"]) for m in cancelled.json()["messages"]]
    assert answer[:2] == [
        ("rescheduled", "cancelled", "The booking was cancelled."),
        ("reminder", "cancelled", "The booking was cancelled."),
    ]
    message = cancelled.json()["messages"][2]
    assert (message["kind"], message["status"]) == ("cancelled", "queued")
    rows = {row.id: row for row in _rows(rig)}
    assert rows[message["id"]].ical_uid == new_row.ical_uid
    assert rows[message["id"]].ical_sequence == 2
    assert rows[new["messages"][1]["id"]].status == "cancelled"


def test_a_cancel_with_notify_false_sends_nothing(rig: Rig) -> None:
    rig.consent("janez")
    booking = rig.book(slot=rig.slot(day=2), notify=False)
    answer = rig.post(f"/v1/bookings/{booking['reference']}/cancel", json={"notify": False})
    assert answer.status_code == 200 and answer.json()["messages"] == []
    assert _rows(rig) == []


def test_the_agent_can_withdraw_a_bookings_messages(rig: Rig) -> None:
    rig.consent("janez")
    booking = rig.book(slot=rig.slot(day=2))
    path = f"/v1/bookings/{booking['reference']}/messages/withdraw"
    assert rig.post(path, "supervisor").status_code == 403
    withdrawn = rig.post(path)
    assert withdrawn.status_code == 200, withdrawn.text
    assert {(m["status"], m["reason"]) for m in withdrawn.json()} == {
        ("cancelled", "Switched off by the agent.")
    }
    assert rig.post(path).json() == withdrawn.json()  # again: nothing more changes
    assert rig.post("/v1/bookings/AAAAAAA/messages/withdraw").status_code == 404  # no such
    mistyped = rig.post("/v1/bookings/AAAAAAC/messages/withdraw")  # the check fails
    assert mistyped.status_code == 422 and mistyped.json()["field"] == "reference"
    assert rig.get("/v1/callers/999999/messages").status_code == 404


def test_a_caller_without_the_address_gets_a_failed_row_saying_so(rig: Rig) -> None:
    rig.consent("janez")
    # The address went after consent was given (not through the API, which refuses that).
    with rig.database.write() as connection:
        from console.server.schema import callers

        connection.execute(
            update(callers).where(callers.c.id == rig.world.callers["janez"]).values(email=None)
        )
    [message] = rig.book(slot=rig.slot(day=2))["messages"]
    assert message["status"] == "failed"
    assert message["reason"] == "The caller's card has no e-mail address."


def test_counts_per_status_for_a_day(rig: Rig) -> None:
    rig.consent("janez")
    first = rig.book(slot=rig.slot(day=2, index=0))
    rig.book(slot=rig.slot(day=2, index=1), notify=False)
    rig.post(f"/v1/bookings/{first['reference']}/messages/withdraw")
    rig.book(slot=rig.slot(day=2, index=2))
    with rig.database.read() as connection:
        today = outbox.counts_for_day(connection)
        reminders = outbox.counts_for_day(connection, rig.world.days[1])
        total = connection.execute(select(func.count()).select_from(messages)).scalar_one()
    assert (today.queued, today.cancelled, today.sent, today.failed) == (1, 1, 0, 0)
    assert (reminders.queued, reminders.cancelled) == (1, 1)
    assert total == 4
    assert today.day == datetime.now(TZ).date()
    assert reminders.day == rig.world.days[1]
    assert rig.world.days[1] > today.day + timedelta(days=0)
