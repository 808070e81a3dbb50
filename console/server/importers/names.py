"""How the insurer's upper-case names read on screen: ``KOLAR  MIRAN`` -> ``Kolar Miran``."""

from __future__ import annotations

import re

# Words that stay in lower case inside a Slovenian place name (Škofja vas, Novo mesto, Ravne na
# Koroškem, Šempeter v Savinjski dolini, Lenart v Slov. goricah). A heuristic: the insurer
# publishes upper case only, and a few real names (Kranjska Gora) keep their capital anyway.
_PLACE_LOWER = frozenset(
    {"na", "ob", "pri", "v", "nad", "pod", "mesto", "vas", "trg", "dolini", "goricah", "polju"}
)
_PARTS = re.compile(r"([-'’])")


def _capital(word: str) -> str:
    """Upper-case the first letter of each part of a word joined by hyphens or apostrophes."""
    return "".join(part[:1].upper() + part[1:].lower() for part in _PARTS.split(word))


def person_name(text: str) -> str:
    """A doctor's name as listed (surname first, padded, double spaces) in title case:
    ``KOLAR  MIRAN `` -> ``Kolar Miran``, ``PEVEC-DABELIĆ BARBARA`` -> ``Pevec-Dabelić Barbara``.
    The order stays as the insurer gives it: a multi-word surname cannot be told apart from a
    second given name."""
    return " ".join(_capital(word) for word in text.split())


def place_name(text: str) -> str:
    """A post town in upper case as Slovenians write it: ``ŠKOFJA VAS`` -> ``Škofja vas``."""
    words = text.split()
    return " ".join(
        word.lower() if index and word.lower() in _PLACE_LOWER else _capital(word)
        for index, word in enumerate(words)
    )


def clean(value: object) -> str:
    """A cell as text: padded cells stripped, inner runs of spaces collapsed; None -> ''."""
    if value is None:
        return ""
    return " ".join(str(value).split())
