"""What an adversarial probe of the central service found (issue 13), item by item, on SQLite
and PostgreSQL: bad input of every kind is a 4xx naming the field, never a 500; the OpenAPI
document says what the service answers. The races (items 1 and 4) are in
``tests/concurrency/test_no_lost_update.py``; the connection after an error (8) in
``tests/server/test_guard.py`` and ``tests/client/test_broken_connection.py``; ``serve`` (9, 11,
15) in ``tests/server/test_serve.py`` and ``tests/server/test_crash_safety.py``."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from console.server.schema import audit_log, callers, changes, holds

BIG = 2**63  # past any 64-bit integer
PAST = 2**53  # one past the largest id the API takes
INT4 = 2**31  # one past PostgreSQL's int4


def _error(response, status: int, field: str | None, error: str | None = None) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "message", "field"}, body
    assert body["field"] == field, body
    if error is not None:
        assert body["error"] == error, body
    assert body["message"]
    return body


def _call(api, who: str = "agent", **body) -> dict:  # type: ignore[no-untyped-def]
    response = api.post("/v1/calls", who, json=body)
    assert response.status_code == 201, response.text
    return response.json()


# --- 2. unknown ids are 422 naming the field, not a foreign-key 500 ----------------------------


def test_2_unknown_caller_or_call_ids_are_422_naming_the_field(api) -> None:
    janez, slot = api.world.callers["janez"], api.world.slots[0]
    _error(api.post("/v1/calls", json={"caller_id": 99999}), 422, "caller_id", "caller_not_found")
    call = _call(api)
    for value in (99999, False):  # false is not read as 0 any more: ids are integers
        response = api.patch(f"/v1/calls/{call['id']}", json={"caller_id": value})
        _error(response, 422, "caller_id")
    body = {"caller_id": janez, "slot_id": slot, "call_id": 99999}
    _error(api.post("/v1/bookings", json=body), 422, "call_id", "call_not_found")
    headers = {"X-Call-Id": "99999"}
    response = api.post("/v1/bookings", json={"caller_id": janez, "slot_id": slot}, headers=headers)
    _error(response, 422, "X-Call-Id", "call_not_found")
    booking = api.book(slot)
    path = f"/v1/bookings/{booking['reference']}/reschedule"
    body = {"slot_id": api.world.slots[1], "call_id": 99999}
    _error(api.post(path, json=body), 422, "call_id", "call_not_found")
    response = api.post(path, json={"slot_id": api.world.slots[1]}, headers=headers)
    _error(response, 422, "X-Call-Id", "call_not_found")
    # Nothing was written by the refused requests: the booking still stands where it was.
    assert api.get(f"/v1/bookings/{booking['reference']}").json()["status"] == "confirmed"


# --- 3. control characters are refused the same way on both engines ---------------------------


def _send(api, method: str, path: str, body: dict, who: str = "agent"):  # type: ignore[no-untyped-def]
    """A JSON body as its bytes (ASCII escapes: a lone surrogate travels as \\ud800)."""
    headers = {**api.world.headers(who), "Content-Type": "application/json"}
    return api.client.request(method, path, content=json.dumps(body), headers=headers)


@pytest.mark.parametrize("bad", ["\x00", "\x07", "\x1b[2J", "\x7f", "\x85", "\ud800"])
def test_3_control_characters_in_text_are_422_naming_the_field(api, bad: str) -> None:
    janez = api.world.callers["janez"]
    for field in ("first_name", "last_name", "notes"):
        body = {"first_name": "Ana", "last_name": "Kos", field: f"a{bad}b"}
        _error(_send(api, "POST", "/v1/callers", body), 422, field)
        _error(_send(api, "PATCH", f"/v1/callers/{janez}", {field: f"a{bad}b"}), 422, field)
    body = {"caller_id": janez, "slot_id": api.world.slots[0], "notes": f"x{bad}"}
    _error(_send(api, "POST", "/v1/bookings", body), 422, "notes")
    booking = api.book(api.world.slots[1])
    response = _send(api, "POST", f"/v1/bookings/{booking['reference']}/cancel", {"reason": bad})
    _error(response, 422, "reason")
    call = _call(api)
    body = {"disposition": "booked", "notes": f"ok{bad}"}
    _error(_send(api, "POST", f"/v1/calls/{call['id']}/wrapup", body), 422, "notes")
    doctor = api.world.providers["dr-novak"]
    body = {"kind": "full", "note": bad}
    _error(_send(api, "POST", f"/v1/directory/{doctor}/reports", body), 422, "note")
    if bad == "\ud800":
        return  # a URL cannot carry a lone surrogate at all
    service = api.world.services["ue-id-card"]
    for path, params, field in (
        ("/v1/callers", {"q": f"novak{bad}"}, "q"),
        ("/v1/slots", {"service": service, "region": f"Pod{bad}"}, "region"),
        ("/v1/locations", {"region": f"Pod{bad}"}, "region"),
        ("/v1/providers", {"specialty": f"gp{bad}"}, "specialty"),
        ("/v1/directory", {"q": f"novak{bad}"}, "q"),
        ("/v1/directory", {"municipality": f"Maribor{bad}"}, "municipality"),
    ):
        _error(api.get(path, params=params), 422, field)


def test_3_notes_keep_line_breaks_and_tabs(api) -> None:
    janez = api.world.callers["janez"]
    response = api.patch(f"/v1/callers/{janez}", json={"notes": "line one\nline two\r\n\tend"})
    assert response.status_code == 200, response.text
    assert response.json()["notes"] == "line one\nline two\r\n\tend"
    # ... but a name is one line.
    _error(api.patch(f"/v1/callers/{janez}", json={"first_name": "Ja\nnez"}), 422, "first_name")


# --- 5. integers out of range ----------------------------------------------------------------


def test_5_ids_past_the_apis_range_are_422_everywhere(api) -> None:
    janez, slot = api.world.callers["janez"], api.world.slots[0]
    for path, field in (
        (f"/v1/callers/{BIG}", "caller_id"),
        (f"/v1/slots/{BIG}", "slot_id"),
        (f"/v1/calls/{BIG}", "call_id"),
        (f"/v1/directory/{BIG}", "provider_id"),
    ):
        _error(api.get(path), 422, field)
    _error(api.get("/v1/bookings", params={"caller": BIG}), 422, "caller")
    _error(api.get("/v1/slots", params={"service": BIG}), 422, "service")
    _error(api.get("/v1/calls", params={"caller": BIG}), 422, "caller")
    _error(api.get("/v1/changes", params={"since": BIG}), 422, "since")
    _error(api.get("/v1/directory", params={"offset": BIG}), 422, "offset")
    _error(api.post("/v1/holds", json={"slot_id": BIG}), 422, "slot_id")
    _error(api.post("/v1/bookings", json={"caller_id": BIG, "slot_id": slot}), 422, "caller_id")
    _error(api.post("/v1/bookings", json={"caller_id": janez, "slot_id": BIG}), 422, "slot_id")
    response = api.post(
        "/v1/bookings", json={"caller_id": janez, "slot_id": slot}, headers={"X-Call-Id": str(BIG)}
    )
    _error(response, 422, "X-Call-Id")
    _error(api.delete(f"/v1/holds/{BIG}"), 422, "hold_id")
    _error(api.get(f"/v1/callers/{PAST}"), 422, "caller_id")
    _error(api.post("/v1/holds", json={"slot_id": PAST}), 422, "slot_id")
    response = api.get(f"/v1/callers/{janez}", headers={"X-Call-Id": str(PAST)})
    _error(response, 422, "X-Call-Id")
    for bad in (0, -1):
        _error(api.post("/v1/holds", json={"slot_id": bad}), 422, "slot_id")


def test_5_ids_past_32_bits_are_ordinary_unknown_ids(api) -> None:
    """PostgreSQL's int4 columns overflowed at 2^31; ids are 64-bit everywhere now."""
    assert api.get(f"/v1/directory/{INT4}").status_code == 404
    assert api.get(f"/v1/slots/{INT4}").status_code == 404
    assert api.get("/v1/slots", params={"service": INT4}).json() == {"slots": []}
    assert api.get("/v1/providers", params={"service": INT4, "location": INT4}).json() == []
    assert api.post(f"/v1/reports/{INT4}/close", json={}).status_code == 404
    assert api.post(f"/v1/directory/{INT4}/reports", json={"kind": "full"}).status_code == 404
    call = _call(api)
    response = api.post(
        f"/v1/calls/{call['id']}/wrapup",
        json={"disposition": "referred", "referred_provider_id": INT4},
    )
    _error(response, 422, "referred_provider_id", "provider_not_found")


