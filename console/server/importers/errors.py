"""The one error every importer raises for a file it cannot read: where, and what is wrong."""

from __future__ import annotations

from pathlib import Path

from openpyxl.utils import get_column_letter

HEADER_SHOWN = 60  # characters of a (long) column header quoted in a message


def short_header(header: str) -> str:
    """A column header as a message quotes it: its first line, spaces collapsed, cut short."""
    first = " ".join(str(header).strip().splitlines()[0].split()) if str(header).strip() else ""
    return first if len(first) <= HEADER_SHOWN else first[: HEADER_SHOWN - 1] + "…"


class ListFormatError(ValueError):
    """A published list cannot be imported as it is. The message names the file, the row (as
    Excel or a text editor shows it, from 1) and the column (letter and header), as far as they
    are known, then the problem."""

    def __init__(
        self,
        file: str | Path,
        problem: str,
        *,
        row: int | None = None,
        column: int | None = None,
        header: str | None = None,
    ) -> None:
        self.file = Path(file).name
        self.problem = problem
        self.row = row
        self.column = column
        self.header = short_header(header) if header is not None else None
        where = [self.file]
        if row is not None:
            where.append(f"row {row}")
        if column is not None or self.header:
            letter = get_column_letter(column) if column is not None else ""
            label = f"'{self.header}'" if self.header else ""
            where.append(
                f"column {letter} ({label})" if letter and label else f"column {letter or label}"
            )
        super().__init__(f"{', '.join(where)}: {problem}")
