"""doctor directory: the insurer's list on providers, other sources' facts, history, reports

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 19:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    for column in (
        sa.Column("doctor_code", sa.String(16)),
        sa.Column("activity_code", sa.String(8)),
        sa.Column("list_date", sa.Date()),
        sa.Column("fte", sa.Float()),
        sa.Column("patients_per_team", sa.Float()),
        sa.Column("capitation_per_team", sa.Float()),
        sa.Column("load_percent", sa.Float()),
        sa.Column("resident", sa.Boolean()),
        sa.Column("search_folded", sa.String(600)),
    ):
        op.add_column("providers", column)
    op.create_index("ix_providers_specialty", "providers", ["specialty"])
    if op.get_bind().dialect.name == "sqlite":
        # SQLite adds a column with a REFERENCES clause in place; Alembic would copy the table.
        op.execute(
            "ALTER TABLE calls ADD COLUMN referred_provider_id INTEGER "
            "CONSTRAINT fk_calls_referred_provider_id_providers REFERENCES providers (id)"
        )
    else:
        op.add_column(
            "calls",
            sa.Column(
                "referred_provider_id",
                sa.Integer(),
                sa.ForeignKey("providers.id", name="fk_calls_referred_provider_id_providers"),
            ),
        )

    op.create_table(
        "provider_facts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(24), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("accepts", sa.Boolean()),
        sa.Column("fte", sa.Float()),
        sa.Column("load", sa.Float()),
        sa.Column("note", sa.String(1000)),
        sa.Column("phone", sa.String(120)),
        sa.Column("website", sa.String(500)),
        sa.Column("email", sa.String(254)),
        sa.Column("orderform", sa.String(500)),
        sa.Column("address", sa.String(200)),
        sa.Column("post", sa.String(120)),
        sa.Column("municipality", sa.String(80)),
        sa.Column("lat", sa.Float()),
        sa.Column("lon", sa.Float()),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["providers.id"], name=op.f("fk_provider_facts_provider_id_providers")
        ),
        sa.UniqueConstraint("provider_id", "source", name="uq_provider_facts_provider_source"),
        sa.CheckConstraint(
            "source IN ('sledilnik', 'sledilnik-override')", name=op.f("ck_provider_facts_source")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provider_facts")),
    )
    op.create_table(
        "location_facts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(24), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("name", sa.String(200)),
        sa.Column("address", sa.String(200)),
        sa.Column("post", sa.String(120)),
        sa.Column("municipality", sa.String(80)),
        sa.Column("phone", sa.String(120)),
        sa.Column("website", sa.String(500)),
        sa.Column("lat", sa.Float()),
        sa.Column("lon", sa.Float()),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name=op.f("fk_location_facts_location_id_locations")
        ),
        sa.UniqueConstraint("location_id", "source", name="uq_location_facts_location_source"),
        sa.CheckConstraint("source IN ('sledilnik')", name=op.f("ck_location_facts_source")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_location_facts")),
    )
    op.create_table(
        "directory_imports",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("source", sa.String(24), nullable=False),
        sa.Column("list_name", sa.String(120), nullable=False),
        sa.Column("file_name", sa.String(300), nullable=False),
        sa.Column("list_date", sa.Date(), nullable=False),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("added", sa.Integer(), server_default="0", nullable=False),
        sa.Column("removed", sa.Integer(), server_default="0", nullable=False),
        sa.Column("changed", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_directory_imports")),
    )
    op.create_index("ix_directory_imports_list", "directory_imports", ["source", "list_name"])
    op.create_table(
        "provider_history",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("source", sa.String(24), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("change", sa.String(16), nullable=False),
        sa.Column("old_value", sa.String(80)),
        sa.Column("new_value", sa.String(80)),
        sa.Column("import_id", sa.Integer()),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["providers.id"],
            name=op.f("fk_provider_history_provider_id_providers"),
        ),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["directory_imports.id"],
            name=op.f("fk_provider_history_import_id_directory_imports"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provider_history")),
    )
    op.create_index("ix_provider_history_provider", "provider_history", ["provider_id", "id"])
    op.create_table(
        "provider_reports",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.BigInteger()),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("note", sa.String(500), server_default="", nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(8), server_default="open", nullable=False),
        sa.Column("closed_at", sa.DateTime()),
        sa.Column("closed_by", sa.Integer()),
        sa.Column("resolution", sa.String(500)),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["providers.id"],
            name=op.f("fk_provider_reports_provider_id_providers"),
        ),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agents.id"], name=op.f("fk_provider_reports_agent_id_agents")
        ),
        sa.ForeignKeyConstraint(
            ["call_id"], ["calls.id"], name=op.f("fk_provider_reports_call_id_calls")
        ),
        sa.ForeignKeyConstraint(
            ["closed_by"], ["agents.id"], name=op.f("fk_provider_reports_closed_by_agents")
        ),
        sa.CheckConstraint(
            "kind IN ('full', 'accepts', 'contact', 'other')", name=op.f("ck_provider_reports_kind")
        ),
        sa.CheckConstraint("status IN ('open', 'closed')", name=op.f("ck_provider_reports_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provider_reports")),
    )
    op.create_index("ix_provider_reports_provider", "provider_reports", ["provider_id"])
    op.create_index("ix_provider_reports_status", "provider_reports", ["status", "created_at"])


def downgrade() -> None:
    op.drop_table("provider_reports")
    op.drop_table("provider_history")
    op.drop_table("directory_imports")
    op.drop_table("location_facts")
    op.drop_table("provider_facts")
    with op.batch_alter_table("calls") as batch:
        batch.drop_column("referred_provider_id")
    op.drop_index("ix_providers_specialty", table_name="providers")
    with op.batch_alter_table("providers") as batch:
        for name in ("doctor_code", "activity_code", "list_date", "fte", "patients_per_team",
                     "capitation_per_team", "load_percent", "resident", "search_folded"):  # fmt: skip
            batch.drop_column(name)
