"""A cancel or reschedule tells the caller only about what they may have heard of: a booking
undone within the withdraw window (``delay_seconds``) before anything about it went out sends
nothing (no "cancelled" about a booking never confirmed to the caller, no METHOD:CANCEL for an
event their calendar never had); one whose confirmation went out, or may have (claimed by the
sender, or tried before), sends the cancellation, and so does one older than the window (the
caller has known of it since its call: booked before they consented, or its confirmation never
got out). On SQLite and PostgreSQL, through the API, with a 60 s window."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from message_rig import Rig
from sqlalchemy import select, update

from console.server import clock
from console.server.messages.outbox import CANCELLED, CANCELLED_UNTOLD, RESCHEDULED_UNTOLD
from console.server.schema import messages

WINDOW = 60.0  # seconds: the agent may withdraw a booking's messages this long
REAL_NOW = clock.now


@pytest.fixture
def message_changes() -> dict[str, Any]:
    return {"delay_seconds": WINDOW}


def after_the_window() -> datetime:
    """The service's time once the window of anything queued now has passed."""
    return REAL_NOW() + timedelta(seconds=WINDOW + 1)


def _kinds(answer: dict) -> list[tuple[str, str, str | None]]:
    return [(m["kind"], m["status"], m["reason"]) for m in answer["messages"]]


def _rows(rig: Rig) -> list:
    with rig.database.read() as connection:
        return connection.execute(select(messages).order_by(messages.c.id)).all()


