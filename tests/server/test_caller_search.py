"""callers.search on both engines: how a query is read, the word-prefix name index, and the
fallback from a reference-shaped query to a name search."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest
import support

from console.domain.models import CallerIn, CallerPatch
from console.domain.query import query_kind
from console.domain.reference import new_reference
from console.server import callers, clock
from console.server.db import Database
from console.server.schema import bookings


@pytest.fixture
def world_db(database_url_param: str) -> Iterator[tuple[Database, support.World]]:
    database = Database.open(database_url_param)
    world = support.build_world(database)
    yield database, world
    database.dispose()


def _add(database: Database, world: support.World, *names: tuple[str, str]) -> list[int]:
    agent = support._system_agent(world)
    with database.write() as connection:
        return [
            callers.create(connection, agent, CallerIn(first_name=first, last_name=last))
            for first, last in names
        ]


def _search(database: Database, query: str, limit: int = 20) -> tuple[str, list[str], bool]:
    with database.read() as connection:
        kind, found, more = callers.search(connection, query, limit)
    return kind, [f"{c.first_name} {c.last_name}" for c in found], more


def test_a_name_that_is_also_a_well_formed_reference_falls_back_to_the_name_search(
    world_db,
) -> None:
    database, world = world_db
    assert query_kind("mac anja") == "reference"  # MACANJA: its check character is valid
    _add(database, world, ("Anja", "Macek"), ("Anja", "Kos"))
    assert _search(database, "mac anja") == ("name", ["Anja Macek"], False)
    assert _search(database, "MAC-ANJ-A") == ("name", ["Anja Macek"], False)
    # Nobody booked it and nobody is called so: it stays a reference that found nothing.
    code = new_reference(random.Random(7))
    assert _search(database, code) == ("reference", [], False)


def test_a_reference_with_a_wrong_check_character_is_no_name_search(world_db) -> None:
    """Issue 12 item 8: DUPH435 (DUPH434 mistyped) is read as a reference that found nothing,
    not as a name; seven letters with a failing check are still tried as a name."""
    database, world = world_db
    _add(database, world, ("Janez", "Kranjec"))
    assert query_kind("DUPH435") == "reference"
    assert query_kind("duph 43 5") == "reference"
    assert _search(database, "DUPH435") == ("reference", [], False)
    assert _search(database, "DUPH 43A") == ("reference", [], False)  # A: a wrong check
    assert _search(database, "kranjec") == ("name", ["Janez Kranjec"], False)
    assert _search(database, "kranjea") == ("reference", [], False)  # no name, no valid code


@pytest.mark.parametrize(
    "query", ["40237043", "040 237 043", "+386 40 237 043", "+38640", "+386", "00386 40"]
)
def test_a_number_without_its_0_or_the_start_of_an_international_one_is_a_phone_search(
    world_db, query: str
) -> None:
    """Issue 12 item 9: one rule (console.domain.phone.phone_query) for the service, the
    desk's cache and the lookup screen."""
    database, world = world_db
    agent = support._system_agent(world)
    with database.write() as connection:
        callers.create(
            connection,
            agent,
            CallerIn(first_name="Vida", last_name="Dolenc", phones=["040 237 043"]),
        )
    if query != "040 237 043":  # nine digits: a ZZZS number first, then a phone
        assert query_kind(query) == "phone"
    kind, found, _more = _search(database, query)
    assert kind == "phone" and "Vida Dolenc" in found


def test_a_booked_reference_finds_the_booker_even_if_a_name_matches_too(world_db) -> None:
    database, world = world_db
    _add(database, world, ("Anja", "Macek"))
    with database.write() as connection:
        connection.execute(
            bookings.insert().values(
                reference="MACANJA",
                caller_id=world.callers["marija"],
                slot_id=world.slots[0],
                service_id=next(iter(world.services.values())),
                status="confirmed",
                created_by=world.agents["agent"],
                created_at=clock.now(),
            )
        )
    assert _search(database, "mac anja") == ("reference", ["Marija Novak"], False)


@pytest.mark.parametrize(
    "query, expected",
    [
        ("kov ja", ["Janez Kovač", "Jana Kovačič"]),
        ("ja kov", ["Janez Kovač", "Jana Kovačič"]),
        ("kovacic", ["Jana Kovačič"]),
        ("jan", ["Jana Kovačič", "Janez Kovač", "Jan Novak-Kos"]),
        ("no", ["Jan Novak-Kos", "Marija Novak"]),
        ("kos", ["Jan Novak-Kos"]),  # a word after a hyphen is a word too
        ("j kos", ["Jan Novak-Kos"]),  # one letter is enough beside another word
        ("ovak", []),  # words match from their start only
        ("novak kos jan", ["Jan Novak-Kos"]),
        ("kovač-jan", ["Janez Kovač", "Jana Kovačič"]),  # punctuation in the query separates words
        ("o'brien", ["Sean O'Brien"]),
        ("brien", ["Sean O'Brien"]),
        ("zzyzx", []),
    ],
)
def test_every_word_of_a_name_query_starts_a_word_of_the_name(world_db, query, expected) -> None:
    database, world = world_db
    _add(database, world, ("Jana", "Kovačič"), ("Jan", "Novak-Kos"), ("Sean", "O'Brien"))
    kind, names, more = _search(database, query)
    assert kind == "name"
    assert sorted(names) == sorted(expected)
    assert not more


def test_a_page_of_names_is_the_first_matches_by_id_sorted_by_name(world_db) -> None:
    database, world = world_db
    ids = _add(database, world, *[(f"Ana{n:02d}", "Zupan") for n in range(30, 0, -1)])
    kind, names, more = _search(database, "zup ana", limit=5)
    assert kind == "name" and more
    # The five lowest ids (Ana30 … Ana26), sorted by name.
    assert names == [f"Ana{n:02d} Zupan" for n in (26, 27, 28, 29, 30)]
    assert len(ids) == 30
    kind, names, more = _search(database, "zup ana", limit=30)
    assert len(names) == 30 and not more


def test_a_renamed_caller_is_found_by_the_new_name_only(world_db) -> None:
    database, world = world_db
    (caller,) = _add(database, world, ("Mojca", "Gorenc"))
    with database.write() as connection:
        callers.patch(
            connection, support._system_agent(world), caller, CallerPatch(last_name="Dolenc")
        )
    assert _search(database, "dol moj")[1] == ["Mojca Dolenc"]
    assert _search(database, "gor moj")[1] == []


@pytest.mark.parametrize("scan_first", [0, 1, 3])
def test_the_postgresql_index_finds_what_the_scan_in_id_order_finds(
    world_db, monkeypatch, scan_first
) -> None:
    """PostgreSQL reads the first callers in id order, then asks the trigram index for the rest
    (or scans on, for words all shorter than three letters): wherever that boundary falls, the
    page is the same (SQLite ignores the setting)."""
    database, world = world_db
    _add(
        database,
        world,
        ("Jana", "Kovačič"),
        ("Jan", "Novak-Kos"),
        ("Sean", "O'Brien"),
        *[(f"Ana{n:02d}", "Zupan") for n in range(12)],
    )
    queries = ["kov ja", "jan", "no", "kos", "j kos", "ovak", "brien", "zup ana", "a z", "zzyzx"]
    expected = {query: _search(database, query, limit=5) for query in queries}
    monkeypatch.setattr(callers, "PG_SCAN_FIRST", scan_first)
    for query in queries:
        assert _search(database, query, limit=5) == expected[query], query
