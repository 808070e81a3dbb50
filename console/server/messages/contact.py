"""Where a caller's messages go: the channel, the consent, the address, the language."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from console.domain.errors import InvalidValue
from console.domain.phone import is_mobile

# Messages are written in Slovenian or English. Callers whose language is Croatian, Bosnian or
# Serbian read Slovenian more easily than English; everyone else gets English.
SLOVENIAN_READERS = frozenset({"sl", "hr", "bs", "sr"})


def message_language(language: str | None) -> str:
    return "sl" if (language or "sl") in SLOVENIAN_READERS else "en"


def first_mobile(numbers: Sequence[Any]) -> str | None:
    """The first mobile number of a caller's phones (E.164 strings or ``Phone`` models)."""
    for phone in numbers:
        number = getattr(phone, "number", phone)
        if is_mobile(number):
            return number
    return None


def address_of(row: Any, phones: Sequence[Any]) -> str | None:
    """Where messages go now for a caller row, or None (no consent, channel none, missing)."""
    if not row.message_consent:
        return None
    if row.message_channel == "email":
        return row.email or None
    if row.message_channel == "sms":
        return first_mobile(phones)
    return None


def check_channel(channel: str | None, email: str | None, phones: Sequence[Any]) -> None:
    """Refuse a channel the caller has no address for (the field named is the channel)."""
    if channel == "email" and not email:
        raise InvalidValue(
            "message_channel", "Messages by e-mail need an e-mail address on the caller's card."
        )
    if channel == "sms" and first_mobile(phones) is None:
        raise InvalidValue(
            "message_channel", "Messages by SMS need a mobile number on the caller's card."
        )
