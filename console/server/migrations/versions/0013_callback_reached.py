"""a reached callback stays with its call: ``callbacks.call_id``

An attempt with the outcome ``reached`` names the console call the agent and the caller are in;
the callback stays claimed by that agent, held by the call (no lease lapses it), and the call's
wrap-up closes it as done (``reached``), or the service's sweep of abandoned calls does. The
index finds a call's callback at its wrap-up.

Revision ID: 0013
Revises: 0012
Create Date: 2027-01-28 09:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # SQLite adds a column with a REFERENCES clause in place; Alembic would copy the table.
        op.execute(
            "ALTER TABLE callbacks ADD COLUMN call_id INTEGER "
            "CONSTRAINT fk_callbacks_call_id_calls REFERENCES calls (id)"
        )
    else:
        op.add_column(
            "callbacks",
            sa.Column("call_id", BigId, sa.ForeignKey("calls.id", name="fk_callbacks_call_id_calls")),
        )
    op.create_index(
        "ix_callbacks_call_id",
        "callbacks",
        ["call_id"],
        sqlite_where=sa.text("call_id IS NOT NULL"),
        postgresql_where=sa.text("call_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_callbacks_call_id", "callbacks")
    with op.batch_alter_table("callbacks") as batch:
        batch.drop_column("call_id")
