"""Messages to callers on the desk's side, against the real central service under uvicorn:
the caller's channel and consent changed online and offline (checked as the service checks
them), ``notify`` passed through bookings, cancellations and reschedules and sent again by the
replay, a booking's messages switched off (at once, or queued behind a provisional booking),
and rows queued by a desk that knew nothing of messages still replaying."""

from __future__ import annotations

import pytest
import support
from sqlalchemy import select, update

from console.client.api import ApiRefused
from console.domain.models import CallerIn, CallerPatch, MessageChannel, MessageStatus
from console.server.schema import bookings, callers, messages

CONSENT = CallerPatch(
    email="janez.kovac@example.si", message_channel=MessageChannel.EMAIL, message_consent=True
)


def messages_of(rig, reference: str) -> list:  # type: ignore[no-untyped-def]
    """The messages the service holds for one booking: (kind, status, reason), oldest first."""
    with rig.database.read() as connection:
        booking_id = connection.execute(
            select(bookings.c.id).where(bookings.c.reference == reference)
        ).scalar_one()
        rows = connection.execute(
            select(messages.c.kind, messages.c.status, messages.c.reason)
            .where(messages.c.booking_id == booking_id)
            .order_by(messages.c.id)
        ).all()
    return [tuple(row) for row in rows]


async def test_consent_changed_offline_is_queued_shown_and_replayed(rig) -> None:  # type: ignore[no-untyped-def]
    store = rig.store(timeout=5.0)  # the first sync reads everything: 2 s was short in CI
    assert await store.sync_once(), store.last_error
    janez = rig.world.callers["janez"]
    before = await store.caller(janez)
    assert before.message_consent is False and before.message_address is None
    rig.central.stop()

    changed = await store.update_caller(janez, CONSENT)
    assert store.state == "offline" and store.outbox_size() == 1
    assert changed.message_channel is MessageChannel.EMAIL and changed.message_consent
    assert changed.message_address == "janez.kovac@example.si"
    assert changed.message_consent_at is not None
    assert (await store.caller(janez)).message_address == "janez.kovac@example.si"
    row = store.outbox.pending()[0]
    assert row.kind == "update_caller"
    assert row.payload["patch"] == {
        "email": "janez.kovac@example.si",
        "message_channel": "email",
        "message_consent": True,
    }

    rig.central.start()
    assert await store.sync_once()
    assert store.outbox_size() == 0 and store.conflicts() == []
    with rig.database.read() as connection:
        stored = connection.execute(select(callers).where(callers.c.id == janez)).one()
    assert (stored.message_channel, stored.message_consent) == ("email", True)
    assert stored.message_consent_at is not None
    assert (await store.caller(janez)).message_address == "janez.kovac@example.si"


async def test_a_channel_without_its_address_is_refused_offline_as_online(rig) -> None:  # type: ignore[no-untyped-def]
    store = rig.store()
    assert await store.sync_once()
    marija = rig.world.callers["marija"]  # a landline only, no e-mail
    await store.caller(marija)
    with pytest.raises(ApiRefused) as online:
        await store.update_caller(marija, CallerPatch(message_channel=MessageChannel.SMS))
    assert (online.value.status, online.value.field) == (422, "message_channel")
    rig.central.stop()

    for patch in (
        CallerPatch(message_channel=MessageChannel.SMS, message_consent=True),
        CallerPatch(message_channel=MessageChannel.EMAIL),
    ):
        with pytest.raises(ApiRefused) as offline:
            await store.update_caller(marija, patch)
        assert (offline.value.status, offline.value.field) == (422, "message_channel")
    with pytest.raises(ApiRefused) as new:
        await store.create_caller(
            CallerIn(first_name="Zala", last_name="Izpad", message_channel=MessageChannel.EMAIL)
        )
    assert (new.value.status, new.value.field) == (422, "message_channel")
    assert "e-mail address" in new.value.message
    assert store.outbox_size() == 0  # nothing queued that the service would refuse

    created = await store.create_caller(
        CallerIn(
            first_name="Zala",
            last_name="Izpad",
            phones=["041 555 123"],
            message_channel=MessageChannel.SMS,
            message_consent=True,
        )
    )
    assert created.id < 0 and created.message_address == "+38641555123"
    rig.central.start()
    assert await store.sync_once()
    real = store.real_id("caller", created.id)
    with rig.database.read() as connection:
        stored = connection.execute(select(callers).where(callers.c.id == real)).one()
    assert (stored.message_channel, stored.message_consent) == ("sms", True)


async def test_offline_writes_pass_notify_and_the_replay_sends_it(rig) -> None:  # type: ignore[no-untyped-def]
    store = rig.store()
    assert await store.sync_once()
    janez = rig.world.callers["janez"]
    await store.update_caller(janez, CONSENT)
    found = (await store.slots(rig.world.services["ue-id-card"], limit=20)).slots
    free = [s.id for s in support.at_distinct_times(found)]  # one caller: distinct times
    cancelled_quietly = await store.book(janez, slot_id=free[0])
    moved_quietly = await store.book(janez, slot_id=free[1])
    assert [m.kind for m in cancelled_quietly.messages][:1] == ["booked"]
    rig.central.stop()

    quiet = await store.book(janez, slot_id=free[2], notify=False)
    told = await store.book(janez, slot_id=free[3])
    await store.cancel(cancelled_quietly.reference, "", notify=False)
    moved = await store.reschedule(moved_quietly.reference, slot_id=free[4], notify=False)
    kinds = [(row.kind, row.payload.get("notify")) for row in store.outbox.pending()]
    assert kinds == [("book", False), ("book", True), ("cancel", False), ("reschedule", False)]
    assert quiet.messages == [] and told.messages == []  # provisional: nothing queued yet

    rig.central.start()
    assert await store.sync_once()
    assert store.outbox_size() == 0 and store.conflicts() == []
    assert messages_of(rig, store.resolve_reference(quiet.reference)) == []
    assert [kind for kind, *_ in messages_of(rig, store.resolve_reference(told.reference))][:1] == [
        "booked"
    ]
    # The cancel and the move sent nothing new; the old bookings' waiting messages are moot.
    for reference in (cancelled_quietly.reference, moved_quietly.reference):
        found = messages_of(rig, reference)
        assert found and all(status == "cancelled" for _, status, _ in found)
        assert "cancelled" not in [kind for kind, _, _ in found]
    assert messages_of(rig, store.resolve_reference(moved.reference)) == []


