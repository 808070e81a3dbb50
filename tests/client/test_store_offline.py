"""The Store against the real central service under uvicorn, stopped and started mid-test:
failover, offline work from the cache, replay exactly once, conflicts, provisional callers."""

from __future__ import annotations

import asyncio
import random
import socket
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
import support
from sqlalchemy import func, select

from console.client.api import CentralApi, Unreachable
from console.client.cache import LocalCache, ProvisionalBooking
from console.client.store import Store
from console.client.sync_cli import sync_now, sync_status
from console.config import Config, ServerSection
from console.desk import Desk
from console.domain.emso import generate_emso
from console.domain.models import CallerIn, CallerPatch, WrapUpIn
from console.server.schema import bookings, callers, calls, changes, slots


async def until(predicate: Callable[[], bool], timeout: float = 15.0) -> float:
    """Wait for ``predicate``; returns how long it took."""
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > timeout:
            raise AssertionError("timed out waiting")
        await asyncio.sleep(0.02)
    return time.monotonic() - started


async def test_an_offline_call_is_served_from_the_cache_and_replayed_exactly_once(rig) -> None:  # type: ignore[no-untyped-def]
    store = rig.store()
    states: list[str] = []
    store.on_state_change = states.append
    assert await store.sync_once()
    desk = Desk(store)
    await desk.connect()
    janez = rig.world.callers["janez"]
    await desk.ensure_call()
    await desk.open_caller(janez)
    service = rig.world.services["ue-id-card"]

    rig.central.stop()
    started = time.monotonic()
    found = await desk.search("kovac")
    assert time.monotonic() - started < 3  # a refused connection fails over at once
    assert store.state == "offline" and "offline" in states
    assert found.from_cache and [c.id for c in found.callers] == [janez]
    offered = await desk.find_slots(service)
    assert offered and all(s.service_id == service for s in offered)
    hold = await desk.hold_slot(offered[0].id)
    assert hold.id < 0  # held on this desk only
    booking = await desk.confirm("booked during the outage")
    assert isinstance(booking, ProvisionalBooking) and booking.provisional
    assert booking.reference.startswith("P-") and store.is_provisional(booking.reference)
    assert offered[0].id not in [s.id for s in await desk.find_slots(service)]
    assert [b.reference for b in await desk.bookings()] == [booking.reference]
    call_id = desk.call.id
    await desk.wrap_up("booked", "offline wrap-up")
    assert store.outbox_size() == 2
    key = store.outbox.pending()[0].idempotency_key

    rig.central.start()
    assert await store.sync_once()
    assert store.state == "online" and store.outbox_size() == 0
    assert states[-1] == "online" and "syncing" in states
    reference = store.resolve_reference(booking.reference)
    assert reference and not reference.startswith("P-")
    with rig.database.read() as connection:
        made = connection.execute(select(bookings).where(bookings.c.caller_id == janez)).all()
        call = connection.execute(select(calls).where(calls.c.id == call_id)).one()
    assert [(b.reference, b.slot_id, b.idempotency_key) for b in made] == [
        (reference, offered[0].id, key)
    ]
    assert call.disposition == "booked" and call.notes == "offline wrap-up"
    assert made[0].call_id == call_id
    # The cache now has the real booking, and a second replay has nothing to send.
    assert [b.reference for b in await store.bookings(janez)] == [reference]
    assert (await store.replay()).sent == 0
    assert rig.count(select(func.count()).select_from(bookings)) == 1


