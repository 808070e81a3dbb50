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


class Health(BaseModel):
    status: str = Field(description="'ok'")
