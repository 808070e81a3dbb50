"""Import whole files: read them all first, then apply them in one transaction.

A malformed file raises :class:`ListFormatError` before anything is written; an error while
writing rolls the whole import back. Either way the database is as it was.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from console.server.db import Database
from console.server.importers.load_sledilnik import apply_snapshot
from console.server.importers.load_zzzs import apply_list
from console.server.importers.results import ImportResult
from console.server.importers.sledilnik import read_snapshot
from console.server.importers.zzzs import read_list

ProgressCallback = Callable[[str, int, int], None]


def import_lists(
    database: Database, paths: Sequence[str | Path], *, progress: ProgressCallback | None = None
) -> list[ImportResult]:
    """Import the insurer's spreadsheets ``paths``, oldest list first, in one transaction."""
    lists = [read_list(path, progress) for path in paths]
    lists.sort(key=lambda item: item.list_date)
    with database.write() as connection:
        return [apply_list(connection, item, progress=progress) for item in lists]


def import_sledilnik(
    database: Database, directory: str | Path, *, progress: ProgressCallback | None = None
) -> ImportResult:
    """Import a Sledilnik folder (``doctors.csv``, ``institutions.csv``, ``overrides.csv``)."""
    snapshot = read_snapshot(directory, progress)
    with database.write() as connection:
        return apply_snapshot(connection, snapshot, progress=progress)