# --- 6. an explicit null in a caller's PATCH ---------------------------------------------------


@pytest.mark.parametrize(
    "field", ["first_name", "last_name", "notes", "language", "flags", "phones"]
)
def test_6_null_for_a_field_that_is_never_null_is_422_naming_it(api, field: str) -> None:
    janez = api.world.callers["janez"]
    _error(api.patch(f"/v1/callers/{janez}", json={field: None}), 422, field)
    assert api.get(f"/v1/callers/{janez}").json()["first_name"] == "Janez"


def test_6_null_clears_what_may_be_empty(api) -> None:
    janez = api.world.callers["janez"]
    response = api.patch(
        f"/v1/callers/{janez}", json={"emso": None, "zzzs_number": None, "email": None}
    )
    assert response.status_code == 200, response.text
    assert (response.json()["emso"], response.json()["zzzs_number"]) == (None, None)
    _error(api.patch(f"/v1/callers/{janez}", json={}), 422, "body")


# --- 7. dates at the calendar's edge ---------------------------------------------------------


def test_7_dates_outside_2000_to_2099_are_422_naming_the_field(api) -> None:
    service = api.world.services["ue-id-card"]
    for params, field in (
        ({"from": "9999-12-31T23:59:59Z"}, "from"),
        ({"from": "0001-01-01T00:00:00Z"}, "from"),
        ({"to": "9999-12-31T23:59:59Z"}, "to"),
    ):
        _error(api.get("/v1/slots", params={"service": service, **params}), 422, field)
    # The last moment of the calendar is a window that ends in 2100: still no 500.
    edge = api.get("/v1/slots", params={"service": service, "from": "2099-12-31T23:59:59Z"})
    assert edge.status_code == 200 and edge.json() == {"slots": []}
    call = _call(api)
    path = f"/v1/calls/{call['id']}/wrapup"
    for field, value in (
        ("ended_at", "9999-12-31T23:59:59Z"),
        ("ended_at", "0001-01-01T00:00:00Z"),
        ("follow_up_at", "9999-12-31T23:59:59Z"),
        ("follow_up_at", "0001-01-01T00:00:00+14:00"),
    ):
        _error(api.post(path, json={"disposition": "booked", field: value}), 422, field)


