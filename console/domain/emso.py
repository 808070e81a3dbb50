"""EMŠO, the Slovenian personal identification number: ``DDMMYYY RR SSS K``.

* ``DDMMYYY`` birth date; the year's last three digits (``YYY >= 800`` → 1YYY, else 2YYY);
* ``RR`` register code: 50 (classic Slovenian), 50–59 since a 2024 change;
* ``SSS`` serial number: 000–499 male, 500–999 female;
* ``K`` check digit: weights 7,6,5,4,3,2,7,6,5,4,3,2 over the first 12 digits,
  ``r = sum mod 11``, ``K = 11 − r``; ``r == 0`` gives 0 (the "11 → 0" case); ``r == 1``
  would need a check digit of 10, so such numbers are never issued and are rejected.

Example: 1. 1. 1990, register 50, serial 000 → ``0101990500003``.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Literal

from console.domain.errors import InvalidValue

FIELD = "emso"
WEIGHTS = (7, 6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
REGISTERS = range(50, 60)
_SEPARATORS = str.maketrans("", "", " -\t")
_DIGITS = frozenset("0123456789")
CHECK_DIGIT_MISMATCH = (
    "EMŠO check digit does not match the other 12 digits: a digit is mistyped somewhere"
)


def _clean(text: str) -> str:
    return text.strip().translate(_SEPARATORS)


def is_emso_shaped(text: str) -> bool:
    """True if ``text`` is 13 digits once spaces (and dashes) are removed; no other checks."""
    cleaned = _clean(text)
    return len(cleaned) == 13 and all(ch in _DIGITS for ch in cleaned)


def emso_check_digit(first12: str) -> int | None:
    """The check digit for 12 digits, or None when none exists (remainder 1: never issued)."""
    if len(first12) != 12 or not all(ch in _DIGITS for ch in first12):
        raise ValueError(f"need exactly 12 digits, got {first12!r}")
    remainder = sum(w * int(ch) for w, ch in zip(WEIGHTS, first12, strict=True)) % 11
    if remainder == 0:
        return 0
    if remainder == 1:
        return None
    return 11 - remainder


def _year(yyy: str) -> int:
    value = int(yyy)
    return 1000 + value if value >= 800 else 2000 + value


def _birth_date(emso: str) -> date | None:
    try:
        return date(_year(emso[4:7]), int(emso[2:4]), int(emso[0:2]))
    except ValueError:
        return None


def parse_emso(text: str) -> str:
    """Validate an EMŠO (spaces and dashes allowed inside) and return its 13 digits."""
    cleaned = _clean(text)
    if not cleaned:
        raise InvalidValue(FIELD, "EMŠO is empty")
    bad = next((ch for ch in cleaned if ch not in _DIGITS), None)
    if bad is not None:
        raise InvalidValue(FIELD, f"EMŠO may contain only digits, found {bad!r}")
    if len(cleaned) != 13:
        raise InvalidValue(FIELD, f"EMŠO must have 13 digits, got {len(cleaned)}")
    if _birth_date(cleaned) is None:
        shown = f"{cleaned[0:2]}.{cleaned[2:4]}.{_year(cleaned[4:7])}"
        raise InvalidValue(FIELD, f"EMŠO birth date is impossible: {shown}")
    register = int(cleaned[7:9])
    if register not in REGISTERS:
        raise InvalidValue(
            FIELD, f"EMŠO register code must be between 50 and 59, got {cleaned[7:9]}"
        )
    expected = emso_check_digit(cleaned[:12])
    if expected is None:
        raise InvalidValue(
            FIELD, "EMŠO is not valid: no valid check digit exists for these first 12 digits"
        )
    if int(cleaned[12]) != expected:
        # Never the digit that would pass: that invites "fixing" a typo elsewhere in the number
        # by changing the last digit (issue 12 item 6).
        raise InvalidValue(FIELD, CHECK_DIGIT_MISMATCH)
    return cleaned


def emso_birth_date(emso: str) -> date:
    """The birth date encoded in a valid EMŠO."""
    valid = parse_emso(emso)
    return date(_year(valid[4:7]), int(valid[2:4]), int(valid[0:2]))


def emso_sex(emso: str) -> Literal["M", "F"]:
    """``"M"`` for serial 000–499, ``"F"`` for 500–999."""
    return "M" if int(parse_emso(emso)[9:12]) < 500 else "F"


def _date_prefix(birth_date: date) -> str:
    if not 1800 <= birth_date.year <= 2799:
        raise ValueError(f"EMŠO cannot encode the year {birth_date.year}")
    return f"{birth_date.day:02d}{birth_date.month:02d}{birth_date.year % 1000:03d}"


def generate_emso(birth_date: date, sex: str, rnd: random.Random, register: int = 50) -> str:
    """A random valid EMŠO for this birth date and sex (``"M"``/``"F"``)."""
    if sex not in ("M", "F"):
        raise ValueError(f"sex must be 'M' or 'F', got {sex!r}")
    if register not in REGISTERS:
        raise ValueError(f"register must be 50–59, got {register}")
    base = 0 if sex == "M" else 500
    head = f"{_date_prefix(birth_date)}{register:02d}"
    while True:  # about 1 in 11 serials has no check digit; retry those
        first12 = f"{head}{base + rnd.randrange(500):03d}"
        check = emso_check_digit(first12)
        if check is not None:
            return f"{first12}{check}"


def _weighted(digits: str, weights: tuple[int, ...]) -> int:
    return sum(w * int(ch) for w, ch in zip(weights, digits, strict=True))


def emso_batch(rnd: random.Random, n: int, start: date, end: date, register: int = 50) -> list[str]:
    """``n`` distinct random valid EMŠOs with birth dates in ``[start, end]`` (inclusive).

    Built for bulk demo data (millions in seconds): the date part and the
    ``serial + check digit`` suffixes are precomputed per remainder class, so each item is two
    random draws and a string concatenation. ``n`` may be at most half of the distinct numbers
    the range holds (about 900 per day), so that drawing without repeats stays fast.
    """
    if n < 0:
        raise ValueError("n must not be negative")
    if end < start:
        raise ValueError("end is before start")
    if register not in REGISTERS:
        raise ValueError(f"register must be 50–59, got {register}")
    days = (end - start).days + 1
    prefixes: list[str] = []
    classes: list[int] = []
    for offset in range(days):
        head = _date_prefix(start + timedelta(days=offset)) + f"{register:02d}"
        prefixes.append(head)
        classes.append(_weighted(head, WEIGHTS[:9]) % 11)
    # suffixes[c]: every "SSSK" that completes a head whose weighted sum is c (mod 11).
    suffixes: list[list[str]] = []
    for head_class in range(11):
        valid: list[str] = []
        for serial in range(1000):
            sss = f"{serial:03d}"
            remainder = (head_class + _weighted(sss, WEIGHTS[9:])) % 11
            if remainder != 1:
                valid.append(f"{sss}{0 if remainder == 0 else 11 - remainder}")
        suffixes.append(valid)
    capacity = sum(len(suffixes[c]) for c in classes)
    if n > capacity // 2:
        raise ValueError(
            f"asked for {n} distinct EMŠOs but the date range holds only {capacity}; widen it"
        )
    pools = [suffixes[c] for c in classes]
    sizes = [len(pool) for pool in pools]
    random_ = rnd.random
    seen: set[str] = set()
    add = seen.add
    out: list[str] = []
    append = out.append
    missing = n
    while missing:
        for _ in range(missing):
            day = int(random_() * days)
            code = prefixes[day] + pools[day][int(random_() * sizes[day])]
            if code not in seen:
                add(code)
                append(code)
        missing = n - len(out)
    return out
