"""E-mail addresses."""

from __future__ import annotations

import pytest

from console.domain.email import parse_email
from console.domain.errors import InvalidValue


@pytest.mark.parametrize(
    ("text", "result"),
    [
        ("janez.novak@gmail.com", "janez.novak@gmail.com"),
        ("  Janez.Novak@GMAIL.COM ", "Janez.Novak@gmail.com"),  # local part kept as typed
        ("ana+narocila@siol.net", "ana+narocila@siol.net"),
        ("info@upravna-enota.gov.si", "info@upravna-enota.gov.si"),
        ("ziga@pošta.si", "ziga@pošta.si"),
        ("a@b.co", "a@b.co"),
    ],
)
def test_accepted(text: str, result: str) -> None:
    assert parse_email(text) == result


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "empty"),
        ("janez.novak.gmail.com", "needs an @"),
        ("janez@novak@gmail.com", "more than one @"),
        ("@gmail.com", "nothing before the @"),
        ("janez@", "nothing after the @"),
        ("janez@gmail", "needs a dot"),
        ("janez novak@gmail.com", "spaces"),
        ("janez@gmail..com", "empty part"),
        ("janez@.gmail.com", "empty part"),
        ("janez@gmail.com.", "empty part"),
        ("janez@gmail.c", "top-level"),
        ("janez@10.0.0.1", "top-level"),
        ("janez@gma_il.com", "cannot contain '_'"),
        ("janez@-gmail.com", "cannot start or end with -"),
        (".janez@gmail.com", "misplaced dot"),
        ("janez..novak@gmail.com", "misplaced dot"),
        ("janez,novak@gmail.com", "cannot contain ','"),
        ("x" * 65 + "@gmail.com", "more than 64"),
        ("a@" + "b" * 250 + ".si", "too long"),
    ],
)
def test_rejected(text: str, fragment: str) -> None:
    with pytest.raises(InvalidValue, match=fragment) as info:
        parse_email(text)
    assert info.value.field == "email"


def test_length_limit_is_254() -> None:
    address = "a@" + "b" * 60 + "." + "c" * 60 + "." + "d" * 60 + "." + "e" * 66 + ".si"
    assert len(address) == 254
    assert parse_email(address) == address
    with pytest.raises(InvalidValue, match="too long"):
        parse_email("a" + address)
