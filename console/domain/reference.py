"""Booking reference codes that are easy to read aloud and to type back: ``K7M 4PX Y``.

Alphabet (23 symbols): ``ACDEFHJKMNPRTUVWXY34679``. Left out because they are mistaken for one
another when read from a screen or a printout: 0/O/Q, 1/I/L, 2/Z, 5/S, 8/B, G/6 (G goes, 6
stays). Input is case-insensitive, so lowercase look-alikes (b/6, g/9) cannot sneak back in.

A code is 6 random symbols and 1 check symbol. The check is a weighted sum modulo 23 — the
alphabet size, which is prime: with the symbol values ``v0…v6`` and weights ``1…7``,
``Σ (i+1)·vi ≡ 0 (mod 23)``. Because 23 is prime and the weights are distinct and non-zero, this
catches every single wrong symbol and every swap of two symbols (adjacent or not). Luhn mod N,
the usual choice, misses one swap: the first and the last symbol of the alphabet (like 09↔90
in Luhn mod 10).

Sounds that are easy to confuse on the phone (M/N, the "-e" letters C D E P T V) are not all
avoidable with ≥ 20 symbols; the check symbol catches a single mishearing.
"""

from __future__ import annotations

import random
import secrets

from console.domain.errors import InvalidValue

FIELD = "reference"
ALPHABET = "ACDEFHJKMNPRTUVWXY34679"
BASE = len(ALPHABET)
BODY_LENGTH = 6
LENGTH = BODY_LENGTH + 1
PROVISIONAL_PREFIX = "P-"  # reserved for references issued offline before the server confirms

_VALUE = {symbol: index for index, symbol in enumerate(ALPHABET)}
_SEPARATORS = str.maketrans("", "", " \t-")
_INVERSE_LAST_WEIGHT = pow(LENGTH, -1, BASE)

assert len(_VALUE) == BASE, "alphabet has a repeated symbol"
assert BASE >= 20 and all(BASE % p for p in range(2, BASE)), "alphabet size must be a prime ≥ 20"


def check_symbol(body: str) -> str:
    """The check symbol for the 6 body symbols (uppercase, from the alphabet)."""
    total = sum((i + 1) * _VALUE[ch] for i, ch in enumerate(body))
    return ALPHABET[(-total * _INVERSE_LAST_WEIGHT) % BASE]


def new_reference(rnd: random.Random | None = None) -> str:
    """A new 7-symbol reference; cryptographically random unless ``rnd`` is given (tests, demos)."""
    choice = secrets.choice if rnd is None else rnd.choice
    body = "".join(choice(ALPHABET) for _ in range(BODY_LENGTH))
    return body + check_symbol(body)


def _clean(text: str) -> str:
    return text.strip().translate(_SEPARATORS).upper()


def is_reference_shaped(text: str) -> bool:
    """True if ``text`` is 7 alphabet symbols once spaces and dashes go (check not verified)."""
    cleaned = _clean(text)
    return len(cleaned) == LENGTH and all(ch in _VALUE for ch in cleaned)


def looks_like_reference(text: str) -> bool:
    """True if ``text`` reads as a reference someone may have mistyped: reference-shaped, or
    seven letters and digits with both (a name has no digit, a phone number no letter)."""
    cleaned = _clean(text)
    if len(cleaned) != LENGTH or not (cleaned.isascii() and cleaned.isalnum()):
        return False
    return is_reference_shaped(cleaned) or (
        any(ch.isdigit() for ch in cleaned) and any(ch.isalpha() for ch in cleaned)
    )


def wrong_check_character(text: str) -> bool:
    """True if ``text`` is six good symbols and a last one that is not their check symbol
    (``DUPH435`` for ``DUPH434``): the code was mistyped or misheard."""
    cleaned = _clean(text)
    if len(cleaned) != LENGTH or not all(ch in _VALUE for ch in cleaned[:BODY_LENGTH]):
        return False
    return check_symbol(cleaned[:BODY_LENGTH]) != cleaned[BODY_LENGTH]


def parse_reference(text: str) -> str:
    """Validate a reference as heard or typed; return its 7 uppercase symbols."""
    cleaned = _clean(text)
    if not cleaned:
        raise InvalidValue(FIELD, "Reference is empty")
    bad = next((ch for ch in cleaned if ch not in _VALUE), None)
    if bad is not None:
        raise InvalidValue(FIELD, f"Reference cannot contain {bad!r}: it is never used in codes")
    if len(cleaned) != LENGTH:
        raise InvalidValue(FIELD, f"Reference must have {LENGTH} characters, got {len(cleaned)}")
    if check_symbol(cleaned[:BODY_LENGTH]) != cleaned[BODY_LENGTH]:
        raise InvalidValue(FIELD, "Reference check character does not match: probably mistyped")
    return cleaned


def parse_provisional(text: str) -> str | None:
    """A provisional reference as heard or typed (``P-K7M 4PX R``, ``p k7m4pxr``,
    ``PK7M4PXR``) in its stored form ``P-K7M4PXR``; None when ``text`` is not one (its code
    must pass the check, as a real reference's does)."""
    cleaned = _clean(text)
    if len(cleaned) != LENGTH + 1 or cleaned[0] != PROVISIONAL_PREFIX[0]:
        return None
    try:
        return PROVISIONAL_PREFIX + parse_reference(cleaned[1:])
    except InvalidValue:
        return None


def provisional_problem(text: str) -> str | None:
    """Why ``text``, shaped as a provisional reference (P and eight symbols' room), is not one:
    its code's own fault (``P-K7M 4PX Q``: the check fails), said as such; None when it is not
    so shaped, or is a valid one."""
    cleaned = _clean(text)
    if len(cleaned) != LENGTH + 1 or cleaned[0] != PROVISIONAL_PREFIX[0]:
        return None
    try:
        parse_reference(cleaned[1:])
    except InvalidValue as exc:
        return f"Provisional reference: {exc.message}"
    return None


def format_reference(code: str) -> str:
    """Grouped for reading aloud: ``K7M 4PX Y``."""
    return f"{code[:3]} {code[3:6]} {code[6:]}"
