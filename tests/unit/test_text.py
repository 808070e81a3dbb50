"""Text folding for search, the error type, and the purity of the domain package."""

from __future__ import annotations

import pickle
import subprocess
import sys

import pytest

from console.domain.errors import InvalidValue
from console.domain.text import digits_only, fold


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Česnik", "cesnik"),
        ("ŠKOFJA  LOKA", "skofja loka"),
        ("Žiga Đurić", "ziga duric"),
        ("Ćosić", "cosic"),
        ("  Müller\tÖztürk \n", "muller ozturk"),
        ("Straße", "strasse"),
        ("Łukasz Øberg", "lukasz oberg"),
        ("ﬁle", "file"),  # NFKD compatibility ligature
        ("", ""),
    ],
)
def test_fold(text: str, folded: str) -> None:
    assert fold(text) == folded


def test_fold_makes_diacritics_irrelevant_for_matching() -> None:
    assert fold("cesnik") in fold("Ana Česnik")
    assert fold("ČEŠNJEVEC") == fold("cesnjevec")


def test_digits_only() -> None:
    assert digits_only("+386 (41) 234-567") == "38641234567"
    assert digits_only("abc") == ""
    assert digits_only("²٣4") == "4"  # only ASCII digits


def test_invalid_value() -> None:
    exc = InvalidValue("emso", "EMŠO must have 13 digits, got 12")
    assert isinstance(exc, ValueError)
    assert exc.field == "emso"
    assert exc.message == str(exc) == "EMŠO must have 13 digits, got 12"
    copy = pickle.loads(pickle.dumps(exc))
    assert (copy.field, copy.message) == (exc.field, exc.message)


def test_domain_validators_import_no_ui_server_or_storage() -> None:
    code = (
        "import sys\n"
        "import console.domain.calendar, console.domain.email, console.domain.emso\n"
        "import console.domain.errors, console.domain.phone, console.domain.reference\n"
        "import console.domain.text, console.domain.zzzs\n"
        "bad = {'textual', 'fastapi', 'sqlalchemy'} & {m.split('.')[0] for m in sys.modules}\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