def test_7_a_wrap_up_cannot_end_in_the_future(api) -> None:
    call = _call(api)
    path = f"/v1/calls/{call['id']}/wrapup"
    later = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    _error(api.post(path, json={"disposition": "booked", "ended_at": later}), 422, "ended_at")
    skewed = (datetime.now(UTC) + timedelta(minutes=2)).isoformat()  # a desk's clock runs fast
    next_year = (datetime.now(UTC) + timedelta(days=400)).isoformat()  # a call back next year
    done = api.post(
        path, json={"disposition": "callback", "ended_at": skewed, "follow_up_at": next_year}
    )
    assert done.status_code == 200, done.text


# --- 10. a body limit, and every string and list bounded --------------------------------------


def test_10_a_body_over_the_limit_is_413_before_it_is_read(api) -> None:
    big = json.dumps({"first_name": "Ana", "last_name": "Kos", "notes": "x" * (30 << 20)})
    _error(api.post("/v1/callers", content=big), 413, "body", "body_too_large")

    def chunks():  # type: ignore[no-untyped-def]
        yield b'{"first_name": "Ana", "last_name": "Kos", "notes": "'
        for _ in range(100):
            yield b"x" * 1024
        yield b'"}'

    huge_flag = {"flags": ["x" * (1 << 20)]}
    response = api.patch(f"/v1/callers/{api.world.callers['janez']}", json=huge_flag)
    _error(response, 413, "body", "body_too_large")
    # Sent in chunks, without a length: refused once the limit is crossed.
    _error(api.post("/v1/callers", content=chunks()), 413, "body", "body_too_large")
    with api.database.read() as connection:
        assert (
            connection.execute(select(callers.c.id).where(callers.c.last_name == "Kos")).all() == []
        )


