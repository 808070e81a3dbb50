"""The central database: SQLAlchemy Core tables that run unchanged on SQLite and PostgreSQL.

Times are stored as naive UTC datetimes. The invariants the design asks the database itself to
enforce live here, not in code:

- at most one active booking per slot: the partial unique index ``uq_bookings_active_slot``;
- one idempotency key, one effect: the primary key (agent, key) of ``idempotency_keys``, and
  the unique index ``uq_bookings_agent_idempotency_key`` on the bookings it made (keys are
  scoped per agent: two agents' keys never collide; they are kept ``[retention]
  idempotency_days``, see ``console.server.retention``);
- a hold belongs to one agent and expires: ``holds.agent_id`` and ``holds.expires_at`` are
  NOT NULL, ``ck_holds_expiry`` keeps the expiry after the start, and ``uq_holds_open_slot``
  allows one unreleased hold per slot;
- one number has at most one open callback: the partial unique index
  ``uq_callbacks_open_number``; a claimed callback has an owner and a lease
  (``ck_callbacks_claim``); the telephone system's call ids are unique
  (``telephony_calls.call_id``).

Every id is a 64-bit integer (``BigId``), and so is every column that refers to one: on
PostgreSQL ``bigint``, on SQLite a rowid alias (64-bit already). The API bounds ids the same
way: 1 to 2^53-1 (``console.domain.models.MAX_ID``), the integers every JSON parser reads
exactly.
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
# A big integer primary key on PostgreSQL, a rowid alias on SQLite; foreign keys take the type
# of the key they refer to.
BigId = BigInteger().with_variant(Integer(), "sqlite")

ACTIVE_BOOKING = "status IN ('confirmed', 'no_show')"
ROLES = "role IN ('agent', 'supervisor', 'admin', 'telephony')"
MESSAGE_CHANNELS = "('email', 'sms', 'none')"

agents = Table(
    "agents",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("name", String(120), nullable=False),
    Column("role", String(16), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    Column("created_at", DateTime, nullable=False),
    CheckConstraint(ROLES, name="role"),
)

locations = Table(
    "locations",
    metadata,
    Column("id", BigId, primary_key=True),
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
    Column("id", BigId, primary_key=True),
    Column("code", Code, nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("name_en", String(200), nullable=False),
    Column("category", String(16), nullable=False),
    Column("duration_minutes", Integer, nullable=False),
    Column("documents", Text, nullable=False, server_default="[]"),
    Column("documents_en", Text, nullable=False, server_default="[]"),
    # At most one active booking per caller (409 caller_has_booking): migration 0012.
    Column("one_booking_per_caller", Boolean, nullable=False, server_default=text("false")),
    CheckConstraint("duration_minutes > 0", name="duration"),
    CheckConstraint("category IN ('administrative', 'health')", name="category"),
)

providers = Table(
    "providers",
    metadata,
    Column("id", BigId, primary_key=True),
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
# Booked and blocked slots by time (the floor's "how full"): few beside the free ones.
Index(
    "ix_slots_taken_start",
    slots.c.starts_at,
    slots.c.service_id,
    sqlite_where=text("status <> 'free'"),
    postgresql_where=text("status <> 'free'"),
)

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
    # Confirmations and reminders (console.server.messages): where to, and whether the caller
    # agreed, and when that was last said.
    Column("message_channel", String(8), nullable=False, server_default="none"),
    Column("message_consent", Boolean, nullable=False, server_default=text("false")),
    Column("message_consent_at", DateTime),
    CheckConstraint(f"message_channel IN {MESSAGE_CHANNELS}", name="message_channel"),
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
Index("ix_calls_started_at", calls.c.started_at)  # the day's calls, every agent's
# The floor counts what settled since its last read: calls wrapped up since, and open ones.
Index("ix_calls_wrapped_at", calls.c.wrapped_at)
Index(
    "ix_calls_open_started",
    calls.c.started_at,
    sqlite_where=text("wrapped_at IS NULL"),
    postgresql_where=text("wrapped_at IS NULL"),
)

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
Index("ix_holds_slot_id", holds.c.slot_id)  # a slot no kept hold refers to may be pruned

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
    Column("cancelled_by", ForeignKey("agents.id")),  # who cancelled or rescheduled it
    Column("cancel_call_id", BigInteger),  # during which call (as the audit log, no key)
    Column("superseded_by", ForeignKey("bookings.id")),
    Column("replaces", ForeignKey("bookings.id")),
    Column("idempotency_key", String(80)),
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
# Every booking of a slot, cancelled ones too: a past free slot none refers to may be pruned
# (migration 0014).
Index("ix_bookings_slot_id", bookings.c.slot_id)
Index("ix_bookings_provisional_reference", bookings.c.provisional_reference)
# The floor's and the day's figures: bookings made and cancelled in a day, and by a call.
Index("ix_bookings_created_at", bookings.c.created_at)
Index("ix_bookings_cancelled_at", bookings.c.cancelled_at)
Index("ix_bookings_call_id", bookings.c.call_id)
Index(
    "ix_bookings_cancel_call_id",
    bookings.c.cancel_call_id,
    sqlite_where=text("cancel_call_id IS NOT NULL"),
    postgresql_where=text("cancel_call_id IS NOT NULL"),
)
Index(
    "uq_bookings_agent_idempotency_key",
    bookings.c.created_by,
    bookings.c.idempotency_key,
    unique=True,
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("agent_id", ForeignKey("agents.id"), primary_key=True),
    Column("key", String(80), primary_key=True),
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
    Column("agent_id", BigInteger),
    Column("data", Text, nullable=False, server_default="{}"),
    sqlite_autoincrement=True,
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("at", DateTime, nullable=False),
    Column("agent_id", BigInteger, nullable=False),
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
    Column("id", BigId, primary_key=True),
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
    Column("id", BigId, primary_key=True),
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
    Column("id", BigId, primary_key=True),
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
Index("ix_provider_history_import_id", provider_history.c.import_id)  # loads still referred to

# Agents' reports that the directory is wrong ("the office says they are full").
provider_reports = Table(
    "provider_reports",
    metadata,
    Column("id", BigId, primary_key=True),
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

# --- callbacks and the telephone system ------------------------------------------------------

ACTIVE_CALLBACK = "status IN ('open', 'claimed')"
Number = String(16).with_variant(String(16, collation="C"), "postgresql")

# Callers to call back: one row per number and episode; see console.server.callbacks.
callbacks = Table(
    "callbacks",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("number", Number, nullable=False),
    Column("source", String(16), nullable=False),
    Column("status", String(12), nullable=False, server_default="open"),
    Column("result", String(16)),
    Column("note", String(1000), nullable=False, server_default=""),
    Column("caller_id", ForeignKey("callers.id", ondelete="SET NULL")),
    Column("origin_call_id", ForeignKey("calls.id")),
    Column("created_at", DateTime, nullable=False),
    Column("created_by", ForeignKey("agents.id")),
    Column("waiting_since", DateTime, nullable=False),
    Column("tries", Integer, nullable=False, server_default="0"),
    Column("last_tried_at", DateTime),
    Column("due_at", DateTime, nullable=False),
    # The queue's order: waiting_since, moved ahead for a number that tried several times.
    Column("rank_at", DateTime, nullable=False),
    Column("attempt_count", Integer, nullable=False, server_default="0"),
    Column("assigned_to", ForeignKey("agents.id")),
    Column("claimed_by", ForeignKey("agents.id")),
    Column("claimed_at", DateTime),
    Column("lease_expires_at", DateTime),
    Column("closed_at", DateTime),
    # The call a reached callback goes on in: it holds the callback (claimed, no lease lapses
    # it) until its wrap-up closes it (migration 0013).
    Column("call_id", ForeignKey("calls.id")),
    CheckConstraint("source IN ('missed_call', 'agent_follow_up', 'sync_issue')", name="source"),
    CheckConstraint("status IN ('open', 'claimed', 'done', 'failed', 'cancelled')", name="status"),
    CheckConstraint(
        "result IS NULL OR result IN ('reached', 'reached_us', 'declined', 'wrong_number', "
        "'no_answer', 'busy', 'cancelled')",
        name="result",
    ),
    CheckConstraint(
        "status <> 'claimed' OR (claimed_by IS NOT NULL AND lease_expires_at IS NOT NULL)",
        name="claim",
    ),
    CheckConstraint(
        "(status IN ('open', 'claimed')) = (closed_at IS NULL AND result IS NULL)", name="closed"
    ),
    CheckConstraint("tries >= 0 AND attempt_count >= 0", name="counts"),
)
Index(
    "uq_callbacks_open_number",
    callbacks.c.number,
    unique=True,
    sqlite_where=text(ACTIVE_CALLBACK),
    postgresql_where=text(ACTIVE_CALLBACK),
)
Index(
    "ix_callbacks_queue",
    callbacks.c.rank_at,
    sqlite_where=text(ACTIVE_CALLBACK),
    postgresql_where=text(ACTIVE_CALLBACK),
)
Index("ix_callbacks_number", callbacks.c.number, callbacks.c.closed_at)
Index("ix_callbacks_closed_at", callbacks.c.closed_at)
Index(
    "ix_callbacks_call_id",
    callbacks.c.call_id,
    sqlite_where=text("call_id IS NOT NULL"),
    postgresql_where=text("call_id IS NOT NULL"),
)

callback_attempts = Table(
    "callback_attempts",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("callback_id", ForeignKey("callbacks.id", ondelete="CASCADE"), nullable=False),
    Column("at", DateTime, nullable=False),
    Column("agent_id", ForeignKey("agents.id"), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("note", String(1000), nullable=False, server_default=""),
    Column("call_id", ForeignKey("calls.id")),
    CheckConstraint(
        "outcome IN ('reached', 'no_answer', 'busy', 'wrong_number', 'declined')",
        name="outcome",
    ),
)
Index("ix_callback_attempts_callback_id", callback_attempts.c.callback_id)

# Calls as the telephone system saw them (events posted, queue_log and CDR imports), one row per
# call id: what makes events and imports idempotent, and what decides a number's callback.
telephony_calls = Table(
    "telephony_calls",
    metadata,
    Column("id", BigId, primary_key=True),
    Column(
        "call_id",
        String(64).with_variant(String(64, collation="C"), "postgresql"),
        nullable=False,
        unique=True,
    ),
    Column("number", Number),
    Column("state", String(12), nullable=False),
    Column("started_at", DateTime, nullable=False),
    Column("answered_at", DateTime),
    Column("ended_at", DateTime),
    Column("waited_seconds", Integer),
    Column("queue", String(80)),
    Column("line", String(80)),
    Column("extension", String(32)),
    Column("source", String(12), nullable=False),
    Column("recorded_at", DateTime, nullable=False),
    CheckConstraint("state IN ('ringing', 'queued', 'answered', 'missed')", name="state"),
    CheckConstraint("source IN ('webhook', 'queue_log', 'cdr')", name="source"),
)
Index("ix_telephony_calls_number", telephony_calls.c.number, telephony_calls.c.started_at)
Index("ix_telephony_calls_started_at", telephony_calls.c.started_at)

# The extension each desk declared (one per agent, one agent per extension).
telephony_extensions = Table(
    "telephony_extensions",
    metadata,
    Column("extension", String(32), primary_key=True),
    Column("agent_id", ForeignKey("agents.id"), nullable=False, unique=True),
    Column("declared_at", DateTime, nullable=False),
)

# --- messages to callers: a transactional outbox ------------------------------------------
# Written in the booking's, cancel's or reschedule's own transaction; sent by one sender
# (console.server.messages.sender). ``message_id`` is the RFC 5322 Message-ID, fixed when the
# row is written: a message resent after a sender died mid-send carries the same one.

MESSAGE_STATUSES = "status IN ('queued', 'sending', 'sent', 'failed', 'cancelled')"
PENDING_MESSAGE = "status IN ('queued', 'sending')"

messages = Table(
    "messages",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("booking_id", ForeignKey("bookings.id"), nullable=False),
    Column("caller_id", ForeignKey("callers.id"), nullable=False),
    Column("kind", String(12), nullable=False),
    Column("channel", String(8), nullable=False),
    Column("address", String(254)),
    Column("language", String(8), nullable=False),
    Column("status", String(12), nullable=False, server_default="queued"),
    Column("message_id", String(250), nullable=False, unique=True),
    Column("ical_uid", String(250), nullable=False),
    Column("ical_sequence", Integer, nullable=False, server_default="0"),
    Column("created_at", DateTime, nullable=False),
    Column("send_after", DateTime, nullable=False),  # when it was to go out: never changes
    Column("next_attempt_at", DateTime, nullable=False),  # the same, later after a failure
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("claimed_by", String(80)),
    Column("claimed_until", DateTime),
    Column("sent_at", DateTime),
    Column("reason", String(500)),  # failed: the server's answer; cancelled: why; queued: last
    Column("segments", Integer),  # an SMS: how many segments it went in
    CheckConstraint("kind IN ('booked', 'rescheduled', 'cancelled', 'reminder')", name="kind"),
    CheckConstraint("channel IN ('email', 'sms')", name="channel"),
    CheckConstraint(MESSAGE_STATUSES, name="status"),
    CheckConstraint("status <> 'sending' OR claimed_by IS NOT NULL", name="claim"),
)
Index(
    "ix_messages_pending",
    messages.c.next_attempt_at,
    sqlite_where=text(PENDING_MESSAGE),
    postgresql_where=text(PENDING_MESSAGE),
)
# A caller's messages are found through their bookings (ix_bookings_caller_id, then this).
Index("ix_messages_booking_id", messages.c.booking_id)
Index("ix_messages_send_after", messages.c.send_after)

# On SQLite, the one sender's lease (PostgreSQL uses an advisory lock instead).
message_sender_lease = Table(
    "message_sender_lease",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("holder", String(80), nullable=False),
    Column("expires_at", DateTime, nullable=False),
)


# --- the supervisor's floor -------------------------------------------------------------------

AGENT_STATES = "state IN ('ready', 'on_call', 'after_call_work', 'away', 'signed_out')"

# Each agent's states as intervals: the open one (ended_at NULL) is the current state.
agent_states = Table(
    "agent_states",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("agent_id", ForeignKey("agents.id"), nullable=False),
    Column("state", String(16), nullable=False),
    Column("reason", String(40)),  # why away
    Column("call_id", ForeignKey("calls.id")),
    Column("started_at", DateTime, nullable=False),
    Column("ended_at", DateTime),
    CheckConstraint(AGENT_STATES, name="state"),
    CheckConstraint("state = 'away' OR reason IS NULL", name="reason"),
    CheckConstraint("ended_at IS NULL OR ended_at >= started_at", name="span"),
)
Index("ix_agent_states_agent_started", agent_states.c.agent_id, agent_states.c.started_at)
Index(
    "uq_agent_states_open",
    agent_states.c.agent_id,
    unique=True,
    sqlite_where=text("ended_at IS NULL"),
    postgresql_where=text("ended_at IS NULL"),
)

# One row per agent whose desk ever reported: the current state (the open interval's copy),
# the last heartbeat and what the desk last said of its outbox. A heartbeat updates only
# last_seen_at, a column no index covers.
agent_presence = Table(
    "agent_presence",
    metadata,
    Column("agent_id", ForeignKey("agents.id"), primary_key=True),
    Column("state", String(16), nullable=False),
    Column("reason", String(40)),
    Column("call_id", ForeignKey("calls.id")),
    Column("service_id", ForeignKey("services.id")),
    Column("since", DateTime, nullable=False),
    Column("last_seen_at", DateTime, nullable=False),
    Column("queued_writes", Integer, nullable=False, server_default="0"),
    Column("sync_issues", Integer, nullable=False, server_default="0"),
    Column("replayed", Integer, nullable=False, server_default="0"),
    Column("replayed_at", DateTime),
    CheckConstraint(AGENT_STATES, name="state"),
)
