"""``issues``: what the replay could not do by itself (see ``console.client.issues``)."""

from __future__ import annotations

import json

from console.client.cache.database import CacheFile
from console.client.cache.values import from_ts, ts, utcnow


class IssueRows(CacheFile):
    """The sync issues."""

    def add_issue(self, outbox_seq: int, kind: str, data: dict) -> int:
        cursor = self.db.execute(
            "INSERT INTO issues (outbox_seq, kind, created_at, json) VALUES (?, ?, ?, ?)",
            (outbox_seq, kind, ts(utcnow()), json.dumps(data, default=str)),
        )
        return int(cursor.lastrowid or 0)

    def issues(self, *, include_resolved: bool = False) -> list[dict]:
        clause = "" if include_resolved else "WHERE resolved_at IS NULL"
        rows = self._rows(f"SELECT * FROM issues {clause} ORDER BY id")
        for row in rows:
            row["data"] = json.loads(row.pop("json"))
            row["created_at"] = from_ts(row["created_at"])
            row["resolved_at"] = from_ts(row["resolved_at"])
        return rows

    def issue(self, issue_id: int) -> dict | None:
        found = [i for i in self.issues(include_resolved=True) if i["id"] == issue_id]
        return found[0] if found else None

    def issue_for(self, outbox_seq: int) -> dict | None:
        found = [i for i in self.issues() if i["outbox_seq"] == outbox_seq]
        return found[0] if found else None

    def update_issue(self, issue_id: int, data: dict) -> None:
        self.db.execute(
            "UPDATE issues SET json = ? WHERE id = ?", (json.dumps(data, default=str), issue_id)
        )

    def resolve_issue(self, issue_id: int, resolution: str) -> None:
        self.db.execute(
            "UPDATE issues SET resolved_at = ?, resolution = ? WHERE id = ?",
            (ts(utcnow()), resolution, issue_id),
        )

    def open_issue_count(self) -> int:
        row = self._one("SELECT count(*) AS n FROM issues WHERE resolved_at IS NULL")
        return int(row["n"]) if row else 0
