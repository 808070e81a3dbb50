"""Every table an import writes, to prove that an import changed nothing.

Importable from the tests in this folder as ``import directory_tables``.
"""

from __future__ import annotations

from sqlalchemy import select

from console.server.db import Database
from console.server.schema import (
    changes,
    directory_imports,
    location_facts,
    locations,
    provider_facts,
    provider_history,
    provider_services,
    providers,
    services,
)

DIRECTORY_TABLES = (
    locations, services, providers, provider_services, provider_history, directory_imports,
    provider_facts, location_facts, changes,
)  # fmt: skip


def table_contents(database: Database) -> dict[str, list[tuple]]:
    """Every row of every table an import writes: compare before and after to prove that
    nothing changed."""
    with database.read() as connection:
        return {
            table.name: sorted((tuple(row) for row in connection.execute(select(table))), key=repr)
            for table in DIRECTORY_TABLES
        }
