"""How a search box's text is read: a name, a phone number, an EMŠO, a ZZZS number or a
booking reference. The central service and the console's local cache read it the same way."""

from __future__ import annotations

import re

from console.domain.emso import is_emso_shaped
from console.domain.reference import is_reference_shaped
from console.domain.text import digits_only
from console.domain.zzzs import is_zzzs_shaped

_PHONE_PUNCTUATION = re.compile(r"[\s()./+-]")


def query_kind(query: str) -> str:
    """``reference``, ``emso``, ``zzzs``, ``phone`` or ``name``.

    Digits with phone punctuation are a number: 13 digits an EMŠO, 9 a ZZZS number (which the
    search also tries as a phone), anything starting with ``+`` or ``00`` or of another length
    a phone. Seven letters and digits from the reference alphabet are a reference.
    """
    stripped = query.strip()
    digits = digits_only(stripped)
    if is_reference_shaped(stripped) and not stripped.isdigit():
        return "reference"
    if stripped and len(digits) >= 6 and len(digits) >= len(_PHONE_PUNCTUATION.sub("", stripped)):
        if stripped.startswith(("+", "00")):
            return "phone"
        if is_emso_shaped(stripped):
            return "emso"
        if is_zzzs_shaped(stripped):
            return "zzzs"
        return "phone"
    return "name"
