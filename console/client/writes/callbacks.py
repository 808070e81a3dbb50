"""Queued writes of callbacks: an attempt's outcome (``callback_attempt``), giving a claimed
callback back (``callback_release``) and an agent's own callback (``create_callback``, e.g.
from a sync issue); and what the desk keeps of callbacks in its cache.

A claim is a lease the central database decides on, so it is never queued (like a hold): a
desk claims online only. What it claimed is kept in its cache (``callback:claimed``), so a
callback claimed before an outage can be worked through it, even after a restart: its
outcome (or its release) is queued with the time it was made (``at``) and replayed. A
``reached`` outcome names the call it goes on in (started offline: provisional, replayed
first); the call's wrap-up, queued after it, closes the callback when it is replayed. The
service accepts a replayed outcome as long as nobody else claimed the callback meanwhile;
``callback_claimed`` or ``callback_closed`` refusals become sync issues of those kinds, saying
who claimed it or how it was closed. A release the service refuses for the same reasons has
nothing left to do (the callback is someone else's, or closed): it is settled, not an issue.

The queue as last fetched is kept too (``callback:queue``), for the callbacks screen offline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ValidationError

from console.client.api import ApiRefused, CentralApi, Unreachable
from console.client.cache import LocalCache, utcnow
from console.client.issues import SyncIssue
from console.client.outbox import PENDING, Outbox
from console.client.writes.base import Context, KeySet, Request, Settled, Write, not_cached
from console.client.writes.calls import WrapUp
from console.domain.callbacks import (
    RETRIED_OUTCOMES,
    AttemptIn,
    AttemptOutcome,
    Callback,
    CallbackAttempt,
    CallbackIn,
    CallbackPage,
    CallbackResult,
    CallbackSource,
    CallbackStatus,
)
from console.domain.errors import InvalidValue
from console.domain.phone import parse_phone

CLAIMED = "callback:claimed"
QUEUE = "callback:queue"
# The refusals of a replayed outcome that mean "settled elsewhere meanwhile": sync issues of
# these kinds (console.client.issues), saying so.
TAKEN = frozenset({"callback_claimed", "callback_closed"})


# -- what the cache keeps ------------------------------------------------------------------------


def claimed_callback(cache: LocalCache) -> Callback | None:
    """The callback this desk claimed and has not finished with, as it was claimed."""
    raw = cache.get_meta(CLAIMED)
    if not raw:
        return None
    try:
        return Callback.model_validate_json(raw)
    except ValidationError:  # written by another version: forget it rather than fail
        cache.set_meta(CLAIMED, None)
        return None


def remember_claimed(cache: LocalCache, callback: Callback | None) -> None:
    cache.set_meta(CLAIMED, callback.model_dump_json() if callback is not None else None)


def forget_claimed(cache: LocalCache, callback_id: int) -> None:
    """The desk is done with this callback (an outcome, a release)."""
    held = claimed_callback(cache)
    if held is not None and held.id == callback_id:
        remember_claimed(cache, None)


class CachedCallbackPage(CallbackPage):
    """The queue as this desk last fetched it (offline), with its own queued outcomes and
    releases applied; ``fetched_at``: when it was fetched."""

    from_cache: bool = True
    fetched_at: datetime | None = None


def remember_queue(cache: LocalCache, page: CallbackPage) -> None:
    """Keep the queue as fetched now (one page: it replaces the one before)."""
    cache.set_meta(
        QUEUE,
        CachedCallbackPage(
            callbacks=page.callbacks, window=page.window, more=page.more, fetched_at=utcnow()
        ).model_dump_json(),
    )


def recall_queue(cache: LocalCache, outbox: Outbox) -> CachedCallbackPage:
    raw = cache.get_meta(QUEUE)
    if not raw:
        raise not_cached("the callback queue")
    page = CachedCallbackPage.model_validate_json(raw)
    return page.model_copy(update={"callbacks": with_queued(outbox, page.callbacks)})


def with_queued(outbox: Outbox, callbacks: list[Callback]) -> list[Callback]:
    """``callbacks`` as this desk's queued outcomes and releases leave them: a callback
    closed by a queued outcome leaves the queue; one put back shows as the desk expects it."""
    made: dict[int, Callback] = {}
    wrapped: set[int] = set()  # calls whose wrap-up is queued: a callback reached in one is done
    for entry in outbox.entries(states=(PENDING,)):
        if entry.kind in (CallbackOutcome.kind, ReleaseCallback.kind):
            callback = Callback.model_validate(entry.payload["made"])
            made[callback.id] = callback
        elif entry.kind == WrapUp.kind:
            wrapped.add(int(entry.payload["call_id"]))
    shown = []
    for callback in callbacks:
        callback = made.get(callback.id, callback)
        if callback.call_id is not None and callback.call_id in wrapped:
            continue
        if callback.status in (CallbackStatus.OPEN, CallbackStatus.CLAIMED):
            shown.append(callback)
    return shown


def predicted(callback: Callback, outcome: AttemptOutcome, note: str, at: datetime, ctx: Context,
              call_id: int | None) -> Callback:  # fmt: skip
    """The callback as the service will leave it after this attempt (shown until replayed)."""
    me = ctx.me()
    attempt = CallbackAttempt(
        id=ctx.cache.next_local_id(),
        at=at,
        agent_id=me.id,
        agent_name=me.name or None,
        outcome=outcome,
        note=note,
        call_id=call_id,
    )
    count = callback.attempt_count + 1
    update: dict[str, Any] = {
        "attempts": [*callback.attempts, attempt],
        "attempt_count": count,
        "claimed_by": None,
        "claimed_at": None,
        "lease_expires_at": None,
    }
    result = {
        AttemptOutcome.REACHED: CallbackResult.REACHED,
        AttemptOutcome.DECLINED: CallbackResult.DECLINED,
        AttemptOutcome.WRONG_NUMBER: CallbackResult.WRONG_NUMBER,
        AttemptOutcome.NO_ANSWER: CallbackResult.NO_ANSWER,
        AttemptOutcome.BUSY: CallbackResult.BUSY,
    }[outcome]
    if outcome in RETRIED_OUTCOMES and count < callback.max_attempts:
        update["status"] = CallbackStatus.OPEN
    elif outcome is AttemptOutcome.REACHED and call_id is not None:
        # The call goes on: the callback stays this agent's, held by the call, until its
        # wrap-up (queued after this) closes it.
        update |= {"status": CallbackStatus.CLAIMED, "claimed_by": me.id, "call_id": call_id}
    else:
        done = outcome in (AttemptOutcome.REACHED, AttemptOutcome.DECLINED)
        update |= {
            "status": CallbackStatus.DONE if done else CallbackStatus.FAILED,
            "result": result,
            "closed_at": at,
        }
    return callback.model_copy(update=update)


def released(callback: Callback) -> Callback:
    return callback.model_copy(
        update={
            "status": CallbackStatus.OPEN,
            "claimed_by": None,
            "claimed_at": None,
            "lease_expires_at": None,
        }
    )


def _issue(ctx: Context, write: Write, kind: str, message: str, callback: Callback) -> SyncIssue:
    caller = ctx.cache.caller(callback.caller_ids[0]) if len(callback.caller_ids) == 1 else None
    return SyncIssue(
        id=0,
        kind=kind,
        action=write.kind,
        message=message,
        outbox_seq=write.entry.seq if write.entry else 0,
        created_at=utcnow(),
        caller_id=caller.id if caller else None,
        caller_name=f"{caller.first_name} {caller.last_name}" if caller else "",
        caller_phone=callback.number,
        call_id=ctx.ids.real_int("call", write.payload.model_dump().get("call_id")),
        notes=write.payload.model_dump().get("note", ""),
    )


# -- an attempt's outcome --------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    callback: Callback  # as the desk holds it (claimed)
    outcome: AttemptOutcome
    note: str = ""
    call_id: int | None = None  # the call it was made in (provisional if started offline)


class CallbackOutcomePayload(BaseModel):
    callback_id: int
    outcome: AttemptOutcome
    note: str = ""
    call_id: int | None = None
    at: datetime  # when the attempt was made: the replay sends it
    made: Callback  # the callback as the desk shows it until replayed


class CallbackOutcome(Write[CallbackOutcomePayload, Outcome, Callback]):
    kind = "callback_attempt"
    Payload = CallbackOutcomePayload
    conflicts = TAKEN

    def __init__(self, payload: CallbackOutcomePayload, entry: Any = None) -> None:
        super().__init__(payload, entry)
        self.refusal: ApiRefused | None = None
        self.now: Callback | None = None  # the callback as the service has it, after a refusal

    @classmethod
    def prepare(cls, ctx: Context, ask: Outcome) -> Outcome:
        call_id = ctx.ids.resolved("call", ask.call_id)[1]
        return Outcome(ask.callback, ask.outcome, ask.note, call_id)

    @classmethod
    def ready(cls, ctx: Context, ask: Outcome) -> bool:
        return ctx.ids.resolved("call", ask.call_id)[0]

    @classmethod
    async def online(cls, api: CentralApi, ctx: Context, ask: Outcome, key: str | None) -> Callback:
        attempt = AttemptIn(outcome=ask.outcome, note=ask.note, call_id=ask.call_id)
        callback = await api.callback_attempt(ask.callback.id, attempt, idempotency_key=key)
        forget_claimed(ctx.cache, callback.id)
        return callback

    @classmethod
    def make(cls, ctx: Context, ask: Outcome) -> CallbackOutcome:
        at = utcnow()
        made = predicted(ask.callback, ask.outcome, ask.note, at, ctx, ask.call_id)
        return cls(
            CallbackOutcomePayload(
                callback_id=ask.callback.id,
                outcome=ask.outcome,
                note=ask.note,
                call_id=ask.call_id,
                at=at,
                made=made,
            )
        )

    def provisional(self, ctx: Context) -> Callback:
        forget_claimed(ctx.cache, self.payload.callback_id)
        return self.payload.made

    def result(self, ctx: Context) -> Callback:
        entry = self.entry
        done = entry is not None and entry.state == "done" and isinstance(entry.result, dict)
        if done and entry is not None and entry.result.get("callback"):
            return Callback.model_validate(entry.result["callback"])
        return self.payload.made

    def replay_keys(self) -> frozenset:
        keys = KeySet().add("callback", self.payload.callback_id)
        return keys.add("call", self.payload.call_id).frozen()

    def request(self, ctx: Context) -> Request:
        p = self.payload
        call_id = ctx.ids.real_int("call", p.call_id)  # a call the service refused: without it
        body: dict[str, Any] = {"outcome": p.outcome.value, "note": p.note, "at": p.at.isoformat()}
        if call_id is not None:
            body["call_id"] = call_id
        return Request("POST", f"/v1/callbacks/{p.callback_id}/attempts", body, call_id=call_id)

    async def settle(
        self, api: CentralApi, ctx: Context, refusal: ApiRefused | None = None
    ) -> Settled | None:
        """Never settled another way; after a ``callback_claimed`` or ``callback_closed``
        refusal, look the callback up, so that the issue can say who has it or how it was
        closed."""
        if refusal is not None and refusal.error in TAKEN:
            self.refusal = refusal
            try:
                self.now = await api.callback(self.payload.callback_id)
            except (ApiRefused, Unreachable):
                self.now = None
        return None

    def applied(self, ctx: Context, answer: Any) -> dict[str, Any]:
        callback = Callback.model_validate(answer)
        forget_claimed(ctx.cache, callback.id)
        return {"callback_id": callback.id, "callback": callback.model_dump(mode="json")}

    def conflict(self, ctx: Context, message: str, nearest: list) -> SyncIssue:
        """``callback_claimed``: another agent claimed it while this desk was offline;
        ``callback_closed``: it was closed meanwhile (the caller called in, another agent
        reached them, ...). The issue's ``details`` say how it was closed and what this desk
        had recorded, for the sync issues screen to say in the agent's language."""
        kind = self.refusal.error if self.refusal is not None else "callback_closed"
        now = self.now
        details: dict[str, Any] = {
            "outcome": self.payload.outcome.value,
            "at": self.payload.at.isoformat(),
        }
        if now is not None and now.result is not None:
            details["result"] = now.result.value
        issue = _issue(ctx, self, kind, message, self.payload.made)
        issue.details = details
        return issue

    def issue(self, ctx: Context, kind: str, message: str) -> SyncIssue:
        return _issue(ctx, self, kind, message, self.payload.made)

    def describe(self) -> str:
        p = self.payload
        return f"callback {p.callback_id} ({p.made.number}): {p.outcome.value}"


