"""Telephone numbers: Slovenian ones validated against the numbering plan, all stored as E.164.

Slovenian numbers are ``+386`` and a national significant number (NSN), written nationally with
a leading ``0``:

* mobiles: 8 digits, prefixes 030 031 040 041 043 049 051 064 065 068 069 070 071
  (049 is in libphonenumber's current metadata although older lists omit it);
* landlines: area codes 01–05 and 07 followed by 7 digits (there is no geographic 06);
* VoIP/nomadic: 059 and 081–083, 8 digits;
* toll-free 080 and premium 090: followed by 4–6 digits (``080 12 34`` is the common length).

Numbers with another country code (``+`` or ``00``) are accepted when they have 7–15 digits.
"""

from __future__ import annotations

import random
import re

from console.domain.errors import InvalidValue

FIELD = "phone"
COUNTRY = "386"
MOBILE_PREFIXES = (
    "30", "31", "40", "41", "43", "49", "51", "64", "65", "68", "69", "70", "71",
)  # fmt: skip
LANDLINE_AREAS = ("1", "2", "3", "4", "5", "7")
VOIP_PREFIXES = ("59", "81", "82", "83")
SPECIAL_PREFIXES = ("80", "90")  # toll-free, premium: 4–6 digits after the prefix
_PUNCTUATION = frozenset(" \t-./()")
_DIGITS = frozenset("0123456789")
_DATE = re.compile(r"^\d{1,2}\.\s*\d{1,2}\.\s*\d{4}\.?$")  # 1. 1. 1990 is not a phone


def _digits_of(text: str) -> tuple[bool, str]:
    """Split input into (has leading '+', digits); raise on letters or stray characters."""
    stripped = text.strip()
    if not stripped:
        raise InvalidValue(FIELD, "Phone number is empty")
    plus = stripped.startswith("+")
    body = stripped[1:] if plus else stripped
    digits: list[str] = []
    for ch in body:
        if ch in _DIGITS:
            digits.append(ch)
        elif ch in _PUNCTUATION:
            continue
        elif ch.isalpha():
            raise InvalidValue(FIELD, f"Phone number cannot contain letters, found {ch!r}")
        else:
            raise InvalidValue(FIELD, f"Phone number cannot contain {ch!r}")
    if not digits:
        raise InvalidValue(FIELD, "Phone number has no digits")
    return plus, "".join(digits)


def _international(plus: bool, digits: str) -> str | None:
    """Digits after the international prefix (``+`` or ``00``), or None for a national number."""
    if plus:
        return digits
    if digits.startswith("00"):
        return digits[2:]
    return None


def _check_nsn(nsn: str) -> None:
    """Validate a Slovenian national significant number (without the leading 0)."""
    if not nsn:
        raise InvalidValue(FIELD, "Phone number has no digits after the country code")
    shown = "0" + nsn
    if nsn[:2] in SPECIAL_PREFIXES:
        if not 6 <= len(nsn) <= 8:
            raise InvalidValue(
                FIELD,
                f"0{nsn[:2]} numbers have 4 to 6 digits after 0{nsn[:2]}, got {len(nsn) - 2}",
            )
        return
    if nsn[0] in LANDLINE_AREAS:  # also covers 03x/04x/05x/07x mobiles and 059
        known = True
    elif len(nsn) == 1:  # "06", "08", "09": too short to tell, report the length
        known = nsn in "689"
    else:
        known = nsn[:2] in MOBILE_PREFIXES or nsn[:2] in VOIP_PREFIXES
    if not known:
        raise InvalidValue(FIELD, f"Unknown Slovenian prefix {shown[:3]}")
    if len(nsn) != 8:
        raise InvalidValue(
            FIELD,
            f"Slovenian numbers have 8 digits after the leading 0 "
            f"(e.g. 041 234 567), got {len(nsn)}",
        )


