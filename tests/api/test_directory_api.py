"""The doctor directory through the API: search, filters, the accepting rule, areas, details,
and the referral of a call to a doctor; on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import directory_fixture
import pytest
from shared_data import shared_data_or_skip

from console.domain.directory import assess
from console.domain.models import DirectoryEntry, FactSource
from console.domain.text import collation_key
from console.server.importers import import_lists, import_sledilnik


@pytest.fixture
def directory(api) -> directory_fixture.Directory:
    return directory_fixture.build_directory(api.database)


def names(api, **params) -> list[str]:
    response = api.get("/v1/directory", params=params)
    assert response.status_code == 200, response.text
    return [e["name"] for e in response.json()["entries"]]


def entry(api, name: str, **params) -> dict:
    found = api.get("/v1/directory", params={"q": name, **params}).json()["entries"]
    assert len(found) == 1, found
    return found[0]


def test_search_ignores_case_and_diacritics_and_matches_every_word(api, directory) -> None:
    assert names(api, q="cesnik") == ["Česnik Špela"]
    assert names(api, q="ČESNIK  Špela") == ["Česnik Špela"]
    assert names(api, q="crt zupan") == ["Zupan Črt"]  # words in any order
    # Words match the institution, the town and the municipality too.
    assert names(api, q="zd celje") == ["Horvat Maja", "Novak Ana"]
    assert names(api, q="crnomelj") == ["Kranjc Luka"]
    assert names(api, q="novak crnomelj") == []
    # LIKE's wildcards are literal characters in a query.
    assert names(api, q="%") == [] and names(api, q="k_lar") == []


def test_filters_by_type_municipality_region_and_listing(api, directory) -> None:
    assert names(api, type="ped") == ["Zupan Črt"]
    assert names(api, type="gyn", region="Savinjska") == ["Horvat Maja"]
    assert names(api, municipality="ČRNOMELJ") == ["Kranjc Luka"]  # folded compare
    assert names(api, municipality="crnomelj") == ["Kranjc Luka"]
    assert names(api, region="Savinjska") == ["Cankar Ivana", "Horvat Maja", "Novak Ana"]
    assert names(api, region="savinjska") == []  # regions are exact
    # A doctor no longer on the insurer's list shows only when asked for, last.
    assert "Potočnik Jože" not in names(api, municipality="Ljubljana")
    listed = api.get(
        "/v1/directory", params={"municipality": "Ljubljana", "include_inactive": "true"}
    ).json()["entries"]
    assert listed[-1]["name"] == "Potočnik Jože" and listed[-1]["active"] is False
    bad = api.get("/v1/directory", params={"type": "surgeon"})
    assert bad.status_code == 422 and bad.json()["field"] == "type"


def test_accepting_follows_the_freshest_evidence_and_rows_keep_every_source(
    api,
    directory,
) -> None:
    # The insurer says Česnik accepts, a newer correction says full: not offered. The insurer
    # says Novak is full, a newer correction says she accepts again: offered.
    accepting = names(api, accepting="true", type="gp")
    assert accepting == ["Cankar Ivana", "Čater Boris", "Kolar Miran", "Novak Ana"]
    assert "Česnik Špela" in names(api, accepting="false")
    assert "Kranjc Luka" in names(api, accepting="false")
    cesnik = entry(api, "cesnik")
    assert cesnik["accepts"] is True and cesnik["list_date"] == "2026-08-21"
    assert cesnik["correction"]["source"] == "sledilnik-override"
    assert cesnik["correction"]["accepts"] is False
    assert cesnik["correction"]["as_of"] == "2026-09-01"
    verdict = assess(DirectoryEntry.model_validate(cesnik))
    assert verdict.accepts is False and verdict.disagreement
    assert verdict.freshest.source is FactSource.SLEDILNIK_OVERRIDE
    # A correction that states nothing about accepting (a new phone number) is not one.
    assert entry(api, "kolar")["correction"] is None


def test_order_is_accepting_first_then_name_the_slovenian_way(api, directory) -> None:
    page = api.get("/v1/directory").json()
    ordered = [e["name"] for e in page["entries"]]
    assert ordered == [
        # accepting: Č after C, by the freshest evidence
        "Cankar Ivana",
        "Čater Boris",
        "Horvat Maja",
        "Kolar Miran",
        "Novak Ana",
        "Zupan Črt",
        # unknown: the world's doctor has no dated list
        "dr. Ana Novak",
        # full
        "Česnik Špela",
        "Kranjc Luka",
    ]
    assert page["total"] == 9 and page["more"] is False


def test_pages(api, directory) -> None:
    first = api.get("/v1/directory", params={"limit": 4}).json()
    second = api.get("/v1/directory", params={"limit": 4, "offset": 4}).json()
    last = api.get("/v1/directory", params={"limit": 4, "offset": 8}).json()
    assert (first["total"], first["more"], second["more"], last["more"]) == (9, True, True, False)
    seen = [e["name"] for page in (first, second, last) for e in page["entries"]]
    assert seen == names(api)
    assert api.get("/v1/directory", params={"limit": 0}).status_code == 422


def test_areas_are_those_with_doctors_in_slovenian_order(api, directory) -> None:
    areas = api.get("/v1/directory/areas").json()
    assert areas["municipalities"] == [
        "Celje",
        "Cerknica",
        "Črnomelj",
        "Ljubljana",
        "Maribor",
        "Šentjur",
    ]
    assert areas["regions"] == [
        "Jugovzhodna Slovenija",
        "Osrednjeslovenska",
        "Podravska",
        "Primorsko-notranjska",
        "Savinjska",
    ]
    # Offices of the administrative unit are no doctors' municipality.
    assert "UE Ljubljana, Izpostava Center" not in areas["municipalities"]


def test_details_bring_contacts_facts_history_and_reports(api, directory) -> None:
    kolar = directory.doctors["kolar"]
    report = api.post(f"/v1/directory/{kolar}/reports", json={"kind": "contact", "note": "x"})
    closed = api.post(f"/v1/directory/{kolar}/reports", json={"kind": "full", "note": "polno"})
    api.post(f"/v1/reports/{closed.json()['id']}/close", json={"resolution": "checked"})
    detail = api.get(f"/v1/directory/{kolar}")
    assert detail.status_code == 200, detail.text
    d = detail.json()
    assert (d["name"], d["type"], d["doctor_code"], d["activity_code"]) == (
        "Kolar Miran",
        "gp",
        "11111",
        "302001",
    )
    assert (d["institution"], d["address"], d["postcode"], d["town"]) == (
        "ZD Ljubljana, Enota Center",
        "Metelkova 9",
        "1000",
        "Ljubljana",
    )
    # The newest dated source that has it: the correction's phone, Sledilnik's order form.
    assert d["phone"] == "041 111 222"
    assert d["website"] == "https://zd-lj.si" and d["orderform"] == "https://zd-lj.si/narocanje"
    assert d["email"] == "kolar@zd-lj.si"
    assert (d["lat"], d["lon"]) == (46.0569, 14.5058)
    assert [(f["source"], f["as_of"]) for f in d["facts"]] == [
        ("sledilnik-override", "2026-09-01"),
        ("sledilnik", "2026-08-22"),
        ("zzzs", "2026-08-21"),
    ]
    assert d["facts"][2]["accepts"] is True
    assert [(h["change"], h["as_of"], h["old_value"], h["new_value"]) for h in d["history"]] == [
        ("accepts", "2026-08-21", "NE", "DA"),
        ("added", "2026-08-07", None, None),
    ]
    assert [(r["kind"], r["status"]) for r in d["reports"]] == [
        ("full", "closed"),
        ("contact", "open"),
    ]
    assert d["open_reports"] == 1 and d["report"]["id"] == report.json()["id"]
    assert (d["capitation_per_team"], d["patients_per_team"], d["resident"]) == (
        2400.0,
        1850.0,
        False,
    )


def test_details_fall_back_to_the_clinic_and_say_what_is_missing(api, directory) -> None:
    zupan = api.get(f"/v1/directory/{directory.doctors['zupan']}").json()
    assert zupan["phone"] == "01 300 30 00"  # the clinic's phone, from Sledilnik's institutions
    assert zupan["website"] == "https://www.zd-lj.si" and zupan["orderform"] is None
    assert (zupan["lat"], zupan["lon"]) == (46.05, 14.5)
    assert [f["source"] for f in zupan["facts"]] == ["zzzs"] and zupan["history"] == []
    missing = api.get("/v1/directory/999999")
    assert missing.status_code == 404
    assert missing.json() == {
        "error": "doctor_not_found",
        "message": "No doctor 999999.",
        "field": None,
    }
    counter = api.get(f"/v1/directory/{api.world.providers['counter-1']}")
    assert counter.status_code == 404  # a clerk's counter is no doctor


def test_a_wrap_up_records_the_doctor_the_caller_was_referred_to(api, directory) -> None:
    call = api.post("/v1/calls", json={"caller_id": api.world.callers["janez"]}).json()
    unknown = api.post(
        f"/v1/calls/{call['id']}/wrapup",
        json={"disposition": "referred", "referred_provider_id": 999999},
    )
    assert unknown.status_code == 422
    assert unknown.json()["field"] == "referred_provider_id"
    counter = api.post(
        f"/v1/calls/{call['id']}/wrapup",
        json={"disposition": "referred", "referred_provider_id": api.world.providers["counter-1"]},
    )
    assert counter.status_code == 422 and counter.json()["field"] == "referred_provider_id"
    novak = directory.doctors["novak"]
    wrapped = api.post(
        f"/v1/calls/{call['id']}/wrapup",
        json={"disposition": "referred", "referred_provider_id": novak},
    )
    assert wrapped.status_code == 200, wrapped.text
    assert wrapped.json()["referred_provider_id"] == novak
    assert wrapped.json()["referred_provider_name"] == "Novak Ana"
    read = api.get(f"/v1/calls/{call['id']}").json()
    assert (read["referred_provider_id"], read["referred_provider_name"]) == (novak, "Novak Ana")
    listed = api.get("/v1/calls", params={"caller": api.world.callers["janez"]}).json()
    assert listed[0]["referred_provider_name"] == "Novak Ana"
    feed = api.get("/v1/changes").json()["changes"]
    call_rows = [change for change in feed if change["entity"] == "call"]
    assert call_rows[-1]["op"] == "wrapped"
    assert call_rows[-1]["data"]["referred_provider_id"] == novak


def test_a_call_without_a_referral_says_none(api, directory) -> None:
    call = api.post("/v1/calls", json={}).json()
    wrapped = api.post(f"/v1/calls/{call['id']}/wrapup", json={"disposition": "referred"}).json()
    assert wrapped["referred_provider_id"] is None and wrapped["referred_provider_name"] is None


def test_directory_reads_need_a_token_and_are_open_to_supervisors(api, directory) -> None:
    assert api.client.get("/v1/directory").status_code == 401
    assert api.get("/v1/directory", "supervisor").status_code == 200
    assert api.get("/v1/directory/areas", "supervisor").status_code == 200
    kolar = directory.doctors["kolar"]
    assert api.get(f"/v1/directory/{kolar}", "supervisor").status_code == 200


def test_the_list_date_is_the_evidence_date(api, directory) -> None:
    kolar = DirectoryEntry.model_validate(entry(api, "kolar"))
    verdict = assess(kolar)
    assert verdict.freshest is not None
    assert (verdict.freshest.source, verdict.freshest.as_of) == (FactSource.ZZZS, date(2026, 8, 21))


def test_the_directory_over_the_real_lists(api) -> None:
    """The insurer's three lists and Sledilnik's copy, imported by the real importers: a
    family doctor accepting in a given municipality, the freshness and the disagreements."""
    data = shared_data_or_skip()
    import_lists(api.database, sorted((data / "zzzs").glob("*.xlsx")))
    import_sledilnik(api.database, data / "zdravniki")

    everything = api.get("/v1/directory", params={"limit": 1000}).json()
    assert everything["total"] > 3000 and everything["more"]
    kolar = entry(api, "kolar miran")
    assert (kolar["name"], kolar["type"], kolar["municipality"]) == ("Kolar Miran", "gp", "Celje")
    assert kolar["list_date"] == "2026-08-21" and kolar["accepts"] is False

    areas = api.get("/v1/directory/areas").json()
    municipalities = areas["municipalities"]
    assert municipalities == sorted(municipalities, key=collation_key)
    assert len(municipalities) > 150 and len(areas["regions"]) == 12
    c, cr, d = (municipalities.index(m) for m in ("Cirkulane", "Črnomelj", "Destrnik"))
    assert c < cr < d

    accepting = api.get(
        "/v1/directory",
        params={"type": "gp", "municipality": "Ljubljana", "accepting": "true", "limit": 500},
    ).json()["entries"]
    assert accepting
    for row in accepting:
        assert (row["type"], row["municipality"]) == ("gp", "Ljubljana")
        assert assess(DirectoryEntry.model_validate(row)).accepts is True
    # Where Sledilnik's dated correction contradicts the insurer, the row says so.
    rows = [DirectoryEntry.model_validate(e) for e in everything["entries"]]
    rows += [
        DirectoryEntry.model_validate(e)
        for offset in range(1000, everything["total"], 1000)
        for e in api.get("/v1/directory", params={"limit": 1000, "offset": offset}).json()[
            "entries"
        ]
    ]
    disagreeing = [r for r in rows if assess(r).disagreement]
    assert disagreeing and all(r.correction is not None for r in disagreeing)
    # Reported full, the first of them leaves the list of doctors to send callers to.
    first = accepting[0]
    made = api.post(f"/v1/directory/{first['provider_id']}/reports", json={"kind": "full"})
    assert made.status_code == 201
    again = api.get(
        "/v1/directory",
        params={"type": "gp", "municipality": "Ljubljana", "accepting": "true", "limit": 500},
    ).json()["entries"]
    assert [r["provider_id"] for r in again] == [r["provider_id"] for r in accepting[1:]]
