"""``LocalCache``: what a desk keeps on its own disk to keep working while the central service
is unreachable.

One SQLite file (sqlite-utils, WAL) per central service, in the user's data directory, created
with mode 0600 (its ``-wal`` and ``-shm`` files too): personal data on a shared machine is
readable by the agent's account only. Commits that append to the outbox are synced to disk
(``synchronous=FULL``: they survive a power cut); copies of the service's data are not (they
survive a killed console, and can be fetched again). It holds

- reference data: services, locations, providers, wrap-up codes, and who this desk's agent is;
- the slot window: the free slots of every service for the next ``window_days`` (30 by default),
  kept fresh from the change feed (``slots``);
- callers this desk has opened or created recently, at most ``caller_limit`` (500) of them, the
  least recently touched dropped first — not the whole population: personal data stays central;
- bookings and calls this desk has seen or made;
- ``meta``: the change-feed cursor (``last_seq``), the last successful sync (``last_sync_at``),
  the counter for provisional ids;
- ``idmap``: provisional ids and references (made offline) mapped to the real ones;
- ``issues``: what the replay could not do by itself (see ``console.client.issues.SyncIssue``);
- the outbox (``console.client.outbox``) lives in the same file, so a provisional booking and
  its queued write are committed in one transaction: both or neither.

Every model is stored as its JSON next to the few indexed columns the offline queries need.
Times in those columns are UTC text of one fixed width, so they compare as strings.
Provisional rows (made offline, not yet confirmed by the central service) have negative ids.

The cache is used from one thread (the console's event loop); its statements are short.

One part per table (or tables that go together), each a class ``LocalCache`` is made of:
``database`` (the file, transactions, upsert) and ``schema`` (the tables), ``meta``,
``reference``, ``slots``, ``holds``, ``callers``, ``history`` (bookings and calls), ``idmap``,
``issues`` and ``confirmations``; ``values`` (how times and models are stored) and ``files``
(where the cache files are).
"""

from __future__ import annotations

from pathlib import Path

from console.client.cache.callers import DEFAULT_CALLER_LIMIT
from console.client.cache.confirmations import ConfirmationRows
from console.client.cache.files import cache_path, desk_caches
from console.client.cache.history import HistoryRows, ProvisionalBooking
from console.client.cache.holds import HoldRows
from console.client.cache.idmap import IdMapRows
from console.client.cache.issues import IssueRows
from console.client.cache.reference import ReferenceRows
from console.client.cache.slots import SlotRows
from console.client.cache.values import from_ts, ts, utcnow

__all__ = [
    "DEFAULT_CALLER_LIMIT",
    "LocalCache",
    "ProvisionalBooking",
    "cache_path",
    "desk_caches",
    "from_ts",
    "ts",
    "utcnow",
]


class LocalCache(
    HistoryRows, ReferenceRows, SlotRows, HoldRows, IdMapRows, IssueRows, ConfirmationRows
):
    """The desk's local SQLite cache; see the module docstring. Each table (or a few that go
    together) is a part of its own; this puts them together over one file."""

    def __init__(self, path: Path | str, *, caller_limit: int = DEFAULT_CALLER_LIMIT) -> None:
        self.caller_limit = caller_limit
        super().__init__(path)
