"""The desk's client tells one broken connection from an unreachable service (issue 13, item 8).

A small HTTP server on loopback answers requests and, when told to, drops a keep-alive
connection without a word when the next request arrives on it — what a server that closed the
connection after an error looked like to the desk. A read, or a write with an Idempotency-Key,
is sent once more on a fresh connection and succeeds; a write without a key is not repeated; a
service that refuses connections, or breaks the fresh one too, is unreachable."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import httpx
import pytest

from console.client.api import CentralApi, RetryOnFreshConnection, Unreachable, gateway_failure

AGENT = {"id": 1, "name": "Maja Kranjc", "role": "agent"}


class Fickle:
    """Answers ``answered`` requests on each connection, then drops it at the next one."""

    def __init__(self, answered: int) -> None:
        self.answered = answered
        self.connections = 0
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.server: asyncio.Server | None = None
        self.url = ""

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    async def stop(self) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        served = 0
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode().split("\r\n")
                method, path, _ = lines[0].split(" ")
                headers = {
                    name.lower(): value
                    for name, _, value in (line.partition(": ") for line in lines[1:] if line)
                }
                await reader.readexactly(int(headers.get("content-length", "0")))
                if served >= self.answered:
                    writer.transport.abort()  # no answer, no FIN: a reset
                    return
                self.requests.append((method, path, headers))
                served += 1
                body = json.dumps(AGENT).encode()
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    + f"Content-Length: {len(body)}\r\n\r\n".encode()
                    + body
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()


@pytest.fixture
async def fickle() -> AsyncIterator[Fickle]:
    server = Fickle(answered=1)
    await server.start()
    yield server
    await server.stop()


async def test_8_a_read_after_a_broken_connection_is_sent_again_on_a_fresh_one(fickle) -> None:
    api = CentralApi(fickle.url, "tok")
    try:
        assert (await api.me()).name == "Maja Kranjc"
        assert (await api.me()).name == "Maja Kranjc"  # its connection breaks: a second try
        transport = api._client._transport
        assert isinstance(transport, RetryOnFreshConnection) and transport.retries == 1
        assert fickle.connections == 2  # the one that broke, and the fresh one
    finally:
        await api.aclose()


async def test_8_a_keyed_write_is_sent_again_and_an_unkeyed_one_is_not(fickle) -> None:
    api = CentralApi(fickle.url, "tok")
    try:
        await api.me()
        # Every write of the client carries a key: the hold is retried, with the same key.
        await api._request("POST", "/v1/holds", json={"slot_id": 1}, idempotency_key="key-00001")
        keys = [h.get("idempotency-key") for m, _, h in fickle.requests if m == "POST"]
        assert keys == ["key-00001"]
    finally:
        await api.aclose()
    fickle.requests.clear()
    async with httpx.AsyncClient(base_url=fickle.url, transport=RetryOnFreshConnection()) as raw:
        await raw.get("/v1/me")
        with pytest.raises(httpx.TransportError):  # without a key: not sent twice
            await raw.post("/v1/holds", json={"slot_id": 1})
    assert [m for m, _, _ in fickle.requests] == ["GET"]


async def test_8_a_service_that_breaks_every_connection_is_unreachable() -> None:
    server = Fickle(answered=0)
    await server.start()
    api = CentralApi(server.url, "tok")
    try:
        with pytest.raises(Unreachable):
            await api.me()
        assert server.connections == 2  # tried once more on a fresh connection, then gave up
    finally:
        await api.aclose()
        await server.stop()


async def test_8_a_refused_connection_is_unreachable_at_once() -> None:
    server = Fickle(answered=1)
    await server.start()
    url = server.url
    await server.stop()  # nothing listens there now
    api = CentralApi(url, "tok")
    try:
        with pytest.raises(Unreachable):
            await api.me()
        assert api._client._transport.retries == 0
    finally:
        await api.aclose()


@pytest.mark.parametrize(
    ("status", "body", "content_type", "gateway"),
    [
        (502, b"<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html", True),
        (504, b"", "text/plain", True),
        (503, b"<html>Service Temporarily Unavailable</html>", "text/html", True),
        (503, b'{"message": "maintenance"}', "application/json", True),  # not ours: no error
        (503, b'{"error": "busy", "message": "retry", "field": null}', "application/json", False),
        (500, b"Internal Server Error", "text/plain", False),  # the service's own failure
        (
            409,
            b'{"error": "slot_taken", "message": "taken", "field": null}',
            "application/json",
            False,
        ),
    ],
)
def test_a_gateways_own_answer_is_told_from_the_services(
    status: int, body: bytes, content_type: str, gateway: bool
) -> None:
    response = httpx.Response(status, content=body, headers={"Content-Type": content_type})
    assert gateway_failure(response) is gateway
