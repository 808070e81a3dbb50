"""LocalCache: the desk's own SQLite file — permissions, the slot window, caller search."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from console.client.cache import LocalCache, ProvisionalBooking, cache_path
from console.domain.models import (
    Booking,
    BookingStatus,
    Caller,
    Location,
    Phone,
    Service,
    Slot,
    SlotStatus,
)

NOW = datetime.now(UTC)


def caller(caller_id: int, first: str, last: str, *, phones=(), emso=None, zzzs=None) -> Caller:  # type: ignore[no-untyped-def]
    return Caller(
        id=caller_id,
        first_name=first,
        last_name=last,
        phones=[Phone(number=n) for n in phones],
        emso=emso,
        zzzs_number=zzzs,
        email=None,
        language="sl",
        notes="",
        flags=[],
        created_at=NOW,
        updated_at=NOW,
    )


def slot(slot_id: int, hours: float, *, service: int = 1, location: int = 1, region="Osrednja"):  # type: ignore[no-untyped-def]
    start = NOW + timedelta(hours=hours)
    return Slot(
        id=slot_id,
        starts_at=start,
        ends_at=start + timedelta(minutes=15),
        status=SlotStatus.FREE,
        service_id=service,
        provider_id=1,
        provider_name="Okence 1",
        location_id=location,
        location_name="UE Center",
        region=region,
    )


SERVICE = Service(
    id=1, code="id", name="Osebna", name_en="ID card", category="administrative",
    duration_minutes=15,
)  # fmt: skip
LOCATION = Location(
    id=1, code="c", name="UE Center", kind="office", address="Trg 1", postcode="1000",
    town="Ljubljana", municipality="Ljubljana", region="Osrednja", opening_hours="8-15",
)  # fmt: skip


def booking(booking_id: int, reference: str, caller_id: int, the_slot: Slot, **extra) -> Booking:  # type: ignore[no-untyped-def]
    return Booking(
        id=booking_id,
        reference=reference,
        reference_display=reference,
        status=BookingStatus.CONFIRMED,
        caller_id=caller_id,
        slot=the_slot,
        service=SERVICE,
        location=LOCATION,
        created_at=NOW,
        created_by=1,
        **extra,
    )


@pytest.fixture
def cache(tmp_path: Path) -> LocalCache:
    found = LocalCache(tmp_path / "data" / "desk.db")
    yield found
    found.close()


def test_the_file_and_its_wal_are_private(tmp_path: Path) -> None:
    cache = LocalCache(tmp_path / "private" / "desk.db")
    cache.put_caller(caller(1, "Janez", "Kovač"))  # a write: the -wal file exists now
    for suffix in ("", "-wal", "-shm"):
        file = Path(f"{cache.path}{suffix}")
        assert file.exists(), suffix
        assert stat.S_IMODE(file.stat().st_mode) == 0o600, suffix
    assert cache.db.journal_mode == "wal"
    cache.close()


def test_an_existing_file_with_loose_permissions_is_tightened(tmp_path: Path) -> None:
    path = tmp_path / "desk.db"
    LocalCache(path).close()
    path.chmod(0o644)
    LocalCache(path).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_one_file_per_central_service(tmp_path: Path) -> None:
    first = cache_path(tmp_path, "https://central.example:8443")
    second = cache_path(tmp_path, "https://other.example")
    assert first != second
    assert first.parent == tmp_path
    assert first.name.startswith("desk-central-example-8443-")
    assert cache_path(tmp_path, "https://central.example:8443") == first


def test_meta_cursor_and_last_sync_survive_reopening(tmp_path: Path) -> None:
    path = tmp_path / "desk.db"
    cache = LocalCache(path)
    assert cache.last_seq is None and cache.last_sync_at is None
    cache.last_seq = 41
    cache.last_sync_at = NOW
    assert cache.next_local_id() == -1
    assert cache.next_local_id() == -2
    cache.close()
    reopened = LocalCache(path)
    assert reopened.last_seq == 41
    assert abs((reopened.last_sync_at - NOW).total_seconds()) < 0.001
    assert reopened.next_local_id() == -3
    reopened.close()


def test_name_search_folds_case_and_diacritics_and_matches_word_prefixes(cache) -> None:  # type: ignore[no-untyped-def]
    cache.put_caller(caller(1, "Špela", "Česnik", phones=["+38631555111"]))
    cache.put_caller(caller(2, "Janez", "Kovač", emso="0101990500003", zzzs="123456789"))
    cache.put_caller(caller(3, "Ana", "Novak Česnik"))
    kind, found, more = cache.search_callers("cesnik")
    assert kind == "name" and not more
    assert [c.id for c in found] == [1, 3]  # sorted by surname, then given name
    assert [c.id for c in cache.search_callers("ces spe")[1]] == [1]
    assert cache.search_callers("esnik")[1] == []  # prefixes of words, not infixes
    assert cache.search_callers("kovač j")[1][0].matched_on == "name"


def test_search_by_phone_emso_zzzs_and_reference(cache) -> None:  # type: ignore[no-untyped-def]
    janez = caller(2, "Janez", "Kovač", phones=["+38641234567"], emso="0101990500003")
    cache.put_caller(janez)
    cache.put_caller(caller(4, "Marija", "Novak", zzzs="987654321"))
    assert cache.search_callers("041 234 567")[:2] == ("phone", cache.search_callers("041234")[1])
    assert [c.id for c in cache.search_callers("041 234")[1]] == [2]
    assert [c.id for c in cache.search_callers("0101990500003")[1]] == [2]
    assert cache.search_callers("0101990500003")[0] == "emso"
    assert [c.id for c in cache.search_callers("987 654 321")[1]] == [4]
    cache.put_booking(booking(9, "K7M4PXY", 2, slot(5, 24)))
    from console.domain.reference import check_symbol

    code = "K7M4PX" + check_symbol("K7M4PX")
    cache.put_booking(booking(10, code, 4, slot(6, 25)))
    assert cache.search_callers(code.lower())[:2] == ("reference", cache.search_callers(code)[1])
    assert [c.id for c in cache.search_callers(code)[1]] == [4]
    # A provisional reference is P- and a code with its check character, as a desk draws it.
    made = "P-ACDEFH" + check_symbol("ACDEFH")
    provisional = ProvisionalBooking.model_validate(booking(-5, made, 2, slot(7, 26)).model_dump())
    cache.put_booking(provisional, provisional=True)
    for typed in (made.lower(), f"{made[:5]} {made[5:8]} {made[8]}", made.replace("-", " ")):
        assert cache.search_callers(typed)[0] == "reference"
        assert [c.id for c in cache.search_callers(typed)[1]] == [2]
    assert cache.search_callers(made[:-1] + ("A" if made[-1] != "A" else "C"))[1] == []
    assert isinstance(cache.booking(made), ProvisionalBooking)
    assert not isinstance(cache.booking(code), ProvisionalBooking)
    # Confirmed, the booking keeps the provisional reference as an alias: still found by it.
    confirmed_code = "ACDEFJ" + check_symbol("ACDEFJ")
    confirmed = booking(11, confirmed_code, 2, slot(7, 26))
    cache.remove_booking(-5)
    cache.put_booking(confirmed.model_copy(update={"provisional_reference": made}))
    assert [c.id for c in cache.search_callers(made)[1]] == [2]


def test_only_the_most_recent_callers_are_kept(tmp_path: Path) -> None:
    cache = LocalCache(tmp_path / "desk.db", caller_limit=3)
    cache.put_caller(caller(-1, "Nova", "Stranka"), provisional=True)  # never pruned
    for caller_id in range(1, 6):
        cache.put_caller(caller(caller_id, f"Ime{caller_id}", "Priimek"))
    kept = {row["id"] for row in cache.db.query("SELECT id FROM callers")}
    assert kept == {-1, 3, 4, 5}
    assert cache.caller(1) is None
    cache.close()


def test_free_slots_leave_out_held_booked_and_locally_taken(cache) -> None:  # type: ignore[no-untyped-def]
    slots = [slot(i, hours=i) for i in range(1, 8)]
    slots.append(slot(20, hours=2, service=2))
    slots.append(slot(21, hours=-1))  # already started
    cache.put_slots(slots)
    cache.set_slot_status(2, SlotStatus.BOOKED)
    cache.set_slot_status(3, SlotStatus.HELD, datetime.now(UTC) + timedelta(minutes=3))
    cache.set_slot_status(
        4, SlotStatus.HELD, datetime.now(UTC) - timedelta(minutes=1)
    )  # expired: free
    cache.put_hold(-7, 5, datetime.now(UTC) + timedelta(minutes=3), local=True)
    cache.put_booking(
        ProvisionalBooking.model_validate(booking(-8, "P-X", 9, slots[5]).model_dump()),
        provisional=True,
    )
    ids = [s.id for s in cache.free_slots(1, limit=10)]
    assert ids == [1, 4, 7]
    assert all(s.status is SlotStatus.FREE for s in cache.free_slots(1))
    assert [s.id for s in cache.free_slots(1, start=NOW + timedelta(hours=3.5))] == [4, 7]
    assert [s.id for s in cache.free_slots(1, end=NOW + timedelta(hours=3.5))] == [1]
    assert [s.id for s in cache.free_slots(1, limit=1)] == [1]
    assert cache.free_slots(1, region="Podravska") == []
    assert [s.id for s in cache.free_slots(2)] == [20]
    assert cache.locally_taken(5) == "held"
    assert cache.locally_taken(6) == "booked"
    cache.set_booking_status("P-X", BookingStatus.CANCELLED)
    assert 6 in [s.id for s in cache.free_slots(1, limit=10)]


def test_replacing_the_window_drops_what_is_gone(cache) -> None:  # type: ignore[no-untyped-def]
    cache.put_slots([slot(1, 1), slot(2, 2), slot(3, 2, service=2)])
    cache.replace_window(1, [slot(2, 2), slot(4, 5)], NOW + timedelta(days=30))
    assert [s.id for s in cache.free_slots(1)] == [2, 4]
    assert [s.id for s in cache.free_slots(2)] == [3]


def test_a_provisional_caller_hands_over_its_bookings_and_calls(cache) -> None:  # type: ignore[no-untyped-def]
    cache.put_caller(caller(-3, "Nova", "Stranka", phones=["+38640111222"]), provisional=True)
    cache.put_booking(booking(-4, "P-AAAAAAA", -3, slot(1, 3)), provisional=True)
    cache.rekey_caller(-3, caller(77, "Nova", "Stranka", phones=["+38640111222"]))
    assert cache.caller(-3) is None
    assert cache.caller(77) is not None
    moved = cache.bookings_for(77)
    assert [b.reference for b in moved] == ["P-AAAAAAA"]
    assert moved[0].caller_id == 77
    assert [c.id for c in cache.search_callers("040 111")[1]] == [77]


def test_issues_are_kept_until_resolved(cache) -> None:  # type: ignore[no-untyped-def]
    first = cache.add_issue(3, "slot_taken", {"message": "taken"})
    cache.add_issue(4, "refused", {"message": "no"})
    assert [i["outbox_seq"] for i in cache.issues()] == [3, 4]
    cache.resolve_issue(first, "rebooked as K7M4PXY")
    assert [i["outbox_seq"] for i in cache.issues()] == [4]
    resolved = cache.issue(first)
    assert resolved["resolution"] == "rebooked as K7M4PXY" and resolved["resolved_at"]


def test_a_name_shaped_like_a_reference_falls_back_to_the_name(cache) -> None:  # type: ignore[no-untyped-def]
    from console.domain.query import query_kind

    assert query_kind("mac anja") == "reference"  # MACANJA: the check character holds
    cache.put_caller(caller(7, "Anja", "Macarol"))
    assert cache.search_callers("mac anja")[:2] == ("name", cache.search_callers("macar anj")[1])
    assert [c.id for c in cache.search_callers("mac anja")[1]] == [7]
    # With no caller by that name either, it is still a reference no booking has.
    assert cache.search_callers("MACANJA")[0] == "reference"


def test_a_word_after_a_hyphen_starts_a_word(tmp_path: Path) -> None:
    cache = LocalCache(tmp_path / "desk.db")
    cache.put_caller(caller(8, "Maja", "Novak-Kos"))
    assert [c.id for c in cache.search_callers("kos maj")[1]] == [8]
    # A cache written before names were kept as words is respelled when it is opened.
    cache.db.execute("UPDATE callers SET name_folded = ' novak-kos maja' WHERE id = 8")
    cache.close()
    reopened = LocalCache(tmp_path / "desk.db")
    assert [c.id for c in reopened.search_callers("kos maj")[1]] == [8]
    reopened.close()
