"""The callback queue's figures for the supervisor's floor, and how long its history is kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import (
    Connection,
    and_,
    case,
    delete,
    func,
    literal,
    or_,
    select,
)

from console.domain.calendar import to_local
from console.domain.callbacks import (
    CallbackFloor,
    HourCount,
)
from console.server import clock
from console.server.callbacks import ACTIVE, REACHED_RESULTS, _naive, held, in_window
from console.server.callbacks import lapsed as lapsed_claim
from console.server.schema import (
    callback_attempts,
    callbacks,
    telephony_calls,
)
from console.server.settings import CallbackSettings

# --- the floor ----------------------------------------------------------------------------------


def _local_day(now: datetime) -> tuple[datetime, list[tuple[int, datetime, datetime]]]:
    """Today's start in naive UTC, and its local hours as (hour, start, end) in naive UTC
    (23 or 25 hours on the days the clocks change)."""
    local = to_local(now)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    day = midnight.date()
    start_utc = midnight.astimezone(UTC)
    hours = []
    moment = start_utc
    while True:
        following = moment + timedelta(hours=1)
        if to_local(moment).date() != day:
            break
        hours.append((to_local(moment).hour, clock.to_db(moment), clock.to_db(following)))
        moment = following
    return clock.to_db(start_utc), hours


def floor_figures(
    connection: Connection, settings: CallbackSettings, now: datetime
) -> CallbackFloor:
    """The callback figures of the supervisor's floor, by SQL aggregates (each over an index):
    the queue, its oldest wait, today's share reached, and today's missed calls by local hour."""
    may_call = in_window(settings.office_hours, now, holidays=settings.exclude_holidays)
    lapsed = lapsed_claim(now)
    queue = connection.execute(
        select(
            func.count(),
            func.sum(
                case(
                    (
                        and_(
                            or_(callbacks.c.status == "open", lapsed),
                            callbacks.c.due_at <= now,
                            literal(may_call),
                        ),
                        1,
                    ),
                    else_=0,
                )
            ),
            func.sum(
                case(
                    (held(now), 1),
                    else_=0,
                )
            ),
            func.min(callbacks.c.waiting_since),
        ).where(callbacks.c.status.in_(ACTIVE))
    ).one()
    start, day_hours = _local_day(now)
    closed = connection.execute(
        select(
            func.count(),
            func.sum(case((callbacks.c.result.in_(REACHED_RESULTS), 1), else_=0)),
        ).where(
            callbacks.c.closed_at >= start,
            callbacks.c.closed_at <= now,
            callbacks.c.status != "cancelled",
        )
    ).one()
    started = telephony_calls.c.started_at
    per_hour = connection.execute(
        select(
            *[
                func.sum(case((and_(started >= low, started < high), 1), else_=0))
                for _hour, low, high in day_hours
            ]
        ).where(
            telephony_calls.c.state == "missed",
            started >= day_hours[0][1],
            started < day_hours[-1][2],
        )
    ).one()
    missed = [
        HourCount(hour=hour, missed=int(count or 0))
        for (hour, _, _), count in zip(day_hours, per_hour, strict=True)
    ]
    oldest = _naive(queue[3])
    closed_today, reached_today = int(closed[0] or 0), int(closed[1] or 0)
    return CallbackFloor(
        queue_length=int(queue[0] or 0),
        due_now=int(queue[1] or 0),
        claimed=int(queue[2] or 0),
        oldest_wait_seconds=int((now - oldest).total_seconds()) if oldest is not None else None,
        closed_today=closed_today,
        reached_today=reached_today,
        reached_share=reached_today / closed_today if closed_today else None,
        missed_today=sum(h.missed for h in missed),
        missed_per_hour=missed,
    )


# --- retention ----------------------------------------------------------------------------------


def prune(connection: Connection, settings: CallbackSettings, now: datetime) -> tuple[int, int]:
    """Forget telephone calls and closed callbacks (with their attempts) older than
    ``keep_days``. Returns (calls, callbacks) deleted."""
    before = now - timedelta(days=settings.keep_days)
    gone_calls = connection.execute(
        delete(telephony_calls).where(telephony_calls.c.started_at < before)
    ).rowcount
    old = select(callbacks.c.id).where(
        callbacks.c.closed_at < before, callbacks.c.status.notin_(ACTIVE)
    )
    connection.execute(delete(callback_attempts).where(callback_attempts.c.callback_id.in_(old)))
    gone_callbacks = connection.execute(delete(callbacks).where(callbacks.c.id.in_(old))).rowcount
    return int(gone_calls or 0), int(gone_callbacks or 0)
