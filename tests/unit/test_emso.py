"""EMŠO: parsing, check digit, generation."""

from __future__ import annotations

import random
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from console.domain.emso import (
    emso_batch,
    emso_birth_date,
    emso_check_digit,
    emso_sex,
    generate_emso,
    is_emso_shaped,
    parse_emso,
)
from console.domain.errors import InvalidValue

# Worked by hand: 1. 1. 1990, register 50, serial 000 → first 12 digits 0101990 50 000
#   digits   0 1 0 1 9 9 0 5 0 0 0 0
#   weights  7 6 5 4 3 2 7 6 5 4 3 2
#   products 0+6+0+4+27+18+0+30+0+0+0+0 = 85;  85 mod 11 = 8;  K = 11 - 8 = 3
MALE_1990 = "0101990500003"
# Serial 500 adds 5·4 = 20: 105 mod 11 = 6, K = 5.
FEMALE_1990 = "0101990505005"
# Serial 010 adds 1·3 = 3: 88 mod 11 = 0, so K = 0 (the "11 → 0" case).
ZERO_CHECK = "0101990500100"
# Serial 100 adds 1·4 = 4: 89 mod 11 = 1, K would be 10: never issued.
NO_CHECK_FIRST12 = "010199050100"

emsos = st.builds(
    generate_emso,
    st.dates(min_value=date(1800, 1, 1), max_value=date(2799, 12, 31)),
    st.sampled_from(["M", "F"]),
    st.integers(0, 2**32).map(random.Random),
    st.integers(50, 59),
)


def test_hand_computed_examples() -> None:
    assert emso_check_digit(MALE_1990[:12]) == 3
    assert parse_emso(MALE_1990) == MALE_1990
    assert emso_birth_date(MALE_1990) == date(1990, 1, 1)
    assert emso_sex(MALE_1990) == "M"
    assert parse_emso(FEMALE_1990) == FEMALE_1990
    assert emso_sex(FEMALE_1990) == "F"


def test_remainder_zero_gives_check_digit_zero() -> None:
    assert emso_check_digit(ZERO_CHECK[:12]) == 0
    assert parse_emso(ZERO_CHECK) == ZERO_CHECK


def test_remainder_one_is_never_issued() -> None:
    assert emso_check_digit(NO_CHECK_FIRST12) is None
    for k in "0123456789":
        with pytest.raises(InvalidValue, match="no valid check digit exists"):
            parse_emso(NO_CHECK_FIRST12 + k)


@pytest.mark.parametrize(
    "text", ["0101990 500003", " 010199-050-000-3 ", "010199 050 0003", "0101990\t500003"]
)
def test_separators_are_accepted(text: str) -> None:
    assert parse_emso(text) == MALE_1990


def test_wrong_check_digit_message_says_what_is_wrong_not_the_digit_that_would_pass() -> None:
    # Issue 12 item 6: naming the expected digit invites "fixing" a typo elsewhere in the number
    # by changing the last digit; the message says the check digit does not match, no more.
    with pytest.raises(InvalidValue) as info:
        parse_emso("0101990500005")
    assert info.value.field == "emso"
    assert str(info.value) == (
        "EMŠO check digit does not match the other 12 digits: a digit is mistyped somewhere"
    )
    assert "3" not in str(info.value)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "empty"),
        ("010199050000", "13 digits, got 12"),
        ("01019905000031", "13 digits, got 14"),
        ("010199O500003", "only digits, found 'O'"),
        ("3102990500003", "impossible: 31.02.1990"),
        ("2902001500003", "impossible: 29.02.2001"),
        ("0113990500003", "impossible"),
        ("0001990500003", "impossible"),
        ("0101990490003", "between 50 and 59, got 49"),
        ("0101990600003", "between 50 and 59, got 60"),
        ("0101990100003", "got 10"),
    ],
)
def test_rejections_say_what_is_wrong(text: str, fragment: str) -> None:
    with pytest.raises(InvalidValue, match=fragment) as info:
        parse_emso(text)
    assert info.value.field == "emso"


def test_leap_day_in_2000_is_a_real_date() -> None:
    emso = generate_emso(date(2000, 2, 29), "F", random.Random(1))
    assert emso.startswith("2902000")
    assert emso_birth_date(emso) == date(2000, 2, 29)


