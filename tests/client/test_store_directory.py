"""The directory through the Store, against the real central service under uvicorn, stopped
and started mid-test: online pass-through, the desk's copy for offline search, reports made
offline queued and replayed exactly once, other desks' reports arriving by the change feed."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import directory_fixture
import pytest
import support
from sqlalchemy import select
from store_rig import Rig, serving

from console.client.api import ApiRefused, Unreachable
from console.client.pages import CachedDirectoryPage
from console.client.writes import describe_entry
from console.domain.directory import assess
from console.domain.models import (
    DirectoryDetail,
    DoctorType,
    FactSource,
    ReportClose,
    ReportIn,
    ReportKind,
    WrapUpIn,
)
from console.server.schema import calls, idempotency_keys, provider_reports


def stored_reports(rig: Rig) -> list:  # type: ignore[type-arg]
    with rig.database.read() as connection:
        return connection.execute(select(provider_reports).order_by(provider_reports.c.id)).all()


@pytest.fixture
async def rig(central_db, tmp_path: Path) -> AsyncIterator[Rig]:  # type: ignore[no-untyped-def]
    url, database = central_db
    world = support.build_world(database, days=1, slots_per_day=2)
    directory = directory_fixture.build_directory(database)
    async with serving(database, url, world, tmp_path / "desk" / "desk.db", directory) as rig:
        yield rig


@pytest.fixture
def doctors(rig: Rig) -> Iterator[dict[str, int]]:
    assert rig.directory is not None
    yield rig.directory.doctors


def names(page) -> list[str]:  # type: ignore[no-untyped-def]
    return [e.name for e in page.entries]


async def test_online_the_store_passes_the_directory_through(rig: Rig, doctors) -> None:  # type: ignore[no-untyped-def]
    store = rig.store()
    page = await store.directory(q="cesnik")
    assert not isinstance(page, CachedDirectoryPage) and names(page) == ["Česnik Špela"]
    accepting = await store.directory(type=DoctorType.GP, accepting=True, region="Savinjska")
    assert names(accepting) == ["Cankar Ivana", "Novak Ana"]
    assert (await store.directory_areas()).municipalities[:3] == ["Celje", "Cerknica", "Črnomelj"]
    detail = await store.directory_entry(doctors["kolar"])
    assert isinstance(detail, DirectoryDetail) and detail.phone == "041 111 222"
    made = await store.report_provider(doctors["zupan"], ReportIn(kind=ReportKind.FULL, note="x"))
    assert made.id > 0 and made.provider_name == "Zupan Črt"
    assert [r.id for r in await store.reports()] == [made.id]
    closed = await store.close_report(made.id, ReportClose(resolution="ok"))
    assert closed.status == "closed" and await store.reports() == []
    with pytest.raises(TypeError, match="unknown directory filter"):
        await store.directory(specialty="gp")
    with pytest.raises(ApiRefused) as refused:
        await store.directory_entry(999999)
    assert refused.value.status == 404


async def test_offline_the_desk_searches_its_copy_of_the_directory(rig: Rig, doctors) -> None:  # type: ignore[no-untyped-def]
    store = rig.store()
    assert await store.sync_once()  # copies the whole directory with the reference data
    assert store.directory_cache.count() == 9
    queries = [
        {},
        {"accepting": True},
        {"accepting": False},
        {"q": "ZD celje"},
        {"type": "gp", "municipality": "LJUBLJANA"},
        {"region": "Savinjska", "limit": 2, "offset": 1},
        {"include_inactive": True, "q": "potocnik"},
    ]
    online = [names(await store.directory(**query)) for query in queries]
    detail = await store.directory_entry(doctors["kolar"])

    rig.central.stop()
    for query, expected in zip(queries, online, strict=True):
        page = await store.directory(**query)
        assert isinstance(page, CachedDirectoryPage) and page.from_cache
        assert names(page) == expected, query
    assert store.state == "offline"
    page = await store.directory(limit=4)
    assert page.total == 9 and page.more
    assert (await store.directory_entry(doctors["kolar"])) == detail
    assert "Savinjska" in (await store.directory_areas()).regions
    with pytest.raises(Unreachable, match="this doctor's details"):
        await store.directory_entry(doctors["horvat"])


async def test_a_desk_that_never_saw_the_directory_says_so_offline(rig: Rig) -> None:
    store = rig.store()
    rig.central.stop()
    with pytest.raises(Unreachable, match="the doctor directory is not in this desk's local cache"):
        await store.directory(q="kolar")
    with pytest.raises(Unreachable, match="not in this desk's local cache"):
        await store.directory_areas()
    with pytest.raises(Unreachable, match="the list of reports"):
        await store.reports()


async def test_a_report_made_offline_shows_at_once_and_is_replayed_exactly_once(
    rig: Rig,
    doctors,  # type: ignore[no-untyped-def]
) -> None:
    store = rig.store()
    assert await store.sync_once()
    await store.reports()
    zupan = doctors["zupan"]
    rig.central.stop()

    call = await store.start_call()
    store.call_id = call.id
    assert call.id < 0
    made = await store.report_provider(
        zupan, ReportIn(kind=ReportKind.FULL, note="sestra: ne sprejemajo")
    )
    assert made.id < 0 and made.provider_name == "Zupan Črt" and made.agent_name == "Test agent"
    assert store.outbox_size() == 2
    queued = store.outbox.pending()[-1]
    assert describe_entry(queued) == "report Zupan Črt full: sestra: ne sprejemajo"
    # The desk's own copy shows it on the row, and stops offering the doctor.
    row = (await store.directory(q="zupan")).entries[0]
    assert row.report is not None and row.report.id == made.id and row.open_reports == 1
    verdict = assess(row)
    assert verdict.accepts is False and verdict.disagreement
    assert verdict.freshest.source is FactSource.REPORT
    assert "Zupan Črt" not in names(await store.directory(accepting=True))
    assert [r.id for r in await store.reports()] == [made.id]
    assert stored_reports(rig) == []

    rig.central.start()
    assert await store.sync_once()
    assert store.outbox_size() == 0
    stored = stored_reports(rig)
    assert [(r.provider_id, r.kind, r.note) for r in stored] == [
        (zupan, "full", "sestra: ne sprejemajo")
    ]
    real_call = store.real_id("call", call.id)
    assert real_call is not None and stored[0].call_id == real_call
    with rig.database.read() as connection:
        keys = connection.execute(
            select(idempotency_keys.c.key).where(idempotency_keys.c.key == queued.idempotency_key)
        ).all()
    assert len(keys) == 1
    # The row now shows the real report, counted once though the feed brought it back too.
    row = (await store.directory(q="zupan")).entries[0]
    assert row.report is not None and row.report.id == stored[0].id and row.open_reports == 1
    assert store.directory_cache.entry(zupan).open_reports == 1  # type: ignore[union-attr]
    assert (await store.replay()).sent == 0
    # Asked again with the same key, the Store answers with the report it made.
    again = await store.report_provider(
        zupan, ReportIn(kind=ReportKind.FULL), idempotency_key=queued.idempotency_key
    )
    assert again.id == stored[0].id and len(stored_reports(rig)) == 1


async def test_another_desks_report_reaches_this_desks_copy_by_the_feed(rig: Rig, doctors) -> None:  # type: ignore[no-untyped-def]
    store = rig.store()
    assert await store.sync_once()
    horvat = doctors["horvat"]
    with rig.other_agent() as other:
        made = other.post(
            f"/v1/directory/{horvat}/reports", json={"kind": "full", "note": "polno"}
        ).json()
    assert await store.sync_once()
    cached = store.directory_cache.entry(horvat)
    assert cached is not None and cached.report is not None
    assert (cached.report.id, cached.report.agent_name, cached.report.kind) == (
        made["id"],
        "Test agent2",
        ReportKind.FULL,
    )
    assert cached.open_reports == 1
    with rig.other_agent() as other:
        other.post(f"/v1/reports/{made['id']}/close", json={"resolution": "ok"})
    assert await store.sync_once()
    cached = store.directory_cache.entry(horvat)
    assert cached is not None and cached.report is None and cached.open_reports == 0


async def test_a_report_closed_offline_is_replayed(rig: Rig, doctors) -> None:  # type: ignore[no-untyped-def]
    store = rig.store()
    assert await store.sync_once()
    made = await store.report_provider(doctors["kolar"], ReportIn(kind=ReportKind.CONTACT))
    assert [r.id for r in await store.reports()] == [made.id]
    rig.central.stop()
    closed = await store.close_report(made.id, ReportClose(resolution="telefon popravljen"))
    assert closed.status == "closed" and store.outbox_size() == 1
    assert await store.reports() == []
    with pytest.raises(ApiRefused, match="already closed"):
        await store.close_report(made.id, ReportClose())
    rig.central.start()
    assert await store.sync_once()
    in_database = [(r.status, r.resolution) for r in stored_reports(rig)]
    assert in_database == [("closed", "telefon popravljen")]


async def test_an_offline_report_the_service_refuses_becomes_an_issue(rig: Rig, doctors) -> None:  # type: ignore[no-untyped-def]
    store = rig.store()
    assert await store.sync_once()
    rig.central.stop()
    counter = rig.world.providers["counter-1"]  # no doctor: the service will refuse it
    made = await store.report_provider(counter, ReportIn(kind=ReportKind.FULL))
    assert made.id < 0 and made.provider_name == ""
    rig.central.start()
    await store.sync_once()
    issues = store.conflicts()
    assert [(i.kind, i.action) for i in issues] == [("refused", "report_provider")]
    assert "No doctor" in issues[0].message
    assert stored_reports(rig) == []


async def test_an_offline_wrap_up_keeps_the_referral(rig: Rig, doctors) -> None:  # type: ignore[no-untyped-def]
    store = rig.store()
    assert await store.sync_once()
    call = await store.start_call(rig.world.callers["janez"])
    rig.central.stop()
    novak = doctors["novak"]
    wrapped = await store.wrap_up(
        call.id, WrapUpIn(disposition="referred", referred_provider_id=novak)
    )
    assert wrapped.referred_provider_id == novak and wrapped.referred_provider_name == "Novak Ana"
    rig.central.start()
    assert await store.sync_once()
    with rig.database.read() as connection:
        stored = connection.execute(select(calls).where(calls.c.id == call.id)).one()
    assert stored.referred_provider_id == novak and stored.disposition == "referred"
