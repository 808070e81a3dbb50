"""Phone numbers: parsing to E.164, display, search prefixes."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from console.domain.errors import InvalidValue
from console.domain.phone import (
    LANDLINE_AREAS,
    MOBILE_PREFIXES,
    format_phone,
    is_mobile,
    parse_phone,
    phone_query,
    random_mobile,
)


@pytest.mark.parametrize(
    ("text", "e164"),
    [
        ("041 234 567", "+38641234567"),
        ("041234567", "+38641234567"),
        ("041-234-567", "+38641234567"),
        ("041/234-567", "+38641234567"),
        ("+386 41 234 567", "+38641234567"),
        ("+38641234567", "+38641234567"),
        ("00386 41 234 567", "+38641234567"),
        ("+386 (0)41 234 567", "+38641234567"),
        ("+386 041 234 567", "+38641234567"),
        ("(01) 234 56 78", "+38612345678"),
        ("01 234 56 78", "+38612345678"),
        ("02 620 12 34", "+38626201234"),
        ("07 332 11 00", "+38673321100"),
        ("059 012 345", "+38659012345"),
        ("080 12 34", "+386801234"),
        ("080 1234", "+386801234"),
        ("080 123 456", "+38680123456"),
        ("090 12 34", "+386901234"),
        ("  031 555 666  ", "+38631555666"),
        ("+49 151 1234 5678", "+4915112345678"),
        ("0049 30 123456", "+4930123456"),
        ("+1 (202) 555-0100", "+12025550100"),
        ("+385 1 4567 890", "+38514567890"),
    ],
)
def test_accepted_forms(text: str, e164: str) -> None:
    assert parse_phone(text) == e164


@pytest.mark.parametrize("prefix", MOBILE_PREFIXES)
def test_every_mobile_prefix(prefix: str) -> None:
    e164 = parse_phone(f"0{prefix} 123 456")
    assert e164 == f"+386{prefix}123456"
    assert is_mobile(e164)
    assert format_phone(e164) == f"0{prefix} 123 456"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("04l 234 567", "letters, found 'l'"),
        ("041 234 567 ext", "letters, found 'e'"),
        ("041#234567", "cannot contain '#'"),
        ("041 234 56", "8 digits after the leading 0"),
        ("041 234 5678", "got 9"),
        ("01 234 567", "got 7"),
        ("061 234 567", "Unknown Slovenian prefix 061"),
        ("066 123 456", "Unknown Slovenian prefix 066"),
        ("088 123 456", "Unknown Slovenian prefix 088"),
        ("099 123 456", "Unknown Slovenian prefix 099"),
        ("080 12", "4 to 6 digits after 080, got 2"),
        ("080 1234 567", "got 7"),
        ("41 234 567", "start with 0"),
        ("+386", "no digits after the country code"),
        ("+386 41 234", "got 5"),
        ("+49 123", "7 to 15 digits"),
        ("+49 1234 5678 9012 345", "7 to 15 digits"),
        ("+0 123 456 789", "country code"),
        ("--", "no digits"),
    ],
)
def test_rejections_say_what_is_wrong(text: str, fragment: str) -> None:
    with pytest.raises(InvalidValue, match=fragment) as info:
        parse_phone(text)
    assert info.value.field == "phone"


@pytest.mark.parametrize(
    ("e164", "shown"),
    [
        ("+38641234567", "041 234 567"),
        ("+38612345678", "01 234 56 78"),
        ("+38656123456", "05 612 34 56"),
        ("+38659012345", "059 012 345"),
        ("+386801234", "080 12 34"),
        ("+38680123456", "080 123 456"),
        ("+3869012345", "090 123 45"),
        ("+4915112345678", "+4915112345678"),
        ("+386123", "+386123"),  # not a valid number: shown as stored
    ],
)
def test_format(e164: str, shown: str) -> None:
    assert format_phone(e164) == shown


def test_is_mobile() -> None:
    assert is_mobile("+38641234567")
    assert is_mobile("+38670123456")
    assert not is_mobile("+38612345678")
    assert not is_mobile("+386801234")
    assert not is_mobile("+4141234567")
    assert not is_mobile("+3864123456")


@pytest.mark.parametrize(
    ("text", "prefix"),
    [
        ("041 234", "+38641234"),
        ("041 234 567", "+38641234567"),
        ("+386 41 23", "+3864123"),
        ("00386 41 234", "+38641234"),
        ("(01) 234 5", "+38612345"),
        ("+44 20 7946", "+44207946"),
        ("0044 20 7946", "+44207946"),
        ("041 23", None),  # fewer than 6 digits
        # Issue 12 item 9: a whole Slovenian number typed without its 0, and the start of a
        # number in international form, are phone searches.
        ("40237043", "+38640237043"),
        ("41 234 567", "+38641234567"),
        ("1 234 56 78", "+38612345678"),
        ("+386", "+386"),
        ("+38640", "+38640"),
        ("+386 4", "+3864"),
        ("00386", "+386"),
        ("+44", "+44"),
        ("402370", None),  # no 0 and not a whole number: could be anything
        ("60237043", None),  # no Slovenian number starts 06x but 064 065 068 069
        ("+", None),
        ("123456789", None),  # a ZZZS number
        ("0101990500003", None),  # an EMŠO
        ("1. 1. 1990", None),  # a birth date
        ("01.01.1990", None),
        ("Česnik", None),
        ("K7M 4PX Y", None),
        ("", None),
    ],
)
def test_phone_query(text: str, prefix: str | None) -> None:
    assert phone_query(text) == prefix


def test_random_mobile_is_valid() -> None:
    rnd = random.Random(5)
    numbers = [random_mobile(rnd) for _ in range(500)]
    assert all(parse_phone(n) == n and is_mobile(n) for n in numbers)
    assert numbers == [random_mobile(r) for r in [random.Random(5)] for _ in range(500)]


subscriber = st.text(alphabet="0123456789", min_size=6, max_size=6)
slovenian = st.one_of(
    st.builds(lambda p, s: f"+386{p}{s}", st.sampled_from(MOBILE_PREFIXES), subscriber),
    st.builds(
        lambda a, s: f"+386{a}{s}",
        st.sampled_from(LANDLINE_AREAS),
        st.text(alphabet="0123456789", min_size=7, max_size=7),
    ),
    st.builds(
        lambda p, s: f"+386{p}{s}",
        st.sampled_from(["80", "90"]),
        st.text(alphabet="0123456789", min_size=4, max_size=6),
    ),
)
foreign = st.builds(
    lambda first, rest: f"+{first}{rest}",
    st.sampled_from("12456789"),
    st.text(alphabet="0123456789", min_size=6, max_size=14),
).filter(lambda n: not n.startswith("+386"))


@settings(max_examples=200, deadline=None)
@given(st.one_of(slovenian, foreign))
def test_round_trip(e164: str) -> None:
    assert parse_phone(format_phone(e164)) == e164
    assert parse_phone(e164) == e164


@settings(max_examples=100, deadline=None)
@given(slovenian)
def test_prefix_of_a_valid_number_queries_that_prefix(e164: str) -> None:
    national = "0" + e164[4:]
    for cut in range(6, len(national) + 1):
        assert phone_query(national[:cut]) == "+386" + national[1:cut]
