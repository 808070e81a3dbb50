"""The doctor directory on the desk's own disk, so the health line can still find a doctor who
accepts new patients while the central service is unreachable.

It lives in the desk's cache file (``console.client.cache``): every directory row this desk has
fetched (the Store fetches the whole active directory with its reference data, and keeps each
search's and detail's answer), the filter lists (regions, municipalities), the last lists of
agents' reports, and reports made offline that wait in the outbox. Offline, the same search
runs here: the same word-by-word, diacritic-insensitive match and the same order and
``accepting`` rule as the service (``console.domain.directory``), over what the desk has.

Change-feed entries for providers (``reported``, ``report_closed``) update the rows in place, so
a report another agent made shows on this desk's copy too.
"""

from __future__ import annotations

import json
from datetime import datetime

from console.client.cache import LocalCache, ts
from console.domain.directory import accepting_now, assess, listing_key, states_accepts
from console.domain.models import (
    DirectoryAreas,
    DirectoryDetail,
    DirectoryEntry,
    DoctorType,
    ProviderReport,
    ReportKind,
)
from console.domain.text import fold


def entry_search_text(entry: DirectoryEntry) -> str:
    """What the search box matches, as the service folds it: doctor, institution, town,
    municipality."""
    return fold(f"{entry.name} {entry.institution} {entry.town} {entry.municipality}")


