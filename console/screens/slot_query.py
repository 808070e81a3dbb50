"""The slot search's query: the dates and services the form reads, the range it asks for, and
every free slot of the range's days (for the overview)."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from console.domain.calendar import TZ, is_working_day
from console.domain.models import Service, Slot
from console.domain.text import fold
from console.i18n import _, language
from console.screens.wording import service_label

if TYPE_CHECKING:
    from console.desk import Desk

LIST_LIMIT = 200  # the list shows the earliest this many; the overview counts them all
PAGE = 500  # the API's largest page of slots
MAX_PAGES_PER_DAY = 10
MAX_RANGE_DAYS = 120

_SLOVENIAN_DATE = re.compile(r"^(\d{1,2})\s*\.\s*(\d{1,2})\s*\.?\s*(?:(\d{4})\s*\.?)?$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")


class DateError(ValueError):
    """A date field cannot be read; the message says how to write it."""


def parse_day(text: str, today: date) -> date:
    """A day as Slovenians write it: ``4. 3. 2030``, ``4.3.2030``, ``4. 3.`` (this year), or
    ISO ``2030-03-04``."""
    cleaned = text.strip()
    if not cleaned:
        raise DateError(_("Write the date as 4. 3. 2030"))
    if match := _ISO_DATE.match(cleaned):
        year, month, day = (int(part) for part in match.groups())
    elif match := _SLOVENIAN_DATE.match(cleaned):
        day, month = int(match.group(1)), int(match.group(2))
        year = int(match.group(3)) if match.group(3) else today.year
    else:
        raise DateError(_("Write the date as 4. 3. 2030"))
    try:
        return date(year, month, day)
    except ValueError:
        raise DateError(_("There is no such day: {text}").format(text=cleaned)) from None


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=TZ)


def other_name(service: Service) -> str:
    return service.name_en if language() == "sl" else service.name


def match_services(services: list[Service], text: str) -> list[Service]:
    """Services for what was typed, best first: the name's or code's beginning, the beginnings
    of its words (``voz pod``), the same in the other language, then (from four letters) any
    part of the name. Any case, diacritics optional."""
    query = fold(text)
    if not query:
        return []
    words = query.split()
    ranked: list[tuple[int, str, Service]] = []
    for service in services:
        label = fold(service_label(service))
        code = service.code.lower()
        own_words = re.split(r"[\s,–-]+", label)
        other_words = re.split(r"[\s,–-]+", fold(other_name(service)))
        if label.startswith(query) or code.startswith(query):
            rank = 0
        elif all(any(part.startswith(word) for part in own_words) for word in words):
            rank = 1
        elif all(any(part.startswith(word) for part in other_words) for word in words):
            rank = 2
        elif len(query) >= 4 and query in label:  # inside a word: "zdravnik" in "zobozdravnik"
            rank = 3
        else:
            continue
        ranked.append((rank, label, service))
    return [service for _rank, _label, service in sorted(ranked, key=lambda r: r[:2])]


def services_for(services: list[Service], text: str) -> list[Service]:
    """What the list under the service field offers for ``text``: the service whose code or
    name it is exactly first (``health-den`` is a code, and the beginning of another), then
    the rest of :func:`match_services`."""
    exact = exact_service(services, text)
    found = match_services(services, text)
    if exact is None:
        return found
    return [exact, *(service for service in found if service is not exact)]


def exact_service(services: list[Service], text: str) -> Service | None:
    """The service whose name (either language) or code is exactly what was typed."""
    query = fold(text)
    if not query:
        return None
    for service in services:
        if query in (fold(service.name), fold(service.name_en), service.code.lower()):
            return service
    return None


@dataclass(frozen=True)
class SlotQuery:
    service_id: int
    first_day: date
    last_day: date  # inclusive
    region: str | None
    location_id: int | None

    @property
    def start(self) -> datetime:
        return local_midnight(self.first_day)

    @property
    def end(self) -> datetime:
        return local_midnight(self.last_day + timedelta(days=1))

    def days(self) -> list[date]:
        """The working days of the range: the overview's columns."""
        count = (self.last_day - self.first_day).days + 1
        every = (self.first_day + timedelta(days=n) for n in range(count))
        return [day for day in every if is_working_day(day)]


async def free_slots_by_day(desk: Desk, query: SlotQuery, days: list[date]) -> list[Slot]:
    """Every free slot of ``days`` (not just the earliest page): one request per day, a few
    at a time, following on with further pages where a day has more than one page."""
    gate = asyncio.Semaphore(4)

    async def one_day(day: date) -> list[Slot]:
        end = local_midnight(day + timedelta(days=1))
        cursor = max(local_midnight(day), query.start)
        found: dict[int, Slot] = {}
        for _page in range(MAX_PAGES_PER_DAY):
            async with gate:
                page = await desk.find_slots(
                    query.service_id,
                    start=cursor,
                    end=min(end, query.end),
                    region=query.region,
                    location_id=query.location_id,
                    limit=PAGE,
                )
            new = [slot for slot in page if slot.id not in found]
            found.update((slot.id, slot) for slot in new)
            if len(page) < PAGE or not new:
                break
            cursor = page[-1].starts_at
        return list(found.values())

    per_day = await asyncio.gather(*(one_day(day) for day in days))
    return sorted((slot for day in per_day for slot in day), key=lambda s: (s.starts_at, s.id))
