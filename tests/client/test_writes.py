"""Each kind of queued write on its own, without the network: the provisional result the desk
works with, the keys that order its replay, the request it sends once the ids it names are
real, and what ``applied`` records. And outbox rows as the previous version of the desk wrote
them (a desk killed with writes queued, then upgraded) read, describe and send the same."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from console.client.api import ApiRefused
from console.client.cache import LocalCache, ProvisionalBooking, utcnow
from console.client.directory_cache import DirectoryCache
from console.client.outbox import Outbox
from console.client.provisional import IdMap, Unresolved
from console.client.writes import (
    REGISTRY,
    Context,
    Moot,
    Request,
    Write,
    describe_entry,
    replay_keys,
    write_for,
)
from console.client.writes.booking_followups import Silence, WithdrawMessages
from console.client.writes.bookings import (
    Book,
    Cancel,
    Cancellation,
    Move,
    NewBooking,
    Reschedule,
)
from console.client.writes.callers import CallerChange, CreateCaller, NewCaller, UpdateCaller
from console.client.writes.calls import (
    AttachCaller,
    CallCaller,
    CallWrapUp,
    NewCall,
    StartCall,
    WrapUp,
)
from console.client.writes.reports import (
    CloseReport,
    NewReport,
    ReportClosing,
    ReportProvider,
    with_queued_reports,
)
from console.domain.models import (
    Agent,
    Booking,
    BookingStatus,
    Call,
    CallDirection,
    Caller,
    CallerIn,
    CallerMessage,
    CallerPatch,
    DirectoryEntry,
    DoctorType,
    Location,
    Phone,
    ProviderReport,
    ReportClose,
    ReportIn,
    ReportKind,
    Role,
    Service,
    Slot,
    SlotStatus,
    WrapUpIn,
)
from console.server.schema import bookings, callers, calls

SOON = (utcnow() + timedelta(days=2)).replace(hour=8, minute=0, second=0, microsecond=0)
JANEZ = 5  # a caller the service has
CALL = 9  # a call the service has
BOOKED = "K7M4PXR"  # a booking the service has (Janez's, slot 40)
DOCTOR = 300


@dataclass
class Desk:
    ctx: Context

    @property
    def cache(self) -> LocalCache:
        return self.ctx.cache

    @property
    def ids(self) -> IdMap:
        return self.ctx.ids

    def queue(self, kind: type[Write], ask: Any, key: str | None = None) -> tuple[Write, Any]:
        """Queue ``ask`` as the desk does offline: the provisional result and the outbox row in
        one transaction; returns the write as read back from its row, and the result."""
        with self.cache.transaction(durable=True):
            made = kind.make(self.ctx, kind.prepare(self.ctx, ask))
            result = made.provisional(self.ctx)
            entry = self.ctx.outbox.append(kind.kind, made.to_json(), key)
        return write_for(entry), result


def slot(slot_id: int, hours: int = 0) -> Slot:
    return Slot(
        id=slot_id,
        starts_at=SOON + timedelta(hours=hours),
        ends_at=SOON + timedelta(hours=hours, minutes=15),
        status=SlotStatus.FREE,
        service_id=1,
        provider_id=1,
        provider_name="Okence 1",
        location_id=2,
        location_name="Center",
        region="Osrednjeslovenska",
    )


def caller(caller_id: int, first: str, last: str, phone: str) -> Caller:
    now = datetime.now(UTC)
    return Caller(
        id=caller_id,
        first_name=first,
        last_name=last,
        phones=[Phone(number=phone)],
        emso=None,
        zzzs_number=None,
        email=None,
        language="sl",
        notes="",
        flags=[],
        created_at=now,
        updated_at=now,
    )


def call(call_id: int, caller_id: int | None = None) -> Call:
    return Call(
        id=call_id,
        agent_id=7,
        caller_id=caller_id,
        direction=CallDirection.INBOUND,
        started_at=datetime.now(UTC) - timedelta(minutes=3),
        ended_at=None,
        disposition=None,
        notes=None,
        follow_up_at=None,
        follow_up_note=None,
        after_call_work_seconds=None,
        wrapped_at=None,
    )


SERVICE = Service(
    id=1,
    code="ue-id-card",
    name="Osebna izkaznica",
    name_en="Identity card",
    category="administrative",
    duration_minutes=15,
)
LOCATION = Location(
    id=2,
    code="lj-center",
    name="Center",
    kind="office",
    address="Tobačna 5",
    postcode="1000",
    town="Ljubljana",
    municipality="Ljubljana",
    region="Osrednjeslovenska",
    opening_hours="8–15",
)


def booking(reference: str, slot_id: int, booking_id: int = 100, **extra: Any) -> Booking:
    return Booking(
        id=booking_id,
        reference=reference,
        reference_display=reference,
        status=BookingStatus.CONFIRMED,
        caller_id=JANEZ,
        slot=slot(slot_id).model_copy(update={"status": SlotStatus.BOOKED}),
        service=SERVICE,
        location=LOCATION,
        created_at=datetime.now(UTC),
        created_by=7,
        **extra,
    )


def report(report_id: int, **extra: Any) -> ProviderReport:
    values: dict[str, Any] = {
        "id": report_id,
        "provider_id": DOCTOR,
        "provider_name": "Novak Ana",
        "institution": "ZD Center",
        "type": DoctorType.GP,
        "kind": ReportKind.FULL,
        "note": "",
        "agent_id": 7,
        "agent_name": "Mojca",
        "created_at": datetime.now(UTC),
        "status": "open",
        **extra,
    }
    return ProviderReport(**values)


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    cache = LocalCache(tmp_path / "desk.db")
    ctx = Context(cache, IdMap(cache), Outbox(cache.db), DirectoryCache(cache), REGISTRY)
    cache.put_agent(Agent(id=7, name="Mojca", role=Role.AGENT))
    cache.put_services([SERVICE])
    cache.put_locations([LOCATION])
    cache.put_slots([slot(40), slot(41, 1), slot(42, 2), slot(43, 3)])
    cache.put_caller(caller(JANEZ, "Janez", "Kovač", "+38641234567"))
    cache.put_call(call(CALL, JANEZ))
    cache.put_booking(booking(BOOKED, 40))
    ctx.directory.put_entries(
        [
            DirectoryEntry(
                provider_id=DOCTOR,
                name="Novak Ana",
                type=DoctorType.GP,
                institution="ZD Center",
                address="Metelkova 9",
                postcode="1000",
                town="Ljubljana",
                municipality="Ljubljana",
                region="Osrednjeslovenska",
                accepts=True,
                list_date=None,
            )
        ],
        replace=True,
    )
    yield Desk(ctx)
    cache.close()


# -- callers --------------------------------------------------------------------------------------


def test_a_new_caller(desk: Desk) -> None:
    new = CallerIn(first_name=" Zala ", last_name="Izpad", phones=["041 555 123"])
    write, made = desk.queue(CreateCaller, NewCaller(new, call_id=-3))
    assert made.id < 0 and (made.first_name, made.phones[0].number) == ("Zala", "+38641555123")
    assert desk.cache.caller(made.id) == made
    assert write.replay_keys() >= {
        ("caller", made.id),
        ("call", -3),
        ("phone", "041 555 123"),
        ("new caller", "zala izpad"),
    }
    with pytest.raises(ApiRefused) as twin:  # the cache knows this EMŠO already: open that one
        desk.cache.put_caller(
            caller(6, "Ana", "Kos", "+38631000000").model_copy(update={"emso": "0101990500003"})
        )
        desk.queue(
            CreateCaller,
            NewCaller(CallerIn(first_name="A", last_name="B", emso="0101990500003"), None),
        )
    assert twin.value.status == 409
    with pytest.raises(ApiRefused) as typo:
        desk.queue(
            CreateCaller, NewCaller(CallerIn(first_name="A", last_name="B", phones=["12"]), None)
        )
    assert (typo.value.status, typo.value.field) == (422, "phones")

    request = write.request(desk.ctx)  # the call is still provisional: sent without it
    assert request == Request(
        "POST", "/v1/callers", new.model_dump(mode="json", exclude_unset=True)
    )
    desk.ids.map("call", -3, 33)
    assert write.request(desk.ctx).call_id == 33

    real = made.model_copy(update={"id": 501})
    with desk.cache.transaction():
        assert write.applied(desk.ctx, real.model_dump(mode="json")) == {"caller_id": 501}
    assert desk.ids.real_int("caller", made.id) == 501
    assert desk.cache.caller(made.id) is None and desk.cache.caller(501) is not None
    assert write.result(desk.ctx).id == 501
    assert write.describe() == f"new caller  Zala  Izpad (id {made.id})"


def test_a_change_to_a_caller(desk: Desk) -> None:
    new, changed = desk.queue(
        CreateCaller, NewCaller(CallerIn(first_name="Nika", last_name="Zupan"), None)
    )
    write, result = desk.queue(
        UpdateCaller, CallerChange(changed.id, CallerPatch(notes="prefers mornings"))
    )
    assert (
        result.notes == "prefers mornings" and desk.cache.caller(changed.id).notes == result.notes
    )
    assert write.replay_keys() is None and replay_keys(write.entry) is None  # a barrier
    assert not write.keyed
    with pytest.raises(Unresolved):
        write.request(desk.ctx)  # the caller is not on the service yet
    desk.ids.map("caller", changed.id, 502)
    assert write.request(desk.ctx) == Request(
        "PATCH", "/v1/callers/502", {"notes": "prefers mornings"}, keyed=False
    )
    with pytest.raises(ApiRefused, match="Nothing to change"):
        desk.queue(UpdateCaller, CallerChange(JANEZ, CallerPatch()))
    answer = caller(502, "Nika", "Zupan", "+38631222333").model_copy(update={"notes": "x"})
    with desk.cache.transaction():
        assert write.applied(desk.ctx, answer.model_dump(mode="json")) == {"caller_id": 502}
    assert desk.cache.caller(502).notes == "x"
    assert write.describe() == f"change caller {changed.id}: notes"
    assert new.kind == "create_caller"


# -- calls ----------------------------------------------------------------------------------------


def test_a_call_started_and_its_caller_named(desk: Desk) -> None:
    write, started = desk.queue(StartCall, NewCall(None, CallDirection.INBOUND))
    assert started.id < 0 and started.agent_id == 7 and desk.cache.call(started.id) == started
    assert write.replay_keys() == {("call", started.id)}
    # The call's own start goes with it: the service records when it really began.
    assert write.request(desk.ctx) == Request(
        "POST",
        "/v1/calls",
        {"caller_id": None, "direction": "inbound", "started_at": started.started_at.isoformat()},
    )
    attach, attached = desk.queue(AttachCaller, CallCaller(started.id, JANEZ))
    assert attached.caller_id == JANEZ and desk.cache.call(started.id).caller_id == JANEZ
    assert attach.replay_keys() == {("call", started.id), ("caller", JANEZ)}
    with pytest.raises(Unresolved):
        attach.request(desk.ctx)

    real = call(77)
    with desk.cache.transaction():
        assert write.applied(desk.ctx, real.model_dump(mode="json")) == {"call_id": 77}
    assert desk.ids.real_int("call", started.id) == 77 and desk.cache.call(started.id) is None
    assert write.result(desk.ctx).id == 77
    assert attach.request(desk.ctx) == Request(
        "PATCH", "/v1/calls/77", {"caller_id": JANEZ}, keyed=False
    )
    with desk.cache.transaction():
        answer = real.model_copy(update={"caller_id": JANEZ}).model_dump(mode="json")
        assert attach.applied(desk.ctx, answer) == {"call_id": 77}
    assert desk.cache.call(77).caller_id == JANEZ
    assert attach.describe() == f"call {started.id}: caller {JANEZ}"


def test_a_wrap_up(desk: Desk) -> None:
    _start, started = desk.queue(StartCall, NewCall(JANEZ, CallDirection.INBOUND))
    _book, booked = desk.queue(Book, NewBooking(JANEZ, None, 41, started.id, ""))
    later = utcnow() + timedelta(days=1)
    asked = WrapUpIn(
        disposition="booked",
        notes=f"Booked {booked.reference_display}.",
        follow_up_at=later,
        ended_at=utcnow(),
    )
    write, wrapped = desk.queue(WrapUp, CallWrapUp(started.id, asked))
    assert wrapped.disposition == "booked" and wrapped.wrapped_at is not None
    assert desk.cache.call(started.id).notes == asked.notes
    assert write.replay_keys() == {("call", started.id), ("reference", booked.reference)}
    with pytest.raises(ApiRefused) as twice:
        desk.queue(WrapUp, CallWrapUp(started.id, asked))
    assert twice.value.error == "call_wrapped"
    with pytest.raises(Unresolved):
        write.request(desk.ctx)

    # Replayed: the call and the booking are real now.
    desk.ids.map("call", started.id, 78)
    desk.ids.map("reference", booked.reference, "A3C9KMT")
    request = write.request(desk.ctx)
    assert (request.method, request.path) == ("POST", "/v1/calls/78/wrapup")
    # Started offline: the call was sent with its own start, so its end and follow-up go as
    # the desk saw them; the notes quote the confirmed reference, and nothing else is added.
    assert request.body["notes"] == f"Booked A3C 9KM T ({booked.reference_display})."
    assert request.body["ended_at"] == asked.ended_at.isoformat().replace("+00:00", "Z")
    assert request.body["follow_up_at"] == asked.model_dump(mode="json")["follow_up_at"]
    answer = call(78, JANEZ).model_copy(update={"disposition": "booked", "wrapped_at": utcnow()})
    with desk.cache.transaction():
        assert write.applied(desk.ctx, answer.model_dump(mode="json")) == {"call_id": 78}
    assert write.describe() == f"wrap up call {started.id}: booked"


# -- bookings -------------------------------------------------------------------------------------


def test_a_booking(desk: Desk) -> None:
    write, made = desk.queue(Book, NewBooking(JANEZ, None, 41, CALL, "first visit"))
    assert isinstance(made, ProvisionalBooking) and made.provisional
    assert made.id < 0 and made.reference.startswith("P-") and made.notes == "first visit"
    assert desk.cache.locally_taken(41) == "booked"  # not offered again on this desk
    assert write.replay_keys() == {
        ("booking", made.id),
        ("reference", made.reference),
        ("caller", JANEZ),
        ("call", CALL),
        ("slot", 41),
    }
    assert write.request(desk.ctx) == Request(
        "POST",
        "/v1/bookings",
        {
            "caller_id": JANEZ,
            "slot_id": 41,
            "hold_id": None,
            "call_id": CALL,
            "notes": "first visit",
            "provisional_reference": made.reference,  # kept by the service as an alias
        },
        call_id=CALL,
    )
    with pytest.raises(ApiRefused) as taken:  # this desk booked it already
        desk.queue(Book, NewBooking(JANEZ, None, 41, None, ""))
    assert taken.value.error == "slot_booked"

    real = booking("A3C9KMT", 41, booking_id=200)
    with desk.cache.transaction():
        done = write.applied(desk.ctx, real.model_dump(mode="json"))
    assert done == {"reference": "A3C9KMT", "booking_id": 200}
    assert desk.ids.real_ref(made.reference) == "A3C9KMT"
    assert desk.cache.booking(made.reference) is None
    assert write.result(desk.ctx).reference == "A3C9KMT"
    assert desk.cache.booking("A3C9KMT").provisional_reference == made.reference
    assert write.describe().startswith("book ") and "Janez Kovač 041 234 567" in write.describe()
    # The agent gave the caller the provisional reference: a confirmation to pass on.
    [told] = desk.cache.confirmations()
    assert told["data"]["provisional"] == made.reference and told["data"]["reference"] == "A3C9KMT"
    assert told["data"]["caller_name"] == "Janez Kovač"


def test_a_booking_for_a_caller_made_offline_waits_for_the_caller(desk: Desk) -> None:
    _new, zala = desk.queue(
        CreateCaller, NewCaller(CallerIn(first_name="Zala", last_name="Izpad"), None)
    )
    write, _made = desk.queue(Book, NewBooking(zala.id, None, 42, None, ""))
    with pytest.raises(Unresolved) as waiting:
        write.request(desk.ctx)
    assert (waiting.value.kind, waiting.value.local) == ("caller", zala.id)
    assert desk.ctx.creator_of("caller", zala.id).kind == "create_caller"
    desk.ids.map("caller", zala.id, 503)
    assert write.request(desk.ctx).body["caller_id"] == 503


def test_a_booking_whose_slot_was_taken_becomes_an_issue(desk: Desk) -> None:
    write, made = desk.queue(Book, NewBooking(JANEZ, None, 42, None, "morning"))
    assert write.wanted is not None and write.wanted.id == 42
    with desk.cache.transaction():
        issue = write.conflict(desk.ctx, "This slot was just booked.", [slot(43, 3)])
    assert (issue.kind, issue.action, issue.caller_id) == ("slot_taken", "book", JANEZ)
    assert (issue.caller_name, issue.caller_phone) == ("Janez Kovač", "+38641234567")
    assert issue.reference == made.reference and issue.notes == "morning"
    assert [s.id for s in issue.nearest] == [43]
    assert desk.cache.booking(made.reference) is None  # the provisional booking is gone
    assert "slot_booked" in Book.conflicts and "slot_booked" not in Cancel.conflicts


def test_a_cancellation(desk: Desk) -> None:
    write, cancelled = desk.queue(Cancel, Cancellation(BOOKED, "moved away", CALL))
    assert cancelled.status is BookingStatus.CANCELLED
    assert desk.cache.booking(BOOKED).status is BookingStatus.CANCELLED
    assert write.replay_keys() is None  # a barrier: it frees a slot a later write may book
    assert write.request(desk.ctx) == Request(
        "POST", f"/v1/bookings/{BOOKED}/cancel", {"reason": "moved away", "call_id": CALL}
    )
    with pytest.raises(ApiRefused) as again:
        desk.queue(Cancel, Cancellation(BOOKED, "", None))
    assert again.value.error == "booking_cancelled"
    with desk.cache.transaction():
        answer = booking(BOOKED, 40).model_copy(update={"status": BookingStatus.CANCELLED})
        assert write.applied(desk.ctx, answer.model_dump(mode="json"))["reference"] == BOOKED
    assert write.describe() == f"cancel {BOOKED}"


def test_cancelling_a_booking_that_was_never_confirmed_is_moot(desk: Desk) -> None:
    book, made = desk.queue(Book, NewBooking(JANEZ, None, 42, None, ""))
    cancel, _cancelled = desk.queue(Cancel, Cancellation(made.reference, "", None))
    with pytest.raises(Unresolved):  # the booking is not sent yet: the cancel waits
        cancel.request(desk.ctx)
    desk.ctx.outbox.mark_conflict(book.entry.seq, "slot_booked: taken")
    with pytest.raises(Moot) as moot:
        cancel.request(desk.ctx)
    assert moot.value.settles == book.entry.seq and "never confirmed" in str(moot.value)


def test_a_reschedule(desk: Desk) -> None:
    write, moved = desk.queue(Reschedule, Move(BOOKED, None, 43, CALL))
    assert moved.reference.startswith("P-") and moved.replaces == BOOKED
    assert moved.call_id == CALL and moved.caller_id == JANEZ
    old = desk.cache.booking(BOOKED)
    assert old.status is BookingStatus.RESCHEDULED and old.superseded_by == moved.reference
    assert write.replay_keys() is None  # a barrier: it frees a slot
    assert write.request(desk.ctx) == Request(
        "POST",
        f"/v1/bookings/{BOOKED}/reschedule",
        {"slot_id": 43, "hold_id": None, "call_id": CALL, "provisional_reference": moved.reference},
        call_id=CALL,
    )
    with pytest.raises(ApiRefused) as same:
        desk.cache.put_booking(booking("M3K4PXR", 42, booking_id=101))
        desk.queue(Reschedule, Move("M3K4PXR", None, 42, None))
    assert same.value.field == "slot_id"

    # Refused: the old booking stands again; the provisional one goes.
    write.dropped(desk.ctx)
    assert desk.cache.booking(BOOKED).status is BookingStatus.CONFIRMED
    assert desk.cache.booking(moved.reference) is None
    # Done: the old one is rescheduled, superseded by the real one.
    with desk.cache.transaction():
        answer = booking("A3C9KMT", 43, booking_id=201, replaces=BOOKED)
        write.applied(desk.ctx, answer.model_dump(mode="json"))
    old = desk.cache.booking(BOOKED)
    assert old.status is BookingStatus.RESCHEDULED and old.superseded_by == "A3C9KMT"
    assert desk.ids.real_ref(moved.reference) == "A3C9KMT"
    assert write.describe().startswith(f"move {BOOKED} to ")


def test_notify_off_is_kept_in_the_row_and_sent_on_replay(desk: Desk) -> None:
    book, _made = desk.queue(Book, NewBooking(JANEZ, None, 41, CALL, "", notify=False))
    assert book.to_json()["notify"] is False and "no message to the caller" in book.describe()
    assert book.request(desk.ctx).body["notify"] is False
    # On (the default): the request is the one sent before messages existed.
    told, _ = desk.queue(Book, NewBooking(JANEZ, None, 42, CALL, ""))
    assert told.to_json()["notify"] is True and "notify" not in told.request(desk.ctx).body
    cancel, _ = desk.queue(Cancel, Cancellation(BOOKED, "", CALL, notify=False))
    assert cancel.request(desk.ctx).body == {"reason": "", "call_id": CALL, "notify": False}
    desk.cache.put_slots([slot(44, 4)])
    desk.cache.put_booking(booking("M3K4PXR", 43, booking_id=101))
    move, _ = desk.queue(Reschedule, Move("M3K4PXR", None, 44, None, notify=False))
    assert move.request(desk.ctx).body["notify"] is False


def test_switching_off_a_bookings_messages(desk: Desk) -> None:
    _book, made = desk.queue(Book, NewBooking(JANEZ, None, 41, CALL, ""))
    write, shown = desk.queue(WithdrawMessages, Silence(made.reference))
    assert shown == []  # a provisional booking has none yet: the service will say
    assert write.replay_keys() == {("reference", made.reference)}  # after its booking
    with pytest.raises(Unresolved):
        write.request(desk.ctx)
    desk.ids.map("reference", made.reference, "A3C9KMT")
    assert write.request(desk.ctx) == Request(
        "POST", "/v1/bookings/A3C9KMT/messages/withdraw", keyed=False
    )
    desk.cache.put_booking(booking("A3C9KMT", 41, booking_id=200))
    answer = [message(1, "booked", "sent"), message(2, "reminder", "cancelled")]
    with desk.cache.transaction():
        done = write.applied(desk.ctx, [m.model_dump(mode="json") for m in answer])
    assert done == {"reference": "A3C9KMT", "withdrawn": 1}
    assert [m.status.value for m in desk.cache.booking("A3C9KMT").messages] == ["sent", "cancelled"]
    assert write.describe() == f"switch off the messages of {made.reference}"
    # A booking that was never confirmed sent nothing: nothing to switch off.
    other, never = desk.queue(Book, NewBooking(JANEZ, None, 42, None, ""))
    late, _ = desk.queue(WithdrawMessages, Silence(never.reference))
    desk.ctx.outbox.mark_conflict(other.entry.seq, "slot_booked: taken")
    with pytest.raises(Moot):
        late.request(desk.ctx)


def message(ident: int, kind: str, status: str) -> CallerMessage:
    return CallerMessage(
        id=ident,
        booking_reference="A3C9KMT",
        kind=kind,
        channel="email",
        address="janez@example.si",
        status=status,
        reason="Switched off by the agent." if status == "cancelled" else None,
        send_after=SOON,
        created_at=SOON,
        message_id=f"<{ident}@example.si>",
    )


# -- the doctor directory -------------------------------------------------------------------------


def test_a_report_and_closing_it(desk: Desk) -> None:
    write, made = desk.queue(
        ReportProvider, NewReport(DOCTOR, ReportIn(kind=ReportKind.FULL, note="full"), CALL)
    )
    assert made.id < 0 and (made.provider_name, made.agent_name) == ("Novak Ana", "Mojca")
    row = desk.ctx.directory.entry(DOCTOR)
    assert row.report.id == made.id and row.open_reports == 1  # the row shows it at once
    assert write.replay_keys() == {("report", made.id), ("provider", DOCTOR), ("call", CALL)}
    assert write.request(desk.ctx) == Request(
        "POST",
        f"/v1/directory/{DOCTOR}/reports",
        {"kind": "full", "note": "full", "call_id": CALL},
        call_id=CALL,
    )
    assert write.describe() == "report Novak Ana full: full"

    close, closed = desk.queue(CloseReport, ReportClosing(made.id, ReportClose(resolution="ok")))
    assert closed.status == "closed" and closed.resolution == "ok"
    assert desk.ctx.directory.entry(DOCTOR).open_reports == 0
    assert with_queued_reports(desk.ctx.outbox, [], "open") == []
    assert close.replay_keys() == {("report", made.id)}
    with pytest.raises(Unresolved):
        close.request(desk.ctx)

    real = report(900, note="full", call_id=CALL)
    with desk.cache.transaction():
        done = write.applied(desk.ctx, real.model_dump(mode="json"))
    assert done["report_id"] == 900 and desk.ids.real_int("report", made.id) == 900
    assert close.request(desk.ctx) == Request("POST", "/v1/reports/900/close", {"resolution": "ok"})
    assert close.describe() == f"close report {made.id}"


# -- rows the previous version of the desk wrote ---------------------------------------------------

SLOT = {
    "id": 41,
    "starts_at": "2030-03-05T08:00:00Z",
    "ends_at": "2030-03-05T08:15:00Z",
    "status": "free",
    "service_id": 1,
    "provider_id": 1,
    "provider_name": "Okence 1",
    "location_id": 2,
    "location_name": "Center",
    "region": "Osrednjeslovenska",
    "held_until": None,
}
MADE = {
    "id": -7,
    "provider_id": DOCTOR,
    "provider_name": "Novak Ana",
    "institution": "ZD Center",
    "type": "gp",
    "kind": "full",
    "note": "",
    "agent_id": 7,
    "agent_name": "Mojca",
    "call_id": None,
    "created_at": "2030-03-04T09:00:00Z",
    "status": "open",
    "closed_at": None,
    "closed_by_name": None,
    "resolution": None,
}
# Payloads exactly as the Store before the Write classes appended them, what ``sync --status``
# said of them, and the request each sends once the provisional ids -1 (a caller), -2 (a call)
# and P-K7M4PXR (a booking) are real: 501, 77 and A3C9KMT.
OLD_ROWS: list[tuple[str, dict, str, Request]] = [
    (
        "create_caller",
        {"local_id": -1, "caller": {"first_name": "Zala", "last_name": "Izpad"}, "call_id": -2},
        "new caller Zala Izpad (id -1)",
        Request("POST", "/v1/callers", {"first_name": "Zala", "last_name": "Izpad"}, call_id=77),
    ),
    (
        "update_caller",
        {"caller_id": -1, "patch": {"notes": "x"}},
        "change caller -1: notes",
        Request("PATCH", "/v1/callers/501", {"notes": "x"}, keyed=False),
    ),
    (
        "start_call",
        {
            "local_id": -2,
            "caller_id": -1,
            "direction": "inbound",
            "started_at": "2030-03-04T09:00:00+00:00",
        },
        "call -2 started 04. 03. 2030 10:00",
        # Sent now with the start the desk recorded (the service keeps the call's own time).
        Request(
            "POST",
            "/v1/calls",
            {"caller_id": 501, "direction": "inbound", "started_at": "2030-03-04T09:00:00+00:00"},
        ),
    ),
    (
        "attach_caller",
        {"call_id": -2, "caller_id": -1},
        "call -2: caller -1",
        Request("PATCH", "/v1/calls/77", {"caller_id": 501}, keyed=False),
    ),
    (
        "book",
        {
            "local_id": -3,
            "reference": "P-K7M4PXR",
            "caller_id": -1,
            "slot_id": 41,
            "call_id": -2,
            "notes": "",
            "slot": SLOT,
            "caller": {"name": "Zala Izpad", "phone": "+38641555123"},
        },
        "book 05. 03. 2030 09:00 Center for Zala Izpad 041 555 123 (P-K7M4PXR)",
        Request(
            "POST",
            "/v1/bookings",
            {"caller_id": 501, "slot_id": 41, "hold_id": None, "call_id": 77, "notes": ""},
            call_id=77,
        ),
    ),
    (
        "cancel",
        {"reference": "P-K7M4PXR", "reason": "", "call_id": None},
        "cancel P-K7M4PXR",
        Request("POST", "/v1/bookings/A3C9KMT/cancel", {"reason": "", "call_id": None}),
    ),
    (
        "reschedule",
        {
            "reference": "P-K7M4PXR",
            "slot_id": 42,
            "call_id": None,
            "local_id": -4,
            "new_reference": "P-A3C9KMT",
            "slot": SLOT,
            "caller_id": -1,
            "caller": {"name": "Zala Izpad", "phone": None},
            "notes": "",
        },
        "move P-K7M4PXR to 05. 03. 2030 09:00 Center for Zala Izpad (P-A3C9KMT)",
        Request(
            "POST",
            "/v1/bookings/A3C9KMT/reschedule",
            {"slot_id": 42, "hold_id": None, "call_id": None},
        ),
    ),
    (
        "wrap_up",
        {
            "call_id": 9,
            "wrap_up": {
                "disposition": "booked",
                "notes": "P-K7M 4PX R",
                "follow_up_at": None,
                "follow_up_note": "",
                "after_call_work_seconds": 4,
                "ended_at": None,
                "referred_provider_id": None,
            },
        },
        "wrap up call 9: booked",
        Request(
            "POST",
            "/v1/calls/9/wrapup",
            {
                "disposition": "booked",
                "notes": "A3C 9KM T (P-K7M 4PX R)",
                "follow_up_at": None,
                "follow_up_note": "",
                "after_call_work_seconds": 4,
                "ended_at": None,
                "referred_provider_id": None,
            },
        ),
    ),
    (
        "report_provider",
        {
            "local_id": -7,
            "provider_id": DOCTOR,
            "report": {"kind": "full", "note": ""},
            "call_id": -2,
            "made": MADE,
        },
        "report Novak Ana full",
        Request(
            "POST",
            f"/v1/directory/{DOCTOR}/reports",
            {"kind": "full", "note": "", "call_id": 77},
            call_id=77,
        ),
    ),
    (
        "close_report",
        {"report_id": -7, "close": {"resolution": "ok"}, "made": {**MADE, "status": "closed"}},
        "close report -7",
        Request("POST", "/v1/reports/900/close", {"resolution": "ok"}),
    ),
]


@pytest.mark.parametrize("kind", [row[0] for row in OLD_ROWS])
def test_a_row_the_previous_version_queued_is_read_described_and_sent_alike(
    desk: Desk, kind: str
) -> None:
    _kind, payload, described, sent = next(row for row in OLD_ROWS if row[0] == kind)
    entry = desk.ctx.outbox.append(kind, payload)
    write = write_for(entry)
    assert type(write) is REGISTRY[kind] and write.to_json().items() >= payload.items()
    assert describe_entry(entry) == described
    for what, local, real in (("caller", -1, 501), ("call", -2, 77), ("report", -7, 900)):
        desk.ids.map(what, local, real)
    desk.ids.map("reference", "P-K7M4PXR", "A3C9KMT")
    assert write.request(desk.ctx) == sent
    # A request frozen by the previous version (no "keyed": it was keyed) is sent as it was.
    frozen = {"method": sent.method, "path": sent.path, "body": sent.body}
    assert Request.from_json(frozen) == Request(sent.method, sent.path, sent.body)
    assert Request.from_json(sent.to_json()) == sent


def test_a_row_of_a_kind_this_version_does_not_know_is_kept_as_a_barrier(desk: Desk) -> None:
    entry = desk.ctx.outbox.append("claim_callback", {"callback_id": 4})
    write = write_for(entry)
    assert replay_keys(entry) is None and describe_entry(entry) == "claim_callback"
    with pytest.raises(TypeError, match="unknown outbox kind"):
        write.request(desk.ctx)
    assert write.issue(desk.ctx, "refused", "unknown").action == "claim_callback"


def test_every_kind_is_registered_once_under_its_own_name() -> None:
    assert sorted(REGISTRY) == sorted(
        {
            "create_caller",
            "update_caller",
            "start_call",
            "attach_caller",
            "book",
            "cancel",
            "reschedule",
            "wrap_up",
            "report_provider",
            "close_report",
            "keep_reference",
            "note_call",
            "withdraw_messages",
            "callback_attempt",
            "callback_release",
            "create_callback",
        }
    )
    assert all(kind == write.kind for kind, write in REGISTRY.items())


async def test_writes_the_previous_version_queued_replay_after_the_upgrade(rig) -> None:  # type: ignore[no-untyped-def]
    """A desk killed with writes queued, then upgraded: its outbox rows, in the previous
    version's shape, replay in order, exactly once, with the provisional ids made real."""
    store = rig.store()
    assert await store.sync_once()
    janez = rig.world.callers["janez"]
    await store.caller(janez)
    free = (await store.slots(rig.world.services["ue-id-card"], limit=10)).slots
    online = await store.book(janez, slot_id=free[0].id)  # a booking the service has
    wrap = WrapUpIn(disposition="booked", notes="Booked P-K7M 4PX R.")
    rows = [
        (
            "create_caller",
            {
                "local_id": -1,
                "caller": {"first_name": "Zala", "last_name": "Izpad", "phones": ["041 555 123"]},
                "call_id": None,
            },
        ),
        (
            "start_call",
            {
                "local_id": -2,
                "caller_id": -1,
                "direction": "inbound",
                "started_at": utcnow().isoformat(),
            },
        ),
        (
            "book",
            {
                "local_id": -3,
                "reference": "P-K7M4PXR",
                "caller_id": -1,
                "slot_id": free[1].id,
                "call_id": -2,
                "notes": "",
                "slot": free[1].model_dump(mode="json"),
                "caller": {"name": "Zala Izpad", "phone": "+38641555123"},
            },
        ),
        ("wrap_up", {"call_id": -2, "wrap_up": wrap.model_dump(mode="json")}),
        ("update_caller", {"caller_id": -1, "patch": {"notes": "prefers mornings"}}),
        (
            "reschedule",
            {
                "reference": online.reference,
                "slot_id": free[2].id,
                "call_id": None,
                "local_id": -4,
                "new_reference": "P-A3C9KMT",
                "slot": free[2].model_dump(mode="json"),
                "caller_id": janez,
                "caller": {"name": "Janez Kovač", "phone": "+38641234567"},
                "notes": "",
            },
        ),
        ("cancel", {"reference": "P-K7M4PXR", "reason": "changed her mind", "call_id": None}),
    ]
    with store.cache.transaction(durable=True):
        for kind, payload in rows:
            store.outbox.append(kind, payload)

    report = await store.replay()
    assert (report.done, report.conflicts, report.failed, report.remaining) == (7, 0, 0, 0)
    assert (await store.replay()).sent == 0
    zala = store.real_id("caller", -1)
    call_id = store.real_id("call", -2)
    reference = store.resolve_reference("P-K7M4PXR")
    moved = store.resolve_reference("P-A3C9KMT")
    assert zala and call_id and reference and moved
    with rig.database.read() as connection:
        made = {row.slot_id: row for row in connection.execute(select(bookings))}
        call_row = connection.execute(select(calls).where(calls.c.id == call_id)).one()
        zala_row = connection.execute(select(callers).where(callers.c.id == zala)).one()
    assert (zala_row.first_name, zala_row.notes) == ("Zala", "prefers mornings")
    assert call_row.caller_id == zala and call_row.disposition == "booked"
    assert reference in call_row.notes.replace(" ", "")
    assert made[free[1].id].caller_id == zala and made[free[1].id].status == "cancelled"
    assert made[free[1].id].call_id == call_id
    assert made[free[0].id].status == "rescheduled" and made[free[2].id].reference == moved
    assert set(made) == {free[0].id, free[1].id, free[2].id}
