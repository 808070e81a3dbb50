"""The caller name index: FTS5 on SQLite, a table of name words on PostgreSQL.

Both serve the same search: every word of the query is a prefix of a word of
``callers.name_folded`` (surname and given names, lower-case, without diacritics), in any
order: ``kova jan`` finds Janez Kovač. A word is a run of letters and digits: ``Novak-Kos`` and
``O'Brien`` are two words each.

On PostgreSQL, as in FTS5, each word has its list of callers in id order: ``caller_words``
holds one row per (word, caller), its primary key (word, caller_id) being those lists, and
``caller_word_list`` the distinct words, in which a query word finds the words it starts (a
range of the primary key). ``console.server.callers._search_names_pg`` merges the lists in id
order and stops at the first page. Triggers on ``callers`` keep both tables in step; the
dictionary keeps words nobody has any more (harmless: their lists are empty). The trigram
index of the earlier revisions (``ix_callers_name_trgm``) is dropped: nothing reads it any more,
and it cost the national seed 13-18 s and every caller write a GIN update.

After a bulk build the word lists are read fastest once a vacuum has marked their pages
all-visible (index-only scans): :func:`settle` does that, outside any transaction.
"""

from __future__ import annotations

from sqlalchemy import Connection, Engine

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
POSTGRES_DROP_INDEX = [  # indexes of earlier revisions
    "DROP INDEX IF EXISTS ix_callers_name_trgm",
    "DROP INDEX IF EXISTS ix_callers_name_words",  # a word index tried in revision 0004
]
# The words of a name as PostgreSQL splits them, as ``callers._WORD`` does: runs of [a-z0-9].
_WORDS_OF = "regexp_split_to_table({name}, '[^a-z0-9]+')"
POSTGRES_WORDS_FUNCTION = f"""
CREATE OR REPLACE FUNCTION callers_words_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        DELETE FROM caller_words WHERE caller_id = OLD.id AND word IN (
            SELECT w FROM {_WORDS_OF.format(name="OLD.name_folded")} w);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO caller_word_list (word)
            SELECT DISTINCT w FROM {_WORDS_OF.format(name="NEW.name_folded")} w WHERE w <> ''
            ON CONFLICT DO NOTHING;
        INSERT INTO caller_words (word, caller_id)
            SELECT DISTINCT w, NEW.id FROM {_WORDS_OF.format(name="NEW.name_folded")} w
            WHERE w <> ''
            ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END
$$"""
POSTGRES_TRIGGERS = [
    "CREATE OR REPLACE TRIGGER callers_words_insert AFTER INSERT ON callers "
    "FOR EACH ROW EXECUTE FUNCTION callers_words_sync()",
    "CREATE OR REPLACE TRIGGER callers_words_update AFTER UPDATE OF name_folded ON callers "
    "FOR EACH ROW WHEN (old.name_folded IS DISTINCT FROM new.name_folded) "
    "EXECUTE FUNCTION callers_words_sync()",
    "CREATE OR REPLACE TRIGGER callers_words_delete AFTER DELETE ON callers "
    "FOR EACH ROW EXECUTE FUNCTION callers_words_sync()",
]
POSTGRES_DROP_TRIGGERS = [
    "DROP TRIGGER IF EXISTS callers_words_insert ON callers",
    "DROP TRIGGER IF EXISTS callers_words_update ON callers",
    "DROP TRIGGER IF EXISTS callers_words_delete ON callers",
]
# Built in one pass and indexed afterwards (a sorted build), not row by row; stored in word
# order, so that a word's list is on few pages until a vacuum marks them all-visible.
POSTGRES_WORDS_BUILD = [
    "DROP TABLE IF EXISTS caller_words",
    "DROP TABLE IF EXISTS caller_word_list",
    "SET LOCAL maintenance_work_mem = '256MB'",
    'CREATE TABLE caller_words (word text COLLATE "C" NOT NULL, caller_id bigint NOT NULL)',
    "INSERT INTO caller_words (word, caller_id) SELECT DISTINCT w, id FROM callers, "
    f"{_WORDS_OF.format(name='name_folded')} w WHERE w <> '' ORDER BY 1, 2",
    "ALTER TABLE caller_words ADD PRIMARY KEY (word, caller_id)",
    'CREATE TABLE caller_word_list (word text COLLATE "C" PRIMARY KEY)',
    "INSERT INTO caller_word_list (word) SELECT DISTINCT word FROM caller_words",
    "ANALYZE caller_words",
    "ANALYZE caller_word_list",
]
POSTGRES_DROP_WORDS = [
    *POSTGRES_DROP_TRIGGERS,
    "DROP TABLE IF EXISTS caller_words",
    "DROP TABLE IF EXISTS caller_word_list",
    "DROP FUNCTION IF EXISTS callers_words_sync()",
]