async def test_a_provisional_caller_is_merged_by_emso_and_a_new_one_created(rig) -> None:  # type: ignore[no-untyped-def]
    store = rig.store()
    assert await store.sync_once()
    desk = Desk(store)
    await desk.connect()
    rig.central.stop()

    call = await desk.ensure_call()
    assert call.id < 0 and store.state == "offline"
    twin = await desk.create_caller(
        CallerIn(
            first_name="Janez", last_name="Kovač", emso="0101990500003", phones=["041 999 888"]
        )
    )
    assert twin.id < 0 and desk.call.caller_id == twin.id
    slot = (await desk.find_slots(rig.world.services["ue-id-card"]))[0]
    await desk.hold_slot(slot.id)
    booking = await desk.confirm()
    follow_up = datetime.now(UTC) + timedelta(days=1)
    await desk.wrap_up("booked", "offline", follow_up_at=follow_up, follow_up_note="remind")
    first_call = call.id

    second = await desk.ensure_call()
    emso = generate_emso(date(1985, 3, 4), "F", random.Random(7))
    newcomer = await desk.create_caller(
        CallerIn(first_name="Nika", last_name="Zupan", emso=emso, phones=["031 222 333"])
    )
    await desk.wrap_up("information", "asked about documents")
    assert store.outbox_size() == 9  # 2 calls, 2 callers, 2 attaches, a booking, 2 wrap-ups
    rig.central.start()
    replayed_at = datetime.now(UTC)
    assert await store.sync_once()
    assert store.outbox_size() == 0 and store.conflicts() == []

    janez = rig.world.callers["janez"]
    assert store.real_id("caller", twin.id) == janez
    created = store.real_id("caller", newcomer.id)
    assert created is not None and created != janez
    assert rig.count(select(func.count()).where(callers.c.emso == "0101990500003")) == 1
    assert rig.count(select(func.count()).where(callers.c.emso == emso)) == 1
    matched = store.outbox.find("create_caller", local_id=twin.id)[0]
    assert matched.result == {"caller_id": janez, "matched_on": "emso"}
    with rig.database.read() as connection:
        made = connection.execute(select(bookings).where(bookings.c.caller_id == janez)).one()
        first = connection.execute(
            select(calls).where(calls.c.id == store.real_id("call", first_call))
        ).one()
        later = connection.execute(
            select(calls).where(calls.c.id == store.real_id("call", second.id))
        ).one()
    assert made.reference == store.resolve_reference(booking.reference)
    assert made.slot_id == slot.id and made.call_id == first.id
    assert first.caller_id == janez and first.disposition == "booked"
    # The call keeps its own times (when it began and ended on the desk), not the replay's.
    assert first.notes == "offline"
    assert first.started_at.replace(tzinfo=UTC) == call.started_at
    assert first.ended_at.replace(tzinfo=UTC) <= replayed_at
    assert first.ended_at.replace(tzinfo=UTC) >= call.started_at
    assert first.follow_up_note == "remind"
    assert abs((first.follow_up_at.replace(tzinfo=UTC) - follow_up).total_seconds()) < 1
    assert later.caller_id == created and later.disposition == "information"
    # The cache swapped the provisional caller for the real one.
    assert (await store.caller(twin.id)).id == janez


async def test_a_slot_taken_meanwhile_becomes_an_issue_the_agent_resolves(rig) -> None:  # type: ignore[no-untyped-def]
    store = rig.store()
    assert await store.sync_once()
    desk = Desk(store)
    await desk.connect()
    spela = rig.world.callers["spela"]
    await desk.open_caller(spela)
    service = rig.world.services["ue-id-card"]
    rig.central.stop()

    taken = support.at_distinct_times(await desk.find_slots(service))[:2]  # one caller
    for slot in taken:
        await desk.hold_slot(slot.id)
        await desk.confirm()
    assert store.outbox_size() == 2
    rig.central.start()
    with rig.other_agent() as other:  # while this desk was away, another agent took both
        for slot in taken:
            answer = other.post(
                "/v1/bookings", json={"caller_id": rig.world.callers["marija"], "slot_id": slot.id}
            )
            assert answer.status_code == 201, answer.text

    assert await store.sync_once()
    issues = store.conflicts()
    assert [(i.kind, i.action, i.slot.id) for i in issues] == [
        ("slot_taken", "book", taken[0].id),
        ("slot_taken", "book", taken[1].id),
    ]
    first = issues[0]
    assert first.caller_name == "Špela Česnik" and first.caller_phone == "+38631555111"
    assert first.caller_id == spela and first.reference.startswith("P-")
    assert first.nearest and not {s.id for s in first.nearest} & {s.id for s in taken}
    gaps = [abs((s.starts_at - first.slot.starts_at).total_seconds()) for s in first.nearest]
    assert gaps == sorted(gaps)  # the nearest first (same location: all are here)
    assert [b.reference for b in await store.bookings(spela)] == []  # nothing was confirmed

    rebooked = await desk.rebook(first, first.nearest[0].id)
    assert not store.is_provisional(rebooked.reference)
    assert rebooked.slot.id == first.nearest[0].id and rebooked.caller_id == spela
    # The follow-up is a callback in the queue, kept for this agent, from the sync issue.
    callback = await desk.to_follow_up(issues[1], "Offer another time")
    assert callback.source == "sync_issue" and callback.number == "+38631555111"
    assert callback.note.startswith("Offer another time") and callback.caller_id == spela
    assert callback.assigned_to == rig.world.agents["agent"] and callback.status == "open"
    assert store.conflicts() == []
    assert (
        rig.count(
            select(func.count()).where(
                bookings.c.caller_id == spela, bookings.c.status == "confirmed"
            )
        )
        == 1
    )
    assert store.outbox.counts()["conflict"] == 2


