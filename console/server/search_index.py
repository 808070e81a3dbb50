"""The caller name index: FTS5 on SQLite, trigram GIN on PostgreSQL.

Both serve the same search: every word of the query is a prefix of a word of
``callers.name_folded`` (surname and given names, lower-case, without diacritics), in any
order: ``kova jan`` finds Janez Kovač. A word is a run of letters and digits: ``Novak-Kos`` and
``O'Brien`` are two words each. On PostgreSQL the trigram index finds the names that contain
each word of three letters or more, and a word-start test keeps those where it starts a word
(see ``console.server.callers._search_names_pg``, which reads the first callers in id order
before it asks the index).
"""

from __future__ import annotations

from sqlalchemy import Connection

SQLITE_FTS = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS callers_fts USING fts5("
    "name_folded, content='callers', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 2', prefix='2 3 4')",
]
SQLITE_TRIGGERS = [
    "CREATE TRIGGER IF NOT EXISTS callers_fts_insert AFTER INSERT ON callers BEGIN "
    "INSERT INTO callers_fts(rowid, name_folded) VALUES (new.id, new.name_folded); END",
    "CREATE TRIGGER IF NOT EXISTS callers_fts_delete AFTER DELETE ON callers BEGIN "
    "INSERT INTO callers_fts(callers_fts, rowid, name_folded) "
    "VALUES ('delete', old.id, old.name_folded); END",
    "CREATE TRIGGER IF NOT EXISTS callers_fts_update AFTER UPDATE OF name_folded ON callers BEGIN "
    "INSERT INTO callers_fts(callers_fts, rowid, name_folded) "
    "VALUES ('delete', old.id, old.name_folded); "
    "INSERT INTO callers_fts(rowid, name_folded) VALUES (new.id, new.name_folded); END",
]
SQLITE_DROP_TRIGGERS = [
    "DROP TRIGGER IF EXISTS callers_fts_insert",
    "DROP TRIGGER IF EXISTS callers_fts_delete",
    "DROP TRIGGER IF EXISTS callers_fts_update",
]
POSTGRES_INDEX = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    # A GIN build is much faster with more memory than the default 64 MB (transaction only).
    "SET LOCAL maintenance_work_mem = '256MB'",
    "CREATE INDEX IF NOT EXISTS ix_callers_name_trgm ON callers "
    "USING gin (name_folded gin_trgm_ops)",
]
POSTGRES_DROP_INDEX = [
    "DROP INDEX IF EXISTS ix_callers_name_trgm",
    "DROP INDEX IF EXISTS ix_callers_name_words",  # a word index tried in revision 0004
]


def create(connection: Connection) -> None:
    """Create the index and whatever keeps it up to date."""
    for statement in _create_statements(connection):
        connection.exec_driver_sql(statement)


def suspend(connection: Connection) -> None:
    """Stop maintaining the index row by row, before a bulk load (see :func:`rebuild`)."""
    if connection.dialect.name == "sqlite":
        for statement in SQLITE_DROP_TRIGGERS:
            connection.exec_driver_sql(statement)
    else:
        for statement in POSTGRES_DROP_INDEX:
            connection.exec_driver_sql(statement)


def rebuild(connection: Connection) -> None:
    """Rebuild the index from the callers table and resume row-by-row maintenance."""
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("INSERT INTO callers_fts(callers_fts) VALUES ('rebuild')")
        for statement in SQLITE_TRIGGERS:
            connection.exec_driver_sql(statement)
    else:
        for statement in POSTGRES_INDEX:
            connection.exec_driver_sql(statement)


def drop(connection: Connection) -> None:
    if connection.dialect.name == "sqlite":
        for statement in SQLITE_DROP_TRIGGERS:
            connection.exec_driver_sql(statement)
        connection.exec_driver_sql("DROP TABLE IF EXISTS callers_fts")
    else:
        for statement in POSTGRES_DROP_INDEX:
            connection.exec_driver_sql(statement)


def _create_statements(connection: Connection) -> list[str]:
    if connection.dialect.name == "sqlite":
        return SQLITE_FTS + SQLITE_TRIGGERS
    return POSTGRES_INDEX
