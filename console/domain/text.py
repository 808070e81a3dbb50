"""Text folding for search: case- and diacritic-insensitive matching (``cesnik`` finds Česnik)."""

from __future__ import annotations

import unicodedata
from functools import lru_cache

# Letters that NFKD does not decompose into a base letter plus a combining mark.
_EXTRA = str.maketrans(
    {
        "đ": "d",
        "ł": "l",
        "ø": "o",
        "ħ": "h",
        "ı": "i",
        "æ": "ae",
        "œ": "oe",
        "þ": "th",
    }
)

_DIGITS = frozenset("0123456789")


def fold(text: str) -> str:
    """Lowercase, strip diacritics (č→c, đ→d, …) and collapse whitespace."""
    lowered = text.casefold().translate(_EXTRA)
    decomposed = unicodedata.normalize("NFKD", lowered)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.split())


def digits_only(text: str) -> str:
    """Keep only the ASCII digits 0–9."""
    return "".join(ch for ch in text if ch in _DIGITS)


# Slovenian alphabetical order: č after c, š after s, ž after z; other accented letters (ć, đ,
# ö, …) sort with their base letter. ``\x7f`` sorts after every letter and digit, and folding
# keeps it.
_SL_AFTER = str.maketrans({"č": "c\x7f", "š": "s\x7f", "ž": "z\x7f"})


@lru_cache(maxsize=16384)  # names and institutions repeat from one search to the next
def collation_key(text: str) -> tuple[str, str, str]:
    """A sort key that orders names the Slovenian way (Cankar, Celje, Čater, Dolenc; Šentjur
    after Sveti Jurij), ignoring case, then breaking ties by accents and case."""
    lowered = " ".join(unicodedata.normalize("NFC", text).casefold().split())
    return fold(lowered.translate(_SL_AFTER)), lowered, text
