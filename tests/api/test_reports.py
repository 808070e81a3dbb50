"""Agents' reports that the directory is wrong: made, shown on the row for everyone (change
feed), listed for supervisors, closed, refused to supervisors, exported as CSV."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import directory_fixture
import pytest
from sqlalchemy import select

from console.domain.calendar import TZ
from console.domain.directory import assess
from console.domain.models import DirectoryEntry, FactSource
from console.server.reports import CSV_COLUMNS, export_reports_csv
from console.server.schema import audit_log, provider_reports


@pytest.fixture
def directory(api) -> directory_fixture.Directory:
    return directory_fixture.build_directory(api.database)


def report(api, provider_id: int, kind: str = "full", note: str = "", who: str = "agent", **kw):
    return api.post(
        f"/v1/directory/{provider_id}/reports", who, json={"kind": kind, "note": note}, **kw
    )


def row(api, name: str) -> dict:
    return api.get("/v1/directory", params={"q": name}).json()["entries"][0]


def test_a_full_report_shows_on_the_row_as_disagreement_and_leaves_the_accepting_list(
    api,
    directory,
) -> None:
    zupan = directory.doctors["zupan"]
    before = api.get("/v1/changes/latest").json()["last_seq"]
    assert "Zupan Črt" in [
        e["name"] for e in api.get("/v1/directory?accepting=true").json()["entries"]
    ]
    made = report(api, zupan, "full", "  Sestra pravi, da ne sprejemajo več.  ")
    assert made.status_code == 201, made.text
    r = made.json()
    assert (r["provider_id"], r["provider_name"], r["institution"], r["type"]) == (
        zupan,
        "Zupan Črt",
        "ZD Ljubljana, Enota Center",
        "ped",
    )
    assert (r["kind"], r["note"], r["status"], r["agent_name"]) == (
        "full",
        "Sestra pravi, da ne sprejemajo več.",
        "open",
        "Test agent",
    )
    # Every desk learns of it from the change feed, with what the row needs to show it.
    feed = api.get("/v1/changes", params={"since": before}).json()["changes"]
    assert [(c["entity"], c["entity_id"], c["op"]) for c in feed] == [
        ("provider", zupan, "reported")
    ]
    assert feed[0]["agent_id"] == api.world.agents["agent"]
    assert feed[0]["data"] == {
        "report_id": r["id"],
        "kind": "full",
        "note": "Sestra pravi, da ne sprejemajo več.",
        "agent_name": "Test agent",
        "created_at": r["created_at"],
    }
    # The insurer still says accepts; the row carries both, and the report wins as freshest.
    shown = row(api, "zupan")
    assert shown["accepts"] is True and shown["open_reports"] == 1
    assert shown["report"]["id"] == r["id"]
    verdict = assess(DirectoryEntry.model_validate(shown))
    assert verdict.accepts is False and verdict.disagreement
    assert verdict.freshest.source is FactSource.REPORT and verdict.freshest.who == "Test agent"
    accepting = [e["name"] for e in api.get("/v1/directory?accepting=true").json()["entries"]]
    assert "Zupan Črt" not in accepting
    # Closed, the report no longer counts: the doctor is offered again.
    closed = api.post(f"/v1/reports/{r['id']}/close", json={"resolution": "ZZZS popravil"})
    assert closed.status_code == 200, closed.text
    c = closed.json()
    assert (c["status"], c["resolution"], c["closed_by_name"]) == (
        "closed",
        "ZZZS popravil",
        "Test agent",
    )
    assert c["closed_at"] is not None
    assert row(api, "zupan")["report"] is None and row(api, "zupan")["open_reports"] == 0
    accepting = [e["name"] for e in api.get("/v1/directory?accepting=true").json()["entries"]]
    assert "Zupan Črt" in accepting
    feed = api.get("/v1/changes", params={"since": before}).json()["changes"]
    assert [(c["entity_id"], c["op"]) for c in feed] == [
        (zupan, "reported"),
        (zupan, "report_closed"),
    ]
    assert feed[-1]["data"] == {"report_id": r["id"], "kind": "full", "resolution": "ZZZS popravil"}
    again = api.post(f"/v1/reports/{r['id']}/close", json={})
    assert again.status_code == 409 and again.json()["error"] == "report_closed"


def test_an_accepts_report_puts_a_listed_full_doctor_among_the_accepting(api, directory) -> None:
    kranjc = directory.doctors["kranjc"]
    assert report(api, kranjc, "accepts", "sprejema od ponedeljka").status_code == 201
    accepting = [e["name"] for e in api.get("/v1/directory?accepting=true").json()["entries"]]
    assert "Kranjc Luka" in accepting


def test_the_row_shows_the_report_that_says_full_over_a_later_contact_report(
    api,
    directory,
) -> None:
    horvat = directory.doctors["horvat"]
    full = report(api, horvat, "full").json()
    report(api, horvat, "contact", "telefon ne deluje", who="agent2")
    shown = row(api, "horvat")
    assert shown["open_reports"] == 2 and shown["report"]["id"] == full["id"]
    assert assess(DirectoryEntry.model_validate(shown)).accepts is False


def test_reports_are_listed_newest_first_for_agents_and_supervisors(api, directory) -> None:
    first = report(api, directory.doctors["kolar"], "full").json()
    second = report(api, directory.doctors["horvat"], "contact", who="agent2").json()
    third = report(api, directory.doctors["kranjc"], "other").json()
    api.post(f"/v1/reports/{third['id']}/close", json={"resolution": "ok"})
    for who in ("agent", "supervisor"):
        listed = api.get("/v1/reports", who)
        assert listed.status_code == 200
        assert [r["id"] for r in listed.json()] == [second["id"], first["id"]]
    assert [r["id"] for r in api.get("/v1/reports?status=closed").json()] == [third["id"]]
    everything = api.get("/v1/reports", params={"status": "all"}).json()
    assert [r["id"] for r in everything] == [third["id"], second["id"], first["id"]]
    assert everything[1]["agent_name"] == "Test agent2"
    assert everything[1]["institution"] == "ZD Celje" and everything[1]["type"] == "gyn"
    assert [r["id"] for r in api.get("/v1/reports?status=all&limit=1").json()] == [third["id"]]
    bad = api.get("/v1/reports", params={"status": "pending"})
    assert bad.status_code == 422 and bad.json()["field"] == "status"


def test_supervisors_read_reports_but_cannot_write(api, directory) -> None:
    kolar = directory.doctors["kolar"]
    refused = report(api, kolar, who="supervisor")
    assert refused.status_code == 403 and refused.json()["error"] == "forbidden"
    made = report(api, kolar).json()
    closing = api.post(f"/v1/reports/{made['id']}/close", "supervisor", json={})
    assert closing.status_code == 403
    with api.database.read() as connection:
        stored = connection.execute(select(provider_reports)).all()
    assert [(r.id, r.status) for r in stored] == [(made["id"], "open")]
    assert api.post(f"/v1/reports/{made['id']}/close", "admin", json={}).status_code == 200


def test_a_report_is_audited_with_its_call(api, directory) -> None:
    call = api.post("/v1/calls", json={}).json()
    kolar = directory.doctors["kolar"]
    by_header = report(api, kolar, "full", "polno", headers={"X-Call-Id": str(call["id"])})
    assert by_header.status_code == 201 and by_header.json()["call_id"] == call["id"]
    in_body = api.post(
        f"/v1/directory/{kolar}/reports", json={"kind": "contact", "call_id": call["id"]}
    )
    assert in_body.json()["call_id"] == call["id"]
    with api.database.read() as connection:
        audited = connection.execute(
            select(audit_log).where(audit_log.c.entity == "provider").order_by(audit_log.c.id)
        ).all()
    assert [(a.action, a.entity_id, a.call_id, a.agent_id) for a in audited] == [
        ("report", kolar, call["id"], api.world.agents["agent"]),
        ("report", kolar, call["id"], api.world.agents["agent"]),
    ]
    assert "full: polno" in audited[0].detail
    unknown_call = api.post(
        f"/v1/directory/{kolar}/reports", json={"kind": "full", "call_id": 999999}
    )
    assert unknown_call.status_code == 422 and unknown_call.json()["field"] == "call_id"


def test_bad_reports_are_refused_clearly(api, directory) -> None:
    kolar = directory.doctors["kolar"]
    unknown = report(api, 999999)
    assert unknown.status_code == 404 and unknown.json()["error"] == "doctor_not_found"
    counter = report(api, api.world.providers["counter-1"])
    assert counter.status_code == 404
    kind = api.post(f"/v1/directory/{kolar}/reports", json={"kind": "angry"})
    assert kind.status_code == 422 and kind.json()["field"] == "kind"
    long = api.post(f"/v1/directory/{kolar}/reports", json={"kind": "full", "note": "x" * 501})
    assert long.status_code == 422 and long.json()["field"] == "note"
    missing = api.post("/v1/reports/999999/close", json={})
    assert missing.status_code == 404 and missing.json()["error"] == "report_not_found"


def test_a_retried_report_is_stored_once(api, directory) -> None:
    kolar = directory.doctors["kolar"]
    key = {"Idempotency-Key": "report-retry-0001"}
    first = report(api, kolar, "full", "polno", headers=key)
    second = report(api, kolar, "full", "polno", headers=key)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    other = report(api, kolar, "accepts", headers=key)
    assert other.status_code == 422 and other.json()["error"] == "idempotency_key_reused"
    with api.database.read() as connection:
        assert len(connection.execute(select(provider_reports)).all()) == 1
    closing = {"Idempotency-Key": "close-retry-0001"}
    report_id = first.json()["id"]
    closed = api.post(f"/v1/reports/{report_id}/close", json={}, headers=closing)
    retried = api.post(f"/v1/reports/{report_id}/close", json={}, headers=closing)
    assert closed.status_code == retried.status_code == 200
    assert closed.json() == retried.json()


def test_export_writes_the_reports_as_csv_for_the_data_owner(api, directory) -> None:
    cesnik = directory.doctors["cesnik"]
    made = report(api, cesnik, "full", 'Pravi: "polno", tudi za otroke').json()
    closed = report(api, directory.doctors["kranjc"], "accepts", "sprejema", who="agent2").json()
    api.post(f"/v1/reports/{closed['id']}/close", json={"resolution": "preverjeno"})

    out = io.StringIO()
    assert export_reports_csv(api.database, out) == 1
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[0] == list(CSV_COLUMNS)
    record = dict(zip(rows[0], rows[1], strict=True))
    created = datetime.fromisoformat(made["created_at"].replace("Z", "+00:00"))
    local = created.astimezone(TZ)
    assert record == {
        "report_id": str(made["id"]),
        "created_at": local.strftime("%Y-%m-%d %H:%M:%S"),
        "agent": "Test agent",
        "kind": "full",
        "note": 'Pravi: "polno", tudi za otroke',
        "doctor": "Česnik Špela",
        "doctor_code": "22222",
        "activity_code": "302001",
        "institution": "ZD Ljubljana, Enota Center",
        "institution_code": "01234",
        "municipality": "Ljubljana",
        "zzzs_accepts": "DA",
        "zzzs_list_date": "2026-08-21",
        "status": "open",
        "resolution": "",
    }
    everything = io.StringIO()
    with api.database.read() as connection:
        assert export_reports_csv(connection, everything, status="all") == 2
    rows = list(csv.DictReader(io.StringIO(everything.getvalue())))
    assert [(r["report_id"], r["status"], r["resolution"]) for r in rows] == [
        (str(made["id"]), "open", ""),
        (str(closed["id"]), "closed", "preverjeno"),
    ]
    assert rows[1]["zzzs_accepts"] == "NE" and rows[1]["agent"] == "Test agent2"
    assert export_reports_csv(api.database, io.StringIO(), status="closed") == 1