# -- giving a claimed callback back ----------------------------------------------------------------


class CallbackReleasePayload(BaseModel):
    callback_id: int
    made: Callback  # the callback as the desk shows it meanwhile: back in the queue


class ReleaseCallback(Write[CallbackReleasePayload, Callback, Callback]):
    kind = "callback_release"
    Payload = CallbackReleasePayload

    @classmethod
    async def online(
        cls, api: CentralApi, ctx: Context, ask: Callback, key: str | None
    ) -> Callback:
        try:
            callback = await api.release_callback(ask.id, idempotency_key=key)
        except ApiRefused as refused:
            if refused.error not in (*TAKEN, "callback_not_claimed"):
                raise
            callback = released(ask)  # not this desk's any more: nothing to give back
        forget_claimed(ctx.cache, ask.id)
        return callback

    @classmethod
    def make(cls, ctx: Context, ask: Callback) -> ReleaseCallback:
        return cls(CallbackReleasePayload(callback_id=ask.id, made=released(ask)))

    def provisional(self, ctx: Context) -> Callback:
        forget_claimed(ctx.cache, self.payload.callback_id)
        return self.payload.made

    def result(self, ctx: Context) -> Callback:
        return self.payload.made

    def replay_keys(self) -> frozenset:
        return KeySet().add("callback", self.payload.callback_id).frozen()

    def request(self, ctx: Context) -> Request:
        return Request("POST", f"/v1/callbacks/{self.payload.callback_id}/release", None)

    async def settle(
        self, api: CentralApi, ctx: Context, refusal: ApiRefused | None = None
    ) -> Settled | None:
        """Refused because another agent claimed it meanwhile, it was closed, or its lease
        lapsed: there is nothing left to give back; done, with why."""
        if refusal is not None and refusal.error in (*TAKEN, "callback_not_claimed"):
            return Settled(None, {"skipped": f"{refusal.error}: {refusal.message}"})
        return None

    def applied(self, ctx: Context, answer: Any) -> dict[str, Any]:
        forget_claimed(ctx.cache, self.payload.callback_id)
        if answer is None:
            return {"callback_id": self.payload.callback_id}
        callback = Callback.model_validate(answer)
        return {"callback_id": callback.id, "callback": callback.model_dump(mode="json")}

    def issue(self, ctx: Context, kind: str, message: str) -> SyncIssue:
        return _issue(ctx, self, kind, message, self.payload.made)

    def describe(self) -> str:
        return f"release callback {self.payload.callback_id} ({self.payload.made.number})"


