"""How a search box's text is read: a name, a phone number, an EMŠO, a ZZZS number or a
booking reference. The central service, the console's local cache and its screens read it the
same way: :data:`MIN_QUERY_LENGTH`, :func:`query_kind` and :func:`find_callers`."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TypeVar

from console.domain.emso import is_emso_shaped
from console.domain.errors import InvalidValue
from console.domain.phone import phone_query
from console.domain.reference import looks_like_reference, parse_provisional, parse_reference
from console.domain.text import digits_only
from console.domain.zzzs import is_zzzs_shaped

# Shorter queries are not searched (one letter matches nearly everyone), by the service, the
# desk's cache and the search boxes alike.
MIN_QUERY_LENGTH = 2
QUERY_TOO_SHORT = f"Type at least {MIN_QUERY_LENGTH} characters to search."

_PHONE_PUNCTUATION = re.compile(r"[\s()./+-]")
T = TypeVar("T")
# ``lookup(kind, value)``: the callers a lookup of one kind finds, and whether there were more.
# ``value`` is the reference code (``P-`` and the code for a provisional one), the EMŠO or ZZZS
# digits, the E.164 prefix of a phone number, or the query's text for a name.
Lookup = Callable[[str, str], tuple[list[T], bool]]


def is_too_short(query: str) -> bool:
    """Whether ``query`` is too short to search (see :data:`MIN_QUERY_LENGTH`)."""
    return len(query.strip()) < MIN_QUERY_LENGTH


def query_kind(query: str) -> str:
    """``reference``, ``emso``, ``zzzs``, ``phone`` or ``name``.

    Digits with phone punctuation are a number: 13 digits an EMŠO, 9 a ZZZS number (which the
    search also tries as a phone), anything starting with ``+`` or ``00`` or of another length
    a phone; so is any start of a number in international form (``+386``, ``+38640``), and a
    whole Slovenian number without its ``0`` (:func:`~console.domain.phone.phone_query`). Seven
    letters and digits from the reference alphabet are a reference, and so are
    seven letters and digits with both (no name has a digit, no phone number a letter).
    """
    stripped = query.strip()
    digits = digits_only(stripped)
    if looks_like_reference(stripped):
        return "reference"
    if stripped.startswith(("+", "00")) and phone_query(stripped) is not None:
        return "phone"  # the start of a number in international form: "+386", "+38640"
    if stripped and len(digits) >= 6 and len(digits) >= len(_PHONE_PUNCTUATION.sub("", stripped)):
        if stripped.startswith(("+", "00")):
            return "phone"
        if is_emso_shaped(stripped):
            return "emso"
        if is_zzzs_shaped(stripped):
            return "zzzs"
        return "phone"
    return "name"


def find_callers(query: str, lookup: Lookup[T]) -> tuple[str, list[T], bool]:
    """Read ``query`` (:func:`query_kind`) and look the callers up with ``lookup``: how the
    query was read, the callers found, and whether there were more.

    A provisional reference (``P-K7M 4PX R``, given while a desk was offline) is looked up as
    ``provisional``: the booking keeps it as an alias. A reference that is not valid (a wrong
    check character, a symbol codes never use) finds nobody: with a digit in it, it is no name
    either; seven letters are tried as a name. A reference no booking has is tried as a name
    too ("mac anja" is MACANJA, check character and all). Either is still a reference that
    found nothing when no name matches. Nine digits that are no ZZZS number are tried as a
    phone number typed without the 0.
    """
    text = query.strip()
    provisional = parse_provisional(text)
    if provisional is not None:  # given offline: the booking keeps it beside its own
        found, _more = lookup("provisional", provisional)
        return "reference", found, False
    kind = query_kind(text)
    if kind == "reference":
        try:
            code = parse_reference(text)
        except InvalidValue:
            if any(ch.isdigit() for ch in text):
                return kind, [], False
        else:
            found, _more = lookup("reference", code)
            if found:
                return kind, found, False
        found, more = lookup("name", text)
        return ("name", found, more) if found else (kind, [], False)
    if kind in ("emso", "zzzs"):
        found, _more = lookup(kind, digits_only(text))
        if found or kind == "emso":
            return kind, found, False
        kind = "phone"
    if kind == "phone":
        prefix = phone_query(text)
        if prefix is None:
            return kind, [], False
        found, more = lookup(kind, prefix)
        return kind, found, more
    found, more = lookup("name", text)
    return "name", found, more
