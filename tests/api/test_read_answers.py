"""The read routes answer with JSON serialised straight from unvalidated models: the answers
must be exactly what the validated models would give, and what the OpenAPI document says."""

from __future__ import annotations

from console.domain.models import Agent, CallerSearch, SlotPage
from console.server.slots import get_slot


def test_the_slot_list_is_what_each_slot_reads_as_on_its_own(api) -> None:
    gp = api.world.services["health-gp"]
    held = api.hold(api.world.slots[0])
    for params in (
        {"service": gp, "limit": 50},
        {"service": gp, "region": "Osrednjeslovenska"},
        {"service": gp, "location": api.world.locations["ue-center"]},
        {"service": gp, "provider": api.world.providers[next(iter(api.world.providers))]},
        {"service": gp, "region": "Podravska", "limit": 3},
    ):
        response = api.get("/v1/slots", params=params)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/json"
        body = response.json()
        assert SlotPage.model_validate(body).model_dump(mode="json") == body
        with api.database.read() as connection:
            one_by_one = [get_slot(connection, slot["id"]) for slot in body["slots"]]
        assert body["slots"] == [slot.model_dump(mode="json") for slot in one_by_one], params
        assert held["slot_id"] not in [slot["id"] for slot in body["slots"]]
        starts = [slot["starts_at"] for slot in body["slots"]]
        assert starts == sorted(starts)


def test_a_search_answer_is_a_valid_caller_search_with_phones_in_order(api) -> None:
    created = api.post(
        "/v1/callers",
        json={"first_name": "Ana", "last_name": "Kos", "phones": ["041 111 222", "01 222 33 44"]},
    )
    assert created.status_code == 201, created.text
    for query, kind in (("kos ana", "name"), ("041 111", "phone"), ("01 222 33 44", "phone")):
        response = api.get("/v1/callers", params={"q": query})
        assert response.status_code == 200, response.text
        body = response.json()
        assert CallerSearch.model_validate(body).model_dump(mode="json") == body
        assert body["kind"] == kind and body["query"] == query
        (caller,) = body["callers"]
        assert caller["phones"] == ["+38641111222", "+38612223344"]
        assert caller["matched_on"] == kind
    nobody = api.get("/v1/callers", params={"q": "zzyzx"}).json()
    assert nobody == {"query": "zzyzx", "kind": "name", "callers": [], "more": False}


def test_me_is_a_valid_agent_and_an_unknown_token_still_401(api) -> None:
    body = api.get("/v1/me").json()
    assert Agent.model_validate(body).model_dump(mode="json") == body
    response = api.client.get("/v1/me", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"