@pytest.mark.parametrize(
    "body, field",
    [
        ({"flags": ["x" * 41]}, "flags.0"),
        ({"flags": ["x"] * 21}, "flags"),
        ({"phones": ["041 234 567"] * 6}, "phones"),
        ({"phones": ["0" * 41]}, "phones.0"),
        ({"emso": "1" * 21}, "emso"),
        ({"zzzs_number": "1" * 21}, "zzzs_number"),
        ({"email": "a" * 250 + "@x.si"}, "email"),
        ({"language": "slovenščina"}, "language"),
        ({"notes": "x" * 4001}, "notes"),
        ({"first_name": "x" * 81}, "first_name"),
    ],
)
def test_10_every_string_and_list_is_bounded(api, body: dict, field: str) -> None:
    _error(api.patch(f"/v1/callers/{api.world.callers['janez']}", json=body), 422, field)


# --- 12. the OpenAPI document tells the truth --------------------------------------------------


def _operations(document: dict):  # type: ignore[no-untyped-def]
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def test_12_every_operation_documents_its_errors_with_the_error_model(api) -> None:
    document = api.client.get("/openapi.json").json()
    assert document["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    error_model = {"$ref": "#/components/schemas/ApiError"}
    for path, method, operation in _operations(document):
        responses = operation["responses"]
        wanted = {"503"} | ({"401"} if path.startswith("/v1/") else set())
        if operation.get("parameters") or "requestBody" in operation:
            wanted |= {"422"}
        if "requestBody" in operation:
            wanted |= {"413"}
        if method in ("post", "patch", "delete"):
            wanted |= {"403"}
        if "{" in path:
            wanted |= {"404"}
        assert wanted <= set(responses), (method, path, sorted(responses))
        for status, response in responses.items():
            if not status.startswith("2"):
                schema = response["content"]["application/json"]["schema"]
                assert schema == error_model, (method, path, status)
    for write in ("/v1/bookings", "/v1/holds", "/v1/callers"):
        assert "409" in document["paths"][write]["post"]["responses"]
    assert "HTTPValidationError" not in document["components"]["schemas"]


def test_12_the_idempotency_key_and_the_reference_format_are_documented(api) -> None:
    document = api.client.get("/openapi.json").json()
    keyed = 0
    for path, method, operation in _operations(document):
        for parameter in operation.get("parameters", []):
            if parameter["name"] == "Idempotency-Key":
                keyed += 1
                schema = parameter["schema"]
                assert (schema["minLength"], schema["maxLength"]) == (8, 80)
                assert "per agent" in parameter["description"]
        # Every write of a desk takes a key; the telephone system's events are idempotent by
        # their call id, a desk's extension (PUT/DELETE) by nature (README, "API").
        if method in ("post", "patch", "delete") and path.startswith("/v1/"):
            if path.startswith("/v1/telephony/"):
                continue
            names = [p["name"] for p in operation.get("parameters", [])]
            assert "Idempotency-Key" in names, (method, path)
    assert keyed >= 12
    reference = next(
        p
        for p in document["paths"]["/v1/bookings/{reference}"]["get"]["parameters"]
        if p["name"] == "reference"
    )
    assert reference["schema"]["pattern"].startswith("^[ACDEFHJKMNPRTUVWXY34679")
    assert "check" in reference["description"]
    wrap_up = document["components"]["schemas"]["WrapUpIn"]["properties"]["disposition"]
    assert "callback" in wrap_up["enum"]


def test_12_every_role_gets_only_documented_statuses_on_every_operation(api) -> None:
    """Each operation called with each role's token (and none): the status is one the
    document lists for it. The telephone system's token is refused (403) everywhere but its
    own routes, a desk's on the telephone system's events: both are documented."""
    import re

    from console.domain.models import Role
    from console.server.agents import create_agent

    with api.database.write() as connection:
        create_agent(connection, "Exchange", Role.TELEPHONY, token="tok-telephony")
    tokens = {
        "agent": api.world.headers("agent"),
        "supervisor": api.world.headers("supervisor"),
        "telephony": {"Authorization": "Bearer tok-telephony"},
        "nobody": {},
    }
    document = api.client.get("/openapi.json").json()
    forbidden = 0
    for path, method, operation in _operations(document):
        url = re.sub(r"\{reference\}", "ACD3EFH", re.sub(r"\{\w+_id\}", "1", path))
        for who, headers in tokens.items():
            extra = {"json": {}} if "requestBody" in operation else {}
            if method != "get":
                headers = {**headers, "Idempotency-Key": f"roles-{who}-{method}-{path}"[:80]}
            response = api.client.request(method, url, headers=headers, **extra)
            assert str(response.status_code) in operation["responses"], (
                who,
                method,
                path,
                response.status_code,
                response.text,
            )
            forbidden += response.status_code == 403
    assert forbidden > 40  # the telephony token on every desk route, desks on its routes


def test_12_options_and_405_list_every_method_of_the_path(api) -> None:
    call = _call(api)
    response = api.client.options(f"/v1/calls/{call['id']}")
    assert response.status_code == 204
    assert response.headers["allow"] == "GET, PATCH, OPTIONS"
    refused = api.client.put(f"/v1/calls/{call['id']}", headers=api.world.headers())
    body = _error(refused, 405, None, "method_not_allowed")
    assert refused.headers["allow"] == "GET, PATCH, OPTIONS" and "PATCH" in body["message"]
    assert api.client.options("/v1/calls").headers["allow"] == "GET, POST, OPTIONS"


def _codes_in_source() -> set[str]:
    """Every error code the service's code raises, read from its calls of the error helpers."""
    import ast
    from pathlib import Path

    from console.server import errors

    found: set[str] = set()

    def text(node: ast.AST | None) -> str | None:
        return (
            node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None
        )

    for source in Path(errors.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not isinstance(
                node.func, ast.Name | ast.Attribute
            ):
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else node.func.attr
            keywords = {k.arg: k.value for k in node.keywords}
            if name == "conflict" and node.args:
                found.add(text(node.args[0]) or "")
            elif (name == "ApiProblem" and len(node.args) > 1) or (
                name == "Refusal" and len(node.args) > 1
            ):
                found.add(text(node.args[1]) or "")
            elif name == "not_found" and node.args and text(node.args[0]):
                found.add(f"{text(node.args[0])}_not_found")
            elif name == "unprocessable":
                code = node.args[2] if len(node.args) > 2 else keywords.get("error")
                found.add(text(code) or "invalid")
    found.discard("")
    return found | {"booking_cancelled", "booking_rescheduled", "booking_no_show"}  # f-string


def test_12_error_codes_are_all_listed() -> None:
    """Every error code the service's code can answer is in errors.ERROR_CODES, which the
    README's table must match (tests/test_readme_api.py)."""
    from console.server import errors

    listed = {code for _, code, _ in errors.ERROR_CODES}
    found = _codes_in_source()
    assert len(found) > 20
    assert found - listed == set()


# --- 13. loose input -------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["1", True, 1.5, "1e0", [1], {"id": 1}, None])
def test_13_ids_are_strict_integers(api, value) -> None:  # type: ignore[no-untyped-def]
    _error(api.post("/v1/holds", json={"slot_id": value}), 422, "slot_id")
    with api.database.read() as connection:
        assert connection.execute(select(holds.c.id)).all() == []


@pytest.mark.parametrize("value", ["1", True, 1.5])
@pytest.mark.parametrize("field", ["call_id", "service_id", "queued_writes", "replayed"])
def test_13_a_desks_state_report_takes_strict_integers_too(api, field: str, value) -> None:  # type: ignore[no-untyped-def]
    """PUT /v1/desk/state took "1" and true as call 1 (its ids and counts were plain ints)."""
    call = _call(api)
    body = {"state": "on_call", "call_id": call["id"], field: value}
    _error(api.client.put("/v1/desk/state", json=body, headers=api.world.headers()), 422, field)


def test_5_and_12_the_floors_ids_and_days_have_the_apis_bounds(api) -> None:
    """The floor's agent id is as wide as every other id (2^53-1), and its ``date`` states the
    years it takes (2000-2099) in the document, as it refuses the others."""
    document = api.client.get("/openapi.json").json()
    operation = document["paths"]["/v1/floor/agents/{agent_id}/calls"]["get"]
    schemas = {p["name"]: p["schema"] for p in operation["parameters"]}
    assert schemas["agent_id"]["maximum"] == PAST - 1
    for path in ("/v1/floor/agents/{agent_id}/calls", "/v1/floor/calls/export"):
        [day] = [p for p in document["paths"][path]["get"]["parameters"] if p["name"] == "date"]
        assert day["schema"]["pattern"] == "^20[0-9]{2}-[0-9]{2}-[0-9]{2}$"
        assert "2000-01-01 to 2099-12-31" in day["description"]
    supervisor = api.world.headers("supervisor")
    too_big = api.client.get(f"/v1/floor/agents/{PAST}/calls", headers=supervisor)
    _error(too_big, 422, "agent_id")
    for day in ("1999-12-31", "2100-01-01"):
        answer = api.client.get("/v1/floor/calls/export", params={"date": day}, headers=supervisor)
        _error(answer, 422, "date")
    state = document["components"]["schemas"]["DeskStateIn"]["properties"]
    assert state["service_id"]["anyOf"][0]["maximum"] == PAST - 1


def test_13_an_integer_written_with_a_point_is_still_an_integer(api) -> None:
    """JSON Schema's integer: 1.0 is the integer 1 (any JSON encoder may write it so)."""
    slot = api.world.slots[0]
    response = api.client.post(
        "/v1/holds",
        content=f'{{"slot_id": {slot}.0}}',
        headers={**api.world.headers(), "Content-Type": "application/json"},
    )
    assert response.status_code == 201 and response.json()["slot_id"] == slot


@pytest.mark.parametrize(
    "content, fragment",
    [
        (b'{"slot_id": 1', "not valid JSON"),
        (b'{"slot_id": 1,}', "not valid JSON"),
        (b"\xff\xfe{}", "not valid UTF-8"),
        (b'{"notes": "\xc3\x28"}', "not valid UTF-8"),
        (b"[" * 30_000 + b"]" * 30_000, "nests deeper"),
        (b'{"a":' * 40 + b"1" + b"}" * 40, "nests deeper"),
    ],
)
def test_13_a_body_that_is_not_json_is_422_field_body(api, content: bytes, fragment: str) -> None:
    headers = {"Content-Type": "application/json"}
    body = _error(api.post("/v1/holds", content=content, headers=headers), 422, "body", "invalid")
    assert fragment in body["message"]


def test_13_validation_errors_name_the_field_as_sent(api) -> None:
    body = {"first_name": "Ana", "last_name": "Kos", "phones": ["041 234 567", 7]}
    _error(api.post("/v1/callers", json=body), 422, "phones.1")
    _error(api.post("/v1/callers", json=[]), 422, "body")
    response = api.post(
        "/v1/bookings",
        json={"caller_id": 1, "slot_id": 1},
        headers={"Idempotency-Key": "short"},
    )
    _error(response, 422, "Idempotency-Key")
    _error(api.get("/v1/slots"), 422, "service")


# --- 14. decided, documented, tested -----------------------------------------------------------


def test_14_searches_are_audited_who_what_kind_how_many_in_which_call(api) -> None:
    call = _call(api)
    headers = {"X-Call-Id": str(call["id"])}
    found = api.get("/v1/callers", params={"q": "kovač"}, headers=headers)
    assert found.status_code == 200 and len(found.json()["callers"]) == 1
    api.get("/v1/callers", params={"q": "041 234 567"})
    with api.database.read() as connection:
        rows = connection.execute(
            select(audit_log).where(audit_log.c.action == "search").order_by(audit_log.c.id)
        ).all()
    assert [(r.agent_id, r.call_id, r.detail) for r in rows] == [
        (api.world.agents["agent"], call["id"], "name: 1 shown"),
        (api.world.agents["agent"], None, "phone: 1 shown"),
    ]
    assert all("kova" not in r.detail and "041" not in r.detail for r in rows)


@pytest.mark.parametrize("value", ["-1", "0", "99999", "other"])
def test_14_x_call_id_must_name_a_call_of_this_agent(api, value: str) -> None:
    if value == "other":
        value = str(_call(api, "agent2")["id"])
    headers = {"X-Call-Id": value}
    janez = api.world.callers["janez"]
    for response in (
        api.get(f"/v1/callers/{janez}", headers=headers),
        api.get("/v1/callers", params={"q": "novak"}, headers=headers),
        api.post("/v1/callers", json={"first_name": "A", "last_name": "B"}, headers=headers),
    ):
        _error(response, 422, "X-Call-Id")
    with api.database.read() as connection:
        recorded = connection.execute(
            select(audit_log.c.call_id).where(audit_log.c.agent_id == api.world.agents["agent"])
        ).scalars()
    assert int(value) not in list(recorded)
    own = _call(api)
    response = api.get(f"/v1/callers/{janez}", headers={"X-Call-Id": str(own["id"])})
    assert response.status_code == 200
    admin = api.get(f"/v1/callers/{janez}", "admin", headers={"X-Call-Id": str(own["id"])})
    assert admin.status_code == 200  # an admin may name any call


def test_14_cancelling_another_agents_booking_is_allowed_and_audited_with_who(api) -> None:
    booking = api.book(api.world.slots[0], who="agent")
    call = _call(api, "agent2")
    response = api.post(
        f"/v1/bookings/{booking['reference']}/cancel",
        "agent2",
        json={"reason": "caller phoned line 2", "call_id": call["id"]},
    )
    assert response.status_code == 200, response.text
    with api.database.read() as connection:
        row = connection.execute(select(audit_log).where(audit_log.c.action == "cancel")).one()
    assert row.agent_id == api.world.agents["agent2"] and row.call_id == call["id"]
    assert f"booked by agent {api.world.agents['agent']}" in row.detail
    assert booking["reference"] in row.detail and "caller phoned line 2" in row.detail


def test_14_idempotency_keys_are_scoped_per_agent(api) -> None:
    key = {"Idempotency-Key": "shared-key-0001"}
    first = api.post(
        "/v1/bookings",
        "agent",
        json={"caller_id": api.world.callers["janez"], "slot_id": api.world.slots[0]},
        headers=key,
    )
    assert first.status_code == 201
    # Agent B, the same key, another request: its own booking, not A's answer nor a 422.
    second = api.post(
        "/v1/bookings",
        "agent2",
        json={"caller_id": api.world.callers["spela"], "slot_id": api.world.slots[1]},
        headers=key,
    )
    assert second.status_code == 201, second.text
    assert second.json()["reference"] != first.json()["reference"]
    assert second.json()["created_by"] == api.world.agents["agent2"]


def _feed(api, entity: str, op: str) -> list[dict]:  # type: ignore[no-untyped-def]
    with api.database.read() as connection:
        rows = connection.execute(
            select(changes).where(changes.c.entity == entity, changes.c.op == op)
        ).all()
    return [dict(row._mapping) for row in rows]


def test_14_holds_and_patches_honour_the_idempotency_key(api) -> None:
    slot = api.world.slots[0]
    key = {"Idempotency-Key": "hold-retry-0001"}
    first = api.post("/v1/holds", json={"slot_id": slot}, headers=key)
    again = api.post("/v1/holds", json={"slot_id": slot}, headers=key)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()  # the same answer, expiry and all: not extended
    assert len(_feed(api, "slot", "held")) == 1
    other = api.post("/v1/holds", json={"slot_id": api.world.slots[1]}, headers=key)
    _error(other, 422, "Idempotency-Key", "idempotency_key_reused")

    release = {"Idempotency-Key": "release-0001"}
    for _ in range(2):
        assert api.delete(f"/v1/holds/{first.json()['id']}", headers=release).status_code == 204
    assert len(_feed(api, "slot", "released")) == 1

    janez = api.world.callers["janez"]
    patch = {"Idempotency-Key": "patch-caller-0001"}
    answers = [
        api.client.patch(
            f"/v1/callers/{janez}",
            json={"notes": "prefers mornings"},
            headers={**api.world.headers(), **patch},
        )
        for _ in range(2)
    ]
    assert answers[0].status_code == answers[1].status_code == 200
    assert answers[0].json() == answers[1].json()
    assert len(_feed(api, "caller", "updated")) == 1

    call = _call(api)
    attach = {**api.world.headers(), "Idempotency-Key": "attach-call-0001"}
    answers = [
        api.client.patch(f"/v1/calls/{call['id']}", json={"caller_id": janez}, headers=attach)
        for _ in range(2)
    ]
    assert answers[0].json() == answers[1].json() and answers[0].status_code == 200
    assert len(_feed(api, "call", "updated")) == 1