@pytest.mark.parametrize(
    ("yyy", "year"), [("999", 1999), ("800", 1800), ("799", 2799), ("000", 2000), ("025", 2025)]
)
def test_three_digit_year(yyy: str, year: int) -> None:
    emso = generate_emso(date(year, 3, 15), "M", random.Random(0))
    assert emso[4:7] == yyy
    assert emso_birth_date(emso).year == year


@pytest.mark.parametrize("register", range(50, 60))
def test_every_register_50_to_59_is_valid(register: int) -> None:
    emso = generate_emso(date(1985, 7, 4), "F", random.Random(register), register=register)
    assert emso[7:9] == str(register)
    assert parse_emso(emso) == emso


def test_sex_boundaries() -> None:
    rnd = random.Random(7)
    for _ in range(50):
        male = generate_emso(date(1970, 5, 5), "M", rnd)
        female = generate_emso(date(1970, 5, 5), "F", rnd)
        assert int(male[9:12]) <= 499 and emso_sex(male) == "M"
        assert int(female[9:12]) >= 500 and emso_sex(female) == "F"


def test_bad_arguments() -> None:
    with pytest.raises(ValueError):
        emso_check_digit("12345")
    with pytest.raises(ValueError):
        emso_check_digit("01019905000x")
    with pytest.raises(ValueError):
        generate_emso(date(1990, 1, 1), "X", random.Random())
    with pytest.raises(ValueError):
        generate_emso(date(1990, 1, 1), "M", random.Random(), register=49)
    with pytest.raises(ValueError):
        generate_emso(date(1799, 12, 31), "M", random.Random())


def test_is_emso_shaped() -> None:
    assert is_emso_shaped(MALE_1990)
    assert is_emso_shaped("0101990 500005")  # shape only: the check digit is wrong
    assert not is_emso_shaped("010199050000")
    assert not is_emso_shaped("010199050000x")
    assert not is_emso_shaped("")


@settings(max_examples=100, deadline=None)
@given(emsos)
def test_generated_emsos_parse(emso: str) -> None:
    assert is_emso_shaped(emso)
    assert parse_emso(emso) == emso
    parse_emso(f"{emso[:7]} {emso[7:]}")


@settings(max_examples=60, deadline=None)
@given(emsos)
def test_every_single_digit_change_is_rejected(emso: str) -> None:
    for position in range(13):
        for digit in "0123456789":
            if digit == emso[position]:
                continue
            mutated = emso[:position] + digit + emso[position + 1 :]
            with pytest.raises(InvalidValue):
                parse_emso(mutated)
            # Even when date and register still look fine, the check digit alone catches it.
            assert emso_check_digit(mutated[:12]) != int(mutated[12])


@settings(max_examples=60, deadline=None)
@given(emsos)
def test_adjacent_swaps_in_the_first_twelve_digits_are_rejected(emso: str) -> None:
    for position in range(11):
        a, b = emso[position], emso[position + 1]
        if a == b:
            continue
        swapped = emso[:position] + b + a + emso[position + 2 :]
        assert emso_check_digit(swapped[:12]) != int(swapped[12])


def test_batch_is_valid_distinct_in_range_and_reproducible() -> None:
    start, end = date(1990, 1, 1), date(1999, 12, 31)
    batch = emso_batch(random.Random(42), 3000, start, end)
    assert len(batch) == 3000
    assert len(set(batch)) == 3000
    assert batch == emso_batch(random.Random(42), 3000, start, end)
    sexes = set()
    for emso in batch:
        assert parse_emso(emso) == emso
        assert start <= emso_birth_date(emso) <= end
        sexes.add(emso_sex(emso))
    assert sexes == {"M", "F"}


def test_batch_single_day_and_capacity_limit() -> None:
    day = date(2001, 9, 11)
    batch = emso_batch(random.Random(3), 400, day, day, register=55)
    assert len(set(batch)) == 400
    assert all(emso.startswith("110900155") for emso in batch)
    with pytest.raises(ValueError, match="distinct"):
        emso_batch(random.Random(3), 600, day, day)
    with pytest.raises(ValueError):
        emso_batch(random.Random(3), 1, day, date(2001, 9, 10))
    with pytest.raises(ValueError):
        emso_batch(random.Random(3), -1, day, day)
    assert emso_batch(random.Random(3), 0, day, day) == []
