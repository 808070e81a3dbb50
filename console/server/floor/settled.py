"""Today's settled figures, kept between reads of the floor.

A wrapped-up call, a booking made and a cancellation never change again. So each process keeps
today's *settled* figures (calls wrapped up, bookings made and cancellations until ``SETTLE``
ago: :class:`DayCache`) and each read counts only what settled since its last read and what is
recent (calls still open or wrapped up since, bookings and cancellations since), over indexes on
``wrapped_at``, open calls, ``created_at`` and ``cancelled_at``: the cost of a read follows the
last minutes, not the length of the day. The first read of a day counts the whole day.
"""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta

from sqlalchemy import Connection

from console.server.floor.day import Day
from console.server.floor.figures import DayFigures, day_figures

# A wrapped-up call, a booking and a cancellation never change again, so what was settled
# this long ago is kept (per process) and only what came since is counted on each read. The
# margin is for transactions still open when the settled part was counted; the service's
# transactions last milliseconds.
SETTLE = timedelta(minutes=2)
# What settled is folded into the kept figures in steps of at least this much (reads in
# between count it as recent): most reads then run no folding statement at all.
FOLD_STEP = timedelta(seconds=30)


class DayCache:
    """Today's settled figures: calls wrapped up, bookings made and cancellations before a
    moment ``SETTLE`` ago, counted once, with what settled since added on each read."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._day: date | None = None
        self._upto: datetime | None = None
        self._settled = DayFigures()

    def figures(self, connection: Connection, day: Day, now: datetime) -> DayFigures:
        upto = min(max(day.start, now - SETTLE), day.end)
        with self._lock:
            known, since, settled = self._day, self._upto, self._settled
        if known != day.date or since is None or since > upto:  # a new day, or clocks moved
            since, settled = day.start, DayFigures()
        if upto - since < FOLD_STEP:
            upto = since
        if upto > since:
            settled = settled.plus(day_figures(connection, day, "settled", since, upto))
            with self._lock:
                if self._day != day.date or self._upto is None or self._upto < upto:
                    self._day, self._upto, self._settled = day.date, upto, settled
        return settled.plus(day_figures(connection, day, "recent", upto))
