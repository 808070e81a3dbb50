"""A booking reference, big and spaced for reading aloud, with the grouped code below it.

The big letters are a 5 × 5 pixel font drawn with half blocks (two pixel rows per line), so
each symbol is five cells wide and three lines tall. It covers the reference alphabet
(``ACDEFHJKMNPRTUVWXY34679``), the other digits and the ``P-`` of provisional codes; anything
else falls back to the plain character.
"""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from console.domain.reference import PROVISIONAL_PREFIX, format_reference

_FONT_ROWS = {
    "A": (".###.", "#...#", "#####", "#...#", "#...#"),
    "B": ("####.", "#...#", "####.", "#...#", "####."),
    "C": (".####", "#....", "#....", "#....", ".####"),
    "D": ("####.", "#...#", "#...#", "#...#", "####."),
    "E": ("#####", "#....", "####.", "#....", "#####"),
    "F": ("#####", "#....", "####.", "#....", "#...."),
    "G": (".####", "#....", "#..##", "#...#", ".###."),
    "H": ("#...#", "#...#", "#####", "#...#", "#...#"),
    "I": ("#####", "..#..", "..#..", "..#..", "#####"),
    "J": ("..###", "...#.", "...#.", "#..#.", ".##.."),
    "K": ("#...#", "#..#.", "###..", "#..#.", "#...#"),
    "L": ("#....", "#....", "#....", "#....", "#####"),
    "M": ("#...#", "##.##", "#.#.#", "#...#", "#...#"),
    "N": ("#...#", "##..#", "#.#.#", "#..##", "#...#"),
    "O": (".###.", "#...#", "#...#", "#...#", ".###."),
    "P": ("####.", "#...#", "####.", "#....", "#...."),
    "Q": (".###.", "#...#", "#.#.#", "#..#.", ".##.#"),
    "R": ("####.", "#...#", "####.", "#..#.", "#...#"),
    "S": (".####", "#....", ".###.", "....#", "####."),
    "T": ("#####", "..#..", "..#..", "..#..", "..#.."),
    "U": ("#...#", "#...#", "#...#", "#...#", ".###."),
    "V": ("#...#", "#...#", "#...#", ".#.#.", "..#.."),
    "W": ("#...#", "#...#", "#.#.#", "##.##", "#...#"),
    "X": ("#...#", ".#.#.", "..#..", ".#.#.", "#...#"),
    "Y": ("#...#", ".#.#.", "..#..", "..#..", "..#.."),
    "Z": ("#####", "...#.", "..#..", ".#...", "#####"),
    "0": (".###.", "#..##", "#.#.#", "##..#", ".###."),
    "1": ("..#..", ".##..", "..#..", "..#..", ".###."),
    "2": (".###.", "#...#", "..##.", ".#...", "#####"),
    "3": ("####.", "....#", ".###.", "....#", "####."),
    "4": ("#..#.", "#..#.", "#####", "...#.", "...#."),
    "5": ("#####", "#....", "####.", "....#", "####."),
    "6": (".###.", "#....", "####.", "#...#", ".###."),
    "7": ("#####", "...#.", "..#..", ".#...", ".#..."),
    "8": (".###.", "#...#", ".###.", "#...#", ".###."),
    "9": (".###.", "#...#", ".####", "....#", ".###."),
    "-": (".....", ".....", ".###.", ".....", "....."),
    " ": (".....", ".....", ".....", ".....", "....."),
}
_HALF = {(True, True): "█", (True, False): "▀", (False, True): "▄", (False, False): " "}


def _glyph(symbol: str) -> list[str]:
    rows = _FONT_ROWS.get(symbol.upper())
    if rows is None:
        return ["  ", f"{symbol} ", "  "]
    pixels = [[ch == "#" for ch in row] for row in (*rows, ".....")]
    return [
        "".join(_HALF[(top, bottom)] for top, bottom in zip(pixels[i], pixels[i + 1], strict=True))
        for i in (0, 2, 4)
    ]


def big_lines(text: str, *, gap: int = 1, group_gap: int = 3) -> list[str]:
    """``text`` in big letters: three lines; a space in ``text`` becomes a wider gap."""
    lines = ["", "", ""]
    for index, symbol in enumerate(text):
        if symbol == " ":
            lines = [line + " " * group_gap for line in lines]
            continue
        for row, part in enumerate(_glyph(symbol)):
            lines[row] += part
        if index + 1 < len(text) and text[index + 1] != " ":
            lines = [line + " " * gap for line in lines]
    return lines


def spaced(code: str) -> str:
    """``K7M4PXR`` → ``K 7 M   4 P X   R``: every symbol apart, the groups further apart."""
    grouped = format_reference(code) if " " not in code and len(code) == 7 else code
    return "   ".join(" ".join(group) for group in grouped.split(" "))


class ReferenceCode(Widget):
    """The reference in big letters, then ``K7M 4PX R`` in plain text (selectable, copyable)."""

    DEFAULT_CSS = """
    ReferenceCode {
        height: auto;
        width: 100%;
        text-align: center;
        color: $text-accent;
        &.-provisional {
            color: $text-warning;
        }
    }
    """

    code: reactive[str] = reactive("", layout=True)

    def __init__(self, code: str = "", *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.code = code

    def watch_code(self, code: str) -> None:
        self.set_class(code.strip().upper().startswith(PROVISIONAL_PREFIX), "-provisional")

    @property
    def grouped(self) -> str:
        """The code as read aloud: ``K7M 4PX R``, a provisional one ``P-K7M 4PX R`` (odd codes
        unchanged)."""
        code = self.code.strip()
        prefix = ""
        if code.upper().startswith(PROVISIONAL_PREFIX):
            prefix, code = code[: len(PROVISIONAL_PREFIX)], code[len(PROVISIONAL_PREFIX) :]
        if len(code) == 7 and " " not in code:
            code = format_reference(code)
        return prefix + code

    def render(self) -> Text:
        text = Text("\n".join(big_lines(self.grouped)), style="bold", no_wrap=True)
        text.append("\n\n")
        text.append(self.grouped, style="bold")
        return text
