"""The central database: SQLAlchemy Core tables that run unchanged on SQLite and PostgreSQL.

Times are stored as naive UTC datetimes. The invariants the design asks the database itself to
enforce live here, not in code:

- at most one active booking per slot: the partial unique index ``uq_bookings_active_slot``;
- one idempotency key, one effect: the primary key of ``idempotency_keys`` and the unique
  ``bookings.idempotency_key`` (keys are kept ``[retention] idempotency_days``, see
  ``console.server.retention``);
- a hold belongs to one agent and expires: ``holds.agent_id`` and ``holds.expires_at`` are
  NOT NULL, ``ck_holds_expiry`` keeps the expiry after the start, and ``uq_holds_open_slot``
  allows one unreleased hold per slot.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# Byte-order ("C") collation on PostgreSQL so prefix ranges over codes and phone numbers use
# the index the same way SQLite's BINARY collation does.
Code = String(40).with_variant(String(40, collation="C"), "postgresql")
# A big integer primary key on PostgreSQL, a rowid alias on SQLite.
BigId = BigInteger().with_variant(Integer(), "sqlite")

ACTIVE_BOOKING = "status IN ('confirmed', 'no_show')"

agents = Table(
    "agents",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(120), nullable=False),
    Column("role", String(16), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    Column("created_at", DateTime, nullable=False),
    CheckConstraint("role IN ('agent', 'supervisor', 'admin')", name="role"),
)

locations = Table(
    "locations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", Code, nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("address", String(200), nullable=False),
    Column("postcode", String(8), nullable=False),
    Column("town", String(80), nullable=False),
    Column("municipality", String(80), nullable=False),
    Column("municipality_folded", String(80), nullable=False),
    Column("region", String(80), nullable=False),
    Column("phone", String(20)),
    Column("opening_hours", String(200), nullable=False),
    Column("lat", Float),
    Column("lon", Float),
    CheckConstraint("kind IN ('office', 'clinic')", name="kind"),
)
Index("ix_locations_region", locations.c.region)

services = Table(
    "services",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", Code, nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("name_en", String(200), nullable=False),
    Column("category", String(16), nullable=False),
    Column("duration_minutes", Integer, nullable=False),
    Column("documents", Text, nullable=False, server_default="[]"),
    Column("documents_en", Text, nullable=False, server_default="[]"),
    CheckConstraint("duration_minutes > 0", name="duration"),
    CheckConstraint("category IN ('administrative', 'health')", name="category"),
)

providers = Table(
    "providers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", Code, nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("name_folded", String(200), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("specialty", String(16)),
    Column("location_id", ForeignKey("locations.id"), nullable=False),
    Column("accepts_new_patients", Boolean),
    Column("accepts_verified_at", DateTime),
    Column("accepts_verified_by", String(120)),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    # The insurer's (ZZZS) published list, for doctors imported from it; the list's date is the
    # source date of ``accepts_new_patients`` (``accepts_verified_at`` holds it as a time too).
    Column("doctor_code", String(16)),
    Column("activity_code", String(8)),
    Column("list_date", Date),
    Column("fte", Float),  # employment share: 0.2 = one day a week
    Column("patients_per_team", Float),  # registered patients per full team (gp, ped)
    Column("capitation_per_team", Float),  # capitation quotients per full team (gp, ped)
    Column("load_percent", Float),  # % of the average load in the activity (gyn, dentists)
    Column("resident", Boolean),  # a doctor in specialist training
    # Folded (lower case, no diacritics) doctor name, institution, town and municipality: what the
    # directory's search box matches word by word.
    Column("search_folded", String(600)),
    CheckConstraint("kind IN ('counter', 'doctor')", name="kind"),
)
Index("ix_providers_location_id", providers.c.location_id)
Index("ix_providers_specialty", providers.c.specialty)

provider_services = Table(
    "provider_services",
    metadata,
    Column("provider_id", ForeignKey("providers.id"), primary_key=True),
    Column("service_id", ForeignKey("services.id"), primary_key=True),
)
Index("ix_provider_services_service_id", provider_services.c.service_id)

slots = Table(
    "slots",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("provider_id", ForeignKey("providers.id"), nullable=False),
    Column("location_id", ForeignKey("locations.id"), nullable=False),
    Column("service_id", ForeignKey("services.id"), nullable=False),
    Column("starts_at", DateTime, nullable=False),
    Column("ends_at", DateTime, nullable=False),
    # free | booked | blocked; "held" is not stored here but derived from an open hold.
    Column("status", String(8), nullable=False, server_default="free"),
    CheckConstraint("status IN ('free', 'booked', 'blocked')", name="status"),
    CheckConstraint("ends_at > starts_at", name="span"),
    UniqueConstraint("provider_id", "starts_at", name="uq_slots_provider_start"),
)
Index(
    "ix_slots_free_service_start",
    slots.c.service_id,
    slots.c.starts_at,
    sqlite_where=text("status = 'free'"),
    postgresql_where=text("status = 'free'"),
)
Index("ix_slots_location_start", slots.c.location_id, slots.c.starts_at)

callers = Table(
    "callers",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("first_name", String(80), nullable=False),
    Column("last_name", String(80), nullable=False),
    # "surname given-names", lower-case, without diacritics: what name search matches.
    Column("name_folded", String(170), nullable=False),
    Column("emso", String(13), unique=True),
    Column("zzzs_number", String(9), unique=True),
    Column("birth_date", Date),
    Column("email", String(254)),
    Column("language", String(8), nullable=False, server_default="sl"),
    Column("notes", Text, nullable=False, server_default=""),
    Column("flags", Text, nullable=False, server_default="[]"),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
)
Index("ix_callers_name_folded", callers.c.name_folded)

caller_phones = Table(
    "caller_phones",
    metadata,
    Column("caller_id", ForeignKey("callers.id", ondelete="CASCADE"), nullable=False),
    Column(
        "number", String(16).with_variant(String(16, collation="C"), "postgresql"), nullable=False
    ),
    Column("label", String(16), nullable=False, server_default="mobile"),
    Column("position", Integer, nullable=False, server_default="0"),
    UniqueConstraint("caller_id", "number", name="uq_caller_phones_caller_number"),
)
Index("ix_caller_phones_number", caller_phones.c.number)

calls = Table(
    "calls",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("agent_id", ForeignKey("agents.id"), nullable=False),
    Column("caller_id", ForeignKey("callers.id")),
    Column("direction", String(8), nullable=False, server_default="inbound"),
    Column("started_at", DateTime, nullable=False),
    Column("ended_at", DateTime),
    Column("disposition", String(40)),
    Column("notes", Text),
    Column("follow_up_at", DateTime),
    Column("follow_up_note", String(1000)),
    Column("after_call_work_seconds", Integer),
    Column("wrapped_at", DateTime),
    Column("referred_provider_id", ForeignKey("providers.id")),  # the doctor the caller was sent to
    CheckConstraint("direction IN ('inbound', 'outbound')", name="direction"),
    CheckConstraint("ended_at IS NULL OR ended_at >= started_at", name="span"),
)
Index("ix_calls_caller_id", calls.c.caller_id)
Index("ix_calls_agent_started", calls.c.agent_id, calls.c.started_at)

holds = Table(
    "holds",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("slot_id", ForeignKey("slots.id"), nullable=False),
    Column("agent_id", ForeignKey("agents.id"), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("expires_at", DateTime, nullable=False),
    # Set when the hold is released, expires and is swept, or is consumed by a booking.
    Column("released_at", DateTime),
    CheckConstraint("expires_at > created_at", name="expiry"),
)
Index(
    "uq_holds_open_slot",
    holds.c.slot_id,
    unique=True,
    sqlite_where=text("released_at IS NULL"),
    postgresql_where=text("released_at IS NULL"),
)

bookings = Table(
    "bookings",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("reference", String(12), nullable=False, unique=True),
    Column("slot_id", ForeignKey("slots.id"), nullable=False),
    Column("caller_id", ForeignKey("callers.id"), nullable=False),
    Column("service_id", ForeignKey("services.id"), nullable=False),
    Column("status", String(12), nullable=False, server_default="confirmed"),
    Column("created_at", DateTime, nullable=False),
    Column("created_by", ForeignKey("agents.id"), nullable=False),
    Column("call_id", ForeignKey("calls.id")),
    Column("notes", String(2000), nullable=False, server_default=""),
    Column("cancelled_at", DateTime),
    Column("cancel_reason", String(500)),
    Column("superseded_by", ForeignKey("bookings.id")),
    Column("replaces", ForeignKey("bookings.id")),
    Column("idempotency_key", String(80), unique=True),
    # The P- reference a desk gave the caller offline: an alias lookup finds the booking by.
    Column("provisional_reference", String(12)),
    CheckConstraint(
        "status IN ('confirmed', 'cancelled', 'rescheduled', 'no_show')", name="status"
    ),
    # A rescheduled booking always points at the booking that replaced it.
    CheckConstraint("status <> 'rescheduled' OR superseded_by IS NOT NULL", name="supersede"),
)
Index(
    "uq_bookings_active_slot",
    bookings.c.slot_id,
    unique=True,
    sqlite_where=text(ACTIVE_BOOKING),
    postgresql_where=text(ACTIVE_BOOKING),
)
Index("ix_bookings_caller_id", bookings.c.caller_id)
Index("ix_bookings_provisional_reference", bookings.c.provisional_reference)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("key", String(80), primary_key=True),
    Column("agent_id", ForeignKey("agents.id"), nullable=False),
    Column("endpoint", String(120), nullable=False),
    Column("request_hash", String(64), nullable=False),
    Column("status_code", Integer, nullable=False),
    Column("response", Text, nullable=False),
    Column("created_at", DateTime, nullable=False),
)
# What ``prune`` walks, oldest first (``[retention] idempotency_days``).
Index("ix_idempotency_keys_created_at", idempotency_keys.c.created_at)

changes = Table(
    "changes",
    metadata,
    Column("seq", BigId, primary_key=True, autoincrement=True),
    Column("at", DateTime, nullable=False),
    Column("entity", String(16), nullable=False),
    Column("entity_id", BigInteger, nullable=False),
    Column("op", String(16), nullable=False),
    Column("agent_id", Integer),
    Column("data", Text, nullable=False, server_default="{}"),
    sqlite_autoincrement=True,
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("at", DateTime, nullable=False),
    Column("agent_id", Integer, nullable=False),
    Column("call_id", BigInteger),
    Column("action", String(16), nullable=False),
    Column("entity", String(16), nullable=False),
    Column("entity_id", BigInteger),
    Column("caller_id", BigInteger),
    Column("detail", String(500), nullable=False, server_default=""),
    # When ``agent-console export audit`` wrote the row out; only exported rows are ever
    # pruned (``[retention] audit_days``).
    Column("exported_at", DateTime),
)
Index("ix_audit_log_caller_id", audit_log.c.caller_id)
Index("ix_audit_log_agent_at", audit_log.c.agent_id, audit_log.c.at)

meta_info = Table(
    "meta_info",
    metadata,
    Column("key", String(40), primary_key=True),
    Column("value", Text, nullable=False),
)

# --- the doctor directory ---------------------------------------------------------------------
# The insurer's list lives on ``providers`` (one row per doctor x activity x institution); every
# other source keeps its own dated facts beside it, so nothing silently overwrites the insurer.

FACT_SOURCES = "source IN ('sledilnik', 'sledilnik-override')"

provider_facts = Table(
    "provider_facts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("provider_id", ForeignKey("providers.id"), nullable=False),
    Column("source", String(24), nullable=False),
    Column("as_of", Date, nullable=False),  # the date the source gives for this fact
    Column("accepts", Boolean),
    Column("fte", Float),
    Column("load", Float),
    Column("note", String(1000)),
    Column("phone", String(120)),
    Column("website", String(500)),
    Column("email", String(254)),
    Column("orderform", String(500)),
    Column("address", String(200)),
    Column("post", String(120)),
    Column("municipality", String(80)),
    Column("lat", Float),
    Column("lon", Float),
    Column("imported_at", DateTime, nullable=False),
    UniqueConstraint("provider_id", "source", name="uq_provider_facts_provider_source"),
    CheckConstraint(FACT_SOURCES, name="source"),
)

location_facts = Table(
    "location_facts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("location_id", ForeignKey("locations.id"), nullable=False),
    Column("source", String(24), nullable=False),
    Column("as_of", Date, nullable=False),
    Column("name", String(200)),
    Column("address", String(200)),
    Column("post", String(120)),
    Column("municipality", String(80)),
    Column("phone", String(120)),
    Column("website", String(500)),
    Column("lat", Float),
    Column("lon", Float),
    Column("imported_at", DateTime, nullable=False),
    UniqueConstraint("location_id", "source", name="uq_location_facts_location_source"),
    CheckConstraint("source IN ('sledilnik')", name="source"),
)

# Each load of a published list: which list (its title), its date, and what it changed.
directory_imports = Table(
    "directory_imports",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("source", String(24), nullable=False),  # zzzs, sledilnik
    Column("list_name", String(120), nullable=False),  # e.g. "SPLOŠNA DEJAVNOST"
    Column("file_name", String(300), nullable=False),
    Column("list_date", Date, nullable=False),
    Column("imported_at", DateTime, nullable=False),
    Column("rows", Integer, nullable=False),
    Column("added", Integer, nullable=False, server_default="0"),
    Column("removed", Integer, nullable=False, server_default="0"),
    Column("changed", Integer, nullable=False, server_default="0"),
)
Index("ix_directory_imports_list", directory_imports.c.source, directory_imports.c.list_name)

# What changed for a provider between two lists: added, removed, back (re-listed), accepts,
# fte, load. Values are stored as text ("DA"/"NE", "0.5").
provider_history = Table(
    "provider_history",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("provider_id", ForeignKey("providers.id"), nullable=False),
    Column("at", DateTime, nullable=False),
    Column("source", String(24), nullable=False),
    Column("as_of", Date, nullable=False),
    Column("change", String(16), nullable=False),
    Column("old_value", String(80)),
    Column("new_value", String(80)),
    Column("import_id", ForeignKey("directory_imports.id")),
)
Index("ix_provider_history_provider", provider_history.c.provider_id, provider_history.c.id)

# Agents' reports that the directory is wrong ("the office says they are full").
provider_reports = Table(
    "provider_reports",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("provider_id", ForeignKey("providers.id"), nullable=False),
    Column("agent_id", ForeignKey("agents.id"), nullable=False),
    Column("call_id", ForeignKey("calls.id")),
    Column("kind", String(16), nullable=False),
    Column("note", String(500), nullable=False, server_default=""),
    Column("created_at", DateTime, nullable=False),
    Column("status", String(8), nullable=False, server_default="open"),
    Column("closed_at", DateTime),
    Column("closed_by", ForeignKey("agents.id")),
    Column("resolution", String(500)),
    CheckConstraint("kind IN ('full', 'accepts', 'contact', 'other')", name="kind"),
    CheckConstraint("status IN ('open', 'closed')", name="status"),
)
Index("ix_provider_reports_provider", provider_reports.c.provider_id)
Index("ix_provider_reports_status", provider_reports.c.status, provider_reports.c.created_at)
