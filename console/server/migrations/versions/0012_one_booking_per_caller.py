"""a service's rule: at most one active booking per caller

``services.one_booking_per_caller``: when true, the service refuses a second active booking
for a caller (409 ``caller_has_booking``, no override: reschedule the one there is). False by
default; the demo's seed sets it for ``[demo] one_booking_per_caller`` (config.toml), and
``agent-console service-rule CODE on|off`` changes it.

Revision ID: 0012
Revises: 0011
Create Date: 2027-01-25 09:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "services",
        sa.Column(
            "one_booking_per_caller", sa.Boolean(), nullable=False, server_default=sa.text("false")
        ),
    )


def downgrade() -> None:
    with op.batch_alter_table("services") as batch:
        batch.drop_column("one_booking_per_caller")
