"""What the benchmarks ask for, drawn from the dataset itself: names agents type, phones, EMŠO
and ZZZS numbers, booking references, service and region pairs, free slots, benchmark agents."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import bindparam, text
from sqlalchemy.types import DateTime

from benchmarks.dataset import BENCH_AGENT_PREFIX, Dataset
from console.domain.phone import format_phone
from console.domain.text import fold
from console.server.agents import create_agent
from console.server.db import Database


@dataclass
class CallerSample:
    """Search texts for randomly drawn callers of the dataset."""

    names: list[str] = field(default_factory=list)  # "kova jan": two word prefixes
    phones: list[str] = field(default_factory=list)  # "041 234 567"
    emsos: list[str] = field(default_factory=list)
    zzzs: list[str] = field(default_factory=list)
    ids: list[int] = field(default_factory=list)


def utcnow() -> datetime:
    """Now as the database stores times: naive UTC."""
    return datetime.now(UTC).replace(tzinfo=None)


def name_query(first_name: str, last_name: str, rng: random.Random) -> str:
    """What an agent types for a name: the start of the surname, then of the given name."""
    last = fold(last_name).split()[0]
    first = fold(first_name).split()[0]
    return f"{last[: rng.choice((3, 4, 5))]} {first[: rng.choice((2, 3, 4))]}"


def sample_callers(database: Database, dataset: Dataset, count: int, seed: int) -> CallerSample:
    rng = random.Random(seed)
    ids = rng.sample(range(1, dataset.callers + 1), min(count, dataset.callers))
    sample = CallerSample(ids=ids)
    with database.read() as connection:
        rows = connection.execute(
            text(
                "SELECT id, first_name, last_name, emso, zzzs_number FROM callers WHERE id IN :ids"
            ).bindparams(bindparam("ids", expanding=True)),
            {"ids": ids},
        ).all()
        phones = connection.execute(
            text(
                "SELECT caller_id, number FROM caller_phones WHERE caller_id IN :ids "
                "ORDER BY caller_id, position"
            ).bindparams(bindparam("ids", expanding=True)),
            {"ids": ids},
        ).all()
    first_phone: dict[int, str] = {}
    for caller_id, number in phones:
        first_phone.setdefault(caller_id, number)
    for row in sorted(rows, key=lambda r: ids.index(r.id)):
        sample.names.append(name_query(row.first_name, row.last_name, rng))
        if row.emso:
            sample.emsos.append(row.emso)
        if row.zzzs_number:
            sample.zzzs.append(row.zzzs_number)
        if row.id in first_phone:
            sample.phones.append(format_phone(first_phone[row.id]))
    return sample


def service_regions(database: Database) -> list[tuple[int, str]]:
    """Every (service id, region) where some provider offers the service."""
    with database.read() as connection:
        rows = connection.execute(
            text(
                "SELECT DISTINCT ps.service_id, l.region FROM provider_services ps "
                "JOIN providers p ON p.id = ps.provider_id "
                "JOIN locations l ON l.id = p.location_id ORDER BY 1, 2"
            )
        ).all()
    return [(int(service), str(region)) for service, region in rows]


def free_slot_ids(
    database: Database, count: int, seed: int, *, after_hours: float = 24, at_least: int = 0
) -> list[int]:
    """``count`` distinct free slots starting at least ``after_hours`` from now, at random
    (fewer if the dataset has fewer, but no fewer than ``at_least``, or ``count`` if not given)."""
    start = utcnow() + timedelta(hours=after_hours)
    with database.read() as connection:
        ids = (
            connection.execute(
                text(
                    "SELECT id FROM slots WHERE status = 'free' AND starts_at >= :start"
                ).bindparams(bindparam("start", type_=DateTime)),
                {"start": start},
            )
            .scalars()
            .all()
        )
    needed = at_least or count
    if len(ids) < needed:
        raise RuntimeError(f"only {len(ids)} free slots left in the dataset; {needed} needed")
    return random.Random(seed).sample(list(ids), min(count, len(ids)))


def bench_tokens(database: Database, count: int, role: str = "agent") -> list[str]:
    """Tokens of ``count`` new agents (removed again by ``dataset.reset``)."""
    with database.write() as connection:
        return [
            create_agent(connection, f"{BENCH_AGENT_PREFIX}line {index + 1}", role)[1]
            for index in range(count)
        ]
