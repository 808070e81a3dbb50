"""The caller name index: FTS5 on SQLite, a GIN index of name words on PostgreSQL.

Both match every word of the query as a prefix of a word of ``callers.name_folded`` (surname
and given names, lower-case, without diacritics), in any order: ``kova jan`` finds Janez Kovač.
A word is a run of letters and digits: ``Novak-Kos`` and ``O'Brien`` are two words each.

On PostgreSQL the words of a name are a ``tsvector`` (:data:`POSTGRES_WORDS`), matched with
prefix queries (``'kova':* & 'jan':*``). ``console.server.callers`` asks it only when the
callers scanned in id order do not already give a page (see ``_search_names_pg``).
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
# The words of callers.name_folded: a query must spell this expression exactly to use the index.
POSTGRES_WORDS = (
    "array_to_tsvector(array_remove(regexp_split_to_array(name_folded, '[^a-z0-9]+'), ''))"
)
POSTGRES_INDEX = [
    # A GIN build is much faster with more memory than the default 64 MB (transaction only).
    "SET LOCAL maintenance_work_mem = '256MB'",
    f"CREATE INDEX IF NOT EXISTS ix_callers_name_words ON callers USING gin (({POSTGRES_WORDS}))",
]
POSTGRES_DROP_INDEX = [
    "DROP INDEX IF EXISTS ix_callers_name_words",
    "DROP INDEX IF EXISTS ix_callers_name_trgm",  # the trigram index before revision 0004
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
