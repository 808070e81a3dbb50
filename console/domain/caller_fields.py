"""A caller's fields as an agent typed them, checked and normalised: one rule for the central
service (which stores them) and the desk (which checks a caller entered offline the same way,
so the replay is not refused for a typo the agent could have fixed while on the phone)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from console.domain.email import parse_email
from console.domain.emso import emso_birth_date, parse_emso
from console.domain.errors import InvalidValue
from console.domain.phone import is_mobile, parse_phone
from console.domain.zzzs import parse_zzzs

# The validators name what they check (``zzzs``, ``phone``); the API names its fields.
API_FIELDS = {"zzzs": "zzzs_number", "phone": "phones"}


def clean_caller_fields(values: dict[str, Any]) -> dict[str, Any]:
    """``values`` (a new caller, or the fields of a patch that were sent) checked and
    normalised: names trimmed and never empty, EMŠO and ZZZS number checked (the birth date,
    a :class:`~datetime.date`, follows the EMŠO), e-mail checked, phones in E.164 without
    repeats, flags sorted without repeats or blanks. Fields not in ``values`` stay out.

    Raises :class:`InvalidValue` naming the API's field (``zzzs_number``, ``phones``, …).
    """
    try:
        return _clean(values)
    except InvalidValue as exc:
        raise InvalidValue(API_FIELDS.get(exc.field, exc.field), exc.message) from None


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    cleaned = dict(values)
    for name in ("first_name", "last_name"):
        if name in cleaned:
            cleaned[name] = " ".join((cleaned[name] or "").split())
            if not cleaned[name]:
                raise InvalidValue(name, "Name must not be empty.")
    if cleaned.get("emso"):
        cleaned["emso"] = parse_emso(cleaned["emso"])
        birth: date | None = emso_birth_date(cleaned["emso"])
        cleaned["birth_date"] = birth
    elif "emso" in cleaned:
        cleaned["emso"] = None
        cleaned["birth_date"] = None
    if cleaned.get("zzzs_number"):
        cleaned["zzzs_number"] = parse_zzzs(cleaned["zzzs_number"])
    elif "zzzs_number" in cleaned:
        cleaned["zzzs_number"] = None
    if cleaned.get("email"):
        cleaned["email"] = parse_email(cleaned["email"])
    elif "email" in cleaned:
        cleaned["email"] = None
    if cleaned.get("phones") is not None:
        numbers: list[str] = []
        for raw in cleaned["phones"]:
            try:
                number = parse_phone(raw)
            except InvalidValue as exc:
                raise InvalidValue("phones", f"Phone number {raw!r}: {exc.message}") from None
            if number not in numbers:
                numbers.append(number)
        cleaned["phones"] = numbers
    if cleaned.get("flags") is not None:
        cleaned["flags"] = sorted({f.strip() for f in cleaned["flags"] if f.strip()})
    return cleaned


# -- where confirmations and reminders go -------------------------------------------------------


def first_mobile(numbers: Sequence[Any]) -> str | None:
    """The first mobile number of a caller's phones (E.164 strings or ``Phone`` models)."""
    for phone in numbers:
        number = getattr(phone, "number", phone)
        if is_mobile(number):
            return number
    return None


def check_channel(channel: str | None, email: str | None, phones: Sequence[Any]) -> None:
    """Refuse a message channel the caller has no address for (the field named is the
    channel): e-mail needs an e-mail address, SMS a Slovenian mobile number."""
    channel = str(getattr(channel, "value", channel)) if channel is not None else None
    if channel == "email" and not email:
        raise InvalidValue(
            "message_channel", "Messages by e-mail need an e-mail address on the caller's card."
        )
    if channel == "sms" and first_mobile(phones) is None:
        raise InvalidValue(
            "message_channel", "Messages by SMS need a mobile number on the caller's card."
        )


def message_address(
    consent: bool, channel: str | None, email: str | None, phones: Sequence[Any]
) -> str | None:
    """Where messages go now: the e-mail address or the first mobile number; None when the
    caller has not consented, chose no channel, or the channel has no address."""
    channel = str(getattr(channel, "value", channel)) if channel is not None else None
    if not consent:
        return None
    if channel == "email":
        return email or None
    if channel == "sms":
        return first_mobile(phones)
    return None