# -- an agent's own callback ---------------------------------------------------------------------


class CreateCallbackPayload(BaseModel):
    local_id: int
    callback: dict[str, Any]  # CallbackIn as JSON: the request's body
    made: Callback  # the provisional callback shown meanwhile


class CreateCallback(Write[CreateCallbackPayload, CallbackIn, Callback]):
    """An agent's own callback (a sync issue's, ...): in the queue for the number, or merged
    into its open callback."""

    kind = "create_callback"
    Payload = CreateCallbackPayload
    creates = (("callback", "local_id"),)

    @classmethod
    async def online(
        cls, api: CentralApi, ctx: Context, ask: CallbackIn, key: str | None
    ) -> Callback:
        return await api.create_callback(ask, idempotency_key=key)

    @classmethod
    def make(cls, ctx: Context, ask: CallbackIn) -> CreateCallback:
        try:
            number = parse_phone(ask.number)
        except InvalidValue as exc:
            raise ApiRefused(422, "invalid", exc.message, "number") from None
        local_id = ctx.cache.next_local_id()
        now = utcnow()
        made = Callback(
            id=local_id,
            number=number,
            source=CallbackSource(ask.source),
            status=CallbackStatus.OPEN,
            note=ask.note,
            caller_ids=[ask.caller_id] if ask.caller_id is not None else [],
            caller_id=ask.caller_id,
            origin_call_id=ask.call_id,
            created_at=now,
            waiting_since=now,
            tries=0,
            due_at=ask.due_at or now,
            attempt_count=0,
            max_attempts=1,
            assigned_to=ctx.me().id if ask.assign == "me" else None,
        )
        body = ask.model_dump(mode="json", exclude_none=True)
        return cls(CreateCallbackPayload(local_id=local_id, callback=body, made=made))

    def provisional(self, ctx: Context) -> Callback:
        return self.payload.made

    def result(self, ctx: Context) -> Callback:
        entry = self.entry
        done = entry is not None and entry.state == "done" and isinstance(entry.result, dict)
        if done and entry is not None and entry.result.get("callback"):
            return Callback.model_validate(entry.result["callback"])
        return self.payload.made

    def replay_keys(self) -> frozenset:
        p = self.payload
        keys = KeySet().add("callback", p.local_id).add("caller", p.callback.get("caller_id"))
        return keys.add("call", p.callback.get("call_id")).frozen()

    def request(self, ctx: Context) -> Request:
        body = self.payload.callback
        return Request("POST", "/v1/callbacks", body, call_id=body.get("call_id"))

    def applied(self, ctx: Context, answer: Any) -> dict[str, Any]:
        callback = Callback.model_validate(answer)
        ctx.ids.map("callback", self.payload.local_id, callback.id)
        return {"callback_id": callback.id, "callback": callback.model_dump(mode="json")}

    def issue(self, ctx: Context, kind: str, message: str) -> SyncIssue:
        return _issue(ctx, self, kind, message, self.payload.made)

    def describe(self) -> str:
        made = self.payload.made
        return f"callback to {made.number} ({made.source.value})" + (
            f": {made.note}" if made.note else ""
        )
