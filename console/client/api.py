"""``CentralApi``: the console's async client for the central service.

The same client talks to a networked ``agent-console serve`` over HTTP or to the embedded
service in-process (httpx's ASGI transport): one code path, nothing mocked. Every failure
arrives as one of two exceptions with a message an agent can read:

- :class:`ApiRefused` — the server answered and said no (4xx/5xx): ``status``, ``error``,
  ``message``, ``field``;
- :class:`Unreachable` — no answer (connection refused, timeout, DNS): the console may go
  offline. A write that got no answer carries what was sent (:class:`Attempt`): a request that
  may have reached the service (sent, then no answer or a dropped connection) may have been
  done there, and only the very same request under the same key gets its first answer.

A gateway in front of the service (a reverse proxy, a load balancer) answers for it when it
cannot reach it, or loses its answer: 502, 503 or 504 with a page of its own instead of the
service's JSON error. That is no answer from the service either (:func:`gateway_failure`): the
desk goes offline, and a write sent through it may have been done (the gateway passed it on,
then lost the answer), so it is queued as sent and replayed under its key. The service's own
503 (``busy``: retry shortly) is an answer, and stays an :class:`ApiRefused`.

One broken connection is not an unreachable service: a keep-alive connection the server (or
something between) closed without saying so fails the next request sent on it. A request that
is safe to send again — a read, or a write that carries an ``Idempotency-Key`` — is then sent
once more on a fresh connection (:class:`RetryOnFreshConnection`); only if that fails too is the
service unreachable. Every write this client makes carries a key.
"""

from __future__ import annotations

import importlib.util
import ssl
import sys
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, TypeAdapter

from console.client.tls import untrusted_reason
from console.domain.callbacks import (
    AttemptIn,
    Callback,
    CallbackIn,
    CallbackPage,
    DeskExtension,
)
from console.domain.floor import AgentDay, DeskState, DeskStateIn, Floor
from console.domain.models import (
    Agent,
    Booking,
    Call,
    CallDirection,
    Caller,
    CallerIn,
    CallerMessage,
    CallerPatch,
    CallerSearch,
    ChangePage,
    DirectoryAreas,
    DirectoryDetail,
    DirectoryPage,
    Disposition,
    Hold,
    Location,
    Provider,
    ProviderReport,
    ReportClose,
    ReportIn,
    RetentionPolicy,
    Service,
    SlotPage,
    WrapUpIn,
)

T = TypeVar("T")

# A long poll of the change feed (``changes(..., wait=S)``) goes over a connection pool of its
# own, with a read timeout of S plus the client's: it never holds up the desk's other requests
# (a write, a search, the probe that tells the desk it is offline), and the service's wait is
# always below the timeout of the client that waits for it.
MAX_LONG_POLL_SECONDS = 25.0


def _skip_sniffio_lookups() -> None:
    """httpcore imports the optional ``sniffio`` inside each request (to tell asyncio from
    trio) and falls back to asyncio when it is missing; a failed import is not cached, so
    without sniffio every request searches ``sys.path`` several times: about a sixth of the
    desk's CPU in a replay. Marking it absent makes those imports fail at once, with the same
    outcome (asyncio). A no-op when sniffio is installed. (encode/httpcore#1103)"""
    if "sniffio" not in sys.modules and importlib.util.find_spec("sniffio") is None:
        sys.modules["sniffio"] = None  # type: ignore[assignment]


_skip_sniffio_lookups()


class ApiError(Exception):
    """Anything that went wrong talking to the central service."""

    message: str


