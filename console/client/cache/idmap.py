"""``idmap``: provisional ids and references (made offline) mapped to the real ones."""

from __future__ import annotations

from console.client.cache.database import CacheFile


class IdMapRows(CacheFile):
    """Provisional ids mapped to real ones."""

    def map_id(self, kind: str, local: int | str, real: int | str) -> None:
        self._upsert(
            "idmap", [{"kind": kind, "local": str(local), "real": str(real)}], ("kind", "local")
        )

    def real_id(self, kind: str, local: int | str) -> str | None:
        row = self._one("SELECT real FROM idmap WHERE kind = ? AND local = ?", (kind, str(local)))
        return row["real"] if row else None
