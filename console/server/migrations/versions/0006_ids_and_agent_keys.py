"""ids one width (64 bits) everywhere; idempotency keys scoped per agent

- PostgreSQL: every ``integer`` id and every column that refers to one becomes ``bigint``, and
  so do the sequences behind them (SQLite's integer keys are 64-bit already). An id past 2^31
  no longer means one thing in ``callers`` and another in ``providers``.
- Idempotency keys belong to the agent who sent them: ``idempotency_keys``'s primary key
  becomes (agent_id, key), and the bookings' unique key becomes (created_by, idempotency_key).
  Agent B's key can no longer collide with agent A's.

SQLite cannot change a primary key or drop a unique constraint in place: those two tables are
rebuilt (renamed aside, created anew, copied, the old dropped), foreign keys checked at the
commit.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 09:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

# PostgreSQL's integer columns that are or refer to an id, table by table (one rewrite each).
WIDENED = {
    "agents": ["id"],
    "locations": ["id"],
    "services": ["id"],
    "providers": ["id", "location_id"],
    "provider_services": ["provider_id", "service_id"],
    "slots": ["provider_id", "location_id", "service_id"],
    "calls": ["agent_id", "referred_provider_id"],
    "holds": ["agent_id"],
    "bookings": ["service_id", "created_by"],
    "idempotency_keys": ["agent_id"],
    "changes": ["agent_id"],
    "audit_log": ["agent_id"],
    "provider_facts": ["id", "provider_id"],
    "location_facts": ["id", "location_id"],
    "directory_imports": ["id"],
    "provider_history": ["provider_id", "import_id"],
    "provider_reports": ["id", "provider_id", "agent_id", "closed_by"],
}
WITH_SEQUENCES = [table for table, columns in WIDENED.items() if "id" in columns]


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _widen_postgres()
        op.drop_constraint("pk_idempotency_keys", "idempotency_keys", type_="primary")
        op.create_primary_key("pk_idempotency_keys", "idempotency_keys", ["agent_id", "key"])
        op.drop_constraint("uq_bookings_idempotency_key", "bookings", type_="unique")
    else:
        _rebuild_sqlite()
    op.create_index(
        "uq_bookings_agent_idempotency_key",
        "bookings",
        ["created_by", "idempotency_key"],
        unique=True,
    )


def downgrade() -> None:
    # The ids stay 64-bit: narrowing them could not hold every value they may hold by now.
    op.drop_index("uq_bookings_agent_idempotency_key", "bookings")
    if op.get_bind().dialect.name == "postgresql":
        op.create_unique_constraint("uq_bookings_idempotency_key", "bookings", ["idempotency_key"])
        op.drop_constraint("pk_idempotency_keys", "idempotency_keys", type_="primary")
        op.create_primary_key("pk_idempotency_keys", "idempotency_keys", ["key"])
    else:
        _rebuild_sqlite(downgrade=True)


def _widen_postgres() -> None:
    for table, columns in WIDENED.items():
        changes = ", ".join(f"ALTER COLUMN {column} TYPE bigint" for column in columns)
        op.execute(f"ALTER TABLE {table} {changes}")
    for table in WITH_SEQUENCES:
        op.execute(
            f"DO $$ DECLARE name text := pg_get_serial_sequence('{table}', 'id'); BEGIN "
            f"IF name IS NOT NULL THEN EXECUTE format('ALTER SEQUENCE %s AS bigint', name); "
            f"END IF; END $$"
        )


def _idempotency_keys(name: str, metadata: sa.MetaData, per_agent: bool) -> sa.Table:
    return sa.Table(
        name,
        metadata,
        sa.Column("agent_id", BigId, nullable=False),
        sa.Column("key", sa.String(80), nullable=False),
        sa.Column("endpoint", sa.String(120), nullable=False),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("response", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agents.id"], name="fk_idempotency_keys_agent_id_agents"
        ),
        sa.PrimaryKeyConstraint(
            *(["agent_id", "key"] if per_agent else ["key"]), name="pk_idempotency_keys"
        ),
    )


def _bookings(name: str, metadata: sa.MetaData, global_key: bool) -> sa.Table:
    unique = [sa.UniqueConstraint("idempotency_key", name="uq_bookings_idempotency_key")]
    return sa.Table(
        name,
        metadata,
        sa.Column("id", BigId, nullable=False),
        sa.Column("reference", sa.String(12), nullable=False),
        sa.Column("slot_id", BigId, nullable=False),
        sa.Column("caller_id", BigId, nullable=False),
        sa.Column("service_id", BigId, nullable=False),
        sa.Column("status", sa.String(12), server_default="confirmed", nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", BigId, nullable=False),
        sa.Column("call_id", BigId, nullable=True),
        sa.Column("notes", sa.String(2000), server_default="", nullable=False),
        sa.Column("cancelled_at", sa.DateTime(), nullable=True),
        sa.Column("cancel_reason", sa.String(500), nullable=True),
        sa.Column("superseded_by", BigId, nullable=True),
        sa.Column("replaces", BigId, nullable=True),
        sa.Column("idempotency_key", sa.String(80), nullable=True),
        sa.CheckConstraint(
            "status <> 'rescheduled' OR superseded_by IS NOT NULL", name="ck_bookings_supersede"
        ),
        sa.CheckConstraint(
            "status IN ('confirmed', 'cancelled', 'rescheduled', 'no_show')",
            name="ck_bookings_status",
        ),
        sa.ForeignKeyConstraint(["call_id"], ["calls.id"], name="fk_bookings_call_id_calls"),
        sa.ForeignKeyConstraint(
            ["caller_id"], ["callers.id"], name="fk_bookings_caller_id_callers"
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["agents.id"], name="fk_bookings_created_by_agents"
        ),
        sa.ForeignKeyConstraint(
            ["replaces"], ["bookings.id"], name="fk_bookings_replaces_bookings"
        ),
        sa.ForeignKeyConstraint(
            ["service_id"], ["services.id"], name="fk_bookings_service_id_services"
        ),
        sa.ForeignKeyConstraint(["slot_id"], ["slots.id"], name="fk_bookings_slot_id_slots"),
        sa.ForeignKeyConstraint(
            ["superseded_by"], ["bookings.id"], name="fk_bookings_superseded_by_bookings"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_bookings"),
        sa.UniqueConstraint("reference", name="uq_bookings_reference"),
        *(unique if global_key else []),
    )


def _rebuild_sqlite(downgrade: bool = False) -> None:
    """Rename ``idempotency_keys`` and ``bookings`` aside, create them in the new shape, copy
    the rows over, drop the old ones, and create the bookings' indexes again. Foreign keys are
    checked at the commit (a booking may point at a later one it was rescheduled to)."""
    op.execute("PRAGMA defer_foreign_keys = ON")
    metadata = sa.MetaData()
    for referred in ("agents", "calls", "callers", "services", "slots"):  # what the FKs name
        sa.Table(referred, metadata, sa.Column("id", BigId, primary_key=True))
    for table, new in (
        ("idempotency_keys", _idempotency_keys("idempotency_keys", metadata, not downgrade)),
        ("bookings", _bookings("bookings", metadata, downgrade)),
    ):
        op.execute(f"ALTER TABLE {table} RENAME TO {table}_old")
        for index in ("ix_bookings_caller_id", "uq_bookings_active_slot"):
            if table == "bookings":
                op.execute(f"DROP INDEX IF EXISTS {index}")
        new.create(op.get_bind())
        columns = ", ".join(column.name for column in new.columns)
        op.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {table}_old")
        op.execute(f"DROP TABLE {table}_old")
    op.create_index("ix_bookings_caller_id", "bookings", ["caller_id"])
    op.create_index(
        "uq_bookings_active_slot",
        "bookings",
        ["slot_id"],
        unique=True,
        sqlite_where=sa.text("status IN ('confirmed', 'no_show')"),
    )