async def test_the_sync_loop_fails_over_and_comes_back_by_itself(rig) -> None:  # type: ignore[no-untyped-def]
    store = rig.store()
    loop = asyncio.create_task(store.run(interval=0.2))
    try:
        await until(lambda: store.last_sync is not None)
        assert store.cache.slot_count() == len(rig.world.slots)
        # Another agent books a slot: the feed takes it out of this desk's window.
        service = rig.world.services["ue-id-card"]
        window = [s.id for s in store.cache.free_slots(service, limit=100)]
        with rig.other_agent() as other:
            booked = other.post(
                "/v1/bookings", json={"caller_id": rig.world.callers["janez"], "slot_id": window[0]}
            ).json()
            seq = rig.count(select(func.max(changes.c.seq)))
            await until(lambda: (store.cache.last_seq or 0) >= seq)
            assert window[0] not in [s.id for s in store.cache.free_slots(service, limit=100)]
            other.post(f"/v1/bookings/{booked['reference']}/cancel", json={})
            seq = rig.count(select(func.max(changes.c.seq)))
            await until(lambda: (store.cache.last_seq or 0) >= seq)
            assert window[0] in [s.id for s in store.cache.free_slots(service, limit=100)]

        rig.central.stop()
        took = await until(lambda: store.state == "offline")
        assert took < 3
        rig.central.start()
        took = await until(lambda: store.state == "online", timeout=20)
        assert took < 10  # probes after 1, 2, 4 s
    finally:
        loop.cancel()
        with pytest.raises(asyncio.CancelledError):
            await loop


async def test_the_sync_loop_calls_back_once_after_its_first_round(rig) -> None:  # type: ignore[no-untyped-def]
    store = rig.store()
    synced_then: list[bool] = []
    loop = asyncio.create_task(
        store.run(
            interval=0.05, after_first_round=lambda: synced_then.append(store.last_sync is not None)
        )
    )
    try:
        await until(lambda: bool(synced_then))
        first_sync = store.last_sync
        await until(lambda: store.last_sync != first_sync)  # more rounds ...
        assert synced_then == [True]  # ... one call, after the first had synced
    finally:
        loop.cancel()
        with pytest.raises(asyncio.CancelledError):
            await loop


async def test_a_restart_resumes_the_feed_and_keeps_the_cache(rig) -> None:  # type: ignore[no-untyped-def]
    store = rig.store()
    assert await store.sync_once()
    desk = Desk(store)
    await desk.connect()
    await desk.open_caller(rig.world.callers["marija"])
    cursor = store.cache.last_seq
    await store.aclose()
    rig.stores.remove(store)
    rig.central.stop()

    again = rig.store()
    assert again.cache.last_seq == cursor
    desk = Desk(again)
    agent = await desk.connect()  # the central service is down: all from the cache
    assert again.state == "offline" and agent.name == "Test agent"
    assert [s.code for s in desk.services] == ["ue-id-card", "health-gp"]
    card = await desk.open_caller(rig.world.callers["marija"])
    assert card.caller.last_name == "Novak"
    assert (await desk.search("987654321")).callers[0].id == rig.world.callers["marija"]
    unknown = rig.world.callers["janez"]
    with pytest.raises(Unreachable, match="not in this desk's local cache"):
        await desk.open_caller(unknown)


async def test_a_service_that_stops_answering_times_out_into_offline(rig) -> None:  # type: ignore[no-untyped-def]
    warm = rig.store()
    assert await warm.sync_once()
    with socket.socket() as silent:  # accepts connections (the kernel does), never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        api = CentralApi(
            f"http://127.0.0.1:{silent.getsockname()[1]}", support.TOKENS["agent"], timeout=0.5
        )
        store = Store(api, LocalCache(rig.cache_file))
        rig.stores.append(store)
        desk = Desk(store)
        started = time.monotonic()
        agent = await desk.connect()
        took = time.monotonic() - started
    assert store.state == "offline" and took < 2
    assert store.last_error == "The central service did not answer in time."
    assert agent.name == "Test agent" and desk.dispositions


