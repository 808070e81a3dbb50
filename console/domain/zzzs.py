"""ZZZS health-insurance numbers: exactly 9 digits, with no public check digit."""

from __future__ import annotations

from console.domain.errors import InvalidValue

FIELD = "zzzs"
_SEPARATORS = str.maketrans("", "", " \t-")
_DIGITS = frozenset("0123456789")


def _clean(text: str) -> str:
    return text.strip().translate(_SEPARATORS)


def is_zzzs_shaped(text: str) -> bool:
    """True if ``text`` is 9 digits once spaces (and dashes) are removed."""
    cleaned = _clean(text)
    return len(cleaned) == 9 and all(ch in _DIGITS for ch in cleaned)


def parse_zzzs(text: str) -> str:
    """Validate a ZZZS number (spaces allowed) and return its 9 digits."""
    cleaned = _clean(text)
    if not cleaned:
        raise InvalidValue(FIELD, "ZZZS number is empty")
    bad = next((ch for ch in cleaned if ch not in _DIGITS), None)
    if bad is not None:
        raise InvalidValue(FIELD, f"ZZZS number may contain only digits, found {bad!r}")
    if len(cleaned) != 9:
        raise InvalidValue(FIELD, f"ZZZS number must have 9 digits, got {len(cleaned)}")
    return cleaned
