"""The sender against a real SMTP server (aiosmtpd) and a real HTTP SMS gateway, both started
by the test: what arrives is parsed back and checked, refusals are retried or failed."""

from __future__ import annotations

import base64
import json
import threading
from datetime import UTC, datetime, timedelta

from message_rig import Rig
from sqlalchemy import select

from console.domain.calendar import TZ
from console.domain.sms import segments
from console.server import clock
from console.server.messages.sender import LeaseLock, Sender
from console.server.schema import messages


def _status(rig: Rig, caller: str = "janez") -> list[tuple[str, str, str | None]]:
    """The caller's messages, oldest first: (kind, status, reason)."""
    listed = rig.get(f"/v1/callers/{rig.world.callers[caller]}/messages").json()
    return [(m["kind"], m["status"], m["reason"]) for m in reversed(listed)]


def _booked(rig: Rig, caller: str = "janez") -> tuple[str, str | None]:
    """The status and reason of the caller's one confirmation (slots of the world's second
    day: its reminder is not due before tomorrow)."""
    [found] = [
        (status, reason) for kind, status, reason in _status(rig, caller) if kind == "booked"
    ]
    return found


def _later(hours: float) -> datetime:
    return clock.now() + timedelta(hours=hours)


def test_the_email_and_its_calendar_file_parsed_back(rig: Rig, smtp) -> None:
    recorder, _port = smtp
    rig.consent("janez", email="janez.kovac@example.org")
    slot = rig.slot(day=2, index=1)
    booking = rig.book(slot=slot)
    report = rig.sender().run_once()
    assert report is not None and report.sent == 1  # the reminder is not due yet
    [mail] = recorder.received
    assert mail.recipients == ["janez.kovac@example.org"]
    assert mail.sender == "narocanje@ue.example"
    message = mail.message
    assert message["Message-ID"] == booking["messages"][0]["message_id"]
    assert message["From"] == "Klicni center UE <narocanje@ue.example>"
    starts = rig.world.slot_starts[slot].replace(tzinfo=UTC).astimezone(TZ)
    when = f"{starts.day}. {starts.month}. {starts.year} ob {starts:%H:%M}"
    assert message["Subject"] == f"Termin rezerviran: Osebna izkaznica, {_weekday(starts)}, {when}"
    grouped = booking["reference_display"]
    assert " " in grouped
    for text in (mail.text, mail.html):
        assert grouped in text
        assert "UE Ljubljana, Izpostava Center, Trg 1, 1000 Ljubljana" in text
        assert "Stara osebna izkaznica" in text and "Fotografija" in text
        assert "01 306 30 00" in text  # how to cancel
        assert when in text
    # The calendar file.
    calendar = mail.calendar
    assert calendar.get("method") == "REQUEST"
    [event] = calendar.walk("VEVENT")
    assert str(event.get("uid")) == f"booking-{booking['reference']}@ue.example"
    assert int(event.get("sequence")) == 0
    start = event.decoded("dtstart")
    assert start == starts and str(start.tzinfo) == "Europe/Ljubljana"
    assert event.get("dtstart").params["TZID"] == "Europe/Ljubljana"
    assert event.decoded("dtend") - start == timedelta(minutes=15)
    assert str(event.get("location")) == "UE Ljubljana, Izpostava Center, Trg 1, 1000 Ljubljana"
    assert "Stara osebna izkaznica" in str(event.get("description"))
    assert [tz.get("tzid") for tz in calendar.walk("VTIMEZONE")] == ["Europe/Ljubljana"]
    assert _status(rig) == [("booked", "sent", None), ("reminder", "queued", None)]
    sent = rig.get(f"/v1/bookings/{booking['reference']}").json()["messages"][0]
    assert sent["status"] == "sent" and sent["sent_at"] and sent["attempts"] == 1

    # The reminder goes out on its day: the same event, the same UID and SEQUENCE.
    report = rig.sender(delay_seconds=0).run_once()
    assert report is not None and report.sent == 0
    due = datetime.fromisoformat(booking["messages"][1]["send_after"]).astimezone(UTC)
    at_reminder = due.replace(tzinfo=None) + timedelta(minutes=1)
    Sender(rig.database, rig.settings, now=lambda: at_reminder).run_once()
    reminder = recorder.received[-1]
    assert reminder.message["Subject"].startswith("Opomnik: Osebna izkaznica")
    [event] = reminder.calendar.walk("VEVENT")
    assert str(event.get("uid")) == f"booking-{booking['reference']}@ue.example"

    # Rescheduled: the same UID, SEQUENCE 1, the new time; cancelled: METHOD:CANCEL.
    moved = rig.post(
        f"/v1/bookings/{booking['reference']}/reschedule",
        json={"slot_id": rig.slot(day=2, index=4)},
    ).json()
    rig.sender().run_once()
    rig.post(f"/v1/bookings/{moved['reference']}/cancel", json={})
    rig.sender().run_once()
    rescheduled, cancelled = recorder.received[-2:]
    assert rescheduled.message["Subject"].startswith("Termin prestavljen")
    [event] = rescheduled.calendar.walk("VEVENT")
    assert str(event.get("uid")) == f"booking-{booking['reference']}@ue.example"
    assert int(event.get("sequence")) == 1
    assert event.decoded("dtstart") == rig.world.slot_starts[rig.slot(day=2, index=4)].replace(
        tzinfo=UTC
    )
    assert cancelled.calendar.get("method") == "CANCEL"
    [event] = cancelled.calendar.walk("VEVENT")
    assert str(event.get("uid")) == f"booking-{booking['reference']}@ue.example"
    assert int(event.get("sequence")) == 2 and str(event.get("status")) == "CANCELLED"
    assert cancelled.message["Subject"].startswith("Termin odpovedan")
    ids = [mail.message["Message-ID"] for mail in recorder.received]
    assert len(set(ids)) == len(ids) == 4