class DirectoryCache:
    """Directory rows, details, filter lists and report lists in the desk's cache file."""

    def __init__(self, cache: LocalCache) -> None:
        self.cache = cache
        db = cache.db
        with db.atomic():
            db.table("directory").create(
                {
                    "id": int,
                    "type": str,
                    "municipality_folded": str,
                    "region": str,
                    "active": int,
                    "search_folded": str,
                    "json": str,
                    "detail": str,
                    "report_ids": str,
                    "fetched_at": str,
                },
                pk="id",
                if_not_exists=True,
            )
            db.table("directory").create_index(["type"], if_not_exists=True)

    # -- rows -----------------------------------------------------------------------------

    @staticmethod
    def _row(entry: DirectoryEntry) -> dict:
        return {
            "id": entry.provider_id,
            "type": entry.type.value,
            "municipality_folded": fold(entry.municipality),
            "region": entry.region,
            "active": int(entry.active),
            "search_folded": entry_search_text(entry),
            # A detail carries the entry's fields too; keep only the entry's in ``json``.
            "json": DirectoryEntry.model_validate(
                entry.model_dump(include=set(DirectoryEntry.model_fields))
            ).model_dump_json(),
            "fetched_at": ts(datetime.now().astimezone()),
        }

    def put_entries(self, entries: list[DirectoryEntry], *, replace: bool = False) -> None:
        """Keep these rows (``replace``: they are the whole directory; others leave)."""
        with self.cache.transaction():
            if replace:
                self.keep_only({e.provider_id for e in entries})
            for entry in entries:
                self._upsert(entry)

    def keep_only(self, provider_ids: set[int]) -> None:
        """The directory is these doctors: the rows of any other leave."""
        rows = self.cache.db.query("SELECT id FROM directory")
        gone = [row["id"] for row in rows if row["id"] not in provider_ids]
        with self.cache.transaction():
            for start in range(0, len(gone), 500):
                chunk = gone[start : start + 500]
                self.cache.db.execute(
                    f"DELETE FROM directory WHERE id IN ({','.join('?' * len(chunk))})", chunk
                )

    def _upsert(self, entry: DirectoryEntry, detail: DirectoryDetail | None = None) -> None:
        row = self._row(entry)
        values = [row[k] for k in ("id", "type", "municipality_folded", "region", "active")]
        values += [row["search_folded"], row["json"], row["fetched_at"]]
        # The open reports known to be counted in ``open_reports``: a report this desk made
        # (or learnt of from the feed) is counted once, whichever way it arrives.
        values.append(json.dumps([entry.report.id] if entry.report else []))
        self.cache.db.execute(
            "INSERT INTO directory (id, type, municipality_folded, region, active, "
            "search_folded, json, fetched_at, report_ids) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(id) DO UPDATE SET type = excluded.type, "
            "municipality_folded = excluded.municipality_folded, region = excluded.region, "
            "active = excluded.active, search_folded = excluded.search_folded, "
            "json = excluded.json, fetched_at = excluded.fetched_at, "
            "report_ids = excluded.report_ids",
            values,
        )
        if detail is not None:
            self.cache.db.execute(
                "UPDATE directory SET detail = ? WHERE id = ?",
                (detail.model_dump_json(), entry.provider_id),
            )

    def put_detail(self, detail: DirectoryDetail) -> None:
        with self.cache.transaction():
            self._upsert(detail, detail)

    def entry(self, provider_id: int) -> DirectoryEntry | None:
        rows = list(self.cache.db.query("SELECT json FROM directory WHERE id = ?", (provider_id,)))
        return DirectoryEntry.model_validate_json(rows[0]["json"]) if rows else None

    def detail(self, provider_id: int) -> DirectoryDetail | None:
        """The doctor's details as last fetched, with the row's newer report state."""
        rows = list(
            self.cache.db.query("SELECT json, detail FROM directory WHERE id = ?", (provider_id,))
        )
        if not rows or not rows[0]["detail"]:
            return None
        detail = DirectoryDetail.model_validate_json(rows[0]["detail"])
        entry = DirectoryEntry.model_validate_json(rows[0]["json"])
        return detail.model_copy(
            update={"report": entry.report, "open_reports": entry.open_reports}
        )

    def count(self) -> int:
        rows = list(self.cache.db.query("SELECT count(*) AS n FROM directory"))
        return int(rows[0]["n"])

    def search(
        self,
        *,
        q: str | None = None,
        type: DoctorType | str | None = None,
        municipality: str | None = None,
        region: str | None = None,
        accepting: bool | None = None,
        include_inactive: bool = False,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[DirectoryEntry], int]:
        """The service's search over this desk's rows: (the page, how many match)."""
        sql = "SELECT json, search_folded FROM directory WHERE 1 = 1"
        params: list[object] = []
        if type:
            sql += " AND type = ?"
            params.append(DoctorType(type).value)
        if municipality:
            sql += " AND municipality_folded = ?"
            params.append(fold(municipality))
        if region:
            sql += " AND region = ?"
            params.append(region)
        if not include_inactive:
            sql += " AND active = 1"
        words = fold(q or "").split()
        found: list[tuple[tuple, DirectoryEntry]] = []
        for row in self.cache.db.query(sql, params):
            if not all(word in row["search_folded"] for word in words):
                continue
            entry = DirectoryEntry.model_validate_json(row["json"])
            verdict = assess(entry)
            if accepting is not None and accepting_now(entry, verdict) is not accepting:
                continue
            found.append((listing_key(entry, verdict), entry))
        found.sort(key=lambda pair: pair[0])
        return [entry for _, entry in found[offset : offset + limit]], len(found)

    # -- reports on rows ------------------------------------------------------------------

    def _counted(self, provider_id: int) -> list[int]:
        rows = list(
            self.cache.db.query("SELECT report_ids FROM directory WHERE id = ?", (provider_id,))
        )
        return json.loads(rows[0]["report_ids"] or "[]") if rows else []

    def _update_entry(self, entry: DirectoryEntry, counted: list[int]) -> None:
        self.cache.db.execute(
            "UPDATE directory SET json = ?, report_ids = ? WHERE id = ?",
            (self._row(entry)["json"], json.dumps(counted), entry.provider_id),
        )

    def add_report(self, report: ProviderReport) -> None:
        """A report made (here, offline, or by another desk): the row shows it at once."""
        entry = self.entry(report.provider_id)
        if entry is None or report.status != "open":
            return
        counted = self._counted(report.provider_id)
        if report.id in counted:
            return  # already on the row (e.g. this desk's own report, back from the feed)
        shown = entry.report
        replaces = shown is None or states_accepts(report.kind) or not states_accepts(shown.kind)
        with self.cache.transaction():
            self._update_entry(
                entry.model_copy(
                    update={
                        "report": report if replaces else shown,
                        "open_reports": entry.open_reports + 1,
                    }
                ),
                [*counted, report.id],
            )

    def replace_report(self, provider_id: int, local_id: int, report: ProviderReport) -> None:
        """A report made offline was accepted by the service: the row shows the real one."""
        entry = self.entry(provider_id)
        counted = self._counted(provider_id)
        if entry is None or local_id not in counted:
            return
        shown = entry.report
        with self.cache.transaction():
            self._update_entry(
                entry.model_copy(
                    update={"report": report if shown and shown.id == local_id else shown}
                ),
                [report.id if i == local_id else i for i in counted],
            )

    def close_report(self, provider_id: int, report_id: int) -> None:
        """A report was closed: one fewer open, and the row stops showing it."""
        entry = self.entry(provider_id)
        if entry is None:
            return
        shown = entry.report
        with self.cache.transaction():
            self._update_entry(
                entry.model_copy(
                    update={
                        "report": None if shown is not None and shown.id == report_id else shown,
                        "open_reports": max(entry.open_reports - 1, 0),
                    }
                ),
                [i for i in self._counted(provider_id) if i != report_id],
            )

    def report_from_change(
        self, provider_id: int, data: dict, agent_id: int | None
    ) -> ProviderReport | None:
        """The report a ``reported`` change describes, with the row's names (None: the desk
        does not have the row)."""
        entry = self.entry(provider_id)
        if entry is None or "report_id" not in data:
            return None
        return ProviderReport(
            id=int(data["report_id"]),
            provider_id=provider_id,
            provider_name=entry.name,
            institution=entry.institution,
            type=entry.type,
            kind=ReportKind(data["kind"]),
            note=data.get("note") or "",
            agent_id=agent_id or 0,
            agent_name=data.get("agent_name") or "",
            call_id=data.get("call_id"),
            created_at=datetime.fromisoformat(str(data["created_at"]).replace("Z", "+00:00")),
            status="open",
        )

    # -- filter lists and report lists ----------------------------------------------------

    def put_areas(self, areas: DirectoryAreas) -> None:
        self.cache.set_meta("directory_areas", areas.model_dump_json())

    def areas(self) -> DirectoryAreas | None:
        raw = self.cache.get_meta("directory_areas")
        return DirectoryAreas.model_validate_json(raw) if raw else None

    def put_reports(self, status: str, reports: list[ProviderReport]) -> None:
        self.cache.set_meta(
            f"reports:{status}", json.dumps([r.model_dump(mode="json") for r in reports])
        )

    def reports(self, status: str) -> list[ProviderReport] | None:
        raw = self.cache.get_meta(f"reports:{status}")
        if raw is None:
            return None
        return [ProviderReport.model_validate(r) for r in json.loads(raw)]

    def report(self, report_id: int) -> ProviderReport | None:
        """A report from any cached list (or a row), for closing it offline."""
        for status in ("open", "all", "closed"):
            for report in self.reports(status) or []:
                if report.id == report_id:
                    return report
        for row in self.cache.db.query("SELECT json FROM directory"):
            entry = DirectoryEntry.model_validate_json(row["json"])
            if entry.report is not None and entry.report.id == report_id:
                return entry.report
        return None