async def test_a_bookings_messages_are_switched_off_at_once_or_after_a_provisional_booking(
    rig,  # type: ignore[no-untyped-def]
) -> None:
    store = rig.store()
    assert await store.sync_once()
    janez = rig.world.callers["janez"]
    await store.update_caller(janez, CONSENT)
    found = (await store.slots(rig.world.services["ue-id-card"], limit=20)).slots
    free = [s.id for s in support.at_distinct_times(found)]  # one caller: distinct times
    online = await store.book(janez, slot_id=free[0])
    assert online.messages and all(m.status is MessageStatus.QUEUED for m in online.messages)
    answer = await store.withdraw_messages(online.reference)
    assert [m.status for m in answer] == [MessageStatus.CANCELLED] * len(online.messages)
    assert all(status == "cancelled" for _, status, _ in messages_of(rig, online.reference))
    cached = await store.booking(online.reference)
    assert [m.status for m in cached.messages] == [m.status for m in answer]

    rig.central.stop()
    provisional = await store.book(janez, slot_id=free[1])
    assert await store.withdraw_messages(provisional.reference) == []
    assert [row.kind for row in store.outbox.pending()] == ["book", "withdraw_messages"]
    rig.central.start()
    assert await store.sync_once()
    assert store.outbox_size() == 0 and store.conflicts() == []
    real = store.resolve_reference(provisional.reference)
    found = messages_of(rig, real)
    assert found and all(
        (status, reason) == ("cancelled", "Switched off by the agent.")
        for _, status, reason in found
    )
    withdraw = store.outbox.find("withdraw_messages", reference=provisional.reference)[0]
    assert withdraw.result == {"reference": real, "withdrawn": len(found)}


async def test_rows_queued_before_messages_existed_replay_and_notify(rig) -> None:  # type: ignore[no-untyped-def]
    """A desk killed with a booking queued, then upgraded: its row has no ``notify``; it
    replays as it was, and the caller who consented gets the confirmation."""
    store = rig.store()
    assert await store.sync_once()
    janez = rig.world.callers["janez"]
    await store.update_caller(janez, CONSENT)
    slot = (await store.slots(rig.world.services["ue-id-card"], limit=10)).slots[0]
    row = {
        "local_id": -3,
        "reference": "P-K7M4PXR",
        "caller_id": janez,
        "slot_id": slot.id,
        "call_id": None,
        "notes": "",
        "slot": slot.model_dump(mode="json"),
        "caller": {"name": "Janez Kovač", "phone": "+38641234567"},
    }
    store.outbox.append("book", row)
    assert await store.sync_once()
    real = store.resolve_reference("P-K7M4PXR")
    assert real is not None
    assert messages_of(rig, real)[0][0] == "booked"
    with rig.database.write() as connection:  # the confirmation went out: the caller knows
        connection.execute(
            update(messages)
            .where(messages.c.kind == "booked", messages.c.status == "queued")
            .values(status="sent", attempts=1)
        )
    store.outbox.append(
        "cancel", {"reference": "P-K7M4PXR", "reason": "", "call_id": None}
    )  # ... and its cancellation, also from before: no notify, so the caller is told
    assert await store.sync_once()
    kinds = [kind for kind, _, _ in messages_of(rig, real)]
    assert kinds[0] == "booked" and kinds[-1] == "cancelled"


async def test_a_booking_and_its_cancel_replayed_together_send_nothing(rig) -> None:  # type: ignore[no-untyped-def]
    """Booked and cancelled offline, replayed one behind the other: the confirmation had not
    gone out when the cancel reached the service, so the caller, who never heard of the
    booking, gets nothing; the cached booking says why."""
    store = rig.store()
    assert await store.sync_once()
    janez = rig.world.callers["janez"]
    await store.update_caller(janez, CONSENT)
    slot = (await store.slots(rig.world.services["ue-id-card"], limit=10)).slots[0]
    rig.central.stop()
    provisional = await store.book(janez, slot_id=slot.id)
    await store.cancel(provisional.reference, "")
    rig.central.start()
    assert await store.sync_once()
    assert store.outbox_size() == 0 and store.conflicts() == []
    real = store.resolve_reference(provisional.reference)
    untold = "The booking was cancelled before anything about it went out."
    found = messages_of(rig, real)  # the confirmation (and the reminder, when one is due)
    assert found[0][0] == "booked" and "cancelled" not in [kind for kind, _, _ in found]
    assert {(status, reason) for _, status, reason in found} == {("cancelled", untold)}
    cached = await store.booking(real)
    assert {(m.status, m.reason) for m in cached.messages} == {(MessageStatus.CANCELLED, untold)}
