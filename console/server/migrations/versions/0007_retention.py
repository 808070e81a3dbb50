"""retention: idempotency keys in age order, and which audit rows were exported

``ix_idempotency_keys_created_at`` lets ``agent-console prune`` delete the oldest keys a batch
at a time without reading the whole table; ``audit_log.exported_at`` records when ``agent-console
export audit`` wrote a row out (only exported rows are ever pruned).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 10:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_idempotency_keys_created_at", "idempotency_keys", ["created_at"], unique=False
    )
    with op.batch_alter_table("audit_log") as batch:
        batch.add_column(sa.Column("exported_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_column("exported_at")
    op.drop_index("ix_idempotency_keys_created_at", table_name="idempotency_keys")
