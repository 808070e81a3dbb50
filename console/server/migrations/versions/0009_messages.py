"""messages to callers: the caller's channel and consent, the outbox, the sender's lease

``callers`` gains ``message_channel`` (email, sms or none), ``message_consent`` and
``message_consent_at``; ``messages`` is the transactional outbox written in the booking's own
transaction; ``message_sender_lease`` keeps one sender running on SQLite (PostgreSQL uses an
advisory lock).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23 09:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
PENDING = "status IN ('queued', 'sending')"


def upgrade() -> None:
    # In place on both engines (Alembic's batch mode would copy the callers table on SQLite).
    op.execute(
        "ALTER TABLE callers ADD COLUMN message_channel VARCHAR(8) DEFAULT 'none' NOT NULL "
        "CONSTRAINT ck_callers_message_channel "
        "CHECK (message_channel IN ('email', 'sms', 'none'))"
    )
    op.add_column(
        "callers",
        sa.Column("message_consent", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column("callers", sa.Column("message_consent_at", sa.DateTime()))
    op.create_table(
        "messages",
        sa.Column("id", BigId, primary_key=True),
        sa.Column(
            "booking_id",
            BigId,
            sa.ForeignKey("bookings.id", name=op.f("fk_messages_booking_id_bookings")),
            nullable=False,
        ),
        sa.Column(
            "caller_id",
            BigId,
            sa.ForeignKey("callers.id", name=op.f("fk_messages_caller_id_callers")),
            nullable=False,
        ),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("address", sa.String(254)),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("status", sa.String(12), nullable=False, server_default="queued"),
        sa.Column("message_id", sa.String(250), nullable=False),
        sa.Column("ical_uid", sa.String(250), nullable=False),
        sa.Column("ical_sequence", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("send_after", sa.DateTime(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("claimed_by", sa.String(80)),
        sa.Column("claimed_until", sa.DateTime()),
        sa.Column("sent_at", sa.DateTime()),
        sa.Column("reason", sa.String(500)),
        sa.Column("segments", sa.Integer()),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
        sa.UniqueConstraint("message_id", name=op.f("uq_messages_message_id")),
        sa.CheckConstraint(
            "kind IN ('booked', 'rescheduled', 'cancelled', 'reminder')", name=op.f("ck_messages_kind")
        ),
        sa.CheckConstraint("channel IN ('email', 'sms')", name=op.f("ck_messages_channel")),
        sa.CheckConstraint(
            "status IN ('queued', 'sending', 'sent', 'failed', 'cancelled')",
            name=op.f("ck_messages_status"),
        ),
        sa.CheckConstraint(
            "status <> 'sending' OR claimed_by IS NOT NULL", name=op.f("ck_messages_claim")
        ),
    )
    op.create_index(
        "ix_messages_pending",
        "messages",
        ["next_attempt_at"],
        sqlite_where=sa.text(PENDING),
        postgresql_where=sa.text(PENDING),
    )
    op.create_index("ix_messages_booking_id", "messages", ["booking_id"])
    op.create_index("ix_messages_send_after", "messages", ["send_after"])
    op.create_table(
        "message_sender_lease",
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("holder", sa.String(80), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_message_sender_lease")),
    )


def downgrade() -> None:
    op.drop_table("message_sender_lease")
    op.drop_table("messages")
    op.drop_column("callers", "message_consent_at")
    op.drop_column("callers", "message_consent")
    if op.get_bind().dialect.name == "postgresql":
        op.drop_column("callers", "message_channel")
    else:  # SQLite drops a column with a CHECK only by copying the table
        with op.batch_alter_table("callers") as batch:
            batch.drop_constraint("ck_callers_message_channel", type_="check")
            batch.drop_column("message_channel")
