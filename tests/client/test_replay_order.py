"""The replay sends independent queued writes side by side, and never reorders writes that
depend on each other: a caller created offline before the call that names it, a call before
its booking, a booking before the wrap-up that quotes it, two writes to one caller in the order
they were made, and a cancellation after everything before it and before everything after it.
Against the real central service under uvicorn; every write lands exactly once."""

from __future__ import annotations

import asyncio
import itertools

from sqlalchemy import func, select
from store_rig import Rig

from console.client.outbox import OutboxEntry
from console.client.store import Store
from console.client.writes import replay_keys
from console.domain.models import CallerIn, WrapUpIn
from console.server.schema import bookings, callers, calls


class Recorder:
    """Wraps the replayer's ``send`` (of one row): when each row started and finished being
    sent, and how many were in flight at most. A short pause in each send lets independent rows
    overlap."""

    def __init__(self, store: Store) -> None:
        self.events: list[tuple[str, int]] = []
        self.in_flight = 0
        self.most = 0
        send = store.replayer.send

        async def recorded(entry: OutboxEntry) -> str:
            self.events.append(("start", entry.seq))
            self.in_flight += 1
            self.most = max(self.most, self.in_flight)
            try:
                await asyncio.sleep(0.02)
                return await send(entry)
            finally:
                self.in_flight -= 1
                self.events.append(("end", entry.seq))

        store.replayer.send = recorded  # type: ignore[method-assign]

    def at(self, kind: str, seq: int) -> int:
        return self.events.index((kind, seq))

    def after(self, later: int, earlier: int) -> bool:
        """``later`` was first sent after ``earlier`` had its answer."""
        return self.at("start", later) > self.at("end", earlier)


async def test_independent_writes_overlap_and_dependent_ones_keep_their_order(rig: Rig) -> None:
    store = rig.store(timeout=5.0, replay_concurrency=3)
    assert await store.sync_once()
    janez, marija = rig.world.callers["janez"], rig.world.callers["marija"]
    for caller_id in (janez, marija):
        await store.caller(caller_id)
    free = [s.id for s in (await store.slots(rig.world.services["ue-id-card"], limit=20)).slots]
    rig.central.stop()

    # A new caller, a call naming them, a booking in the call, a wrap-up quoting it.
    zala = await store.create_caller(
        CallerIn(first_name="Zala", last_name="Izpad", phones=["+38641555123"])
    )
    zala_call = await store.start_call(zala.id)
    zala_booking = await store.book(zala.id, slot_id=free[0], call_id=zala_call.id)
    await store.wrap_up(
        zala_call.id, WrapUpIn(disposition="booked", notes=f"Booked {zala_booking.reference}.")
    )
    # Two calls of one caller, and a call of another.
    chains = []
    for caller_id, slot_id in ((janez, free[1]), (marija, free[2]), (janez, free[3])):
        call = await store.start_call(caller_id)
        booking = await store.book(caller_id, slot_id=slot_id, call_id=call.id)
        await store.wrap_up(call.id, WrapUpIn(disposition="booked"))
        chains.append((call, booking))
    # A cancellation holds back everything after it; then one more call.
    await store.cancel(chains[1][1].reference, "changed her mind")
    last_call = await store.start_call(marija)
    await store.book(marija, slot_id=free[4], call_id=last_call.id)
    rows = store.outbox.pending()
    assert len(rows) == 4 + 3 * 3 + 1 + 2
    kinds = [row.kind for row in rows]

    recorder = Recorder(store)
    rig.central.start()
    report = await store.replay()

    assert (report.done, report.conflicts, report.failed, report.remaining) == (len(rows), 0, 0, 0)
    assert store.outbox_size() == 0 and store.conflicts() == []
    # Side by side, never more than the bound.
    assert 1 < recorder.most <= 3
    # Each chain in order: caller, call, booking, wrap-up.
    order = [row.seq for row in rows]
    for chain in (order[0:4], order[4:7], order[7:10], order[10:13], order[14:16]):
        for earlier, later in itertools.pairwise(chain):
            assert recorder.after(later, earlier), (kinds, recorder.events)
    # Janez's second call waits for what his first did to him (its start and booking; its
    # wrap-up is the call's own).
    assert recorder.after(order[10], order[5])
    # The cancellation: after every earlier row, before every later one.
    cancel = order[13]
    assert kinds[13] == "cancel"
    assert all(recorder.after(cancel, earlier) for earlier in order[:13])
    assert all(recorder.after(later, cancel) for later in order[14:])

    # Exactly once, with the provisional ids made real.
    zala_id = store.real_id("caller", zala.id)
    assert zala_id is not None and zala_id > 0
    reference = store.resolve_reference(zala_booking.reference)
    assert reference and not reference.startswith("P-")
    with rig.database.read() as connection:
        made = connection.execute(select(bookings).order_by(bookings.c.id)).all()
        wrapped = connection.execute(
            select(calls.c.notes).where(calls.c.id == store.real_id("call", zala_call.id))
        ).scalar_one()
    assert len(made) == 5
    assert {b.slot_id: b.status for b in made} == {
        free[0]: "confirmed",
        free[1]: "confirmed",
        free[2]: "cancelled",
        free[3]: "confirmed",
        free[4]: "confirmed",
    }
    first = next(b for b in made if b.slot_id == free[0])
    assert first.caller_id == zala_id and first.call_id == store.real_id("call", zala_call.id)
    assert reference in wrapped.replace(" ", "")
    assert rig.count(select(func.count()).select_from(calls)) == 5
    assert rig.count(select(func.count()).select_from(callers).where(callers.c.id == zala_id)) == 1
    assert (await store.replay()).sent == 0


def test_what_a_queued_write_touches() -> None:
    def entry(kind: str, **payload) -> OutboxEntry:  # type: ignore[no-untyped-def]
        return OutboxEntry(1, kind, payload, "k", None, "pending", 0, None, None, None, None)  # type: ignore[arg-type]

    slot = {
        "id": 40,
        "starts_at": "2030-03-04T08:00:00Z",
        "ends_at": "2030-03-04T08:20:00Z",
        "status": "free",
        "service_id": 1,
        "provider_id": 1,
        "provider_name": "Okence 1",
        "location_id": 1,
        "location_name": "Center",
        "region": "Osrednjeslovenska",
    }
    book = replay_keys(entry("book", local_id=-5, reference="P-K7M4PXR", caller_id=-1,
                              call_id=-2, slot_id=40, notes="", slot=slot,
                              caller={"name": "Janez Kovač", "phone": None}))  # fmt: skip
    assert book == {
        ("booking", -5),
        ("reference", "P-K7M4PXR"),
        ("caller", -1),
        ("call", -2),
        ("slot", 40),
    }
    quoted = replay_keys(
        entry("wrap_up", call_id=-2, wrap_up={"notes": "Booked P-K7M 4PX R and P-AAA1111."})
    )
    assert quoted is not None and quoted >= {("call", -2), ("reference", "P-K7M4PXR")}
    new = replay_keys(
        entry("create_caller", local_id=-1, caller={"first_name": "Zala", "last_name": "Izpad",
                                                     "emso": "0101990500003",
                                                     "phones": ["+38641555123"]})
    )  # fmt: skip
    assert new is not None
    assert {("caller", -1), ("emso", "0101990500003"), ("phone", "+38641555123")} <= new
    for barrier in ("cancel", "reschedule", "update_caller", "something_new"):
        assert replay_keys(entry(barrier, reference="P-K7M4PXR", caller_id=3)) is None
