"""Booking reference codes."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from console.domain.errors import InvalidValue
from console.domain.reference import (
    ALPHABET,
    PROVISIONAL_PREFIX,
    check_symbol,
    format_reference,
    is_reference_shaped,
    looks_like_reference,
    new_reference,
    parse_reference,
    wrong_check_character,
)

# Worked by hand: values in ALPHABET are K=7, 7=21, M=8, 4=19, P=10, X=16, so
#   Σ (i+1)·v = 1·7 + 2·21 + 3·8 + 4·19 + 5·10 + 6·16 = 295 ≡ 19 (mod 23).
# The check value c needs 19 + 7c ≡ 0, i.e. 7c ≡ 4; 7⁻¹ ≡ 10 (7·10 = 70 = 3·23 + 1), so
# c ≡ 40 ≡ 17, which is "Y".
KNOWN = "K7M4PXY"

references = st.integers(0, 2**32).map(lambda seed: new_reference(random.Random(seed)))


def test_alphabet_has_no_look_alikes_and_is_big_enough() -> None:
    assert len(ALPHABET) == len(set(ALPHABET)) >= 20
    assert not set(ALPHABET) & set("0OQ1IL2Z5S8BG")
    assert ALPHABET.upper() == ALPHABET


def test_known_code() -> None:
    assert parse_reference(KNOWN) == KNOWN
    assert format_reference(KNOWN) == "K7M 4PX Y"
    assert parse_reference("k7m 4px y") == KNOWN
    assert parse_reference("K7M-4PX-Y") == KNOWN


def test_new_reference_shape() -> None:
    for code in [new_reference() for _ in range(200)]:
        assert len(code) == 7
        assert set(code) <= set(ALPHABET)
        assert parse_reference(code) == code
    assert new_reference(random.Random(9)) == new_reference(random.Random(9))


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("K0M4PXY", "cannot contain '0'"),
        ("k7m 4px o", "cannot contain 'O'"),
        ("K7M4PX1", "cannot contain '1'"),
        ("K7M.4PXY", "cannot contain '.'"),
        ("K7M4PX", "7 characters, got 6"),
        ("K7M4PXYA", "7 characters, got 8"),
        ("K7M4PXA", "check character does not match: probably mistyped"),
    ],
)
def test_rejections_say_what_is_wrong(text: str, fragment: str) -> None:
    with pytest.raises(InvalidValue, match=fragment) as info:
        parse_reference(text)
    assert info.value.field == "reference"


def test_a_wrong_check_character_is_told_from_a_symbol_never_used() -> None:
    # Issue 12 item 8: the body is six good symbols and only the last one is wrong.
    assert wrong_check_character("DUPH435")  # 5 is never used, in the check's place
    assert wrong_check_character("duph 43A")
    assert not wrong_check_character("DUPH434")  # right
    assert not wrong_check_character("D5PH434")  # a symbol never used in the body
    assert looks_like_reference("DUPH435") and looks_like_reference("D5PH434")
    assert looks_like_reference("kranjea")  # seven symbols of the alphabet
    assert not looks_like_reference("novak ja")  # O is no symbol, and no digit: a name
    assert not looks_like_reference("0412345")  # digits only: a phone


def test_is_reference_shaped_checks_shape_only() -> None:
    assert is_reference_shaped("K7M 4PX Y")
    assert is_reference_shaped("k7m-4px-a")  # wrong check symbol, right shape
    assert not is_reference_shaped("K7M 4PX")
    assert not is_reference_shaped("K0M 4PX Y")
    assert not is_reference_shaped("0101990500003")


def test_provisional_prefix() -> None:
    assert PROVISIONAL_PREFIX == "P-"


def _swap(code: str, position: int) -> str:
    return code[:position] + code[position + 1] + code[position] + code[position + 2 :]


def test_every_adjacent_swap_of_every_symbol_pair_is_caught() -> None:
    """Exhaustive over symbol pairs and positions (Luhn mod N would miss one pair)."""
    rnd = random.Random(11)
    for position in range(5):  # swaps inside the body: (0,1) … (4,5)
        for a in ALPHABET:
            for b in ALPHABET:
                if a == b:
                    continue
                body = [rnd.choice(ALPHABET) for _ in range(6)]
                body[position], body[position + 1] = a, b
                code = "".join(body) + check_symbol("".join(body))
                with pytest.raises(InvalidValue, match="check character"):
                    parse_reference(_swap(code, position))
    for _ in range(2000):  # swaps of the last body symbol and the check symbol
        code = new_reference(rnd)
        if code[5] != code[6]:
            with pytest.raises(InvalidValue, match="check character"):
                parse_reference(_swap(code, 5))


def test_first_and_last_symbol_swap_is_caught() -> None:
    body = ALPHABET[0] + ALPHABET[-1] + "KMPX"
    code = body + check_symbol(body)
    with pytest.raises(InvalidValue):
        parse_reference(code[1] + code[0] + code[2:])


@settings(max_examples=100, deadline=None)
@given(references)
def test_every_single_substitution_is_caught(code: str) -> None:
    for position in range(7):
        for symbol in ALPHABET:
            if symbol == code[position]:
                continue
            with pytest.raises(InvalidValue, match="check character"):
                parse_reference(code[:position] + symbol + code[position + 1 :])


@settings(max_examples=100, deadline=None)
@given(references)
def test_round_trip(code: str) -> None:
    assert parse_reference(format_reference(code)) == code
    assert parse_reference(format_reference(code).lower()) == code
    assert is_reference_shaped(format_reference(code))
