"""Migration 0006 on a database with data: ids 64-bit everywhere (PostgreSQL), idempotency keys
per agent, and nothing lost on the way (SQLite rebuilds two tables)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import support
from sqlalchemy import MetaData, create_engine, insert, inspect, select, text, update
from sqlalchemy.exc import IntegrityError

from console.server.db import Database
from console.server.migrate import upgrade
from console.server.schema import bookings, idempotency_keys

NOW = datetime(2026, 11, 30, 9, 0)


def _empty(url: str) -> None:
    """Take the migrated test database back to nothing, so 0005 can be built from scratch."""
    engine = create_engine(Database.open(url).engine.url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def _world_at_0005(database: Database) -> support.World:
    """Two agents, a service, a provider with four slots and a caller, written through the
    tables as migration 0005 left them (the code's schema has moved on since)."""
    tables = MetaData()
    tables.reflect(database.engine)
    t = tables.tables
    world = support.World()
    with database.engine.begin() as connection:

        def add(table: str, **values: object) -> int:
            return connection.execute(
                insert(t[table]).values(**values).returning(t[table].c.id)
            ).scalar_one()

        for key in ("agent", "agent2"):
            world.agents[key] = add(
                "agents", name=f"Test {key}", role="agent", token_hash=f"hash-{key}", created_at=NOW
            )
        world.services["health-gp"] = add(
            "services",
            code="health-gp",
            name="Družinski zdravnik",
            name_en="Family doctor",
            category="health",
            duration_minutes=20,
        )
        location = add(
            "locations",
            code="zd-maribor",
            name="ZD Maribor",
            kind="clinic",
            address="Trg 1",
            postcode="2000",
            town="Maribor",
            municipality="Maribor",
            municipality_folded="maribor",
            region="Podravska",
            opening_hours="{}",
        )
        provider = add(
            "providers",
            code="dr-novak",
            name="Dr. Novak",
            name_folded="dr novak",
            kind="doctor",
            location_id=location,
        )
        for hour in range(4):
            start = NOW + timedelta(days=1, hours=hour)
            world.slots.append(
                add(
                    "slots",
                    provider_id=provider,
                    location_id=location,
                    service_id=world.services["health-gp"],
                    starts_at=start,
                    ends_at=start + timedelta(minutes=20),
                    status="free",
                )
            )
        world.callers["janez"] = add(
            "callers",
            first_name="Janez",
            last_name="Kovač",
            name_folded="kovac janez",
            created_at=NOW,
            updated_at=NOW,
        )
    return world


def _booking(connection, world: support.World, slot: int, key: str, agent: str, **extra) -> int:  # type: ignore[no-untyped-def]
    values = {
        "reference": f"R{slot:06d}{agent[-1]}",
        "slot_id": slot,
        "caller_id": world.callers["janez"],
        "service_id": next(iter(world.services.values())),
        "status": "confirmed",
        "created_at": NOW,
        "created_by": world.agents[agent],
        "idempotency_key": key,
        **extra,
    }
    return connection.execute(insert(bookings).values(**values).returning(bookings.c.id)).scalar()


def test_0006_keeps_every_row_and_scopes_keys_per_agent(database_url_param: str, tmp_path) -> None:
    if database_url_param.startswith("postgresql"):
        _empty(database_url_param)
        url = database_url_param
    else:
        url = str(tmp_path / "old.db")
    database = Database.open(url)
    upgrade(database.engine, "0005")
    world = _world_at_0005(database)
    with database.engine.begin() as connection:
        first = _booking(connection, world, world.slots[0], "key-aaaaaaa", "agent")
        second = _booking(connection, world, world.slots[1], "key-bbbbbbb", "agent", replaces=first)
        connection.execute(
            update(bookings)
            .where(bookings.c.id == first)
            .values(status="rescheduled", superseded_by=second)
        )
        connection.execute(
            insert(idempotency_keys).values(
                key="key-aaaaaaa",
                agent_id=world.agents["agent"],
                endpoint="POST /v1/bookings",
                request_hash="0" * 64,
                status_code=201,
                response="{}",
                created_at=NOW,
            )
        )
    upgrade(database.engine)

    with database.engine.begin() as connection:
        rows = connection.execute(select(bookings).order_by(bookings.c.id)).all()
        assert [(r.id, r.status, r.superseded_by, r.replaces) for r in rows] == [
            (first, "rescheduled", second, None),
            (second, "confirmed", None, first),
        ]
        # Another agent may use the same key, for a booking and in the key table.
        _booking(connection, world, world.slots[2], "key-aaaaaaa", "agent2")
        connection.execute(
            insert(idempotency_keys).values(
                key="key-aaaaaaa",
                agent_id=world.agents["agent2"],
                endpoint="POST /v1/bookings",
                request_hash="1" * 64,
                status_code=201,
                response="{}",
                created_at=NOW + timedelta(seconds=1),
            )
        )
    for clash in ("bookings", "keys"):  # the same agent may not, in either table
        with pytest.raises(IntegrityError), database.engine.begin() as connection:
            if clash == "bookings":
                _booking(connection, world, world.slots[3], "key-aaaaaaa", "agent")
            else:
                connection.execute(
                    insert(idempotency_keys).values(
                        key="key-aaaaaaa",
                        agent_id=world.agents["agent"],
                        endpoint="POST /v1/holds",
                        request_hash="2" * 64,
                        status_code=201,
                        response="{}",
                        created_at=NOW,
                    )
                )
    # The active-slot index is still partial and unique: a second active booking of a slot fails.
    with pytest.raises(IntegrityError), database.engine.begin() as connection:
        _booking(connection, world, world.slots[1], "key-ccccccc", "agent")

    indexes = {ix["name"]: ix for ix in inspect(database.engine).get_indexes("bookings")}
    assert indexes["uq_bookings_active_slot"]["unique"]
    if database.engine.dialect.name == "sqlite":
        with database.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_key_check").all() == []
            assert connection.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    database.dispose()


def test_every_id_is_64_bit(database_url_param: str) -> None:
    """PostgreSQL: no id, and no column that refers to one, is a 32-bit integer, nor any
    sequence; SQLite: every ``id`` is the rowid (64-bit)."""
    database = Database.open(database_url_param)
    with database.read() as connection:
        if database.engine.dialect.name == "sqlite":
            narrow = []
            for table in inspect(connection).get_table_names():
                for column in inspect(connection).get_columns(table):
                    if column["name"] == "id" and str(column["type"]) != "INTEGER":
                        narrow.append(f"{table}.id")
            sequences: list[str] = []
        else:
            narrow = list(
                connection.execute(
                    text(
                        "SELECT table_name || '.' || column_name FROM information_schema.columns "
                        "WHERE table_schema = 'public' AND data_type = 'integer' "
                        "AND (column_name = 'id' OR column_name LIKE '%\\_id' OR column_name "
                        "IN ('created_by', 'closed_by', 'superseded_by', 'replaces'))"
                    )
                ).scalars()
            )
            sequences = list(
                connection.execute(
                    text(
                        "SELECT sequencename FROM pg_sequences WHERE data_type <> 'bigint'::regtype"
                    )
                ).scalars()
            )
    database.dispose()
    assert narrow == []
    assert sequences == []
