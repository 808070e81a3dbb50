"""The cache's bookkeeping (``meta``): the service it is for, the change-feed cursor, the
last sync, the counter for provisional ids, and who this desk's agent is."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path

from console.client.cache.database import CacheFile
from console.client.cache.values import as_json, from_ts, ts
from console.domain.models import Agent


class MetaRows(CacheFile):
    """``meta``: a key and a value per row."""

    @property
    def server_url(self) -> str | None:
        """The central service this cache is for (recorded by ``Store.open``)."""
        return self.get_meta("server_url")

    @server_url.setter
    def server_url(self, value: str) -> None:
        if self.get_meta("server_url") != value:
            self.set_meta("server_url", value)

    @staticmethod
    def recorded_server(path: Path | str) -> str | None:
        """The service a cache file records, read without opening it as a cache (nothing is
        created or changed); None for a file of an earlier version, or not a cache."""
        try:
            connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        except sqlite3.Error:
            return None
        try:
            row = connection.execute("SELECT value FROM meta WHERE key = 'server_url'").fetchone()
        except sqlite3.Error:
            return None
        finally:
            connection.close()
        return row[0] if row else None

    def get_meta(self, key: str, default: str | None = None) -> str | None:
        row = self._one("SELECT value FROM meta WHERE key = ?", (key,))
        return row["value"] if row else default

    def set_meta(self, key: str, value: str | None) -> None:
        if value is None:
            self.db.execute("DELETE FROM meta WHERE key = ?", (key,))
        else:
            self.db.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    @property
    def last_seq(self) -> int | None:
        """The change-feed cursor: the last sequence number applied to this cache."""
        value = self.get_meta("last_seq")
        return int(value) if value is not None else None

    @last_seq.setter
    def last_seq(self, value: int) -> None:
        self.set_meta("last_seq", str(value))

    @property
    def last_sync_at(self) -> datetime | None:
        return from_ts(self.get_meta("last_sync_at"))

    @last_sync_at.setter
    def last_sync_at(self, value: datetime) -> None:
        self.set_meta("last_sync_at", ts(value))

    def next_local_id(self) -> int:
        """A new negative id for a provisional caller, call, booking or hold."""
        with self.transaction(durable=True):
            current = int(self.get_meta("next_local_id", "-1") or -1)
            self.set_meta("next_local_id", str(current - 1))
        return current

    def put_agent(self, agent: Agent) -> None:
        self.set_meta("agent", as_json(agent))

    def agent(self) -> Agent | None:
        raw = self.get_meta("agent")
        return Agent.model_validate_json(raw) if raw else None
