"""What a message to a caller says: an e-mail (plain text, HTML, an iCalendar invitation) or
an SMS, in the caller's language (Slovenian or English, from ``messages.po``).

Every message says what (the service, and the counter or doctor), when (weekday, date and
time in Europe/Ljubljana), where (the location's name and address), the booking reference
grouped as it is read aloud (``K7M 4PX Y``), what to bring (the service's documents, as the
hold dialog lists them) and how to cancel. The calendar file has one event per booking
chain: the same UID for a booking and its reschedules, SEQUENCE counting the changes,
METHOD:REQUEST for a booking, a change or a reminder and METHOD:CANCEL for a cancellation.
"""

from __future__ import annotations

import base64
import html
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email.header import Header
from email.utils import formataddr, formatdate
from functools import cache
from typing import Any, cast

from icalendar import Calendar, Event, Timezone, vCalAddress, vText

from console.domain.calendar import TZ, format_date, format_time, to_local
from console.domain.phone import format_phone
from console.domain.reference import format_reference
from console.domain.sms import Segments, fit, segments
from console.i18n import load
from console.server.messages.settings import MessageSettings

PRODID = "-//agent-console//messages//EN"
# Europe/Ljubljana as calendars expect it: the EU's rules since 1996 (last Sunday of March,
# 02:00 to CEST; last Sunday of October, 03:00 back to CET), compact and without an end date.
_VTIMEZONE = """BEGIN:VTIMEZONE
TZID:Europe/Ljubljana
BEGIN:DAYLIGHT
TZNAME:CEST
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
DTSTART:19960331T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
BEGIN:STANDARD
TZNAME:CET
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
DTSTART:19961027T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
END:VTIMEZONE
"""


@dataclass(frozen=True)
class Appointment:
    """Everything one message says, read from the booking, its slot, service and location."""

    kind: str  # booked, rescheduled, cancelled, reminder
    language: str  # sl or en
    reference: str
    starts_at: datetime  # aware
    ends_at: datetime
    service: str
    documents: tuple[str, ...]
    provider: str
    location: str
    street: str
    postcode: str
    town: str
    location_phone: str | None
    caller_name: str
    uid: str
    sequence: int
    message_id: str

    @property
    def address(self) -> str:
        return f"{self.street}, {self.postcode} {self.town}"

    @property
    def place(self) -> str:
        return f"{self.location}, {self.address}"

    @property
    def reference_display(self) -> str:
        return format_reference(self.reference)

    @property
    def method(self) -> str:
        return "CANCEL" if self.kind == "cancelled" else "REQUEST"


@cache
def _translations(language: str) -> Any:
    return load(language if language in ("sl", "en") else "en").gettext