def create(connection: Connection) -> None:
    """Create the index and whatever keeps it up to date (if not there yet)."""
    for statement in _create_statements(connection):
        connection.exec_driver_sql(statement)
    if connection.dialect.name != "sqlite":
        for statement in POSTGRES_DROP_INDEX:
            connection.exec_driver_sql(statement)
        has_words = connection.exec_driver_sql(
            "SELECT to_regclass('caller_words') IS NOT NULL"
        ).scalar()
        if not has_words:
            _build_words(connection)


def suspend(connection: Connection) -> None:
    """Stop maintaining the index row by row, before a bulk load (see :func:`rebuild`)."""
    if connection.dialect.name == "sqlite":
        for statement in SQLITE_DROP_TRIGGERS:
            connection.exec_driver_sql(statement)
    else:
        for statement in POSTGRES_DROP_INDEX + POSTGRES_DROP_WORDS:
            connection.exec_driver_sql(statement)


def rebuild(connection: Connection) -> None:
    """Rebuild the index from the callers table and resume row-by-row maintenance."""
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("INSERT INTO callers_fts(callers_fts) VALUES ('rebuild')")
        for statement in SQLITE_TRIGGERS:
            connection.exec_driver_sql(statement)
    else:
        _build_words(connection)


def settle(database_engine: Engine) -> None:
    """Vacuum the PostgreSQL word lists after a bulk build, so their index-only scans need not
    visit the table (autovacuum may take many minutes to get there). Needs its own connection
    outside a transaction; nothing to do on SQLite."""
    if database_engine.dialect.name == "sqlite":
        return
    with database_engine.connect() as connection:
        connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        connection.exec_driver_sql("VACUUM (ANALYZE) caller_words")
        connection.exec_driver_sql("VACUUM (ANALYZE) caller_word_list")


def drop(connection: Connection) -> None:
    if connection.dialect.name == "sqlite":
        for statement in SQLITE_DROP_TRIGGERS:
            connection.exec_driver_sql(statement)
        connection.exec_driver_sql("DROP TABLE IF EXISTS callers_fts")
    else:
        for statement in POSTGRES_DROP_INDEX + POSTGRES_DROP_WORDS:
            connection.exec_driver_sql(statement)


def drop_words(connection: Connection) -> None:
    """Remove the PostgreSQL word tables and their triggers (revision 0005's downgrade)."""
    for statement in POSTGRES_DROP_WORDS:
        connection.exec_driver_sql(statement)


def _build_words(connection: Connection) -> None:
    """Fill the word tables from ``callers`` in one pass, then keep them up to date."""
    for statement in POSTGRES_WORDS_BUILD:
        connection.exec_driver_sql(statement)
    connection.exec_driver_sql(POSTGRES_WORDS_FUNCTION)
    for statement in POSTGRES_TRIGGERS:
        connection.exec_driver_sql(statement)


def _create_statements(connection: Connection) -> list[str]:
    if connection.dialect.name == "sqlite":
        return SQLITE_FTS + SQLITE_TRIGGERS
    return []
