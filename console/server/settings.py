"""What the central service needs to know to run: database, hold lease, wrap-up codes."""

from __future__ import annotations

from dataclasses import dataclass, field

from console.domain.models import Disposition
from console.server.floor_settings import FloorSettings

DEFAULT_DISPOSITIONS: tuple[Disposition, ...] = (
    Disposition(code="booked", label="Termin rezerviran", label_en="Appointment booked"),
    Disposition(code="rescheduled", label="Termin prestavljen", label_en="Appointment rescheduled"),
    Disposition(code="cancelled", label="Termin odpovedan", label_en="Appointment cancelled"),
    Disposition(code="information", label="Samo informacija", label_en="Information only"),
    Disposition(code="no_slot", label="Ni prostega termina", label_en="No suitable slot"),
    Disposition(code="referred", label="Napoten drugam", label_en="Referred elsewhere"),
    Disposition(code="callback", label="Povratni klic", label_en="Call back later"),
    Disposition(code="dropped", label="Klic prekinjen", label_en="Call dropped"),
)


@dataclass(frozen=True)
class ServerSettings:
    """Settings of one central service; ``config.toml``'s ``[server]`` table fills them."""

    database: str
    hold_minutes: float = 3.0
    dispositions: tuple[Disposition, ...] = field(default=DEFAULT_DISPOSITIONS)
    max_changes_page: int = 5000
    max_search_results: int = 100
    floor: FloorSettings = field(default_factory=FloorSettings)

    def disposition_codes(self) -> set[str]:
        return {d.code for d in self.dispositions}
