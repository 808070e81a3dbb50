"""Retention of what else grows with time: past free slots, the directory's history of changes
between lists (and the record of list loads) and closed directory reports. Bookings, callers,
calls, wrap-ups and every slot a booking refers to stay. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select

from console import cli
from console.server import clock
from console.server.retention import prune
from console.server.schema import (
    bookings,
    callers,
    calls,
    directory_imports,
    holds,
    provider_history,
    provider_reports,
    slots,
)
from console.server.settings import RetentionSettings

DEFAULTS = RetentionSettings()


def count(api, table, *where) -> int:  # type: ignore[no-untyped-def]
    with api.database.read() as connection:
        query = select(func.count()).select_from(table)
        return connection.execute(query.where(*where) if where else query).scalar_one()


def ids(api, table) -> set[int]:  # type: ignore[no-untyped-def]
    with api.database.read() as connection:
        return set(connection.execute(select(table.c.id)).scalars())


def rows(api, table) -> list[tuple]:  # type: ignore[no-untyped-def]
    with api.database.read() as connection:
        return [tuple(r) for r in connection.execute(select(table).order_by(*table.primary_key))]


def a_later_slot(api, days: int) -> int:  # type: ignore[no-untyped-def]
    """One more free slot, ``days`` after the world's (the newest slot: it is never pruned)."""
    start = clock.now() + timedelta(days=days)
    provider = api.world.providers["dr-novak"]
    with api.database.write() as connection:
        return connection.execute(
            insert(slots)
            .values(
                provider_id=provider,
                location_id=api.world.locations["zd-maribor"],
                service_id=api.world.services["health-gp"],
                starts_at=start,
                ends_at=start + timedelta(minutes=15),
                status="free",
            )
            .returning(slots.c.id)
        ).scalar_one()


def test_past_free_slots_go_and_every_slot_a_booking_or_hold_refers_to_stays(
    api, database_url_param, monkeypatch, capsys
) -> None:
    world = api.world
    booked = api.book(world.slots[0])
    cancelled = api.book(world.slots[1], caller="spela")
    assert api.post(f"/v1/bookings/{cancelled['reference']}/cancel", json={}).status_code == 200
    held = api.hold(world.slots[2])  # the newest hold: it stays, and so does its slot
    far = a_later_slot(api, 200)
    kept = {table.name: rows(api, table) for table in (bookings, callers, calls)}
    all_slots = ids(api, slots)
    referred = {world.slots[0], world.slots[1], world.slots[2]}

    # Within the period (the world's slots ended less than 30 days ago): nothing goes.
    within = prune(api.database, DEFAULTS, now=clock.now() + timedelta(days=20))
    assert within.removed["slots"] == 0 and ids(api, slots) == all_slots

    later = clock.now() + timedelta(days=45)
    real_now = clock.now
    monkeypatch.setattr(clock, "now", lambda: real_now() + timedelta(days=45))
    dry = prune(api.database, DEFAULTS, now=later, dry_run=True)
    gone = all_slots - referred - {far}
    assert dry.removed["slots"] == len(gone) and ids(api, slots) == all_slots

    assert cli.main(["prune", "--db", database_url_param]) == 0
    printed = capsys.readouterr().out
    assert f"{'slots':<18} {len(gone):>10,} removed" in printed
    assert "past free slots 30 days" in printed
    assert ids(api, slots) == referred | {far}
    assert count(api, holds, holds.c.id == held["id"]) == 1
    for table in (bookings, callers, calls):
        assert rows(api, table) == kept[table.name], table.name
    assert api.get(f"/v1/bookings/{booked['reference']}").json()["status"] == "confirmed"
    assert api.get(f"/v1/bookings/{cancelled['reference']}").json()["status"] == "cancelled"
    again = prune(api.database, DEFAULTS, now=later)
    assert again.removed["slots"] == 0


def test_a_free_slot_goes_only_once_it_ended_its_period_ago(api) -> None:
    slot = api.world.slots[0]
    ends = api.world.slot_starts[slot] + timedelta(minutes=15)
    just_before = prune(api.database, DEFAULTS, now=ends + timedelta(days=30, seconds=-1))
    assert slot in ids(api, slots) and just_before.removed["slots"] == 0
    prune(api.database, DEFAULTS, now=ends + timedelta(days=30, seconds=1))
    assert slot not in ids(api, slots)