class ApiRefused(ApiError):
    """The server answered with an error."""

    def __init__(self, status: int, error: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.error = error
        self.message = message
        self.field = field


@dataclass(frozen=True)
class Attempt:
    """A write sent without an answer: exactly what went on the wire, and whether it may have
    reached the service (False only when no connection was made)."""

    method: str
    path: str
    body: Any
    call_id: int | None
    idempotency_key: str | None
    may_have_arrived: bool


class Unreachable(ApiError):
    """The server could not be reached in time. ``attempt``: the write that got no answer
    (None for reads and for errors raised before anything was sent)."""

    def __init__(
        self, message: str, *, attempt: Attempt | None = None, certificate: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.attempt = attempt
        self.certificate = certificate  # why the service's certificate is not trusted, if so


# No connection was made: the request cannot have reached the service.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def new_idempotency_key() -> str:
    return f"ac-{uuid.uuid4().hex}"


# A connection that broke under a request (closed or reset by the other end), as opposed to a
# service that cannot be reached at all (connect refused, timeouts).
BROKEN_CONNECTION = (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def repeatable(request: httpx.Request) -> bool:
    """A read, or a write the service applies once whatever the number of tries."""
    return request.method in _SAFE_METHODS or "idempotency-key" in request.headers


class RetryOnFreshConnection(httpx.AsyncBaseTransport):
    """Sends a repeatable request once more, on a connection of its own, when the connection it
    went out on broke; anything else (and a second break) goes up as it came."""

    def __init__(self, inner: httpx.AsyncBaseTransport | None = None, **options: Any) -> None:
        self._options = options
        self._inner = inner or httpx.AsyncHTTPTransport(**options)
        self.retries = 0  # how many requests needed their second try (for tests and logs)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return await self._inner.handle_async_request(request)
        except BROKEN_CONNECTION:
            if not repeatable(request):
                raise
        self.retries += 1
        fresh = httpx.AsyncHTTPTransport(**self._options)
        try:
            response = await fresh.handle_async_request(request)
            await response.aread()
        finally:
            await fresh.aclose()
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()


class _CurrentCall:
    """The default of a request's call: the desk's current one (``CentralApi.call_id``)."""


CURRENT_CALL = _CurrentCall()


class CentralApi:
    """Typed calls for every endpoint of the central service's ``/v1`` API."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 5.0,
        verify: ssl.SSLContext | bool = True,
    ) -> None:
        """``verify``: the certificates trusted over HTTPS (:func:`console.client.tls.trust`;
        True: httpx's default)."""
        self.base_url = base_url
        self._client = httpx.AsyncClient(
            base_url=base_url,
            transport=transport or RetryOnFreshConnection(verify=verify),
            timeout=httpx.Timeout(timeout, connect=min(timeout, 3.0)),
            headers={"Authorization": f"Bearer {token}", "User-Agent": "agent-console"},
        )
        self.call_id: int | None = None
        self._timeout = timeout
        self._transport = transport
        self._verify = verify
        self._token = token
        self._long_poll: httpx.AsyncClient | None = None  # made on the first long poll

    async def aclose(self) -> None:
        await self._client.aclose()
        if self._long_poll is not None:
            await self._long_poll.aclose()

    def _long_poll_client(self, wait: float) -> httpx.AsyncClient:
        """The connection pool of long polls (see :data:`MAX_LONG_POLL_SECONDS`)."""
        if self._long_poll is None:
            self._long_poll = httpx.AsyncClient(
                base_url=self.base_url,
                transport=self._transport,
                verify=self._verify,
                timeout=httpx.Timeout(
                    MAX_LONG_POLL_SECONDS + self._timeout, connect=min(self._timeout, 3.0)
                ),
                headers={"Authorization": f"Bearer {self._token}", "User-Agent": "agent-console"},
            )
        return self._long_poll

    # -- plumbing -------------------------------------------------------------------------

    async def send(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        idempotency_key: str | None = None,
        call_id: int | None = None,
    ) -> Any:
        """Send a request prepared elsewhere exactly as given (a queued write being replayed):
        ``call_id`` is the call it was made in (``X-Call-Id``, none if None), never the desk's
        current call. The answer's JSON (None for an empty answer); failures as for every
        other method (:class:`ApiRefused`, :class:`Unreachable`)."""
        return await self._request(
            method, path, json=json, idempotency_key=idempotency_key, call_id=call_id
        )

    async def _request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
        call_id: int | _CurrentCall | None = CURRENT_CALL,
        client: httpx.AsyncClient | None = None,
    ) -> Any:
        headers = {}
        if isinstance(call_id, _CurrentCall):
            call_id = self.call_id
        if call_id is not None:
            headers["X-Call-Id"] = str(call_id)
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        if params:
            params = {k: v for k, v in params.items() if v is not None}
        try:
            response = await (client or self._client).request(
                method, path, json=json, params=params, headers=headers
            )
        except httpx.TransportError as exc:
            attempt = None
            if method != "GET":
                attempt = Attempt(
                    method,
                    path,
                    json,
                    call_id,
                    idempotency_key,
                    may_have_arrived=not isinstance(exc, _NOT_SENT),
                )
            raise Unreachable(
                _unreachable_message(exc), attempt=attempt, certificate=untrusted_reason(exc)
            ) from None
        if gateway_failure(response):
            attempt = None
            if method != "GET":
                attempt = Attempt(
                    method, path, json, call_id, idempotency_key, may_have_arrived=True
                )
            raise Unreachable(_gateway_message(response), attempt=attempt)
        if response.status_code >= 400:
            raise _refusal(response)
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    async def _get(self, model: type[T] | Any, path: str, **params: Any) -> T:
        return TypeAdapter(model).validate_python(await self._request("GET", path, params=params))

    @staticmethod
    def _body(model: BaseModel) -> dict:
        return model.model_dump(mode="json", exclude_unset=True)

    # -- endpoints ------------------------------------------------------------------------

    async def me(self) -> Agent:
        return await self._get(Agent, "/v1/me")

    async def health(self) -> bool:
        await self._request("GET", "/health")
        return True

    async def services(self) -> list[Service]:
        return await self._get(list[Service], "/v1/services")

    async def locations(self, region: str | None = None) -> list[Location]:
        return await self._get(list[Location], "/v1/locations", region=region)

    async def providers(self, **filters: Any) -> list[Provider]:
        return await self._get(list[Provider], "/v1/providers", **filters)

    async def dispositions(self) -> list[Disposition]:
        return await self._get(list[Disposition], "/v1/dispositions")

    async def search_callers(self, query: str, limit: int = 20) -> CallerSearch:
        return await self._get(CallerSearch, "/v1/callers", q=query, limit=limit)

    async def caller(self, caller_id: int) -> Caller:
        return await self._get(Caller, f"/v1/callers/{caller_id}")

    async def create_caller(self, caller: CallerIn, idempotency_key: str | None = None) -> Caller:
        data = await self._request(
            "POST",
            "/v1/callers",
            json=self._body(caller),
            idempotency_key=idempotency_key or new_idempotency_key(),
        )
        return Caller.model_validate(data)

    async def update_caller(
        self, caller_id: int, patch: CallerPatch, idempotency_key: str | None = None
    ) -> Caller:
        data = await self._request(
            "PATCH",
            f"/v1/callers/{caller_id}",
            json=self._body(patch),
            idempotency_key=idempotency_key or new_idempotency_key(),
        )
        return Caller.model_validate(data)

    async def slots(
        self,
        service_id: int,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        location_id: int | None = None,
        region: str | None = None,
        provider_id: int | None = None,
        limit: int = 20,
    ) -> SlotPage:
        return await self._get(
            SlotPage,
            "/v1/slots",
            service=service_id,
            location=location_id,
            region=region,
            provider=provider_id,
            limit=limit,
            **{
                "from": start.isoformat() if start else None,
                "to": end.isoformat() if end else None,
            },
        )

    async def hold(self, slot_id: int, idempotency_key: str | None = None) -> Hold:
        return Hold.model_validate(
            await self._request(
                "POST",
                "/v1/holds",
                json={"slot_id": slot_id},
                idempotency_key=idempotency_key or new_idempotency_key(),
            )
        )

    async def release(self, hold_id: int, idempotency_key: str | None = None) -> None:
        await self._request(
            "DELETE",
            f"/v1/holds/{hold_id}",
            idempotency_key=idempotency_key or new_idempotency_key(),
        )

    async def book(
        self,
        caller_id: int,
        *,
        hold_id: int | None = None,
        slot_id: int | None = None,
        call_id: int | None = None,
        notes: str = "",
        notify: bool = True,
        idempotency_key: str | None = None,
        allow_overlap: bool = False,
    ) -> Booking:
        """Book; ``notify=False``: no confirmation or reminder goes to the caller."""
        body: dict[str, Any] = {
            "caller_id": caller_id,
            "hold_id": hold_id,
            "slot_id": slot_id,
            "call_id": call_id,
            "notes": notes,
            **({} if notify else {"notify": False}),
        }
        if allow_overlap:  # the agent chose to book beside the caller's overlapping booking
            body["allow_overlap"] = True
        data = await self._request(
            "POST",
            "/v1/bookings",
            json=body,
            idempotency_key=idempotency_key or new_idempotency_key(),
        )
        return Booking.model_validate(data)

    async def keep_provisional_reference(self, reference: str, provisional: str) -> Booking:
        """Keep ``provisional`` (``P-…``, given to the caller offline) as an alias of the
        booking ``reference`` (idempotent)."""
        data = await self._request(
            "PUT",
            f"/v1/bookings/{reference}/provisional-reference",
            json={"provisional_reference": provisional},
        )
        return Booking.model_validate(data)

    async def bookings(self, caller_id: int, include_past: bool = False) -> list[Booking]:
        return await self._get(
            list[Booking], "/v1/bookings", caller=caller_id, include_past=include_past
        )

    async def booking(self, reference: str) -> Booking:
        return await self._get(Booking, f"/v1/bookings/{reference}")

    async def cancel(
        self,
        reference: str,
        reason: str = "",
        idempotency_key: str | None = None,
        *,
        notify: bool = True,
    ) -> Booking:
        """Cancel; ``notify=False``: no message to the caller about it."""
        data = await self._request(
            "POST",
            f"/v1/bookings/{reference}/cancel",
            json={
                "reason": reason,
                "call_id": self.call_id,
                **({} if notify else {"notify": False}),
            },
            idempotency_key=idempotency_key or new_idempotency_key(),
        )
        return Booking.model_validate(data)

    async def reschedule(
        self,
        reference: str,
        *,
        hold_id: int | None = None,
        slot_id: int | None = None,
        notify: bool = True,
        idempotency_key: str | None = None,
        allow_overlap: bool = False,
    ) -> Booking:
        """Move a booking; ``notify=False``: no message to the caller about it."""
        body: dict[str, Any] = {
            "hold_id": hold_id,
            "slot_id": slot_id,
            "call_id": self.call_id,
            **({} if notify else {"notify": False}),
        }
        if allow_overlap:
            body["allow_overlap"] = True
        data = await self._request(
            "POST",
            f"/v1/bookings/{reference}/reschedule",
            json=body,
            idempotency_key=idempotency_key or new_idempotency_key(),
        )
        return Booking.model_validate(data)

    async def withdraw_messages(self, reference: str) -> list[CallerMessage]:
        """Switch off a booking's messages that have not gone out yet; answers with all the
        booking's messages (one already sent stays ``sent``)."""
        data = await self._request("POST", f"/v1/bookings/{reference}/messages/withdraw")
        return TypeAdapter(list[CallerMessage]).validate_python(data)

    async def start_call(
        self,
        caller_id: int | None = None,
        direction: CallDirection = CallDirection.INBOUND,
        idempotency_key: str | None = None,
    ) -> Call:
        data = await self._request(
            "POST",
            "/v1/calls",
            json={"caller_id": caller_id, "direction": direction.value},
            idempotency_key=idempotency_key or new_idempotency_key(),
        )
        return Call.model_validate(data)

    async def attach_caller(
        self, call_id: int, caller_id: int | None, idempotency_key: str | None = None
    ) -> Call:
        data = await self._request(
            "PATCH",
            f"/v1/calls/{call_id}",
            json={"caller_id": caller_id},
            idempotency_key=idempotency_key or new_idempotency_key(),
        )
        return Call.model_validate(data)

    async def wrap_up(
        self, call_id: int, wrap_up: WrapUpIn, idempotency_key: str | None = None
    ) -> Call:
        data = await self._request(
            "POST",
            f"/v1/calls/{call_id}/wrapup",
            json=wrap_up.model_dump(mode="json"),
            idempotency_key=idempotency_key or new_idempotency_key(),
        )
        return Call.model_validate(data)

    async def add_call_note(
        self, call_id: int, note: str, idempotency_key: str | None = None
    ) -> Call:
        """Add a dated line to a call's record, also after its wrap-up."""
        data = await self._request(
            "POST",
            f"/v1/calls/{call_id}/notes",
            json={"note": note},
            idempotency_key=idempotency_key or new_idempotency_key(),
        )
        return Call.model_validate(data)

    async def calls(
        self,
        caller_id: int | None = None,
        mine: bool = False,
        limit: int = 20,
        open_only: bool = False,
    ) -> list[Call]:
        """Calls, newest first; ``open_only``: those not wrapped up yet."""
        return await self._get(
            list[Call],
            "/v1/calls",
            caller=caller_id,
            mine=mine or None,
            open=open_only or None,
            limit=limit,
        )

    # -- the doctor directory -------------------------------------------------------------

    async def directory(self, **filters: Any) -> DirectoryPage:
        """Search the doctor directory. Filters (all optional): ``q`` (words of the doctor's
        or institution's name, town, municipality; diacritics ignored), ``type`` (a
        :class:`~console.domain.models.DoctorType`), ``municipality``, ``region``,
        ``accepting`` (True: the freshest evidence says they accept new patients),
        ``include_inactive``, ``limit``, ``offset``."""
        return await self._get(DirectoryPage, "/v1/directory", **directory_params(filters))

    async def directory_areas(self) -> DirectoryAreas:
        """The regions and municipalities the directory can be filtered by."""
        return await self._get(DirectoryAreas, "/v1/directory/areas")

    async def directory_entry(self, provider_id: int) -> DirectoryDetail:
        """One doctor: contacts, every source's facts, the change history and all reports."""
        return await self._get(DirectoryDetail, f"/v1/directory/{provider_id}")

    async def report_provider(
        self, provider_id: int, report: ReportIn, idempotency_key: str | None = None
    ) -> ProviderReport:
        """Report that the directory is wrong about a doctor (e.g. the office says full)."""
        data = await self._request(
            "POST",
            f"/v1/directory/{provider_id}/reports",
            json=report.model_dump(mode="json"),
            idempotency_key=idempotency_key or new_idempotency_key(),
        )
        return ProviderReport.model_validate(data)

    async def reports(self, status: str = "open", limit: int = 200) -> list[ProviderReport]:
        """Agents' reports, newest first: ``status`` is ``open``, ``closed`` or ``all``."""
        return await self._get(list[ProviderReport], "/v1/reports", status=status, limit=limit)

    async def close_report(
        self, report_id: int, close: ReportClose, idempotency_key: str | None = None
    ) -> ProviderReport:
        data = await self._request(
            "POST",
            f"/v1/reports/{report_id}/close",
            json=close.model_dump(mode="json"),
            idempotency_key=idempotency_key or new_idempotency_key(),
        )
        return ProviderReport.model_validate(data)

    # -- agent state and the supervisor's floor ------------------------------------------

    async def desk_state(self) -> DeskState:
        """This agent's state as the service keeps it, its away reasons and heartbeat."""
        return await self._get(DeskState, "/v1/desk/state")

    async def report_state(self, report: DeskStateIn) -> DeskState:
        """Report this desk's state (a change, or unchanged as the heartbeat). Never queued:
        a state report is about now, so offline it is simply not sent."""
        data = await self._request("PUT", "/v1/desk/state", json=self._body(report), call_id=None)
        return DeskState.model_validate(data)

    async def floor(self) -> Floor:
        """The floor now (supervisors and admins)."""
        return await self._get(Floor, "/v1/floor")

    async def agent_day(
        self, agent_id: int, day: date | None = None, *, include_caller: bool = False
    ) -> AgentDay:
        """One agent's calls of a day; ``include_caller`` is an audited read."""
        return await self._get(
            AgentDay,
            f"/v1/floor/agents/{agent_id}/calls",
            date=day.isoformat() if day else None,
            include_caller="true" if include_caller else None,
        )

    async def export_calls(self, day: date, fmt: str) -> bytes:
        """The day's calls as a CSV (UTF-8 with a byte-order mark) or xlsx file's bytes."""
        params = {"date": day.isoformat(), "format": fmt}
        try:
            response = await self._client.get("/v1/floor/calls/export", params=params)
        except httpx.TransportError as exc:
            raise Unreachable(
                _unreachable_message(exc), certificate=untrusted_reason(exc)
            ) from None
        if gateway_failure(response):
            raise Unreachable(_gateway_message(response))
        if response.status_code >= 400:
            raise _refusal(response)
        return response.content

    async def changes(self, since: int, limit: int = 500, wait: float | None = None) -> ChangePage:
        """The change feed after ``since``. ``wait`` (seconds, at most
        :data:`MAX_LONG_POLL_SECONDS`): a long poll, answered as soon as a change after
        ``since`` exists, or empty after ``wait`` seconds; sent over its own connections."""
        if not wait:
            return await self._get(ChangePage, "/v1/changes", since=since, limit=limit)
        wait = min(float(wait), MAX_LONG_POLL_SECONDS)
        data = await self._request(
            "GET",
            "/v1/changes",
            params={"since": since, "limit": limit, "wait": wait},
            client=self._long_poll_client(wait),
        )
        return ChangePage.model_validate(data)

    async def retention(self) -> RetentionPolicy:
        """How long the service keeps idempotency keys, the change feed, holds and audit rows."""
        return await self._get(RetentionPolicy, "/v1/retention")

    async def latest_change(self) -> int:
        """The sequence number of the newest change (0 for an empty feed)."""
        return (await self._get(ChangePage, "/v1/changes/latest")).last_seq

    # -- callbacks and the telephone system -----------------------------------------------

    async def callbacks(
        self, status: str | None = None, number: str | None = None, limit: int = 200
    ) -> CallbackPage:
        """The callback queue in its order (``status`` None: open and claimed), with the
        callback hours and whether they are open now."""
        return await self._get(
            CallbackPage, "/v1/callbacks", status=status, number=number, limit=limit
        )

    async def callback(self, callback_id: int) -> Callback:
        return await self._get(Callback, f"/v1/callbacks/{callback_id}")

    async def create_callback(
        self, callback: CallbackIn, idempotency_key: str | None = None
    ) -> Callback:
        """An agent's callback (a follow-up, or a sync issue's): a new one, or merged into the
        number's open callback."""
        data = await self._request(
            "POST",
            "/v1/callbacks",
            json=callback.model_dump(mode="json", exclude_none=True),
            idempotency_key=idempotency_key or new_idempotency_key(),
        )
        return Callback.model_validate(data)

    async def claim_callback(
        self, callback_id: int | None = None, idempotency_key: str | None = None
    ) -> Callback | None:
        """Lease the next due callback (or ``callback_id``, if it is due); None when none is."""
        data = await self._request(
            "POST",
            "/v1/callbacks/claim",
            json={"callback_id": callback_id} if callback_id is not None else None,
            idempotency_key=idempotency_key or new_idempotency_key(),
        )
        return Callback.model_validate(data) if data is not None else None

    async def callback_attempt(
        self, callback_id: int, attempt: AttemptIn, idempotency_key: str | None = None
    ) -> Callback:
        """Record a try at calling back (its outcome) on a callback this agent claimed."""
        data = await self._request(
            "POST",
            f"/v1/callbacks/{callback_id}/attempts",
            json=attempt.model_dump(mode="json", exclude_none=True),
            idempotency_key=idempotency_key or new_idempotency_key(),
        )
        return Callback.model_validate(data)

    async def release_callback(
        self, callback_id: int, idempotency_key: str | None = None
    ) -> Callback:
        """Give a claimed callback back to the queue as it was."""
        data = await self._request(
            "POST",
            f"/v1/callbacks/{callback_id}/release",
            idempotency_key=idempotency_key or new_idempotency_key(),
        )
        return Callback.model_validate(data)

    async def declare_extension(self, extension: str) -> DeskExtension:
        """This desk answers ``extension``: the telephone system's calls ringing there are
        this desk's (the change feed's ``ringing``). The same PUT twice declares it once: its
        key only lets a broken connection's request go again (as every write's)."""
        data = await self._request(
            "PUT",
            "/v1/telephony/extension",
            json={"extension": extension},
            idempotency_key=new_idempotency_key(),
        )
        return DeskExtension.model_validate(data)

    async def release_extension(self) -> None:
        """The desk signs out: its extension is no longer this agent's (twice: the same)."""
        await self._request(
            "DELETE", "/v1/telephony/extension", idempotency_key=new_idempotency_key()
        )


DIRECTORY_FILTERS = frozenset(
    {"q", "type", "municipality", "region", "accepting", "include_inactive", "limit", "offset"}
)


def directory_params(filters: dict[str, Any]) -> dict[str, Any]:
    """Query parameters for ``GET /v1/directory``; an unknown filter is a programming error."""
    unknown = set(filters) - DIRECTORY_FILTERS
    if unknown:
        raise TypeError(f"unknown directory filter(s): {', '.join(sorted(unknown))}")
    params: dict[str, Any] = {}
    for name, value in filters.items():
        if value is None or value == "":
            continue
        if isinstance(value, bool):
            params[name] = "true" if value else "false"
        elif isinstance(value, Enum):
            params[name] = value.value
        else:
            params[name] = value
    return params


def _unreachable_message(error: httpx.TransportError) -> str:
    if isinstance(error, httpx.TimeoutException):
        return "The central service did not answer in time."
    untrusted = untrusted_reason(error)
    if untrusted is not None:
        return (
            f"The central service's certificate is not trusted ({untrusted}): set [server] "
            "ca_file to the certificate of the authority that signed it."
        )
    return f"Cannot reach the central service ({type(error).__name__})."


GATEWAY_STATUSES = frozenset({502, 503, 504})


def gateway_failure(response: httpx.Response) -> bool:
    """A 502/503/504 that is not the service's own JSON error: something in front of the
    service answered for it (it could not reach the service, or lost its answer)."""
    if response.status_code not in GATEWAY_STATUSES:
        return False
    try:
        body = response.json()
    except ValueError:
        return True
    return not (isinstance(body, dict) and isinstance(body.get("error"), str))


def _gateway_message(response: httpx.Response) -> str:
    return (
        "The central service does not answer behind its gateway "
        f"({response.status_code} {response.reason_phrase})."
    )


def _refusal(response: httpx.Response) -> ApiRefused:
    try:
        body = response.json()
        return ApiRefused(
            response.status_code,
            body.get("error", "error"),
            body.get("message") or response.reason_phrase,
            body.get("field"),
        )
    except ValueError:
        return ApiRefused(
            response.status_code,
            "error",
            f"The central service answered {response.status_code} {response.reason_phrase}.",
        )
