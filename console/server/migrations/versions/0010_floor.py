"""the supervisor's floor: agent state history and presence, who cancelled, the day's indexes

``agent_states`` keeps each agent's states as intervals (the open one is the current state);
``agent_presence`` one row per agent with the current state, the last heartbeat and the desk's
outbox counts. Bookings record who cancelled (or rescheduled) them and during which call.
Indexes for the day's figures: calls by start, by wrap-up and open ones, bookings by time and
by call, and booked or blocked slots by time.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 08:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
STATES = "state IN ('ready', 'on_call', 'after_call_work', 'away', 'signed_out')"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # SQLite adds a column with a REFERENCES clause in place; Alembic would copy the table.
        op.execute(
            "ALTER TABLE bookings ADD COLUMN cancelled_by INTEGER "
            "CONSTRAINT fk_bookings_cancelled_by_agents REFERENCES agents (id)"
        )
    else:
        op.add_column(
            "bookings",
            sa.Column(
                "cancelled_by",
                BigId,
                sa.ForeignKey("agents.id", name="fk_bookings_cancelled_by_agents"),
            ),
        )
    op.add_column("bookings", sa.Column("cancel_call_id", sa.BigInteger()))
    op.create_index("ix_bookings_created_at", "bookings", ["created_at"])
    op.create_index("ix_bookings_cancelled_at", "bookings", ["cancelled_at"])
    op.create_index("ix_bookings_call_id", "bookings", ["call_id"])
    op.create_index(
        "ix_bookings_cancel_call_id",
        "bookings",
        ["cancel_call_id"],
        sqlite_where=sa.text("cancel_call_id IS NOT NULL"),
        postgresql_where=sa.text("cancel_call_id IS NOT NULL"),
    )
    op.create_index("ix_calls_started_at", "calls", ["started_at"])
    op.create_index("ix_calls_wrapped_at", "calls", ["wrapped_at"])
    op.create_index(
        "ix_calls_open_started",
        "calls",
        ["started_at"],
        sqlite_where=sa.text("wrapped_at IS NULL"),
        postgresql_where=sa.text("wrapped_at IS NULL"),
    )
    op.create_index(
        "ix_slots_taken_start",
        "slots",
        ["starts_at", "service_id"],
        sqlite_where=sa.text("status <> 'free'"),
        postgresql_where=sa.text("status <> 'free'"),
    )

    op.create_table(
        "agent_states",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("agent_id", BigId, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(40)),
        sa.Column("call_id", BigId),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime()),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agents.id"], name=op.f("fk_agent_states_agent_id_agents")
        ),
        sa.ForeignKeyConstraint(
            ["call_id"], ["calls.id"], name=op.f("fk_agent_states_call_id_calls")
        ),
        sa.CheckConstraint(STATES, name=op.f("ck_agent_states_state")),
        sa.CheckConstraint("state = 'away' OR reason IS NULL", name=op.f("ck_agent_states_reason")),
        sa.CheckConstraint(
            "ended_at IS NULL OR ended_at >= started_at", name=op.f("ck_agent_states_span")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_states")),
    )
    op.create_index("ix_agent_states_agent_started", "agent_states", ["agent_id", "started_at"])
    op.create_index(
        "uq_agent_states_open",
        "agent_states",
        ["agent_id"],
        unique=True,
        sqlite_where=sa.text("ended_at IS NULL"),
        postgresql_where=sa.text("ended_at IS NULL"),
    )

    op.create_table(
        "agent_presence",
        sa.Column("agent_id", BigId, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(40)),
        sa.Column("call_id", BigId),
        sa.Column("service_id", BigId),
        sa.Column("since", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.Column("queued_writes", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("sync_issues", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("replayed", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("replayed_at", sa.DateTime()),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agents.id"], name=op.f("fk_agent_presence_agent_id_agents")
        ),
        sa.ForeignKeyConstraint(
            ["call_id"], ["calls.id"], name=op.f("fk_agent_presence_call_id_calls")
        ),
        sa.ForeignKeyConstraint(
            ["service_id"], ["services.id"], name=op.f("fk_agent_presence_service_id_services")
        ),
        sa.CheckConstraint(STATES, name=op.f("ck_agent_presence_state")),
        sa.PrimaryKeyConstraint("agent_id", name=op.f("pk_agent_presence")),
    )


def downgrade() -> None:
    op.drop_table("agent_presence")
    op.drop_index("uq_agent_states_open", table_name="agent_states")
    op.drop_index("ix_agent_states_agent_started", table_name="agent_states")
    op.drop_table("agent_states")
    op.drop_index("ix_slots_taken_start", table_name="slots")
    op.drop_index("ix_calls_open_started", table_name="calls")
    op.drop_index("ix_calls_wrapped_at", table_name="calls")
    op.drop_index("ix_calls_started_at", table_name="calls")
    op.drop_index("ix_bookings_cancel_call_id", table_name="bookings")
    op.drop_index("ix_bookings_call_id", table_name="bookings")
    op.drop_index("ix_bookings_cancelled_at", table_name="bookings")
    op.drop_index("ix_bookings_created_at", table_name="bookings")
    with op.batch_alter_table("bookings") as batch:
        batch.drop_column("cancel_call_id")
        batch.drop_column("cancelled_by")
