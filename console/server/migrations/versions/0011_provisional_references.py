"""provisional references: a booking keeps the P- reference a desk gave the caller offline

``bookings.provisional_reference`` holds the ``P-…`` reference a desk read to the caller while
it was offline, so lookup and ``GET /v1/bookings/{ref}`` find the booking by it on every desk
after the replay (``ix_bookings_provisional_reference``; not unique: two desks may, rarely,
draw the same code).

Revision ID: 0011
Revises: 0010
Create Date: 2027-01-20 10:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("bookings") as batch:
        batch.add_column(sa.Column("provisional_reference", sa.String(12), nullable=True))
    op.create_index(
        "ix_bookings_provisional_reference",
        "bookings",
        ["provisional_reference"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_bookings_provisional_reference", table_name="bookings")
    with op.batch_alter_table("bookings") as batch:
        batch.drop_column("provisional_reference")
