"""Every error is a proper response (issue 13, item 8): after a bug's 500 the keep-alive
connection stays usable, so one server error cannot push a desk offline; and the guard's
refusals are answers too."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator

import pytest
import support
from served import Central

from console.server import catalogue
from console.server.db import Database
from console.server.guard import MAX_BODY_BYTES


@pytest.fixture
def central(tmp_path) -> Iterator[tuple[Central, support.World]]:  # type: ignore[no-untyped-def]
    url = str(tmp_path / "central.db")
    database = Database.open(url)
    from console.server.migrate import upgrade

    upgrade(database.engine)
    world = support.build_world(database, days=1, slots_per_day=2)
    server = Central(database, url)
    server.start()
    yield server, world
    server.stop()
    database.dispose()


def _connection(server: Central) -> http.client.HTTPConnection:
    return http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)


def test_8_a_500_is_a_json_answer_and_the_connection_carries_the_next_request(
    central, monkeypatch, caplog
) -> None:
    server, world = central

    def broken(connection):  # type: ignore[no-untyped-def]
        raise RuntimeError("a bug")

    monkeypatch.setattr(catalogue, "list_services", broken)
    headers = world.headers("agent")
    connection = _connection(server)
    connection.request("GET", "/v1/services", headers=headers)
    first = connection.getresponse()
    assert first.status == 500
    assert first.getheader("connection") != "close"
    assert json.loads(first.read()) == {
        "error": "internal",
        "message": "The central service failed; the error is logged.",
        "field": None,
    }
    socket_before = connection.sock
    connection.request("GET", "/v1/me", headers=headers)  # on the same connection
    second = connection.getresponse()
    assert second.status == 200 and json.loads(second.read())["role"] == "agent"
    assert connection.sock is socket_before
    connection.close()
    assert "a bug" in caplog.text  # logged with its traceback


def test_8_refusals_of_the_guard_keep_the_connection_too(central) -> None:
    server, world = central
    headers = {**world.headers("agent"), "Content-Type": "application/json"}
    connection = _connection(server)
    for body in (b'{"slot_id": ', b"\xff", b"[" * 40 + b"]" * 40):
        connection.request("POST", "/v1/holds", body=body, headers=headers)
        answer = connection.getresponse()
        assert answer.status == 422 and json.loads(answer.read())["field"] == "body"
    connection.request("GET", "/v1/me", headers=headers)
    assert connection.getresponse().status == 200
    connection.close()


def test_8_a_body_over_the_limit_is_413_and_the_server_says_it_closes(central) -> None:
    server, world = central
    connection = _connection(server)
    # Just over the limit: small enough to be sent whole before the server answers.
    body = b'{"first_name": "' + b"x" * MAX_BODY_BYTES + b'"}'
    headers = {**world.headers("agent"), "Content-Type": "application/json"}
    connection.request("POST", "/v1/callers", body=body, headers=headers)
    answer = connection.getresponse()
    assert answer.status == 413
    assert answer.getheader("connection") == "close"
    assert json.loads(answer.read())["error"] == "body_too_large"
    connection.close()