def _weekday(when: datetime) -> str:
    return ("ponedeljek", "torek", "sreda", "četrtek", "petek", "sobota", "nedelja")[when.weekday()]


def test_an_english_caller_reads_english(rig: Rig, smtp) -> None:
    recorder, _port = smtp
    caller_id = rig.world.callers["spela"]
    rig.patch(f"/v1/callers/{caller_id}", json={"language": "en"})
    rig.consent("spela", email="spela@example.org")
    rig.book("spela", slot=rig.slot(day=2))
    rig.sender().run_once()
    [mail] = recorder.received
    assert mail.message["Subject"].startswith("Appointment booked: Identity card")
    assert mail.text.startswith("Dear Špela Česnik,")
    assert mail.message.get_filename is not None
    names = [part.get_filename() for part in mail.message.iter_attachments()]
    assert names == ["appointment.ics"]


def test_a_4xx_refusal_is_retried_and_a_5xx_fails_with_the_servers_reason(rig: Rig, smtp) -> None:
    recorder, _port = smtp
    rig.consent("janez")
    rig.consent("spela", email="spela@example.org")
    rig.book("janez", slot=rig.slot(day=1, index=0))
    rig.book("spela", slot=rig.slot(day=1, index=1))
    recorder.refuse_to = {
        "janez@example.org": ["451 4.3.0 Mailbox busy, try later"],
        "spela@example.org": ["550 5.1.1 No such user here"],
    }
    report = rig.sender().run_once()
    assert report is not None and (report.retried, report.failed, report.sent) == (1, 1, 0)
    assert _booked(rig, "janez") == ("queued", "451 4.3.0 Mailbox busy, try later")
    assert _booked(rig, "spela") == ("failed", "550 5.1.1 No such user here")
    # Not before its wait is over; after it, sent.
    assert rig.sender().run_once().handled == 0  # type: ignore[union-attr]
    Sender(rig.database, rig.settings, now=lambda: _later(0.1)).run_once()
    assert _booked(rig, "janez") == ("sent", None)
    [mail] = recorder.received
    assert mail.recipients == ["janez@example.org"]
    listed = rig.get(f"/v1/callers/{rig.world.callers['janez']}/messages").json()
    assert listed[-1]["attempts"] == 2


