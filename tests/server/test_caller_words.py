"""The name search's word index: on PostgreSQL ``caller_words`` stays in step with the
callers (create, rename, delete, seed), and on both engines the index answers exactly what
testing every caller's name would."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date

import pytest
import support
from sqlalchemy import delete, select

from console.domain.models import CallerIn, CallerPatch
from console.domain.query import MIN_QUERY_LENGTH
from console.server import callers
from console.server.agents import create_agent
from console.server.db import Database
from console.server.schema import callers as callers_table
from console.server.seed import seed


@pytest.fixture
def database(database_url_param: str) -> Iterator[Database]:
    database = Database.open(database_url_param)
    yield database
    database.dispose()


def _words_index(database: Database) -> set[tuple[str, int]]:
    with database.read() as connection:
        rows = connection.exec_driver_sql("SELECT word, caller_id FROM caller_words").all()
    return {(word, caller_id) for word, caller_id in rows}


def _words_of_names(database: Database) -> set[tuple[str, int]]:
    with database.read() as connection:
        rows = connection.execute(select(callers_table.c.id, callers_table.c.name_folded)).all()
    return {(word, row.id) for row in rows for word in callers._WORD.findall(row.name_folded)}


def _dictionary(database: Database) -> set[str]:
    with database.read() as connection:
        return set(connection.exec_driver_sql("SELECT word FROM caller_word_list").scalars())


@pytest.mark.parametrize("database_url_param", ["postgres"], indirect=True)
def test_the_words_index_follows_creates_renames_and_deletes(database: Database) -> None:
    world = support.build_world(database)
    agent = support._system_agent(world)
    with database.write() as connection:
        first = callers.create(connection, agent, CallerIn(first_name="Jan", last_name="Novak-Kos"))
        second = callers.create(connection, agent, CallerIn(first_name="Ana", last_name="Ana"))
    assert _words_index(database) == _words_of_names(database)
    assert {("novak", first), ("kos", first), ("jan", first), ("ana", second)} <= _words_index(
        database
    )
    with database.write() as connection:
        callers.patch(connection, agent, first, CallerPatch(last_name="O'Brien"))
        callers.patch(connection, agent, second, CallerPatch(first_name="Ana"))  # no change
    index = _words_index(database)
    assert index == _words_of_names(database)
    assert ("brien", first) in index and ("novak", first) not in index
    assert {"novak", "kos", "brien", "o"} <= _dictionary(database)
    with database.write() as connection:
        connection.execute(delete(callers_table).where(callers_table.c.id == first))
    index = _words_index(database)
    assert index == _words_of_names(database)
    assert not any(caller_id == first for _, caller_id in index)
    with database.read() as connection:
        assert callers._search_names(connection, "bri", 5) == []
        assert callers._search_names(connection, "ana", 5) == [second]


def _plain_scan(names: list[tuple[int, str]], query: str, limit: int) -> list[int]:
    """What the name search means, testing each name in id order."""
    words = callers._WORD.findall(query)[:4]
    if sum(len(word) for word in words) < MIN_QUERY_LENGTH:
        return []
    found = []
    for caller_id, name in names:
        name_words = callers._WORD.findall(name)
        if all(any(w.startswith(q) for w in name_words) for q in words):
            found.append(caller_id)
            if len(found) == limit:
                break
    return found


def _queries(names: list[tuple[int, str]], rng: random.Random, count: int) -> list[str]:
    queries = ["no", "qx", "zz qx", "a b", "j k", "novak", "ja no"]
    # One-letter words beside longer ones (SQLite tests them on the names FTS5 found): after
    # a hyphen or an apostrophe, the same word as the longer one, a letter nobody's word has.
    queries += ["novak k", "o brien", "brien o", "kos j", "zupan n", "novak n", "q novak", "a ani"]
    for _ in range(count):
        words = callers._WORD.findall(rng.choice(names)[1])
        picked = rng.sample(words, min(len(words), rng.choice((1, 2, 2, 3))))
        query = " ".join(word[: rng.randint(1, 6)] for word in picked)
        if rng.random() < 0.2:  # a word of someone else
            other = callers._WORD.findall(rng.choice(names)[1])
            query += " " + rng.choice(other)[: rng.randint(1, 4)]
        queries.append(query)
    return queries


@pytest.mark.parametrize("expansion", [64, 1])
def test_the_name_index_answers_what_testing_every_name_answers(
    database: Database, monkeypatch, expansion
) -> None:
    """A few thousand seeded callers (the index built by the seed's bulk load, then callers
    added and renamed row by row), random queries: the index's first matches by id are the
    plain scan's, however few dictionary words a query word may expand to (PostgreSQL)."""
    seed(database, callers=3_000, days=1, start=date(2026, 12, 22))
    with database.write() as connection:
        agent, _ = create_agent(connection, "words test", "agent")
        for first, last in [("Jan", "Novak-Kos"), ("Sean", "O'Brien"), ("Ana", "Ana Anić")]:
            callers.create(connection, agent, CallerIn(first_name=first, last_name=last))
        for caller_id in (1, 2, 3):
            callers.patch(connection, agent, caller_id, CallerPatch(last_name="Novak Zupan"))
    with database.read() as connection:
        rows = connection.execute(
            select(callers_table.c.id, callers_table.c.name_folded).order_by(callers_table.c.id)
        ).all()
    names = [(row.id, row.name_folded) for row in rows]
    monkeypatch.setattr(callers, "PG_MAX_EXPANSION", expansion)
    rng = random.Random(6)
    with database.read() as connection:
        for query in _queries(names, rng, 150):
            assert callers._search_names(connection, query, 21) == _plain_scan(names, query, 21), (
                query
            )
