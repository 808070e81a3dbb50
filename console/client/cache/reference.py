"""Reference data: services, locations, providers and wrap-up codes, as the service gave
them."""

from __future__ import annotations

from console.client.cache.database import CacheFile
from console.client.cache.values import as_json
from console.domain.models import Disposition, Location, Provider, Service
from console.domain.text import fold


class ReferenceRows(CacheFile):
    """Services, locations, providers and wrap-up codes."""

    def put_services(self, services: list[Service]) -> None:
        with self.transaction():
            self.db.execute("DELETE FROM services")
            self._upsert(
                "services",
                ({"id": s.id, "position": i, "json": as_json(s)} for i, s in enumerate(services)),
            )

    def services(self) -> list[Service]:
        rows = self._rows("SELECT json FROM services ORDER BY position")
        return [Service.model_validate_json(r["json"]) for r in rows]

    def service(self, service_id: int) -> Service | None:
        row = self._one("SELECT json FROM services WHERE id = ?", (service_id,))
        return Service.model_validate_json(row["json"]) if row else None

    def put_locations(self, locations: list[Location], *, replace: bool = True) -> None:
        with self.transaction():
            if replace:
                self.db.execute("DELETE FROM locations")
            self._upsert(
                "locations",
                ({"id": x.id, "region": x.region, "json": as_json(x)} for x in locations),
            )

    def locations(self, region: str | None = None) -> list[Location]:
        if region:
            rows = self._rows("SELECT json FROM locations WHERE region = ? ORDER BY id", (region,))
        else:
            rows = self._rows("SELECT json FROM locations ORDER BY id")
        found = [Location.model_validate_json(r["json"]) for r in rows]
        return sorted(found, key=lambda x: (fold(x.name), x.id))

    def location(self, location_id: int) -> Location | None:
        row = self._one("SELECT json FROM locations WHERE id = ?", (location_id,))
        return Location.model_validate_json(row["json"]) if row else None

    def put_providers(self, providers: list[Provider], *, replace: bool = True) -> None:
        with self.transaction():
            if replace:
                self.db.execute("DELETE FROM providers")
            self._upsert(
                "providers",
                ({"id": p.id, "location_id": p.location_id, "json": as_json(p)} for p in providers),
            )

    def providers(
        self,
        *,
        service: int | None = None,
        location: int | None = None,
        specialty: str | None = None,
        accepting: bool | None = None,
        limit: int = 500,
    ) -> list[Provider]:
        rows = self._rows("SELECT json FROM providers ORDER BY id")
        found = []
        for row in rows:
            provider = Provider.model_validate_json(row["json"])
            if service is not None and service not in provider.service_ids:
                continue
            if location is not None and provider.location_id != location:
                continue
            if specialty is not None and provider.specialty != specialty:
                continue
            if accepting is not None and provider.accepts_new_patients is not accepting:
                continue
            found.append(provider)
        return found[:limit]

    def put_dispositions(self, dispositions: list[Disposition]) -> None:
        with self.transaction():
            self.db.execute("DELETE FROM dispositions")
            self._upsert(
                "dispositions",
                (
                    {"id": d.code, "position": i, "json": as_json(d)}
                    for i, d in enumerate(dispositions)
                ),
            )

    def dispositions(self) -> list[Disposition]:
        rows = self._rows("SELECT json FROM dispositions ORDER BY position")
        return [Disposition.model_validate_json(r["json"]) for r in rows]
