"""SMS text: the GSM 03.38 alphabet, Slovenian transliteration and segment counting.

An SMS segment carries 140 bytes: 160 characters of the GSM-7 alphabet, or 70 UCS-2 characters
(UTF-16 code units) when a single character is outside it. A longer text is sent as a
concatenated message whose segments lose room to the joining header: 153 GSM-7 characters or 67
UCS-2 units each. A character of GSM-7's extension table (``€ [ ] { } ^ ~ | \\``) takes two.

Slovenian č, š and ž are not in GSM-7 (é, è, ä, ö, ü are), so one caron would turn a 160-char
message into three 67-unit UCS-2 segments. **Decision:** messages to callers are transliterated
(č→c, š→s, ž→z, ć→c, đ→dj, and other letters to their base letter where GSM-7 has it), which
keeps a confirmation in one 160-character segment; Slovenian SMS are commonly written without
carons and read without trouble. ``[messages.sms] transliterate = false`` keeps the carons and
sends UCS-2 instead: :func:`segments` counts either way and says which encoding it used.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

# GSM 03.38 basic character set (the 128 septets; ESC, 0x1B, is the escape to the extension).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# The extension table: each costs two septets (ESC + the character).
GSM7_EXTENDED = frozenset("\f^{}\\[~]|€")

GSM7_SINGLE = 160
GSM7_MULTI = 153
UCS2_SINGLE = 70
UCS2_MULTI = 67

# Letters a Slovenian (or Croatian, Serbian, Bosnian) text uses that GSM-7 lacks, and
# typographic marks word processors put in; the rest falls back to the base letter (NFKD).
_TRANSLITERATION = {
    "č": "c",
    "Č": "C",
    "š": "s",
    "Š": "S",
    "ž": "z",
    "Ž": "Z",
    "ć": "c",
    "Ć": "C",
    "đ": "dj",
    "Đ": "Dj",
    "ł": "l",
    "Ł": "L",
    "–": "-",
    "—": "-",
    "‘": "'",
    "’": "'",
    "‚": "'",
    "“": '"',
    "”": '"',
    "„": '"',
    "…": "...",
    "\u00a0": " ",
    "•": "-",
    "·": "-",
}


@dataclass(frozen=True)
class Segments:
    """How a text goes out: ``encoding`` ("GSM-7" or "UCS-2"), its length in that encoding's
    units (septets, or UTF-16 code units), and the number of segments."""

    encoding: str
    units: int
    count: int

    @property
    def single(self) -> bool:
        return self.count == 1


def is_gsm7(text: str) -> bool:
    """True if every character is in GSM-7 (the basic set or its extension table)."""
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENDED for ch in text)


def transliterate(text: str) -> str:
    """The text in GSM-7 characters only: Slovenian letters without carons, typographic
    quotes and dashes as plain ones; anything else without a GSM-7 form becomes ``?``."""
    out: list[str] = []
    for ch in text:
        if ch in GSM7_BASIC or ch in GSM7_EXTENDED:
            out.append(ch)
        elif ch in _TRANSLITERATION:
            out.append(_TRANSLITERATION[ch])
        else:
            base = "".join(
                c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c)
            )
            out.append(base if base and is_gsm7(base) else "?")
    return "".join(out)


def segments(text: str) -> Segments:
    """Count the segments ``text`` is sent in, in GSM-7 if it can be, else UCS-2."""
    if is_gsm7(text):
        units = sum(2 if ch in GSM7_EXTENDED else 1 for ch in text)
        single, multi, encoding = GSM7_SINGLE, GSM7_MULTI, "GSM-7"
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, multi, encoding = UCS2_SINGLE, UCS2_MULTI, "UCS-2"
    count = 1 if units <= single else -(-units // multi)
    return Segments(encoding=encoding, units=units, count=count)


def fit(parts: list[tuple[str, int]], *, gsm7: bool = True) -> str:
    """Join ``parts`` (text, priority) into one SMS. Priority 0 is always kept; while the text
    takes more than one segment, the optional part with the highest priority goes (the last
    of equals first). The required parts alone may still take more than one segment.
    ``gsm7``: transliterate first (see the module's decision)."""
    prepared = [(transliterate(text) if gsm7 else text, rank) for text, rank in parts]
    kept = [index for index, (text, _) in enumerate(prepared) if text.strip()]
    optional = sorted(
        (index for index in kept if prepared[index][1] > 0),
        key=lambda index: (prepared[index][1], index),
    )

    def joined(indexes: list[int]) -> str:
        return " ".join(prepared[index][0].strip() for index in indexes)

    text = joined(kept)
    while not segments(text).single and optional:
        kept.remove(optional.pop())
        text = joined(kept)
    return text