def _cancel(rig: Rig, reference: str, **headers: str) -> dict:
    answer = rig.post(f"/v1/bookings/{reference}/cancel", json={}, headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_booked_then_cancelled_at_once_sends_nothing(rig: Rig, smtp) -> None:
    rig.consent("janez")
    booking = rig.book(slot=rig.slot(day=2))
    cancelled = _cancel(rig, booking["reference"])
    assert _kinds(cancelled) == [
        ("booked", "cancelled", CANCELLED_UNTOLD),
        ("reminder", "cancelled", CANCELLED_UNTOLD),
    ]
    assert [row.kind for row in _rows(rig)] == ["booked", "reminder"]  # no cancellation
    report = rig.sender(now=after_the_window).run_once()
    assert report is not None and report.handled == 0
    assert smtp[0].received == []
    # Read back: the booking's messages say the same.
    read = rig.get(f"/v1/bookings/{booking['reference']}").json()
    assert _kinds(read) == _kinds(cancelled)


def test_a_confirmation_sent_then_cancelled_queues_the_cancellation(rig: Rig, smtp) -> None:
    rig.consent("janez")
    booking = rig.book(slot=rig.slot(day=2))
    rig.sender(now=after_the_window).run_once()
    assert len(smtp[0].received) == 1
    cancelled = _cancel(rig, booking["reference"])
    assert [(kind, status) for kind, status, _why in _kinds(cancelled)] == [
        ("booked", "sent"),
        ("reminder", "cancelled"),
        ("cancelled", "queued"),
    ]
    assert _kinds(cancelled)[1][2] == CANCELLED
    rig.sender(now=after_the_window).run_once()
    assert smtp[0].received[-1].calendar.get("method") == "CANCEL"


def test_a_confirmation_claimed_by_the_sender_then_cancelled_queues_it(rig: Rig) -> None:
    """A claimed message may be at the server this moment: the caller may hear of the
    booking, so they hear of its cancellation too."""
    rig.consent("janez")
    booking = rig.book(slot=rig.slot(day=2))
    claimed = rig.sender(
        now=after_the_window
    )._claim()  # what the sender commits before it hands a message over
    assert claimed == [booking["messages"][0]["id"]]
    cancelled = _cancel(rig, booking["reference"])
    assert [(kind, status) for kind, status, _why in _kinds(cancelled)] == [
        ("booked", "sending"),  # left to finish
        ("reminder", "cancelled"),
        ("cancelled", "queued"),
    ]


def test_a_confirmation_tried_before_counts_as_may_have_gone_out(rig: Rig, smtp) -> None:
    """A message queued again after a try (a timeout may have reached the server) may have
    gone out; one the server refused at its first try never did."""
    recorder, _port = smtp
    rig.consent("janez")
    rig.consent("spela")
    retried = rig.book("janez", slot=rig.slot(day=2, index=0))
    refused = rig.book("spela", slot=rig.slot(day=2, index=1))
    recorder.refuse_to["janez@example.org"] = ["451 4.3.0 Try later"]
    recorder.refuse_to["spela@example.org"] = ["550 5.1.1 No such user here"]
    rig.sender(now=after_the_window).run_once()
    statuses = {
        row.address: (row.status, row.attempts) for row in _rows(rig) if row.kind == "booked"
    }
    assert statuses == {"janez@example.org": ("queued", 1), "spela@example.org": ("failed", 1)}
    assert _kinds(_cancel(rig, retried["reference"]))[-1][:2] == ("cancelled", "queued")
    assert [kind for kind, _s, _w in _kinds(_cancel(rig, refused["reference"]))] == [
        "booked",
        "reminder",
    ]


def test_a_reschedule_before_the_confirmation_went_out_confirms_the_new_one(rig: Rig, smtp) -> None:
    """Moved within the delay: the old confirmation is moot, and the new booking's message is
    a plain confirmation (not "moved", about a booking the caller never read of), in the
    chain's calendar UID with its SEQUENCE; cancelled once that went out, the caller is told."""
    recorder, _port = smtp
    rig.consent("janez")
    first = rig.book(slot=rig.slot(day=2, index=0))
    moved = rig.post(
        f"/v1/bookings/{first['reference']}/reschedule",
        json={"slot_id": rig.slot(day=2, index=3)},
    )
    assert moved.status_code == 201, moved.text
    new = moved.json()
    assert [(m["kind"], m["status"]) for m in new["messages"]] == [
        ("booked", "queued"),
        ("reminder", "queued"),
    ]
    old = rig.get(f"/v1/bookings/{first['reference']}").json()
    why = RESCHEDULED_UNTOLD.format(reference=new["reference"])
    assert _kinds(old) == [("booked", "cancelled", why), ("reminder", "cancelled", why)]

    rig.sender(now=after_the_window).run_once()
    [mail] = recorder.received
    assert mail.message["Subject"].startswith("Termin rezerviran")
    assert mail.calendar.get("method") == "REQUEST"
    [event] = mail.calendar.walk("VEVENT")
    assert str(event.get("uid")) == f"booking-{first['reference']}@ue.example"
    assert int(event.get("sequence")) == 1  # counts the chain's versions; never goes back

    cancelled = _cancel(rig, new["reference"])
    assert _kinds(cancelled)[-1][:2] == ("cancelled", "queued")
    rig.sender(now=after_the_window).run_once()
    cancel_mail = recorder.received[-1]
    assert cancel_mail.calendar.get("method") == "CANCEL"
    [event] = cancel_mail.calendar.walk("VEVENT")
    assert str(event.get("uid")) == f"booking-{first['reference']}@ue.example"
    assert int(event.get("sequence")) == 2


def test_rescheduled_twice_at_once_then_cancelled_sends_nothing(rig: Rig) -> None:
    rig.consent("janez")
    first = rig.book(slot=rig.slot(day=2, index=0))
    second = rig.post(
        f"/v1/bookings/{first['reference']}/reschedule", json={"slot_id": rig.slot(day=2, index=1)}
    ).json()
    third = rig.post(
        f"/v1/bookings/{second['reference']}/reschedule", json={"slot_id": rig.slot(day=2, index=2)}
    ).json()
    assert [m["kind"] for m in third["messages"]] == ["booked", "reminder"]
    cancelled = _cancel(rig, third["reference"])
    assert {status for _k, status, _w in _kinds(cancelled)} == {"cancelled"}
    assert "cancelled" not in {row.kind for row in _rows(rig)}


def test_an_earlier_booking_of_the_chain_told_the_caller(rig: Rig) -> None:
    """The caller read of the first booking; its move has not gone out yet when the new one
    is cancelled: the cancellation goes (the caller's calendar has the event)."""
    rig.consent("janez")
    first = rig.book(slot=rig.slot(day=2, index=0))
    with rig.database.write() as connection:
        connection.execute(
            update(messages)
            .where(messages.c.id == first["messages"][0]["id"])
            .values(status="sent", attempts=1, sent_at=clock.now())
        )
    moved = rig.post(
        f"/v1/bookings/{first['reference']}/reschedule", json={"slot_id": rig.slot(day=2, index=1)}
    ).json()
    assert [m["kind"] for m in moved["messages"]] == ["rescheduled", "reminder"]
    cancelled = _cancel(rig, moved["reference"])
    assert _kinds(cancelled) == [
        ("rescheduled", "cancelled", CANCELLED),
        ("reminder", "cancelled", CANCELLED),
        ("cancelled", "queued", None),
    ]


def test_a_replayed_cancel_follows_the_rule_when_it_arrives(rig: Rig, smtp) -> None:
    """A desk's offline cancel is replayed later with its idempotency key: the rule is
    applied in the cancel's own transaction, by what had gone out by then; the retry of the
    same key answers the same and queues nothing more."""
    rig.consent("janez")
    rig.consent("spela")
    # Replayed right behind its booking (both queued offline): nothing had gone out.
    quick = rig.book("janez", slot=rig.slot(day=2, index=0))
    key = {"Idempotency-Key": "desk-7-cancel-0001"}
    first = _cancel(rig, quick["reference"], **key)
    assert _kinds(first)[-1][2] == CANCELLED_UNTOLD
    assert _cancel(rig, quick["reference"], **key) == first
    # Replayed once the confirmation had gone out: the cancellation is queued.
    later = rig.book("spela", slot=rig.slot(day=2, index=1))
    rig.sender(now=after_the_window).run_once()
    key = {"Idempotency-Key": "desk-7-cancel-0002"}
    second = _cancel(rig, later["reference"], **key)
    assert _kinds(second)[-1][:2] == ("cancelled", "queued")
    assert _cancel(rig, later["reference"], **key) == second
    assert [row.kind for row in _rows(rig)].count("cancelled") == 1


def test_booked_before_the_caller_consented_and_cancelled_later_sends_the_cancellation(
    rig: Rig, smtp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No message was queued at the booking (no consent yet): the caller heard of it in the
    call. They consent later; cancelled after the window, they read that it is cancelled."""
    recorder, _port = smtp
    booking = rig.book(slot=rig.slot(day=2))
    assert booking["messages"] == []
    rig.consent("janez")
    monkeypatch.setattr(clock, "now", after_the_window)  # the cancel comes a minute later
    cancelled = _cancel(rig, booking["reference"])
    assert _kinds(cancelled) == [("cancelled", "queued", None)]
    rig.sender(now=lambda: after_the_window() + timedelta(seconds=WINDOW + 1)).run_once()
    [mail] = recorder.received
    assert mail.calendar.get("method") == "CANCEL"
    [event] = mail.calendar.walk("VEVENT")
    assert str(event.get("uid")) == f"booking-{booking['reference']}@ue.example"


def test_a_confirmation_that_never_got_out_is_moot_and_a_later_cancel_still_tells_the_caller(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sender was not running: the confirmation still waits when the booking is cancelled
    after the window. The caller knew of the booking from their call: the confirmation is
    moot (it would say booked after the cancel) and the cancellation goes."""
    rig.consent("janez")
    booking = rig.book(slot=rig.slot(day=2))
    monkeypatch.setattr(clock, "now", after_the_window)
    cancelled = _cancel(rig, booking["reference"])
    assert _kinds(cancelled) == [
        ("booked", "cancelled", CANCELLED),
        ("reminder", "cancelled", CANCELLED),
        ("cancelled", "queued", None),
    ]
