"""caller name search on PostgreSQL: a GIN index of name words instead of trigrams

The trigram index could not serve two-letter words or common three-letter prefixes (``pe ma``
scanned all callers). SQLite keeps its FTS5 index.

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
    connection.exec_driver_sql("DROP INDEX IF EXISTS ix_callers_name_trgm")
    search_index.create(connection)


def downgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name == "sqlite":
        return
    connection.exec_driver_sql("DROP INDEX IF EXISTS ix_callers_name_words")
    connection.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    connection.exec_driver_sql(
        "CREATE INDEX IF NOT EXISTS ix_callers_name_trgm ON callers "
        "USING gin (name_folded gin_trgm_ops)"
    )