async def test_the_sync_command_shows_the_outbox_and_replays_it(rig, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    config = Config(
        server=ServerSection(url=rig.central.url, token=support.TOKENS["agent"], timeout_seconds=2),
        data_dir=str(tmp_path / "cli-data"),
    )
    store = Store.open(
        CentralApi(rig.central.url, support.TOKENS["agent"], timeout=5.0), config.data_path
    )
    rig.stores.append(store)
    assert await store.sync_once()
    desk = Desk(store)
    await desk.connect()
    await desk.open_caller(rig.world.callers["marija"])
    rig.central.stop()
    await desk.hold_slot((await desk.find_slots(rig.world.services["health-gp"]))[0].id)
    booking = await desk.confirm()
    capsys.readouterr()

    assert sync_status(config) == 0
    shown = capsys.readouterr().out
    assert "1 queued, 0 sent" in shown and booking.reference in shown
    assert "Marija Novak" in shown

    assert await asyncio.to_thread(sync_now, config) == 1
    failed = capsys.readouterr()
    assert "cannot reach the central service" in failed.err and "stay queued" in failed.err

    rig.central.start()
    assert await asyncio.to_thread(sync_now, config) == 0
    done = capsys.readouterr()
    assert "Sent 1 queued write(s)" in done.out and "1 done" in done.out
    assert sync_status(config) == 0
    assert "0 queued, 1 sent" in capsys.readouterr().out
    assert store.resolve_reference(booking.reference) is not None


async def test_reschedules_cancellations_and_refusals_replay_in_order(rig) -> None:  # type: ignore[no-untyped-def]
    store = rig.store()
    assert await store.sync_once()
    janez = rig.world.callers["janez"]
    await store.caller(janez)
    page = await store.slots(rig.world.services["ue-id-card"], limit=20)
    free = [s.id for s in support.at_distinct_times(page.slots)]  # one caller: not two at a time
    a, b, c, d, e, f = free[:6]
    online = await store.book(janez, slot_id=a)
    rig.central.stop()

    moved = await store.reschedule(online.reference, slot_id=b)
    assert moved.reference.startswith("P-") and moved.replaces == online.reference
    assert (await store.booking(online.reference)).status.value == "rescheduled"
    kept = await store.book(janez, slot_id=c)
    dropped = await store.book(janez, slot_id=d)
    await store.cancel(dropped.reference, "changed her mind")
    lost = await store.book(janez, slot_id=e)
    await store.reschedule(lost.reference, slot_id=f)
    await store.update_caller(janez, CallerPatch(notes="prefers mornings"))
    call = await store.start_call(janez)
    await store.wrap_up(call.id, WrapUpIn(disposition="no-such-code"))
    assert store.outbox_size() == 9

    rig.central.start()
    with rig.other_agent() as other:
        for slot_id in (d, e):
            taken = other.post(
                "/v1/bookings", json={"caller_id": rig.world.callers["marija"], "slot_id": slot_id}
            )
            assert taken.status_code == 201
    assert await store.sync_once()
    assert store.outbox_size() == 0

    issues = {(i.kind, i.action) for i in store.conflicts()}
    assert issues == {("slot_taken", "book"), ("blocked", "reschedule"), ("refused", "wrap_up")}
    refused = next(i for i in store.conflicts() if i.kind == "refused")
    assert "no-such-code" in refused.message
    cancel = store.outbox.find("cancel", reference=dropped.reference)[0]
    assert cancel.state == "done" and "never confirmed" in cancel.result["skipped"]
    with rig.database.read() as connection:
        rows = {
            row.slot_id: row
            for row in connection.execute(select(bookings).where(bookings.c.caller_id == janez))
        }
        notes = connection.execute(select(callers.c.notes).where(callers.c.id == janez)).scalar()
    assert set(rows) == {a, b, c}
    assert rows[a].status == "rescheduled" and rows[b].status == "confirmed"
    assert rows[b].reference == store.resolve_reference(moved.reference)
    assert rows[c].reference == store.resolve_reference(kept.reference)
    assert notes == "prefers mornings"
    # The issues never went away silently, and the cache shows what really happened.
    shown = {x.slot.id: x.status.value for x in await store.bookings(janez)}
    assert shown == {a: "rescheduled", b: "confirmed", c: "confirmed"}


async def test_the_slot_window_keeps_only_the_earliest_slots_of_each_service(rig) -> None:  # type: ignore[no-untyped-def]
    """A national dataset has about a million free slots; the desk keeps the earliest few of
    each service, not a mirror of them all."""
    store = rig.store(window_slots=4)
    assert await store.sync_once()
    with rig.database.read() as connection:
        per_service = dict(
            connection.execute(
                select(slots.c.service_id, func.count())
                .where(slots.c.status == "free")
                .group_by(slots.c.service_id)
            ).all()
        )
    assert max(per_service.values()) > 4  # the rig has more than that to offer
    for service_id, free in per_service.items():
        kept = store.cache.free_slots(service_id, limit=1000)
        assert len(kept) == min(free, 4)
        with rig.database.read() as connection:
            earliest = connection.execute(
                select(slots.c.id)
                .where(slots.c.service_id == service_id, slots.c.status == "free")
                .order_by(slots.c.starts_at, slots.c.id)
                .limit(4)
            ).scalars()
            assert {s.id for s in kept} == set(earliest)
