"""A small, fully known world for API and console tests, built through the real storage code.

Importable from any test as ``import support`` (pytest puts ``tests/`` on ``sys.path``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import insert

from console.domain.calendar import TZ, working_days
from console.domain.models import CallerIn, Role
from console.server import callers
from console.server.agents import create_agent
from console.server.db import Database
from console.server.schema import locations, provider_services, providers, services, slots

TOKENS = {
    "agent": "tok-agent-one",
    "agent2": "tok-agent-two",
    "supervisor": "tok-supervisor",
    "admin": "tok-admin",
}


@dataclass
class World:
    """Ids of what :func:`build_world` created."""

    agents: dict[str, int] = field(default_factory=dict)
    services: dict[str, int] = field(default_factory=dict)
    locations: dict[str, int] = field(default_factory=dict)
    providers: dict[str, int] = field(default_factory=dict)
    slots: list[int] = field(default_factory=list)
    slot_starts: dict[int, datetime] = field(default_factory=dict)
    callers: dict[str, int] = field(default_factory=dict)
    days: list[date] = field(default_factory=list)

    def headers(self, who: str = "agent") -> dict[str, str]:
        return {"Authorization": f"Bearer {TOKENS[who]}"}


def _utc_naive(day: date, clock: time) -> datetime:
    return datetime.combine(day, clock, TZ).astimezone(UTC).replace(tzinfo=None)


def build_world(database: Database, *, days: int = 3, slots_per_day: int = 6) -> World:
    world = World()
    first_day = datetime.now(TZ).date() + timedelta(days=1)
    world.days = working_days(first_day, days)
    with database.write() as connection:
        for key, role in (
            ("agent", Role.AGENT),
            ("agent2", Role.AGENT),
            ("supervisor", Role.SUPERVISOR),
            ("admin", Role.ADMIN),
        ):
            agent, _ = create_agent(connection, f"Test {key}", role, token=TOKENS[key])
            world.agents[key] = agent.id
        for code, name, name_en, category, minutes, documents in (
            (
                "ue-id-card",
                "Osebna izkaznica",
                "Identity card",
                "administrative",
                15,
                ["Stara osebna izkaznica", "Fotografija"],
            ),
            (
                "health-gp",
                "Družinski zdravnik",
                "Family doctor",
                "health",
                20,
                ["Kartica zdravstvenega zavarovanja"],
            ),
        ):
            world.services[code] = connection.execute(
                insert(services)
                .values(
                    code=code,
                    name=name,
                    name_en=name_en,
                    category=category,
                    duration_minutes=minutes,
                    documents=json.dumps(documents),
                    documents_en=json.dumps(documents),
                )
                .returning(services.c.id)
            ).scalar_one()
        for code, name, town, region, kind in (
            (
                "ue-center",
                "UE Ljubljana, Izpostava Center",
                "Ljubljana",
                "Osrednjeslovenska",
                "office",
            ),
            ("zd-maribor", "ZD Maribor", "Maribor", "Podravska", "clinic"),
        ):
            world.locations[code] = connection.execute(
                insert(locations)
                .values(
                    code=code,
                    name=name,
                    kind=kind,
                    address="Trg 1",
                    postcode="1000",
                    town=town,
                    municipality=town,
                    municipality_folded=town.lower(),
                    region=region,
                    opening_hours="Mon-Fri 08:00-15:00",
                )
                .returning(locations.c.id)
            ).scalar_one()
        for code, name, location, service, kind in (
            ("counter-1", "Okence 1", "ue-center", "ue-id-card", "counter"),
            ("counter-2", "Okence 2", "ue-center", "ue-id-card", "counter"),
            ("dr-novak", "dr. Ana Novak", "zd-maribor", "health-gp", "doctor"),
        ):
            provider_id = connection.execute(
                insert(providers)
                .values(
                    code=code,
                    name=name,
                    name_folded=name.lower(),
                    kind=kind,
                    location_id=world.locations[location],
                    specialty="gp" if kind == "doctor" else None,
                    accepts_new_patients=True if kind == "doctor" else None,
                )
                .returning(providers.c.id)
            ).scalar_one()
            world.providers[code] = provider_id
            connection.execute(
                insert(provider_services).values(
                    provider_id=provider_id, service_id=world.services[service]
                )
            )
            for day in world.days:
                for index in range(slots_per_day):
                    start = _utc_naive(day, time(8, 0)) + timedelta(minutes=20 * index)
                    slot_id = connection.execute(
                        insert(slots)
                        .values(
                            provider_id=provider_id,
                            location_id=world.locations[location],
                            service_id=world.services[service],
                            starts_at=start,
                            ends_at=start + timedelta(minutes=15),
                            status="free",
                        )
                        .returning(slots.c.id)
                    ).scalar_one()
                    world.slots.append(slot_id)
                    world.slot_starts[slot_id] = start
        agent = _system_agent(world)
        for key, first, last, emso, phone, zzzs in (
            ("janez", "Janez", "Kovač", "0101990500003", "041 234 567", "123456789"),
            ("spela", "Špela", "Česnik", None, "+386 31 555 111", None),
            ("marija", "Marija", "Novak", None, "01 234 56 78", "987654321"),
        ):
            world.callers[key] = callers.create(
                connection,
                agent,
                CallerIn(
                    first_name=first, last_name=last, emso=emso, phones=[phone], zzzs_number=zzzs
                ),
            )
    return world


def _system_agent(world: World):
    from console.domain.models import Agent

    return Agent(id=world.agents["admin"], name="Test admin", role=Role.ADMIN)


def slots_of(world: World, provider: str) -> list[int]:
    """The slot ids of one provider, earliest first."""
    # Each provider's slots were created in one run: pick them by the provider's position.
    index = list(world.providers).index(provider)
    per_provider = len(world.slots) // len(world.providers)
    ids = world.slots[index * per_provider : (index + 1) * per_provider]
    return sorted(ids, key=lambda slot_id: world.slot_starts[slot_id])


def at_distinct_times(found: list) -> list:
    """The slots, one per start time: the tests that book several for one caller must not book
    two at one time (the two counters share times; 409 caller_has_booking)."""
    seen: set = set()
    return [s for s in found if not (s.starts_at in seen or seen.add(s.starts_at))]
