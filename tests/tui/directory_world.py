"""The console's test world with the real doctor lists imported: for the directory's tests.

The session's seeded demo database (``conftest.seeded_data_dir``) gets the insurer's three
spreadsheets and Sledilnik's folder from ``../shared/data`` imported into it by the real
importers (``agent-console import zzzs`` / ``import sledilnik`` do the same), once per test
process; each test works on its own copy. Without the real data the tests skip locally and
fail in CI (``shared_data``).

Test modules use it with ``from directory_world import data_dir, directory_seeded``: the
``data_dir`` here replaces conftest's, so ``make_app`` opens the world with the directory.

``LIST_TODAY`` is the desk's pretended date: 93 days after the family doctors' list date
(21. 8. 2026), so ages are the same in every run. Reports made in a test are measured from
the real clock ("just now"); screenshots fix that clock too (:func:`fixed_clock`).
"""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import shared_data
from sqlalchemy import and_, select

from console import clock as desk_clock
from console.domain.models import DirectoryEntry
from console.server import clock
from console.server.db import Database
from console.server.importers.load import import_lists, import_sledilnik
from console.server.schema import locations, provider_facts, providers

LIST_TODAY = date(2026, 11, 22)
FIXED_NOW = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)

_built: dict[Path, Path] = {}  # seeded data dir -> the same with the lists, in this process


@pytest.fixture(scope="session")
def directory_seeded(seeded_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seeded test world with the real lists imported (once per test process)."""
    real = shared_data.shared_data_or_skip()
    if seeded_data_dir not in _built:
        target = tmp_path_factory.mktemp("directory-seeded")
        shutil.copytree(seeded_data_dir, target, dirs_exist_ok=True)
        database = Database.open(target / "central.db")
        try:
            import_lists(database, sorted((real / "zzzs").glob("*.xlsx")))
            import_sledilnik(database, real / "zdravniki")
        finally:
            database.dispose()
        _built[seeded_data_dir] = target
    return _built[seeded_data_dir]


@pytest.fixture
def data_dir(directory_seeded: Path, tmp_path: Path) -> Path:
    target = tmp_path / "desk"
    shutil.copytree(directory_seeded, target)
    return target


def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """The server stamps reports, and the console measures their age, at ``FIXED_NOW``: the
    system's clock as both read it, stopped there."""
    naive = FIXED_NOW.replace(tzinfo=None)
    monkeypatch.setattr(clock, "now", lambda: naive)
    monkeypatch.setattr(desk_clock, "system_time", lambda: FIXED_NOW)


# -- facts of the real data, found rather than hard-coded -------------------------------------


def database_of(data: Path) -> Database:
    return Database.open(data / "central.db")


def disagreeing_doctor(data: Path) -> tuple[int, str]:
    """A doctor the insurer lists as accepting whom a dated correction says is full: the
    newest such correction (id, name)."""
    database = database_of(data)
    try:
        with database.read() as connection:
            row = connection.execute(
                select(providers.c.id, providers.c.name)
                .join(provider_facts, provider_facts.c.provider_id == providers.c.id)
                .where(
                    and_(
                        provider_facts.c.source == "sledilnik-override",
                        provider_facts.c.accepts.is_(False),
                        providers.c.accepts_new_patients.is_(True),
                        providers.c.list_date.is_not(None),
                    )
                )
                .order_by(provider_facts.c.as_of.desc(), providers.c.id)
                .limit(1)
            ).one()
    finally:
        database.dispose()
    return row.id, row.name


def municipality_with_accepting_gps(data: Path, least: int = 2, most: int = 6) -> tuple[str, int]:
    """A municipality where the insurer lists a few (``least``–``most``) family doctors who
    accept new patients: the first such by name, and how many there are."""
    database = database_of(data)
    try:
        with database.read() as connection:
            rows = connection.execute(
                select(locations.c.municipality)
                .join(providers, providers.c.location_id == locations.c.id)
                .where(
                    and_(
                        providers.c.specialty == "gp",
                        providers.c.accepts_new_patients.is_(True),
                        providers.c.list_date.is_not(None),
                        providers.c.active.is_(True),
                    )
                )
            ).all()
    finally:
        database.dispose()
    counts: dict[str, int] = {}
    for (municipality,) in rows:
        counts[municipality] = counts.get(municipality, 0) + 1
    name = min(name for name, count in counts.items() if least <= count <= most)
    return name, counts[name]


# -- driving the console (settle and until are harness's) ---------------------------------------


def row_text(entry_cells: list[object]) -> str:
    """The plain text of a directory row's cells (Text or Group of Text)."""
    from rich.console import Group
    from rich.text import Text

    def plain(cell: object) -> str:
        if isinstance(cell, Text):
            return cell.plain
        if isinstance(cell, Group):
            return "\n".join(plain(part) for part in cell.renderables)
        return str(cell)

    return "\n".join(plain(cell) for cell in entry_cells)


def shown_text(widget) -> str:
    """What a widget shows on screen, as plain text."""
    from textual.geometry import Region

    return "\n".join(strip.text for strip in widget.render_lines(Region(0, 0, *widget.size)))


def shown_entries(app) -> list[DirectoryEntry]:
    from widgets.directory_table import DirectoryTable

    return app.screen.query_one(DirectoryTable).entries


# -- a central service on loopback, for two consoles ------------------------------------------
