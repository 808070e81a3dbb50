"""What the central service tells about itself: its retention policy and its health."""

from __future__ import annotations

from pydantic import BaseModel, Field


class RetentionPolicy(BaseModel):
    """How long the central service keeps what it needs only for a while (``[retention]``)."""

    idempotency_key_days: int = Field(
        description="a write retried with the same Idempotency-Key within this many days of "
        "its first attempt is applied once; a desk must not replay an older queued write"
    )
    change_feed_days: int = Field(
        description="changes are kept this long; an older cursor gets 410 resync"
    )
    hold_days: int = Field(description="released and expired holds are kept this long")
    audit_days: int | None = Field(
        description="exported audit rows older than this are deleted; null: audit rows are kept"
    )
    feed_starts_after: int = Field(
        description="the oldest cursor the change feed still answers (0: nothing was pruned)"
    )


def _setting(*names: str) -> dict:
    """The settings a field of ``GET /v1/retention`` shows, named as in config.toml (OpenAPI's
    ``x-settings``)."""
    return {"x-settings": list(names)}


class RetentionPeriods(RetentionPolicy):
    """Every period the central service keeps something for, or prunes by: each of
    ``[retention]`` (``x-settings`` names the setting), and the messages' and the callback
    queue's own. What is not listed (bookings, callers, calls, wrap-ups) is never pruned.

    A desk reads only :class:`RetentionPolicy` (the idempotency keys' period), so that it
    understands an older service too."""

    idempotency_key_days: int = Field(
        description=RetentionPolicy.model_fields["idempotency_key_days"].description,
        json_schema_extra=_setting("[retention] idempotency_days"),
    )
    change_feed_days: int = Field(
        description=RetentionPolicy.model_fields["change_feed_days"].description,
        json_schema_extra=_setting("[retention] changes_days"),
    )
    hold_days: int = Field(
        description=RetentionPolicy.model_fields["hold_days"].description,
        json_schema_extra=_setting("[retention] holds_days"),
    )
    audit_days: int | None = Field(
        description=RetentionPolicy.model_fields["audit_days"].description,
        json_schema_extra=_setting("[retention] audit_days"),
    )
    agent_states_days: int = Field(
        description="agents' past states are kept this long (the current one stays)",
        json_schema_extra=_setting("[retention] agent_states_days"),
    )
    past_slots_days: int = Field(
        description="free slots that ended this long ago go, unless a booking (even a "
        "cancelled one) or a kept hold refers to them",
        json_schema_extra=_setting("[retention] past_slots_days"),
    )
    provider_history_days: int = Field(
        description="the directory's history of changes between lists is kept this long "
        "(each doctor's newest change stays), with the list loads a kept change refers to",
        json_schema_extra=_setting("[retention] provider_history_days"),
    )
    closed_reports_days: int = Field(
        description="directory reports closed this long ago go (open ones stay)",
        json_schema_extra=_setting("[retention] closed_reports_days"),
    )
    abandon_calls_after_hours: float | None = Field(
        description="calls left open (no wrap-up) this long are closed as abandoned, not "
        "deleted; null: never",
        json_schema_extra=_setting("[retention] abandon_calls_after_hours"),
    )
    daily_prune_at: str | None = Field(
        description="when the service prunes by itself each day, HH:MM Europe/Ljubljana; "
        "null: only `agent-console prune` does",
        json_schema_extra=_setting("[retention] daily", "[retention] daily_at"),
    )
    message_days: int = Field(
        description="messages to callers that were sent, failed or withdrawn are kept this "
        "long after they were due (the message sender prunes them)",
        json_schema_extra=_setting("[messages] keep_days"),
    )
    callback_days: int = Field(
        description="closed callbacks and the telephone system's calls are kept this long "
        "(the callback queue prunes them)",
        json_schema_extra=_setting("[callbacks] keep_days"),
    )


class Health(BaseModel):
    status: str = Field(description="'ok'")
