"""The floor's alerts: agents too long in a state, directory reports open too long."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, func, select
from sqlalchemy.types import DateTime

from console.domain.floor import AlertKind, FloorAgent, FloorAlert, FloorState
from console.server import clock
from console.server.floor_settings import FloorSettings
from console.server.schema import provider_reports, providers

MAX_REPORT_ALERTS = 50


def agent_alerts(agent: FloorAgent, now: datetime, settings: FloorSettings) -> list[FloorAlert]:
    found: list[FloorAlert] = []

    def alert(kind: AlertKind, since: datetime, limit: float, message: str, **extra: Any) -> None:
        seconds = int((now.replace(tzinfo=UTC) - since).total_seconds())
        if seconds > limit:
            found.append(
                FloorAlert(
                    kind=kind,
                    since=since,
                    seconds=seconds,
                    threshold_seconds=int(limit),
                    agent_id=agent.id,
                    agent_name=agent.name,
                    message=message,
                    **extra,
                )
            )

    if agent.state is FloorState.ON_CALL and agent.call is not None:
        alert(
            AlertKind.LONG_CALL,
            agent.call.started_at,
            settings.long_call_minutes * 60,
            f"{agent.name} has been on a call for over {settings.long_call_minutes:g} min.",
        )
    elif agent.state is FloorState.ON_CALL and agent.since is not None:
        alert(
            AlertKind.LONG_CALL,
            agent.since,
            settings.long_call_minutes * 60,
            f"{agent.name} has been on a call for over {settings.long_call_minutes:g} min.",
        )
    elif agent.state is FloorState.AFTER_CALL_WORK and agent.since is not None:
        alert(
            AlertKind.LONG_AFTER_CALL_WORK,
            agent.since,
            settings.long_after_call_work_minutes * 60,
            f"{agent.name} has been in after-call work for over "
            f"{settings.long_after_call_work_minutes:g} min.",
        )
    elif agent.state is FloorState.AWAY and agent.since is not None:
        alert(
            AlertKind.LONG_AWAY,
            agent.since,
            settings.long_away_minutes * 60,
            f"{agent.name} has been away ({agent.reason}) for over "
            f"{settings.long_away_minutes:g} min.",
        )
    elif (
        agent.state is FloorState.UNREACHABLE
        and agent.queued_writes > 0
        and agent.last_seen_at is not None
    ):
        alert(
            AlertKind.UNREACHABLE_WITH_QUEUE,
            agent.last_seen_at,
            settings.unreachable_after_seconds,
            f"{agent.name}'s desk is unreachable with {agent.queued_writes} write(s) queued.",
            queued_writes=agent.queued_writes,
        )
    return found


_R = provider_reports.c
_OPEN_REPORTS = select(func.count(), func.min(_R.created_at)).where(_R.status == "open")
_OLD_REPORTS = (
    select(_R.id, _R.provider_id, _R.created_at, providers.c.name)
    .select_from(provider_reports.join(providers, providers.c.id == _R.provider_id))
    .where(_R.status == "open", _R.created_at < bindparam("cutoff", type_=DateTime))
    .order_by(_R.created_at, _R.id)
    .limit(MAX_REPORT_ALERTS)
)


def open_reports_and_alerts(
    connection: Connection, now: datetime, settings: FloorSettings
) -> tuple[int, datetime | None, list[FloorAlert]]:
    """Open directory reports: how many, the oldest, and alerts for those open too long."""
    count, oldest = connection.execute(_OPEN_REPORTS).one()
    limit = settings.report_open_hours * 3600
    rows = connection.execute(_OLD_REPORTS, {"cutoff": now - timedelta(seconds=limit)})
    alerts = [
        FloorAlert(
            kind=AlertKind.OLD_REPORT,
            since=clock.from_db(row.created_at),
            seconds=int((now - row.created_at).total_seconds()),
            threshold_seconds=int(limit),
            report_id=row.id,
            provider_id=row.provider_id,
            provider_name=row.name,
            message=f"A report on {row.name} has been open for over "
            f"{settings.report_open_hours:g} h.",
        )
        for row in rows
    ]
    return count, clock.from_db(oldest), alerts