def directory_past(api) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Three list loads of one list 800, 500 and 10 days ago, each with a change for a doctor,
    and a load of another list 800 days ago; two reports closed long ago and one open."""
    now = clock.now()
    doctor = api.world.providers["dr-novak"]
    other = api.world.providers["counter-1"]
    made: dict[str, int] = {}
    with api.database.write() as connection:
        for name, list_name, days_ago in (
            ("old", "SPLOŠNA DEJAVNOST", 800),
            ("middle", "SPLOŠNA DEJAVNOST", 500),
            ("new", "SPLOŠNA DEJAVNOST", 10),
            ("other_list", "ZOBOZDRAVSTVO", 800),
        ):
            at = now - timedelta(days=days_ago)
            made[name] = connection.execute(
                insert(directory_imports)
                .values(
                    source="zzzs",
                    list_name=list_name,
                    file_name=f"{list_name}.xlsx",
                    list_date=at.date(),
                    imported_at=at,
                    rows=1,
                    changed=1,
                )
                .returning(directory_imports.c.id)
            ).scalar_one()
        for name, provider, load, days_ago in (
            ("change_old", doctor, "old", 800),
            ("change_middle", doctor, "middle", 500),
            ("change_new", doctor, "new", 10),
            ("other_only", other, "other_list", 800),  # that doctor's newest change: stays
        ):
            at = now - timedelta(days=days_ago)
            made[name] = connection.execute(
                insert(provider_history)
                .values(
                    provider_id=provider,
                    at=at,
                    source="zzzs",
                    as_of=at.date(),
                    change="accepts",
                    old_value="DA",
                    new_value="NE",
                    import_id=made[load],
                )
                .returning(provider_history.c.id)
            ).scalar_one()
        for name, status, days_ago in (
            ("closed_old", "closed", 400),
            ("closed_recent", "closed", 100),
            ("open_old", "open", 400),
        ):
            at = now - timedelta(days=days_ago)
            made[name] = connection.execute(
                insert(provider_reports)
                .values(
                    provider_id=doctor,
                    agent_id=api.world.agents["agent"],
                    kind="full",
                    note=name,
                    created_at=at,
                    status=status,
                    closed_at=at + timedelta(days=1) if status == "closed" else None,
                    closed_by=api.world.agents["supervisor"] if status == "closed" else None,
                )
                .returning(provider_reports.c.id)
            ).scalar_one()
    return made


def test_the_directorys_history_loads_and_closed_reports_go_after_their_periods(
    api, database_url_param, capsys
) -> None:
    made = directory_past(api)
    dry = prune(api.database, DEFAULTS, dry_run=True)
    assert dry.removed["provider_history"] == 1  # the 800-day-old change of dr. Novak
    assert dry.removed["provider_reports"] == 1
    assert count(api, provider_history) == 4 and count(api, provider_reports) == 3

    assert cli.main(["prune", "--db", database_url_param]) == 0
    printed = capsys.readouterr().out
    assert f"{'provider_history':<18} {1:>10,} removed" in printed
    assert f"{'directory_imports':<18} {1:>10,} removed" in printed
    assert f"{'provider_reports':<18} {1:>10,} removed" in printed
    # The 500-day-old change is within 730 days; the other doctor's only change is its newest.
    assert ids(api, provider_history) == {
        made["change_middle"],
        made["change_new"],
        made["other_only"],
    }
    # The oldest load went with its change; the other list's load is still referred to (and is
    # its list's newest); the middle one is referred to by a kept change.
    assert ids(api, directory_imports) == {made["middle"], made["new"], made["other_list"]}
    assert ids(api, provider_reports) == {made["closed_recent"], made["open_old"]}
    detail = api.get(f"/v1/directory/{api.world.providers['dr-novak']}")
    assert detail.status_code == 200, detail.text
    assert len(detail.json()["history"]) == 2


def test_each_doctors_newest_change_and_each_lists_newest_load_stay_whatever_their_age(
    api,
) -> None:
    made = directory_past(api)
    report = prune(api.database, DEFAULTS, now=clock.now() + timedelta(days=3000))
    assert report.removed["provider_history"] == 2
    assert ids(api, provider_history) == {made["change_new"], made["other_only"]}
    assert ids(api, directory_imports) == {made["new"], made["other_list"]}
    assert ids(api, provider_reports) == {made["open_old"]}  # an open report always stays


@pytest.mark.parametrize(
    "field", ["past_slots_days", "provider_history_days", "closed_reports_days"]
)
def test_the_periods_are_set_in_config(tmp_path, field) -> None:  # type: ignore[no-untyped-def]
    from console.config import ConfigError, load_config

    config = tmp_path / "config.toml"
    config.write_text(f"[retention]\n{field} = 90\n")
    assert getattr(load_config(config, environ={}).server_settings("x.db").retention, field) == 90
    config.write_text(f"[retention]\n{field} = 0\n")
    with pytest.raises(ConfigError, match=field):
        load_config(config, environ={})
