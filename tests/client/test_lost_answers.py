"""A lost answer is not a refusal: every kind of write the desk makes online, whose request
reaches the central service but whose answer never comes back (the link drops it, or it comes
later than the desk's timeout), is queued with the request exactly as sent. The replay sends
that again, byte for byte, under the same idempotency key, and gets the first answer: the
provisional result maps to the real one, the service did it once, and no sync issue is raised.

Against the real ``agent-console serve`` (a subprocess) through ``link.Link``, a TCP proxy
that drops answers, holds them past the timeout, swallows requests, cuts connections, or answers
as a reverse proxy does when it lost the service's answer (502) or cannot reach the service.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import directory_fixture
import httpx
import pytest
import support
from link import Link, gateway_page
from served import ServedProcess
from sqlalchemy import func, select

from console.client.api import ApiRefused, CentralApi
from console.client.cache import LocalCache, utcnow
from console.client.store import Store
from console.domain.models import (
    BookingStatus,
    CallerIn,
    CallerPatch,
    ReportClose,
    ReportIn,
    ReportKind,
    WrapUpIn,
)
from console.server.db import Database
from console.server.schema import bookings, callers, calls, idempotency_keys, provider_reports

TIMEOUT = 1.5  # the desk's: a held answer is "slower than the timeout"


@dataclass
class Served:
    service: ServedProcess
    database: Database
    world: support.World
    directory: directory_fixture.Directory

    def count(self, query) -> int:  # type: ignore[no-untyped-def]
        with self.database.read() as connection:
            return connection.execute(query).scalar_one()

    def client(self, who: str = "agent") -> httpx.Client:
        return httpx.Client(base_url=self.service.url, headers=self.world.headers(who))


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, _sqlite_template: Path) -> Iterator[Served]:
    """One service for the module (each test uses its own slots and callers)."""
    folder = tmp_path_factory.mktemp("lost-answers")
    path = folder / "central.db"
    shutil.copyfile(_sqlite_template, path)
    database = Database.open(path)
    world = support.build_world(database, days=5, slots_per_day=14)
    directory = directory_fixture.build_directory(database)
    service = ServedProcess(str(path), folder / "serve.log")
    service.start()
    try:
        yield Served(service, database, world, directory)
    finally:
        service.kill()
        database.dispose()


@dataclass
class Desk:
    store: Store
    link: Link

    async def lost(self, write, mode: str = Link.DROP):  # type: ignore[no-untyped-def]
        """Make ``write`` (a coroutine function) with its answer lost; the link works again
        afterwards."""
        await self.link.set(mode)
        try:
            result = await write()
        finally:
            await self.link.set(Link.PASS)
        assert self.store.state == "offline", "a lost answer turns the desk offline"
        return result

    async def replay_all(self) -> None:
        """Back online: replay everything; nothing may be refused or become an issue."""
        assert await self.store.sync_once(), (self.store.last_error, self.store.outbox.entries())
        assert self.store.outbox_size() == 0
        counts = self.store.outbox.counts()
        assert (counts["conflict"], counts["failed"]) == (0, 0), self.store.outbox.entries()
        assert self.store.conflicts() == []


@pytest.fixture
async def desk(served: Served, tmp_path: Path) -> AsyncIterator[Desk]:
    link = Link(served.service.port)
    await link.start()
    api = CentralApi(link.url, support.TOKENS["agent"], timeout=TIMEOUT)
    store = Store(api, LocalCache(tmp_path / "desk.db"))
    assert await store.sync_once()
    try:
        yield Desk(store, link)
    finally:
        await store.aclose()
        await link.stop()


def free_slot(served: Served, store: Store, service: str = "ue-id-card") -> int:
    """A slot free on the service that no other test of the module took, at a time none of
    them took either (the tests book for the same callers: an overlapping booking for one
    caller is refused, 409 caller_has_booking)."""
    with served.database.read() as connection:
        taken = set(connection.execute(select(bookings.c.slot_id)).scalars())
    for slot in store.cache.free_slots(served.world.services[service], limit=500):
        if slot.id not in taken and slot.id not in _used and slot.starts_at not in _times:
            _used.add(slot.id)
            _times.add(slot.starts_at)
            return slot.id
    raise AssertionError("no free slot left")


_used: set[int] = set()
_times: set = set()


def keys_used(served: Served, key: str) -> int:
    return served.count(select(func.count()).where(idempotency_keys.c.key == key))


# -- bookings -------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", [Link.DROP, Link.HOLD, Link.BAD_GATEWAY])
async def test_a_booking_whose_answer_is_lost_is_the_booking_the_service_made(
    served: Served, desk: Desk, mode: str
) -> None:
    store = desk.store
    janez = served.world.callers["janez"]
    slot_id = free_slot(served, store)
    call = await store.start_call(janez)
    hold = await store.hold(slot_id)
    made = await desk.lost(
        lambda: store.book(janez, hold_id=hold.id, call_id=call.id, notes="first"), mode
    )
    # The desk shows a provisional booking; the service has made the real one already.
    assert made.reference.startswith("P-")
    where = bookings.c.slot_id == slot_id
    assert served.count(select(func.count()).where(where)) == 1
    [entry] = store.outbox.pending()[:1]
    assert entry.request["sent_online"] and entry.request["body"]["hold_id"] == hold.id

    await desk.replay_all()
    with served.database.read() as connection:
        row = connection.execute(select(bookings).where(where)).one()
    assert store.resolve_reference(made.reference) == row.reference
    assert row.idempotency_key == entry.idempotency_key and row.call_id == call.id
    assert row.status == "confirmed" and row.notes == "first"
    # The caller was given the provisional reference: the service keeps it as an alias.
    assert row.provisional_reference == made.reference
    with served.client() as client:
        found = client.get(f"/v1/bookings/{made.reference}").json()
        assert found["reference"] == row.reference
        hits = client.get("/v1/callers", params={"q": made.reference_display}).json()
        assert [c["id"] for c in hits["callers"]] == [janez]
    assert [c.reference for c in store.confirmed()] == [row.reference]


async def test_a_reschedule_whose_answer_is_lost_is_the_move_the_service_made(
    served: Served, desk: Desk
) -> None:
    store = desk.store
    spela = served.world.callers["spela"]
    first, second = free_slot(served, store), free_slot(served, store)
    booked = await store.book(spela, slot_id=first)
    hold = await store.hold(second)
    moved = await desk.lost(lambda: store.reschedule(booked.reference, hold_id=hold.id))
    assert moved.reference.startswith("P-")
    await desk.replay_all()
    with served.database.read() as connection:
        rows = {r.slot_id: r for r in connection.execute(select(bookings).where(
            bookings.c.slot_id.in_([first, second])
        ))}  # fmt: skip
    assert rows[first].status == "rescheduled" and rows[second].status == "confirmed"
    assert rows[first].superseded_by == rows[second].id
    assert store.resolve_reference(moved.reference) == rows[second].reference
    assert rows[second].provisional_reference == moved.reference


async def test_a_cancellation_whose_answer_is_lost_is_done_once(served: Served, desk: Desk) -> None:
    store = desk.store
    marija = served.world.callers["marija"]
    booked = await store.book(marija, slot_id=free_slot(served, store))
    cancelled = await desk.lost(lambda: store.cancel(booked.reference, "moved away"))
    assert cancelled.status is BookingStatus.CANCELLED
    await desk.replay_all()
    with served.database.read() as connection:
        row = connection.execute(select(bookings).where(bookings.c.id == booked.id)).one()
    assert row.status == "cancelled" and row.cancel_reason == "moved away"
    assert store.cache.booking(booked.reference).status is BookingStatus.CANCELLED


# -- callers --------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", [Link.DROP, Link.HOLD, Link.BAD_GATEWAY])
async def test_a_new_caller_whose_answer_is_lost_is_the_caller_the_service_made(
    served: Served, desk: Desk, mode: str
) -> None:
    store = desk.store
    name = f"Izgubljen{mode.title()}"
    new = CallerIn(first_name="Zala", last_name=name, phones=["041 555 987"])
    made = await desk.lost(lambda: store.create_caller(new), mode)
    assert made.id < 0
    assert served.count(select(func.count()).where(callers.c.last_name == name)) == 1
    await desk.replay_all()
    real = store.real_id("caller", made.id)
    with served.database.read() as connection:
        [row] = connection.execute(select(callers).where(callers.c.last_name == name)).all()
    assert real == row.id


async def test_a_change_to_a_caller_whose_answer_is_lost_is_made(
    served: Served, desk: Desk
) -> None:
    store = desk.store
    spela = served.world.callers["spela"]
    await store.caller(spela)
    changed = await desk.lost(
        lambda: store.update_caller(spela, CallerPatch(notes="prefers mornings"))
    )
    assert changed.notes == "prefers mornings"
    await desk.replay_all()
    with served.database.read() as connection:
        row = connection.execute(select(callers).where(callers.c.id == spela)).one()
    assert row.notes == "prefers mornings"


# -- calls ----------------------------------------------------------------------------------------


async def test_a_call_its_caller_its_note_and_its_wrap_up_whose_answers_are_lost(
    served: Served, desk: Desk
) -> None:
    store = desk.store
    janez = served.world.callers["janez"]
    agent = served.world.agents["agent"]
    before = served.count(select(func.count()).where(calls.c.agent_id == agent))
    call = await desk.lost(lambda: store.start_call(None))
    assert call.id < 0
    assert served.count(select(func.count()).where(calls.c.agent_id == agent)) == before + 1
    await desk.replay_all()
    real = store.real_id("call", call.id)
    assert real is not None
    assert served.count(select(func.count()).where(calls.c.agent_id == agent)) == before + 1

    await desk.lost(lambda: store.attach_caller(real, janez))
    await desk.replay_all()
    wrap = WrapUpIn(disposition="information", notes="asked about documents")
    wrapped = await desk.lost(lambda: store.wrap_up(real, wrap))
    assert wrapped.disposition == "information"
    await desk.replay_all()
    await desk.lost(lambda: store.add_call_note(real, "called back: all clear"))
    await desk.replay_all()
    with served.database.read() as connection:
        row = connection.execute(select(calls).where(calls.c.id == real)).one()
    assert row.caller_id == janez and row.disposition == "information"
    assert row.notes.startswith("asked about documents\n[") and row.notes.endswith("all clear")
    assert row.notes.count("all clear") == 1


# -- the doctor directory -------------------------------------------------------------------------


async def test_a_report_and_its_close_whose_answers_are_lost(served: Served, desk: Desk) -> None:
    store = desk.store
    doctor = served.directory.doctors["kolar"]
    report = ReportIn(kind=ReportKind.FULL, note="the office says full")
    made = await desk.lost(lambda: store.report_provider(doctor, report))
    assert made.id < 0
    await desk.replay_all()
    real = store.real_id("report", made.id)
    where = provider_reports.c.provider_id == doctor
    assert served.count(select(func.count()).where(where)) == 1
    await desk.lost(lambda: store.close_report(real, ReportClose(resolution="checked")))
    await desk.replay_all()
    with served.database.read() as connection:
        row = connection.execute(select(provider_reports).where(where)).one()
    assert row.id == real and row.closed_at is not None


# -- the request never got through ----------------------------------------------------------------


@pytest.mark.parametrize("mode", [Link.SWALLOW, Link.GATEWAY_DOWN])
async def test_a_booking_sent_online_that_was_never_done_goes_as_the_desk_queued_it(
    served: Served, desk: Desk, mode: str
) -> None:
    """The request sent online was swallowed (or a gateway answered for a service it could not
    reach): it may have arrived, so it is tried first as it was; refused (its hold is gone
    meanwhile), nothing was done under its key, and the booking the desk queued (the slot
    itself) goes instead, under the same key."""
    store = desk.store
    marija = served.world.callers["marija"]
    slot_id = free_slot(served, store)
    hold = await store.hold(slot_id)
    made = await desk.lost(lambda: store.book(marija, hold_id=hold.id), mode)
    assert desk.link.swallowed + desk.link.gateway_answers >= 1
    assert served.count(select(func.count()).where(bookings.c.slot_id == slot_id)) == 0
    with served.client() as client:  # the hold runs out meanwhile (released, here)
        assert client.delete(f"/v1/holds/{hold.id}").status_code in (200, 204)
    await desk.replay_all()
    with served.database.read() as connection:
        row = connection.execute(select(bookings).where(bookings.c.slot_id == slot_id)).one()
    assert store.resolve_reference(made.reference) == row.reference
    assert row.provisional_reference == made.reference
    assert keys_used(served, row.idempotency_key) == 1


async def test_a_booking_whose_hold_ran_out_while_its_answer_was_lost_is_still_queued(
    served: Served, desk: Desk
) -> None:
    """The hold ran out in the seconds the answer took: the desk still queues the booking the
    service may have made (it does not refuse it again itself), and the replay gets it."""
    store = desk.store
    janez = served.world.callers["janez"]
    slot_id = free_slot(served, store)
    hold = await store.hold(slot_id)
    gone = utcnow() - timedelta(seconds=1)
    store.cache.put_hold(hold.id, hold.slot_id, gone, local=False)  # as the answer comes late
    made = await desk.lost(lambda: store.book(janez, hold_id=hold.id))
    assert made.reference.startswith("P-")
    await desk.replay_all()
    with served.database.read() as connection:
        row = connection.execute(select(bookings).where(bookings.c.slot_id == slot_id)).one()
    assert store.resolve_reference(made.reference) == row.reference


# -- behind a gateway -----------------------------------------------------------------------------


async def test_a_gateway_answering_for_a_service_it_cannot_reach_turns_the_desk_offline(
    served: Served, desk: Desk
) -> None:
    """nginx in front of a stopped service answers 502 with its own page: no answer from the
    service. The desk goes offline and reads from its cache (not "Error 502" on every screen),
    its probes keep it offline while the gateway answers so, and it is online again after."""
    store = desk.store
    janez = served.world.callers["janez"]
    online = await store.caller(janez)
    await desk.link.set(Link.GATEWAY_DOWN)
    try:
        cached = await store.caller(janez)
        assert store.state == "offline"
        assert cached.id == online.id and cached.last_name == online.last_name
        assert "gateway" in (store.last_error or "") and "502" in (store.last_error or "")
        assert not await store.sync_once()
        assert store.state == "offline" and desk.link.gateway_answers >= 2
    finally:
        await desk.link.set(Link.PASS)
    assert await store.sync_once()
    assert store.state == "online"


async def test_the_services_own_busy_answer_is_not_an_outage(served: Served, desk: Desk) -> None:
    """The service's 503 (``busy``: its database could not take the request in time) is the
    service's answer, passed on by the gateway: refused with its words, the desk stays online."""
    store = desk.store
    janez = served.world.callers["janez"]
    busy = b'{"error": "busy", "message": "the database is busy: retry in a second", "field": null}'
    desk.link.gateway_answer = gateway_page(503, "Service Unavailable", busy, json=True)
    await desk.link.set(Link.GATEWAY_DOWN)
    try:
        with pytest.raises(ApiRefused) as refused:
            await store.caller(janez)
    finally:
        await desk.link.set(Link.PASS)
    assert (refused.value.status, refused.value.error) == (503, "busy")
    assert "retry in a second" in refused.value.message
    assert store.state == "online"
