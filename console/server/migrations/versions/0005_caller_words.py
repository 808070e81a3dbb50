"""caller name search on PostgreSQL: a table of name words, its lists in caller id order

``caller_words`` (word, caller_id) and the distinct words in ``caller_word_list``, kept in
step with ``callers`` by triggers (see ``console.server.search_index``). A name query merges
the lists of the words each query word starts, in id order, and stops at the first page, as
FTS5 does on SQLite; the trigram index could not give its matches in id order. SQLite keeps
its FTS5 index.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 23:30:00
"""

from alembic import op

from console.server import search_index

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name == "sqlite":
        return
    search_index.create(connection)


def downgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name == "sqlite":
        return
    search_index.drop_words(connection)