def test_a_message_refused_every_time_fails_after_the_last_attempt(rig: Rig, smtp) -> None:
    recorder, _port = smtp
    rig.consent("janez")
    rig.book(slot=rig.slot(day=1))
    recorder.refuse = ["421 4.7.0 Too many connections"] * 3
    for hours in (0, 1, 2):
        Sender(rig.database, rig.settings, now=lambda h=hours: _later(h)).run_once()
    status, reason = _booked(rig)
    assert status == "failed"
    assert reason == "Gave up after 3 attempts: 421 4.7.0 Too many connections"
    assert recorder.refuse == []  # three attempts reached the server, as the reason says
    assert recorder.received == []
    with rig.database.read() as connection:
        row = connection.execute(select(messages).where(messages.c.kind == "booked")).one()
    assert row.attempts == 3


def test_no_server_at_all_is_retried(rig: Rig) -> None:
    rig.consent("janez")
    rig.book(slot=rig.slot(day=1))
    sender = rig.sender(smtp=type(rig.settings.smtp)(host="127.0.0.1", port=1, timeout_seconds=2))
    report = sender.run_once()
    assert report is not None and report.retried == 1
    status, reason = _booked(rig)
    assert status == "queued" and "127.0.0.1:1" in (reason or "")


def test_consent_withdrawn_after_booking_sends_nothing(rig: Rig, smtp) -> None:
    recorder, _port = smtp
    rig.consent("janez")
    rig.book(slot=rig.slot(day=1))
    rig.patch(f"/v1/callers/{rig.world.callers['janez']}", json={"message_consent": False})
    report = rig.sender().run_once()
    assert report is not None and report.cancelled == 1
    assert recorder.received == []
    assert _booked(rig) == ("cancelled", "The caller no longer wants messages.")


def test_an_appointment_that_has_begun_gets_no_message(rig: Rig, smtp) -> None:
    recorder, _port = smtp
    rig.consent("janez")
    rig.book(slot=rig.slot(day=1))
    Sender(rig.database, rig.settings, now=lambda: _later(24 * 10)).run_once()
    assert recorder.received == []
    assert {status for _kind, status, _reason in _status(rig)} == {"cancelled"}
    assert _booked(rig) == ("cancelled", "The appointment has already begun.")


# --- SMS ---------------------------------------------------------------------------------------


def test_an_sms_through_the_gateway(rig: Rig, sms_gateway) -> None:
    recorder, _port = sms_gateway
    rig.consent("spela", channel="sms")
    booking = rig.book("spela", slot=rig.slot(day=2))
    report = rig.sender().run_once()
    assert report is not None and report.sent == 1
    [post] = recorder.posts
    assert post["to"] == "+38631555111"
    assert post["from"] == "Narocanje"
    assert post["reference"] == booking["messages"][0]["message_id"]
    text = post["text"]
    assert booking["reference_display"] in text
    assert "Osebna izkaznica" in text and "Trg 1, 1000 Ljubljana" in text
    assert text.startswith("Termin rezerviran:")
    counted = segments(text)
    assert (counted.encoding, counted.count) == ("GSM-7", 1)  # transliterated, one segment
    assert (
        recorder.headers[0]["Authorization"]
        == "Basic " + base64.b64encode(b"centre:s3cret").decode()
    )
    with rig.database.read() as connection:
        row = connection.execute(select(messages).where(messages.c.kind == "booked")).one()
    assert row.status == "sent" and row.segments == 1


