"""caller name search on PostgreSQL: the trigram index, without a GIN index of name words

A first version of this revision replaced the trigram index with a GIN index of name words
(``ix_callers_name_words``): it could serve one- and two-letter words, but for the common
query (four letters of a surname, three of a given name) it read several times more postings
than the trigrams do. The search now reads the first callers in id order before it asks the
index (``console.server.callers``), which serves the short words; this revision removes the
word index where that first version made it and makes sure the trigram index is there.
SQLite keeps its FTS5 index.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 22:40:00
"""

from alembic import op

from console.server import search_index

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name == "sqlite":
        return
    connection.exec_driver_sql("DROP INDEX IF EXISTS ix_callers_name_words")
    search_index.create(connection)


def downgrade() -> None:
    pass  # 0003 had the trigram index too
