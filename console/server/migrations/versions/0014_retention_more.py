"""retention of past free slots and the directory's history: the indexes its prune walks

``agent-console prune`` (``[retention] past_slots_days``) deletes a past free slot only when no
booking, even a cancelled one, and no kept hold refers to it: ``ix_bookings_slot_id`` (every
booking; ``uq_bookings_active_slot`` holds only the active ones) and ``ix_holds_slot_id`` answer
that per slot. ``provider_history_days`` deletes a list load no kept change refers to:
``ix_provider_history_import_id``.

Revision ID: 0014
Revises: 0013
Create Date: 2027-02-01 09:00:00
"""

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_bookings_slot_id", "bookings", ["slot_id"])
    op.create_index("ix_holds_slot_id", "holds", ["slot_id"])
    op.create_index("ix_provider_history_import_id", "provider_history", ["import_id"])


def downgrade() -> None:
    op.drop_index("ix_provider_history_import_id", table_name="provider_history")
    op.drop_index("ix_holds_slot_id", table_name="holds")
    op.drop_index("ix_bookings_slot_id", table_name="bookings")