def parse_phone(text: str) -> str:
    """Validate a phone number as typed and return it in E.164 (``+38641234567``)."""
    plus, digits = _digits_of(text)
    international = _international(plus, digits)
    if international is None:
        if not digits.startswith("0"):
            raise InvalidValue(
                FIELD, "Slovenian numbers start with 0 (041 234 567) or +386; add the prefix"
            )
        nsn = digits[1:]
        _check_nsn(nsn)
        return f"+{COUNTRY}{nsn}"
    if international.startswith(COUNTRY):
        nsn = international[len(COUNTRY) :]
        if nsn.startswith("0"):  # "+386 (0)41 …" and "+386 041 …" are common
            nsn = nsn[1:]
        _check_nsn(nsn)
        return f"+{COUNTRY}{nsn}"
    if not international or international[0] == "0":
        raise InvalidValue(FIELD, "International numbers start with a country code after + or 00")
    if not 7 <= len(international) <= 15:
        raise InvalidValue(
            FIELD,
            f"International numbers have 7 to 15 digits after + or 00, got {len(international)}",
        )
    return f"+{international}"


def is_mobile(e164: str) -> bool:
    """True for a Slovenian mobile number in E.164."""
    nsn = e164[len(COUNTRY) + 1 :] if e164.startswith("+" + COUNTRY) else ""
    return len(nsn) == 8 and nsn.isdigit() and nsn[:2] in MOBILE_PREFIXES


def format_phone(e164: str) -> str:
    """Display form: ``041 234 567``, ``01 234 56 78``, ``080 12 34``; foreign numbers as E.164."""
    if not e164.startswith("+" + COUNTRY):
        return e164
    nsn = e164[len(COUNTRY) + 1 :]
    if not nsn.isdigit():
        return e164
    two = nsn[:2]
    if len(nsn) == 8 and (two in MOBILE_PREFIXES or two in VOIP_PREFIXES):
        return f"0{two} {nsn[2:5]} {nsn[5:]}"
    if two in SPECIAL_PREFIXES and 6 <= len(nsn) <= 8:
        rest = nsn[2:]
        grouped = f"{rest[:2]} {rest[2:]}" if len(rest) == 4 else f"{rest[:3]} {rest[3:]}"
        return f"0{two} {grouped}"
    if len(nsn) == 8 and nsn[0] in LANDLINE_AREAS:
        return f"0{nsn[0]} {nsn[1:4]} {nsn[4:6]} {nsn[6:]}"
    return e164


def phone_query(text: str) -> str | None:
    """For search: the E.164 prefix to look up if ``text`` looks like a (partial) phone number.

    A national number needs at least 6 digits starting with ``0``, or is a whole Slovenian
    number typed without its ``0`` (``40 237 043``). In international form (``+`` or ``00``)
    any start is a phone search, down to the country code (``+386``, ``+38640``). Returns None
    for anything else, including text with letters and digit strings too long to be a phone
    number. A 9-digit number starting with 0 may also be a ZZZS number: callers can search both.
    """
    stripped = text.strip()
    if not stripped or _DATE.match(stripped):
        return None
    plus = stripped.startswith("+")
    body = stripped[1:] if plus else stripped
    if not all(ch in _DIGITS or ch in _PUNCTUATION for ch in body):
        return None
    digits = "".join(ch for ch in body if ch in _DIGITS)
    international = _international(plus, digits)
    if international is None:
        if not digits.startswith("0"):
            return f"+{COUNTRY}{digits}" if _whole_nsn(digits) else None
        if len(digits) < 6:
            return None
        nsn = digits[1:]
    elif international.startswith(COUNTRY):
        nsn = international[len(COUNTRY) :]
        if nsn.startswith("0"):
            nsn = nsn[1:]
    else:
        if not international or international[0] == "0" or len(international) > 15:
            return None
        return f"+{international}"
    if len(nsn) > 8 or (nsn and nsn[0] == "0"):
        return None
    return f"+{COUNTRY}{nsn}"


def _whole_nsn(digits: str) -> bool:
    """Whether ``digits`` are a whole, valid Slovenian number without its leading 0."""
    if len(digits) != 8:
        return False
    try:
        _check_nsn(digits)
    except InvalidValue:
        return False
    return True


def random_mobile(rnd: random.Random) -> str:
    """A random Slovenian mobile number in E.164, for demo data."""
    prefix = MOBILE_PREFIXES[int(rnd.random() * len(MOBILE_PREFIXES))]
    return f"+{COUNTRY}{prefix}{int(rnd.random() * 1_000_000):06d}"
