"""Where a caller's messages go: the channel, the consent, the address, the language."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from console.domain.caller_fields import check_channel, first_mobile, message_address

__all__ = ["SLOVENIAN_READERS", "address_of", "check_channel", "first_mobile", "message_language"]

# Messages are written in Slovenian or English. Callers whose language is Croatian, Bosnian or
# Serbian read Slovenian more easily than English; everyone else gets English.
SLOVENIAN_READERS = frozenset({"sl", "hr", "bs", "sr"})


def message_language(language: str | None) -> str:
    return "sl" if (language or "sl") in SLOVENIAN_READERS else "en"


def address_of(row: Any, phones: Sequence[Any]) -> str | None:
    """Where messages go now for a caller row, or None (no consent, channel none, missing)."""
    return message_address(row.message_consent, row.message_channel, row.email, phones)
