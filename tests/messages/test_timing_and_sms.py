"""When a reminder goes out (working days, Slovenian holidays, DST), and how an SMS is counted."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta

import pytest
from message_rig import Rig
from sqlalchemy import insert

from console.domain.calendar import TZ, is_working_day
from console.domain.sms import fit, is_gsm7, segments, transliterate
from console.server.messages.timing import reminder_due, working_day_before
from console.server.schema import slots

# --- the reminder's day ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("appointment", "reminder"),
    [
        (date(2026, 3, 11), date(2026, 3, 10)),  # Wednesday: Tuesday
        (date(2026, 3, 30), date(2026, 3, 27)),  # Monday: the Friday before
        (date(2026, 1, 5), date(2025, 12, 31)),  # Monday after 1 and 2 January (Thu, Fri)
        (date(2026, 4, 7), date(2026, 4, 3)),  # Tuesday after Easter Monday
        (date(2026, 5, 4), date(2026, 4, 30)),  # Monday after 1 May (Fri), 2 May (Sat)
        (date(2026, 6, 26), date(2026, 6, 24)),  # Friday after Statehood Day (Thu 25 June)
        (date(2026, 12, 28), date(2026, 12, 24)),  # Monday after Christmas, Independence Day
        (date(2027, 2, 9), date(2027, 2, 5)),  # Tuesday after Prešeren Day on a Monday
        (date(2026, 11, 2), date(2026, 10, 30)),  # Monday after 31 Oct and 1 Nov (Sat, Sun)
    ],
)
def test_the_working_day_before(appointment: date, reminder: date) -> None:
    assert working_day_before(appointment) == reminder
    assert is_working_day(reminder)
    between = [reminder + timedelta(days=n) for n in range(1, (appointment - reminder).days)]
    assert not any(is_working_day(day) for day in between)


def test_two_working_days_before() -> None:
    assert working_day_before(date(2026, 1, 5), 2) == date(2025, 12, 30)
    assert working_day_before(date(2026, 4, 8), 2) == date(2026, 4, 3)  # past Easter Monday
    with pytest.raises(ValueError):
        working_day_before(date(2026, 4, 8), 0)


def test_the_reminders_hour_is_local_time_across_dst() -> None:
    # Winter (CET, UTC+1) and summer (CEST, UTC+2): 10:00 in Ljubljana either way.
    winter = reminder_due(datetime(2026, 3, 30, 7, 0), 1, time(10, 0))  # Monday after DST
    summer = reminder_due(datetime(2026, 10, 26, 8, 0), 1, time(10, 0))  # Monday after DST ends
    assert winter == datetime(2026, 3, 27, 9, 0)  # Friday, still CET
    assert summer == datetime(2026, 10, 23, 8, 0)  # Friday, still CEST
    for due in (winter, summer):
        local = due.replace(tzinfo=UTC).astimezone(TZ)
        assert (local.hour, local.minute) == (10, 0)
    assert reminder_due(datetime(2026, 3, 30, 7, 0), 0, time(10, 0)) is None
    # An appointment just after midnight local time belongs to its local day.
    late = datetime(2026, 3, 10, 23, 30)  # 00:30 on Wednesday 11 March in Ljubljana
    assert reminder_due(late, 1, time(16, 30)) == datetime(2026, 3, 10, 15, 30)


def test_a_booking_after_new_year_is_reminded_before_the_holidays(rig: Rig) -> None:
    # Tuesday 3 January 2040: 1 January is a Sunday, 2 January a holiday (Monday), so the
    # reminder goes out on Friday 30 December 2039 at 10:00.
    start = datetime(2040, 1, 3, 8, 0, tzinfo=TZ).astimezone(UTC).replace(tzinfo=None)
    with rig.database.write() as connection:
        slot_id = connection.execute(
            insert(slots)
            .values(
                provider_id=rig.world.providers["counter-1"],
                location_id=rig.world.locations["ue-center"],
                service_id=rig.world.services["ue-id-card"],
                starts_at=start,
                ends_at=start + timedelta(minutes=15),
                status="free",
            )
            .returning(slots.c.id)
        ).scalar_one()
    rig.consent("janez")
    booking = rig.book(slot=slot_id)
    [reminder] = [m for m in booking["messages"] if m["kind"] == "reminder"]
    local = datetime.fromisoformat(reminder["send_after"]).astimezone(TZ)
    assert local.replace(tzinfo=None) == datetime(2039, 12, 30, 10, 0)


# --- SMS ---------------------------------------------------------------------------------------

SLOVENIAN = "Termin: četrtek, 5. 3. 2026 ob 9:20, Osebna izkaznica, Tobačna ulica 5, Ljubljana."


def test_one_caron_turns_a_message_into_ucs2() -> None:
    counted = segments(SLOVENIAN)
    assert counted.encoding == "UCS-2" and counted.units == len(SLOVENIAN)
    assert counted.count == 2  # 84 characters: more than 70
    plain = transliterate(SLOVENIAN)
    assert (
        plain
        == "Termin: cetrtek, 5. 3. 2026 ob 9:20, Osebna izkaznica, Tobacna ulica 5, Ljubljana."
    )
    assert is_gsm7(plain)
    assert segments(plain).encoding == "GSM-7" and segments(plain).count == 1


def test_segment_boundaries() -> None:
    assert segments("a" * 160).count == 1
    assert segments("a" * 161).count == 2
    assert segments("a" * 306).count == 2  # 2 × 153
    assert segments("a" * 307).count == 3
    assert segments("€" * 80).count == 1  # the extension table: two septets each
    assert segments("€" * 81).units == 162
    assert segments("ž" * 70).count == 1
    assert segments("ž" * 71).count == 2
    assert segments("ž" * 134).count == 2  # 2 × 67
    assert segments("ž" * 135).count == 3
    assert segments("é è ä ö ü Ä Ö Ü ß").encoding == "GSM-7"  # these are in GSM-7 already


def test_transliteration_of_slovenian_and_neighbouring_letters() -> None:
    assert transliterate("Čačić Đurđa, Šmarješke Toplice, Žalec") == (
        "Cacic Djurdja, Smarjeske Toplice, Zalec"
    )
    assert transliterate("„Dokumenti“ – ‚osebna‘ … Crème") == "\"Dokumenti\" - 'osebna' ... Crème"
    assert transliterate("łódź ☎") == "lodz ?"


def test_fit_drops_the_optional_parts_until_one_segment() -> None:
    parts = [
        ("Termin rezerviran: čet, 5. 3. 2026 ob 09:20,", 0),
        ("Osebna izkaznica,", 0),
        ("UE Ljubljana, Izpostava Center,", 3),
        ("Tobačna ulica 5, 1000 Ljubljana.", 0),
        ("Rez. K7M 4PX Y.", 0),
        ("Prinesite: stara osebna izkaznica, fotografija, potrdilo o plačilu takse.", 2),
        ("Odpoved: 01 306 30 00.", 1),
    ]
    text = fit(parts)
    assert segments(text).count == 1 and segments(text).encoding == "GSM-7"
    assert text == (
        "Termin rezerviran: cet, 5. 3. 2026 ob 09:20, Osebna izkaznica, Tobacna ulica 5, "
        "1000 Ljubljana. Rez. K7M 4PX Y. Odpoved: 01 306 30 00."
    )
    # Keeping the carons (UCS-2): 70 characters a segment, so only the required parts stay.
    ucs2 = fit(parts, gsm7=False)
    assert "Odpoved" not in ucs2 and "č" in ucs2
    assert segments(ucs2).encoding == "UCS-2"


def test_the_mail_sink_says_how_an_sms_goes_out() -> None:
    from console.server.messages.sink import describe_sms

    kept = describe_sms(json.dumps({"to": "+38631555111", "text": "Termin: četrtek"}))
    assert kept.endswith("15 characters: 1 segment(s) of UCS-2 (15 UTF-16 units)")
    plain = describe_sms(json.dumps({"text": "Termin: cetrtek"}))
    assert plain.endswith("15 characters: 1 segment(s) of GSM-7 (15 septets)")
    assert describe_sms("to=1&text=x") == "to=1&text=x"  # a form body is shown as it came
