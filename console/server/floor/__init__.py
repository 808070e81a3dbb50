"""The supervisor's floor: every agent's state and day, the services' slots, the day's figures.

Everything is counted by the database: each figure is an aggregate over an indexed range of
today or a small set (one presence row per agent; booked and blocked slots), never today's rows
loaded into Python. The parts, one job each:

- ``day``: a Ljubljana day as the stored times that bound it;
- ``statements``: the floor's SQL, written once per dialect;
- ``figures``: the day's calls and bookings by agent, hour, disposition and service;
- ``settled``: what settled of the day, kept between reads (``SETTLE``, ``DayCache``);
- ``slots``: how full the next working days are per service (``Windows``, ``SlotTotals``);
- ``agents``: each agent's line;
- ``alerts``: agents too long in a state, directory reports open too long;

and this module puts them together into a :class:`~console.domain.floor.Floor` (``compute``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC

from sqlalchemy import Connection, select

from console.domain.calendar import TZ
from console.domain.floor import (
    DispositionCount,
    Floor,
    FloorDay,
    FloorHour,
    FloorService,
    FloorThresholds,
)
from console.server import callback_figures, clock
from console.server.floor.agents import agent_rows, floor_agent
from console.server.floor.alerts import agent_alerts, open_reports_and_alerts
from console.server.floor.day import Day
from console.server.floor.figures import Figures, day_figures
from console.server.floor.settled import DayCache
from console.server.floor.slots import SlotTotals, Windows, slot_windows
from console.server.floor_settings import FloorSettings
from console.server.messages import outbox
from console.server.schema import services
from console.server.settings import CallbackSettings


def thresholds(settings: FloorSettings) -> FloorThresholds:
    return FloorThresholds(
        heartbeat_seconds=settings.heartbeat_seconds,
        unreachable_after_seconds=settings.unreachable_after_seconds,
        long_call_seconds=int(settings.long_call_minutes * 60),
        long_after_call_work_seconds=int(settings.long_after_call_work_minutes * 60),
        long_away_seconds=int(settings.long_away_minutes * 60),
        report_open_seconds=int(settings.report_open_hours * 3600),
        fill_working_days=list(settings.fill_working_days),
        away_reasons=list(settings.away_reasons),
    )


_SERVICES = select(
    services.c.id, services.c.code, services.c.name, services.c.name_en, services.c.category
).order_by(services.c.category, services.c.name, services.c.id)


@dataclass
class FloorCache:
    """What one process keeps between reads of the floor (see the module docstring)."""

    day: DayCache = field(default_factory=DayCache)
    slots: SlotTotals = field(default_factory=SlotTotals)


def compute(
    connection: Connection,
    settings: FloorSettings,
    cache: FloorCache | None = None,
    callback_settings: CallbackSettings | None = None,
) -> Floor:
    """The floor as of the service's clock now; without ``cache``, everything counted now.
    The callback figures follow ``callback_settings`` (its office hours; default: the
    defaults of ``[callbacks]``)."""
    now = clock.now()
    day = Day.around(now)
    queue = callback_figures.floor_figures(connection, callback_settings or CallbackSettings(), now)
    missed = list(queue.missed_per_hour)  # the day's local hours in order, as ``day.hours()``
    figures = cache.day.figures(connection, day, now) if cache else day_figures(connection, day)
    totals = cache.slots if cache else None
    service_rows = connection.execute(_SERVICES).all()
    names = {row.id: row for row in service_rows}
    agents_out = [
        floor_agent(row, now, figures.agents.get(row.id, Figures()), names, settings)
        for row in agent_rows(connection)
    ]
    windows = Windows.after(day, settings.fill_working_days)
    by_service = slot_windows(connection, windows, totals, settings.slot_totals_seconds)
    open_reports, oldest_report, report_alerts = open_reports_and_alerts(connection, now, settings)
    alerts = [alert for agent in agents_out for alert in agent_alerts(agent, now, settings)]
    alerts = sorted(alerts + report_alerts, key=lambda alert: (alert.since, alert.kind.value))
    hours = []
    for start in day.hours():
        local = start.replace(tzinfo=UTC).astimezone(TZ)
        hours.append(
            FloorHour(
                starts_at=clock.from_db(start),
                hour=f"{local:%H:%M}",
                calls=figures.hours.get(start, Figures()).calls,
                bookings=figures.hours.get(start, Figures()).booked,
                missed_calls=missed.pop(0).missed if missed and missed[0].hour == local.hour else 0,
            )
        )
    dispositions = sorted(
        (
            DispositionCount(code=code, count=group.wrapped)
            for code, group in figures.dispositions.items()
            if code is not None and group.wrapped
        ),
        key=lambda item: (-item.count, item.code),
    )
    total = figures.total
    services_out = [
        FloorService(
            id=row.id,
            code=row.code,
            name=row.name,
            name_en=row.name_en,
            category=row.category,
            bookings_today=figures.services.get(row.id, Figures()).booked,
            windows=by_service.get(row.id, []),
        )
        for row in service_rows
    ]
    return Floor(
        at=clock.from_db(now),
        today=FloorDay(
            date=day.date,
            calls=total.calls,
            wrapped=total.wrapped,
            avg_handle_seconds=total.avg_handle,
            avg_after_call_work_seconds=total.avg_acw,
            bookings=total.booked,
            cancellations=total.cancelled,
            reschedules=total.rescheduled,
            dispositions=dispositions,
            hours=hours,
            open_reports=open_reports,
            oldest_open_report_at=oldest_report,
        ),
        agents=agents_out,
        services=services_out,
        alerts=alerts,
        thresholds=thresholds(settings),
        callbacks=queue,
        messages=outbox.counts_for_day(connection, day.date),
    )
