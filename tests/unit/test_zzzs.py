"""ZZZS insurance numbers."""

from __future__ import annotations

import pytest

from console.domain.errors import InvalidValue
from console.domain.zzzs import is_zzzs_shaped, parse_zzzs


@pytest.mark.parametrize(
    ("text", "digits"),
    [("123456789", "123456789"), ("123 456 789", "123456789"), (" 012 345 678 ", "012345678")],
)
def test_accepted(text: str, digits: str) -> None:
    assert parse_zzzs(text) == digits


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "empty"),
        ("12345678", "9 digits, got 8"),
        ("1234567890", "9 digits, got 10"),
        ("12345678O", "only digits, found 'O'"),
        ("0101990500003", "got 13"),
    ],
)
def test_rejected(text: str, fragment: str) -> None:
    with pytest.raises(InvalidValue, match=fragment) as info:
        parse_zzzs(text)
    assert info.value.field == "zzzs"


def test_shape() -> None:
    assert is_zzzs_shaped("123 456 789")
    assert not is_zzzs_shaped("12345678")
    assert not is_zzzs_shaped("12345678a")
    assert not is_zzzs_shaped("0101990500003")
