"""The service's outer guard: a body limit, JSON that parses, and a proper answer to a bug.

A pure ASGI middleware just inside Starlette's own error middleware. For every request it:

- refuses a body over :data:`MAX_BODY_BYTES` with 413 ``body_too_large``, by its
  ``Content-Length`` before reading it, or while reading a chunked one;
- refuses a body that is not UTF-8 JSON (invalid UTF-8, malformed JSON, nesting deeper than
  :data:`MAX_JSON_DEPTH`) with 422 ``invalid_body``, ``field: "body"`` and where it broke;
- answers an exception no handler took with a JSON 500 and logs it. Starlette's own error
  middleware would answer too, but then re-raise, and uvicorn closes a connection whose
  application raised: the desk's next request on that keep-alive connection got a reset. Here
  the exception ends with the answer, and the connection stays usable.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

log = logging.getLogger("console.server")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

# The largest request the API takes (a wrap-up with 8,000 characters of notes) is ~33 KB.
MAX_BODY_BYTES = 64 * 1024
MAX_JSON_DEPTH = 32  # the API's bodies nest two levels deep
_WITH_BODY = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class Refusal(Exception):
    def __init__(self, status: int, error: str, message: str, field: str | None) -> None:
        super().__init__(message)
        self.status, self.error, self.message, self.field = status, error, message, field


class Guard:
    def __init__(self, app: App, max_body_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            if scope["method"] in _WITH_BODY or _declared_length(scope):
                receive = await self._checked_body(scope, receive)
            await self.app(scope, receive, tracked)
        except Refusal as refusal:
            await _answer(send, refusal.status, refusal.error, refusal.message, refusal.field)
        except Exception:
            log.exception("unexpected error in %s %s", scope.get("method"), scope.get("path"))
            if not started:
                await _answer(
                    send, 500, "internal", "The central service failed; the error is logged."
                )

    async def _checked_body(self, scope: Scope, receive: Receive) -> Receive:
        """Read the whole body (within the limit), check it, and hand it on unchanged."""
        limit = self.max_body_bytes
        declared = _declared_length(scope)
        if declared is not None and declared > limit:
            raise _too_large(limit)
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise _too_large(limit)
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        data = b"".join(chunks)
        if data and scope["method"] in _WITH_BODY and _is_json(scope):
            check_json(data)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": data, "more_body": False}
            return await receive()

        return replay


def check_json(data: bytes) -> Any:
    """The parsed body, or :class:`Refusal` saying what is wrong with it and where."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Refusal(
            422, "invalid", f"The body is not valid UTF-8 (byte {exc.start}).", "body"
        ) from None
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as exc:
        raise Refusal(
            422,
            "invalid",
            f"The body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}.",
            "body",
        ) from None
    except RecursionError:
        raise _too_deep() from None
    if _depth(parsed) > MAX_JSON_DEPTH:
        raise _too_deep()
    return parsed


def _too_deep() -> Refusal:
    return Refusal(
        422, "invalid", f"The body's JSON nests deeper than {MAX_JSON_DEPTH} levels.", "body"
    )


def _depth(value: Any) -> int:
    """How deeply arrays and objects nest in ``value`` (iteratively: no recursion limit)."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        if deepest > MAX_JSON_DEPTH:
            return deepest
        stack.extend((child, depth + 1) for child in children)
    return deepest


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _is_json(scope: Scope) -> bool:
    """FastAPI reads a body as JSON when its type says JSON or says nothing."""
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            kind = value.split(b";")[0].strip().lower()
            return kind == b"application/json" or kind.endswith(b"+json")
    return True


def _too_large(limit: int) -> Refusal:
    return Refusal(
        413, "body_too_large", f"The body is over {limit // 1024} KiB; send less.", "body"
    )


async def _answer(
    send: Send, status: int, error: str, message: str, field: str | None = None
) -> None:
    payload = json.dumps({"error": error, "message": message, "field": field}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(payload)).encode()),
    ]
    if status == 413:  # the rest of the body was not read: this connection cannot carry more
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
