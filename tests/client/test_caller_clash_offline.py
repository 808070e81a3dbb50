"""Issue 12, item 2, offline: the desk checks a booking against the caller's cached bookings as
the service would (409 caller_has_booking unless overridden), and a replay the service refuses
with caller_has_booking becomes a sync issue."""

from __future__ import annotations

import pytest

from console.client.api import ApiRefused
from console.desk import Desk
from console.domain.models import Slot


def same_hour_pair(offered: list[Slot]) -> tuple[Slot, Slot]:
    """Two free slots at one time at two counters."""
    by_start: dict = {}
    for slot in offered:
        by_start.setdefault(slot.starts_at, []).append(slot)
    return next((pair[0], pair[1]) for pair in by_start.values() if len(pair) > 1)


async def test_offline_the_cache_refuses_an_overlapping_booking_unless_overridden(rig) -> None:  # type: ignore[no-untyped-def]
    store = rig.store()
    assert await store.sync_once()
    desk = Desk(store)
    await desk.connect()
    await desk.ensure_call()
    await desk.open_caller(rig.world.callers["janez"])
    rig.central.stop()
    first, second = same_hour_pair(await desk.find_slots(rig.world.services["ue-id-card"]))
    await desk.hold_slot(first.id)
    made = await desk.confirm()
    assert made.reference.startswith("P-")

    found = await desk.clashes_for(second)
    assert [b.reference for b in found.overlapping] == [made.reference]
    assert found.needs_override and not found.refused
    await desk.hold_slot(second.id)
    with pytest.raises(ApiRefused) as refused:
        await desk.confirm()
    assert (refused.value.status, refused.value.error) == (409, "caller_has_booking")
    await desk.hold_slot(second.id, allow_overlap=True)
    both = await desk.confirm()
    assert both.reference.startswith("P-")
    assert store.outbox_size() == 2

    rig.central.start()
    assert await store.sync_once()
    assert store.outbox_size() == 0 and store.conflicts() == []  # the override went along


async def test_a_replay_refused_with_caller_has_booking_becomes_a_sync_issue(rig) -> None:  # type: ignore[no-untyped-def]
    store = rig.store()
    assert await store.sync_once()
    desk = Desk(store)
    await desk.connect()
    janez = rig.world.callers["janez"]
    await desk.ensure_call()
    await desk.open_caller(janez)
    rig.central.stop()
    mine, theirs = same_hour_pair(await desk.find_slots(rig.world.services["ue-id-card"]))
    await desk.hold_slot(mine.id)
    await desk.confirm()
    rig.central.start()
    with rig.other_agent() as other:  # meanwhile another desk booked the caller at that hour
        answer = other.post("/v1/bookings", json={"caller_id": janez, "slot_id": theirs.id})
        assert answer.status_code == 201, answer.text

    assert await store.sync_once()
    issues = store.conflicts()
    assert [(i.kind, i.action, i.error) for i in issues] == [
        ("refused", "book", "caller_has_booking")
    ]
    assert issues[0].caller_id == janez and issues[0].slot.id == mine.id
