"""The text of a Textual SVG screenshot, line by line: what a failing snapshot test prints so
that a CI log alone says what was different on the screen."""

from __future__ import annotations

import difflib
import html
import re
from pathlib import Path

TEXT = re.compile(r'<text class="([^"]*)" x="([\d.]+)" y="([\d.]+)"[^>]*>(.*?)</text>')


def _rows(svg: str) -> list[list[tuple[float, str, str]]]:
    """Each screen row's runs of text: (x, style class, text), left to right."""
    rows: dict[float, list[tuple[float, str, str]]] = {}
    for match in TEXT.finditer(svg):
        style, x, y, text = match[1], float(match[2]), float(match[3]), html.unescape(match[4])
        rows.setdefault(y, []).append((x, re.sub(r"^terminal-\d+-", "", style), text))
    return [sorted(cells) for _, cells in sorted(rows.items())]


def screen_lines(svg: str) -> list[str]:
    """The screen's rows of text, top to bottom (styles dropped)."""
    return ["".join(text for _, _, text in row).replace("\xa0", " ").rstrip() for row in _rows(svg)]


def describe_mismatch(expected_svg: str, actual_svg: str) -> str:
    """A unified diff of the two screens' text, or a note that only styles differ."""
    expected, actual = screen_lines(expected_svg), screen_lines(actual_svg)
    if expected == actual:
        restyled = [
            f"  row {number}: {text}"
            for number, (text, before, after) in enumerate(
                zip(expected, _rows(expected_svg), _rows(actual_svg), strict=True)
            )
            if [style for _, style, _ in before] != [style for _, style, _ in after]
        ]
        if not restyled:
            return "The screens' text and text styles are the same: backgrounds differ."
        return "The screens' text is the same; styles differ on:\n" + "\n".join(restyled)
    diff = difflib.unified_diff(expected, actual, "expected", "actual", lineterm="")
    return "\n".join(diff)


def snapshot_path(test_file: Path, class_name: str | None, test_name: str) -> Path:
    """Where syrupy keeps a test's SVG."""
    name = f"{class_name}.{test_name}" if class_name else test_name
    return test_file.parent / "__snapshots__" / test_file.stem / f"{name}.svg"