def _weekday(language: str, when: datetime, short: bool = False) -> str:
    _ = _translations(language)
    if short:
        names = (_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun"))
    else:
        names = (
            _("Monday"),
            _("Tuesday"),
            _("Wednesday"),
            _("Thursday"),
            _("Friday"),
            _("Saturday"),
            _("Sunday"),
        )
    return names[to_local(when).weekday()]


def _when(a: Appointment, short: bool = False) -> str:
    _ = _translations(a.language)
    return _("{weekday}, {date} at {time}").format(
        weekday=_weekday(a.language, a.starts_at, short),
        date=format_date(to_local(a.starts_at).date()),
        time=format_time(a.starts_at),
    )


def subject(a: Appointment) -> str:
    _ = _translations(a.language)
    template = {
        "booked": _("Appointment booked: {service}, {when}"),
        "rescheduled": _("Appointment moved: {service}, now {when}"),
        "cancelled": _("Appointment cancelled: {service}, {when}"),
        "reminder": _("Reminder: {service}, {when}"),
    }[a.kind]
    return template.format(service=a.service, when=_when(a))


def _lead(a: Appointment) -> str:
    _ = _translations(a.language)
    return {
        "booked": _("your appointment is booked."),
        "rescheduled": _("your appointment has been moved. The new time:"),
        "cancelled": _("your appointment has been cancelled:"),
        "reminder": _("a reminder of your appointment:"),
    }[a.kind]


def _phone(a: Appointment, settings: MessageSettings) -> str:
    if settings.cancel_phone:
        return settings.cancel_phone
    return format_phone(a.location_phone) if a.location_phone else ""


def how_to_cancel(a: Appointment, settings: MessageSettings) -> str:
    """One sentence: how to cancel or change (for a cancellation: how to book again)."""
    _ = _translations(a.language)
    phone = _phone(a, settings)
    if a.kind == "cancelled":
        text = (
            _("To book a new appointment, call {phone}.").format(phone=phone)
            if phone
            else _("To book a new appointment, call us.")
        )
    elif phone:
        text = _(
            "To cancel or change the appointment, call {phone} and give the reference {reference}."
        ).format(phone=phone, reference=a.reference_display)
    else:
        text = _(
            "To cancel or change the appointment, call us and give the reference {reference}."
        ).format(reference=a.reference_display)
    if settings.cancel_url:
        text += " " + _("Or go to {url}.").format(url=settings.cancel_url)
    return text


def _facts(a: Appointment) -> list[tuple[str, str]]:
    _ = _translations(a.language)
    what = f"{a.service} ({a.provider})" if a.provider else a.service
    return [
        (_("What"), what),
        (_("When"), _when(a)),
        (_("Where"), a.place),
        (_("Booking reference"), a.reference_display),
    ]


def _greeting(a: Appointment) -> str:
    _ = _translations(a.language)
    return _("Dear {name},").format(name=a.caller_name)


def plain_text(a: Appointment, settings: MessageSettings) -> str:
    _ = _translations(a.language)
    facts = _facts(a)
    width = max(len(label) for label, _value in facts) + 2
    lines = [_greeting(a), "", _lead(a), ""]
    lines += [f"{label + ':':<{width}}{value}" for label, value in facts]
    if a.documents and a.kind != "cancelled":
        lines += ["", _("Please bring:")]
        lines += [f"  - {document}" for document in a.documents]
    lines += [
        "",
        how_to_cancel(a, settings),
        "",
        _("The appointment is attached for your calendar."),
    ]
    if settings.from_name:
        lines += ["", "-- ", settings.from_name]
    return "\n".join(lines) + "\n"


def html_text(a: Appointment, settings: MessageSettings) -> str:
    _ = _translations(a.language)
    e = html.escape
    rows = "".join(
        f'<tr><th style="text-align:left;padding-right:1em">{e(label)}</th><td>{e(value)}</td></tr>'
        for label, value in _facts(a)
    )
    documents = ""
    if a.documents and a.kind != "cancelled":
        items = "".join(f"<li>{e(document)}</li>" for document in a.documents)
        documents = f"<p>{e(_('Please bring:'))}</p><ul>{items}</ul>"
    signature = f"<p>{e(settings.from_name)}</p>" if settings.from_name else ""
    return (
        f'<!DOCTYPE html><html lang="{a.language}"><head><meta charset="utf-8">'
        f"<title>{e(subject(a))}</title></head><body>"
        f"<p>{e(_greeting(a))}</p><p>{e(_lead(a))}</p><table>{rows}</table>{documents}"
        f"<p>{e(how_to_cancel(a, settings))}</p>"
        f"<p>{e(_('The appointment is attached for your calendar.'))}</p>{signature}"
        "</body></html>\n"
    )


@cache
def _timezone() -> Timezone:
    return cast(Timezone, Timezone.from_ical(_VTIMEZONE))


def calendar(
    a: Appointment, settings: MessageSettings, attendee: str | None, now: datetime | None = None
) -> bytes:
    """The iCalendar (RFC 5545/5546) invitation or cancellation of the appointment."""
    _ = _translations(a.language)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("method", a.method)
    cal.add_component(_timezone())
    event = Event()
    event.add("uid", a.uid)
    event.add("sequence", a.sequence)
    event.add("dtstamp", (now or datetime.now(UTC)).astimezone(UTC))
    event.add("dtstart", a.starts_at.astimezone(TZ))
    event.add("dtend", a.ends_at.astimezone(TZ))
    event.add("summary", f"{a.service} – {a.location}")
    event.add("location", vText(a.place))
    description = [f"{_('Booking reference')}: {a.reference_display}"]
    if a.provider:
        description.append(a.provider)
    if a.documents and a.kind != "cancelled":
        description.append(_("Please bring:") + " " + ", ".join(a.documents))
    description.append(how_to_cancel(a, settings))
    event.add("description", "\n".join(description))
    event.add("status", "CANCELLED" if a.kind == "cancelled" else "CONFIRMED")
    event.add("transp", "OPAQUE")
    organizer = vCalAddress(f"mailto:{settings.from_email}")
    if settings.from_name:
        organizer.params["cn"] = vText(settings.from_name)
    event.add("organizer", organizer)
    if attendee:
        guest = vCalAddress(f"mailto:{attendee}")
        guest.params["cn"] = vText(a.caller_name)
        guest.params["role"] = vText("REQ-PARTICIPANT")
        guest.params["partstat"] = vText("ACCEPTED")
        guest.params["rsvp"] = vText("FALSE")
        event.add("attendee", guest, encode=False)
    cal.add_component(event)
    return cal.to_ical()


def email(a: Appointment, settings: MessageSettings, to: str) -> bytes:
    """The e-mail, ready for SMTP (CRLF line ends): plain text and HTML alternatives with the
    invitation inline (where calendar programs look for it), the invitation again as a
    ``.ics`` attachment, and the stored Message-ID. Every part is UTF-8 in base64, so no line
    is long and no byte is 8-bit; the headers are ASCII (RFC 2047 words where needed).

    Written out directly rather than through ``email.mime``, whose header folding took most
    of the sender's time (the tests read it back with the ``email`` package)."""
    mixed, alternative = _boundary(), _boundary()
    ics = calendar(a, settings, to)
    name = "termin.ics" if a.language == "sl" else "appointment.ics"
    head = [
        f"Subject: {Header(subject(a), 'utf-8', maxlinelen=76).encode(linesep=CRLF)}",
        f"From: {formataddr((settings.from_name, settings.from_email), 'utf-8')}",
        f"To: {to}",
        f"Date: {formatdate(usegmt=True)}",
        f"Message-ID: {a.message_id}",
        f"Content-Language: {a.language}",
        "Auto-Submitted: auto-generated",
        "MIME-Version: 1.0",
        f'Content-Type: multipart/mixed; boundary="{mixed}"',
        "",
        f"--{mixed}",
        f'Content-Type: multipart/alternative; boundary="{alternative}"',
        "",
    ]
    parts = [
        _part(alternative, 'text/plain; charset="utf-8"', plain_text(a, settings).encode()),
        _part(alternative, 'text/html; charset="utf-8"', html_text(a, settings).encode()),
        _part(alternative, f'text/calendar; charset="utf-8"; method={a.method}', ics),
        f"--{alternative}--{CRLF}",
        _part(
            mixed,
            f'application/ics; name="{name}"',
            ics,
            f'Content-Disposition: attachment; filename="{name}"',
        ),
        f"--{mixed}--{CRLF}",
    ]
    return (CRLF.join(head) + CRLF + "".join(parts)).encode("ascii")


CRLF = "\r\n"


def _boundary() -> str:
    # "_" and "." never occur in base64 text, so no part's body can contain the boundary.
    return f"=_ac.{uuid.uuid4().hex}"


def _part(boundary: str, content_type: str, body: bytes, *extra: str) -> str:
    encoded = base64.encodebytes(body).decode("ascii").replace("\n", CRLF)
    headers = [f"--{boundary}", f"Content-Type: {content_type}", *extra]
    headers.append("Content-Transfer-Encoding: base64")
    return CRLF.join(headers) + CRLF + CRLF + encoded


def sms(a: Appointment, settings: MessageSettings) -> tuple[str, Segments]:
    """The SMS, fitted into one segment where it can be: the kind, when, what, where and the
    reference always; how to cancel, what to bring and the location's name as room allows
    (left out in the reverse order)."""
    _ = _translations(a.language)
    head = {
        "booked": _("Appointment booked:"),
        "rescheduled": _("Appointment moved to"),
        "cancelled": _("Appointment cancelled:"),
        "reminder": _("Reminder:"),
    }[a.kind]
    phone = _phone(a, settings)
    parts: list[tuple[str, int]] = [
        (f"{head} {_when(a, short=True)},", 0),
        (f"{a.service},", 0),
        (f"{a.location},", 3),
        (f"{a.address}.", 0),
        (_("Ref. {reference}.").format(reference=a.reference_display), 0),
    ]
    if a.kind == "cancelled":
        if phone:
            parts.append((_("New appointment: {phone}.").format(phone=phone), 1))
    else:
        if a.documents:
            parts.append((_("Bring: {documents}.").format(documents=", ".join(a.documents)), 2))
        if phone:
            parts.append((_("To cancel: {phone}.").format(phone=phone), 1))
    text = fit(parts, gsm7=settings.sms.transliterate)
    return text, segments(text)


def appointment(row: Any, language: str) -> Appointment:
    """An :class:`Appointment` from the sender's joined row (see ``sender._DETAILS``), in
    ``language`` (sl or en)."""
    documents = json.loads(row.documents if language == "sl" else row.documents_en) or []
    return Appointment(
        kind=row.kind,
        language=language,
        reference=row.reference,
        starts_at=aware(row.starts_at),
        ends_at=aware(row.ends_at),
        service=row.service_name if language == "sl" else row.service_name_en,
        documents=tuple(documents),
        provider=row.provider_name or "",
        location=row.location_name,
        street=row.street,
        postcode=row.postcode,
        town=row.town,
        location_phone=row.location_phone,
        caller_name=f"{row.first_name} {row.last_name}",
        uid=row.ical_uid,
        sequence=row.ical_sequence,
        message_id=row.message_id,
    )


def aware(value: datetime | str) -> datetime:
    """A stored time (naive UTC, or text from raw SQL on SQLite) as an aware one."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value