def test_sms_gateway_errors(rig: Rig, sms_gateway) -> None:
    recorder, _port = sms_gateway
    rig.consent("spela", channel="sms")
    rig.book("spela", slot=rig.slot(day=1, index=0))
    recorder.answers = [(503, "overloaded")]
    assert rig.sender().run_once().retried == 1  # type: ignore[union-attr]
    assert _booked(rig, "spela") == ("queued", "SMS gateway: HTTP 503 overloaded")
    recorder.answers = [(400, json.dumps({"error": "invalid number"}))]
    Sender(rig.database, rig.settings, now=lambda: _later(0.1)).run_once()
    assert _booked(rig, "spela") == ("failed", 'SMS gateway: HTTP 400 {"error": "invalid number"}')


def test_a_gateway_refusing_our_credentials_fails_no_message(rig: Rig, sms_gateway) -> None:
    """401 (a wrong password in [messages.sms]) or 404 (a wrong URL) is about the settings, not
    the message: retried with the gateway's words until the settings are put right."""
    recorder, _port = sms_gateway
    rig.consent("spela", channel="sms")
    rig.book("spela", slot=rig.slot(day=1, index=0))
    recorder.answers = [(401, "bad credentials")]
    assert rig.sender().run_once().retried == 1  # type: ignore[union-attr]
    assert _booked(rig, "spela") == ("queued", "SMS gateway: HTTP 401 bad credentials")
    recorder.answers = [(404, "no such page")]
    Sender(rig.database, rig.settings, now=lambda: _later(0.1)).run_once()
    assert _booked(rig, "spela") == ("queued", "SMS gateway: HTTP 404 no such page")
    Sender(rig.database, rig.settings, now=lambda: _later(0.2)).run_once()
    assert _booked(rig, "spela") == ("sent", None)
    assert len(recorder.posts) == 1


# --- one sender at a time ----------------------------------------------------------------------


def test_only_one_sender_holds_the_lock(rig: Rig) -> None:
    first, second = rig.sender(), rig.sender()
    assert first.lock.acquire()
    try:
        assert second.run_once() is None  # waits: nothing done
        assert first.lock.held()
    finally:
        first.close()
    report = second.run_once()
    assert report is not None


def test_a_dead_senders_lease_lapses(rig: Rig) -> None:
    if rig.database.dialect != "sqlite":
        return  # PostgreSQL frees an advisory lock when its session ends (the kill test)
    now = clock.now()
    dead = LeaseLock(rig.database, "dead", 30, lambda: now)
    assert dead.acquire()
    alive = LeaseLock(rig.database, "alive", 30, lambda: now + timedelta(seconds=10))
    assert not alive.acquire()
    later = LeaseLock(rig.database, "later", 30, lambda: now + timedelta(seconds=31))
    assert later.acquire()


def test_run_stops_when_asked(rig: Rig, smtp) -> None:
    recorder, _port = smtp
    rig.consent("janez")
    rig.book(slot=rig.slot(day=1))
    stop = threading.Event()
    sender = rig.sender(poll_seconds=0.05)
    thread = threading.Thread(target=sender.run, args=(stop,))
    thread.start()
    try:
        for _ in range(200):
            if recorder.received:
                break
            stop.wait(0.05)
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()
    assert len(recorder.received) == 1
    assert rig.sender().run_once() is not None  # the lock was given back


def test_international_addresses(rig: Rig, smtp) -> None:
    recorder, _port = smtp
    rig.consent("janez", email="janez@šola.si")
    rig.consent("spela", email="špela@example.org")
    rig.book("janez", slot=rig.slot(day=1, index=0))
    rig.book("spela", slot=rig.slot(day=1, index=1))
    report = rig.sender().run_once()
    assert report is not None and (report.sent, report.failed) == (1, 1)
    [mail] = recorder.received
    assert mail.recipients == ["janez@xn--ola-zza.si"]  # the domain in its IDNA form
    assert _booked(rig, "spela") == (
        "failed",
        "The address has letters outside ASCII before the @ (needs SMTPUTF8).",
    )
