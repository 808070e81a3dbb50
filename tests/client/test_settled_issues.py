"""A sync issue settled leaves the truth in the record of the call it came from (issue 17,
item 4): the wrap-up written offline still says "booked P-…, 08:00", and the line added when
the agent rebooks (or turns the issue into a callback) says what finally happened. Written in
the agent's language, as the wrap-up itself; never the service's English."""

from __future__ import annotations

import pytest
import support
from sqlalchemy import select

from console import i18n
from console.desk import Desk
from console.domain.reference import format_reference
from console.offline_wording import rebooked_note, slot_text
from console.server.schema import bookings, callbacks, caller_phones, calls


@pytest.fixture(params=["sl", "en"])
def language(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    i18n.set_language(request.param)
    yield request.param
    i18n.set_language(i18n.DEFAULT_LANGUAGE)


async def test_a_rebooking_and_a_callback_are_written_into_the_call_they_settle(
    rig, language: str
) -> None:  # type: ignore[no-untyped-def]
    store = rig.store()
    assert await store.sync_once()
    desk = Desk(store)
    await desk.connect()
    spela = rig.world.callers["spela"]
    await desk.open_caller(spela)  # online: the call is real
    call_id = desk.call.id
    rig.central.stop()
    found = await desk.find_slots(rig.world.services["ue-id-card"])
    taken = support.at_distinct_times(found)[:2]  # one caller: never two at one time
    made = []
    for slot in taken:
        await desk.hold_slot(slot.id)
        made.append(await desk.confirm())
    booked = ", ".join(b.reference_display for b in made)
    await desk.wrap_up("booked", f"Rezervirano {booked}")
    rig.central.start()
    with rig.other_agent() as other:  # another desk took both slots meanwhile
        for slot in taken:
            other.post(
                "/v1/bookings", json={"caller_id": rig.world.callers["marija"], "slot_id": slot.id}
            )
    assert await store.sync_once()
    first, second = store.conflicts()
    assert first.call_id == call_id and second.call_id == call_id

    rebooked = await desk.rebook(first, first.nearest[0].id)
    await desk.to_follow_up(second, "Offer another time")
    # The same line again (a retry of settling it) is added once: it is keyed on the issue.
    note = rebooked_note(first, rebooked.reference, rebooked.slot)
    await store.issues.note_on_call(first, note, "rb")

    with rig.database.read() as connection:
        call = connection.execute(select(calls).where(calls.c.id == call_id)).one()
        linked = connection.execute(
            select(bookings).where(bookings.c.reference == rebooked.reference)
        ).one()
        # f: a callback in the central queue (issue 15: source sync_issue), no follow-up call.
        assert (
            connection.execute(select(calls).where(calls.c.disposition == "callback")).all() == []
        )
        queued = connection.execute(
            select(callbacks).where(callbacks.c.source == "sync_issue")
        ).one()
        phone = connection.execute(
            select(caller_phones.c.number)
            .where(caller_phones.c.caller_id == spela)
            .order_by(caller_phones.c.position)
        ).first()
    lines = call.notes.splitlines()
    assert lines[0] == f"Rezervirano {booked}"  # the wrap-up as written, kept
    assert linked.call_id == call_id  # the new booking belongs to the same call
    new = format_reference(rebooked.reference)
    if language == "sl":
        assert lines[1].endswith(
            f"Po izpadu ni bilo potrjeno: rezervacija {made[0].reference_display} "
            f"({slot_text(first.slot)}) (termin je medtem zaseden); nova rezervacija {new}, "
            f"{slot_text(rebooked.slot)}."
        )
        assert lines[2].endswith("klicatelja bomo poklicali nazaj.")
        assert made[1].reference_display in lines[2]
        assert "Po izpadu ni bilo izvedeno: rezervacija " in queued.note
    else:
        assert f"was not confirmed (slot taken meanwhile); rebooked as {new}" in lines[1]
        assert lines[2].endswith("the caller will be called back.")
        assert "After the outage: booking " in queued.note
    assert "Sync issue" not in queued.note  # the agent's language, not the English fallback
    assert queued.note.startswith("Offer another time")
    # Kept for this agent, on the caller's first phone, due later.
    assert (queued.status, queued.caller_id) == ("open", spela)
    assert queued.assigned_to == call.agent_id and queued.number == phone.number
    assert len(lines) == 3
