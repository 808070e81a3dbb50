"""``Link``: a TCP proxy between a desk and the central service that fails the ways a network
does, for tests of the desk's offline work against a real server.

    link = Link(central.port)
    await link.start()                  # desks talk to link.url
    await link.set(Link.DROP)           # requests reach the service; its answers are lost
    await link.set(Link.PASS)

Modes (``Link.MODES``), applied to new connections and to those already open (a desk's
keep-alive connection fails as a new one would):

- ``pass``: relay both ways;
- ``drop``: the request reaches the service and is done; the answer is thrown away and the
  connection closed as it arrives (the desk sees the connection drop, after the write);
- ``hold``: as ``drop``, but the connection stays open: the desk waits until its timeout
  (an answer slower than the timeout);
- ``swallow``: connections are accepted, requests read and thrown away, nothing is sent on and
  nothing answered: the desk waits until its timeout (a hung network);
- ``close``: connections are accepted and closed at once, open ones cut;
- ``refuse``: nothing listens on the port (connection refused), open connections are cut:
  a dead server;
- ``bad_gateway``: a reverse proxy that lost the service's answer: the request reaches the
  service and is done, and the desk gets the proxy's own 502 page instead of the answer;
- ``gateway_down``: a reverse proxy whose service is down: requests are answered with
  ``gateway_answer`` (nginx's 502 page unless set) and go no further.

asyncio-based: it runs on the test's event loop, beside the desk's Store or the Textual app.
Counters say what happened: ``connections``, ``dropped`` (answers thrown away), ``swallowed``
(requests thrown away), ``gateway_answers`` (pages sent for the service).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct


class Link:
    PASS = "pass"
    DROP = "drop"
    HOLD = "hold"
    SWALLOW = "swallow"
    CLOSE = "close"
    REFUSE = "refuse"
    BAD_GATEWAY = "bad_gateway"
    GATEWAY_DOWN = "gateway_down"
    MODES = (PASS, DROP, HOLD, SWALLOW, CLOSE, REFUSE, BAD_GATEWAY, GATEWAY_DOWN)

    def __init__(self, upstream_port: int, *, host: str = "127.0.0.1") -> None:
        self.host = host
        self.upstream_port = upstream_port
        self.mode = self.PASS
        self.port = 0
        self.connections = 0
        self.dropped = 0
        self.swallowed = 0
        self.gateway_answers = 0
        self.gateway_answer = gateway_page(502, "Bad Gateway")
        self._server: asyncio.Server | None = None
        self._open: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task] = set()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self) -> None:
        """Listen (on the same port as before, after a ``refuse``)."""
        if self._server is not None:
            return
        self._server = await asyncio.start_server(
            self._accepted, self.host, self.port, reuse_address=True
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def set(self, mode: str) -> None:
        """Fail (or work again) from now on, for new and open connections alike."""
        if mode not in self.MODES:
            raise ValueError(f"unknown mode {mode!r}")
        self.mode = mode
        if mode in (self.CLOSE, self.REFUSE):
            self._cut_all()
        if mode == self.REFUSE and self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        elif mode != self.REFUSE:
            await self.start()

    async def stop(self) -> None:
        """Stop listening and cut every connection (their relays end by themselves)."""
        if self._server is not None:
            self._server.close()
            self._server = None
        self._cut_all()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=5)
        for task in list(self._tasks):  # still waiting (a swallowed connection): stop it
            task.cancel()

    # -- relaying -------------------------------------------------------------------------

    def _cut_all(self) -> None:
        for writer in list(self._open):
            _cut(writer)
        self._open.clear()

    async def _accepted(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        self._open.add(writer)
        try:
            await self._serve(reader, writer)
        except asyncio.CancelledError:  # stopped: the connection is cut below
            pass
        finally:
            self._open.discard(writer)
            if task is not None:
                self._tasks.discard(task)
            _cut(writer)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.mode in (self.CLOSE, self.REFUSE):
            return
        if self.mode == self.SWALLOW:  # a connection made while hung never gets through
            while await _read(reader):
                self.swallowed += 1
            return
        if self.mode == self.GATEWAY_DOWN:
            if await _read(reader):
                await self._answer_as_gateway(writer)
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(self.host, self.upstream_port)
        except OSError:  # the service is down: cut, as it would be
            return
        self._open.add(up_writer)
        try:
            await asyncio.gather(
                self._requests(reader, up_writer, writer),
                self._answers(up_reader, writer, up_writer),
            )
        finally:
            self._open.discard(up_writer)
            _cut(up_writer)

    async def _requests(
        self,
        source: asyncio.StreamReader,
        target: asyncio.StreamWriter,
        client: asyncio.StreamWriter,
    ) -> None:
        while data := await _read(source):
            if self.mode in (self.CLOSE, self.REFUSE):
                break
            if self.mode == self.SWALLOW:
                self.swallowed += 1
                continue
            if self.mode == self.GATEWAY_DOWN:  # went down under an open connection
                await self._answer_as_gateway(client)
                _cut(target)
                break
            target.write(data)
            with contextlib.suppress(ConnectionError, OSError):
                await target.drain()
        with contextlib.suppress(OSError):
            if target.can_write_eof():
                target.write_eof()

    async def _answers(
        self,
        source: asyncio.StreamReader,
        target: asyncio.StreamWriter,
        upstream: asyncio.StreamWriter,
    ) -> None:
        while data := await _read(source):
            if self.mode in (self.CLOSE, self.REFUSE):
                break
            if self.mode in (self.DROP, self.HOLD):
                self.dropped += 1
                if self.mode == self.DROP:
                    break
                continue
            if self.mode == self.BAD_GATEWAY:
                self.dropped += 1
                await self._answer_as_gateway(target, gateway_page(502, "Bad Gateway"))
                break
            target.write(data)
            with contextlib.suppress(ConnectionError, OSError):
                await target.drain()
        if self.mode in (self.SWALLOW, self.HOLD):
            # Nothing passes a hung link, not even the service closing its end (uvicorn closes
            # an idle keep-alive connection after 5 s): the desk waits for its own timeout.
            return
        _cut(target)
        _cut(upstream)

    async def _answer_as_gateway(
        self, client: asyncio.StreamWriter, answer: bytes | None = None
    ) -> None:
        client.write(answer or self.gateway_answer)
        with contextlib.suppress(ConnectionError, OSError):
            await client.drain()
        self.gateway_answers += 1
        client.close()  # an orderly close: the answer is read before the end (not a reset)


def gateway_page(
    status: int, reason: str, body: bytes | None = None, *, json: bool = False
) -> bytes:
    """A whole HTTP/1.1 answer a gateway sends for the service, then closes: its HTML page
    (as nginx's), or ``body`` (JSON when ``json``)."""
    if body is None:
        body = (
            f"<html><head><title>{status} {reason}</title></head><body><center>"
            f"<h1>{status} {reason}</h1></center><hr><center>nginx</center></body></html>\r\n"
        ).encode()
    kind = "application/json" if json else "text/html"
    head = (
        f"HTTP/1.1 {status} {reason}\r\nServer: nginx\r\nContent-Type: {kind}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    return head.encode() + body


async def _read(reader: asyncio.StreamReader) -> bytes:
    try:
        return await reader.read(65536)
    except (ConnectionError, OSError):
        return b""


def _cut(writer: asyncio.StreamWriter) -> None:
    """Close a connection at once (a reset, not an orderly close with data still queued)."""
    transport = writer.transport
    if transport.is_closing():
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()
