"""Queued writes of calls: a call started (``start_call``), its caller named (``attach_caller``)
and its wrap-up (``wrap_up``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel

from console.client.api import ApiRefused, CentralApi
from console.client.cache import utcnow
from console.client.issues import local_time
from console.client.provisional import references_in
from console.client.writes.base import Context, KeySet, Request, Settled, Write, not_cached
from console.domain.models import Call, CallDirection, WrapUpIn


def cached_call(ctx: Context, call_id: int) -> Call:
    """A call as the cache has it, by its real id once it has one."""
    real = ctx.ids.real_int("call", call_id)
    found = ctx.cache.call(real if real is not None else call_id)
    if found is None:
        raise not_cached("this call")
    return found


def blank_call(ctx: Context, call_id: int, started_at: datetime, caller_id: int | None) -> Call:
    me = ctx.me()
    return Call(
        id=call_id,
        agent_id=me.id,
        agent_name=me.name or None,
        caller_id=caller_id,
        direction=CallDirection.INBOUND,
        started_at=started_at,
        ended_at=None,
        disposition=None,
        notes=None,
        follow_up_at=None,
        follow_up_note=None,
        after_call_work_seconds=None,
        wrapped_at=None,
    )


# -- a call starts -------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewCall:
    caller_id: int | None
    direction: CallDirection


class StartCallPayload(BaseModel):
    local_id: int
    caller_id: int | None = None
    direction: str
    started_at: str  # ISO, as the desk saw it: the wrap-up of an offline call quotes it


class StartCall(Write[StartCallPayload, NewCall, Call]):
    kind = "start_call"
    Payload = StartCallPayload
    creates = (("call", "local_id"),)

    @classmethod
    def prepare(cls, ctx: Context, ask: NewCall) -> NewCall:
        return NewCall(ctx.ids.resolved("caller", ask.caller_id)[1], ask.direction)

    @classmethod
    def ready(cls, ctx: Context, ask: NewCall) -> bool:
        return ctx.ids.resolved("caller", ask.caller_id)[0]

    @classmethod
    async def online(cls, api: CentralApi, ctx: Context, ask: NewCall, key: str | None) -> Call:
        call = await api.start_call(ask.caller_id, ask.direction, idempotency_key=key)
        ctx.cache.put_call(call)
        return call

    @classmethod
    def make(cls, ctx: Context, ask: NewCall) -> StartCall:
        return cls(
            StartCallPayload(
                local_id=ctx.cache.next_local_id(),
                caller_id=ask.caller_id,
                direction=ask.direction.value,
                started_at=utcnow().isoformat(),
            )
        )

    def provisional(self, ctx: Context) -> Call:
        p = self.payload
        call = blank_call(ctx, p.local_id, datetime.fromisoformat(p.started_at), p.caller_id)
        call = call.model_copy(update={"direction": CallDirection(p.direction)})
        ctx.cache.put_call(call, provisional=True)
        return call

    def result(self, ctx: Context) -> Call:
        return cached_call(ctx, self.payload.local_id)

    def replay_keys(self) -> frozenset:
        return (
            KeySet()
            .add("call", self.payload.local_id)
            .add("caller", self.payload.caller_id)
            .frozen()
        )

    def request(self, ctx: Context) -> Request:
        caller_id = ctx.ids.real_int("caller", self.payload.caller_id)
        body = {
            "caller_id": caller_id,
            "direction": self.payload.direction,
            "started_at": self.payload.started_at,  # when it began on the desk
        }
        return Request("POST", "/v1/calls", body)

    async def settle(
        self, api: CentralApi, ctx: Context, refusal: ApiRefused | None = None
    ) -> Settled | None:
        """The service refused the desk's clock for the call's start (far in the future: the
        desk's clock is wrong; or older than the service keeps keys): the call starts by the
        service's clock instead, under the same key (a refusal stored nothing under it)."""
        if refusal is None or refusal.field != "started_at" or self.entry is None:
            return None
        body = self.request(ctx).body
        body.pop("started_at")
        answer = await api.send(
            "POST", "/v1/calls", json=body, idempotency_key=self.entry.idempotency_key
        )
        return Settled(answer, {"started_at": "the service's clock: " + refusal.message})

    def applied(self, ctx: Context, answer: Any) -> dict[str, Any]:
        call = Call.model_validate(answer)
        ctx.ids.map("call", self.payload.local_id, call.id)
        ctx.cache.rekey_call(self.payload.local_id, call)
        return {"call_id": call.id}

    def describe(self) -> str:
        started = local_time(datetime.fromisoformat(self.payload.started_at))
        return f"call {self.payload.local_id} started {started}"


# -- the call's caller ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CallCaller:
    call_id: int
    caller_id: int | None


class AttachCallerPayload(BaseModel):
    call_id: int
    caller_id: int | None = None


class AttachCaller(Write[AttachCallerPayload, CallCaller, Call]):
    kind = "attach_caller"
    Payload = AttachCallerPayload
    keyed = False

    @classmethod
    def prepare(cls, ctx: Context, ask: CallCaller) -> CallCaller:
        call_id = ctx.ids.resolved("call", ask.call_id)[1]
        return CallCaller(call_id, ctx.ids.resolved("caller", ask.caller_id)[1])  # type: ignore[arg-type]

    @classmethod
    def ready(cls, ctx: Context, ask: CallCaller) -> bool:
        return (
            ctx.ids.resolved("call", ask.call_id)[0]
            and ctx.ids.resolved("caller", ask.caller_id)[0]
        )

    @classmethod
    async def online(cls, api: CentralApi, ctx: Context, ask: CallCaller, key: str | None) -> Call:
        call = await api.attach_caller(ask.call_id, ask.caller_id)
        ctx.cache.put_call(call)
        return call

    @classmethod
    def make(cls, ctx: Context, ask: CallCaller) -> AttachCaller:
        current = ctx.cache.call(ask.call_id)
        if current is None:
            raise not_cached("this call")
        return cls(AttachCallerPayload(call_id=current.id, caller_id=ask.caller_id))

    def provisional(self, ctx: Context) -> Call:
        current = cached_call(ctx, self.payload.call_id)
        changed = current.model_copy(update={"caller_id": self.payload.caller_id})
        ctx.cache.put_call(changed, provisional=changed.id < 0)
        return changed

    def replay_keys(self) -> frozenset:
        return (
            KeySet()
            .add("call", self.payload.call_id)
            .add("caller", self.payload.caller_id)
            .frozen()
        )

    def request(self, ctx: Context) -> Request:
        call_id = ctx.ids.real_int("call", self.payload.call_id, strict=True)
        caller_id = ctx.ids.real_int("caller", self.payload.caller_id, strict=True)
        return Request("PATCH", f"/v1/calls/{call_id}", {"caller_id": caller_id}, keyed=False)

    def applied(self, ctx: Context, answer: Any) -> dict[str, Any]:
        call = Call.model_validate(answer)
        ctx.cache.put_call(call)
        return {"call_id": call.id}

    def describe(self) -> str:
        return f"call {self.payload.call_id}: caller {self.payload.caller_id}"


# -- the wrap-up ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CallWrapUp:
    call_id: int
    wrap_up: WrapUpIn


class WrapUpPayload(BaseModel):
    call_id: int  # as the desk named it (provisional if the call was started offline)
    wrap_up: dict[str, Any]  # WrapUpIn as JSON


class WrapUp(Write[WrapUpPayload, CallWrapUp, Call]):
    kind = "wrap_up"
    Payload = WrapUpPayload

    @classmethod
    def ready(cls, ctx: Context, ask: CallWrapUp) -> bool:
        return ctx.ids.resolved("call", ask.call_id)[0]

    @classmethod
    async def online(cls, api: CentralApi, ctx: Context, ask: CallWrapUp, key: str | None) -> Call:
        real = ctx.ids.resolved("call", ask.call_id)[1]
        assert real is not None
        body = wrap_up_body(ctx, ask.wrap_up.model_dump(mode="json"), ask.call_id, real)
        call = await api.wrap_up(real, WrapUpIn.model_validate(body), idempotency_key=key)
        ctx.cache.put_call(call)
        return call

    @classmethod
    def make(cls, ctx: Context, ask: CallWrapUp) -> WrapUp:
        return cls(WrapUpPayload(call_id=ask.call_id, wrap_up=ask.wrap_up.model_dump(mode="json")))

    def provisional(self, ctx: Context) -> Call:
        wrap_up = WrapUpIn.model_validate(self.payload.wrap_up)
        now = utcnow()
        real = ctx.ids.resolved("call", self.payload.call_id)[1]
        assert real is not None
        # Never lose a wrap-up: queue it even without the call's copy.
        current = ctx.cache.call(real) or blank_call(ctx, real, wrap_up.ended_at or now, None)
        if current.wrapped_at is not None:
            raise ApiRefused(409, "call_wrapped", "This call is already wrapped up.")
        doctor = wrap_up.referred_provider_id
        entry = ctx.directory.entry(doctor) if doctor is not None else None
        changed = current.model_copy(
            update={
                "ended_at": wrap_up.ended_at or now,
                "disposition": wrap_up.disposition,
                "notes": wrap_up.notes,
                "follow_up_at": wrap_up.follow_up_at,
                "follow_up_note": wrap_up.follow_up_note or None,
                "after_call_work_seconds": wrap_up.after_call_work_seconds,
                "wrapped_at": now,
                "referred_provider_id": doctor,
                "referred_provider_name": entry.name if entry else None,
            }
        )
        ctx.cache.put_call(changed, provisional=changed.id < 0)
        return changed

    def result(self, ctx: Context) -> Call:
        return cached_call(ctx, self.payload.call_id)

    def replay_keys(self) -> frozenset:
        keys = KeySet().add("call", self.payload.call_id)
        # The notes may quote provisional references: sent with the confirmed ones.
        for reference in references_in(str(self.payload.wrap_up.get("notes"))):
            keys.add("reference", reference)
        return keys.frozen()

    def request(self, ctx: Context) -> Request:
        call_id = ctx.ids.real_int("call", self.payload.call_id, strict=True)
        assert call_id is not None
        body = wrap_up_body(ctx, self.payload.wrap_up, self.payload.call_id, call_id)
        return Request("POST", f"/v1/calls/{call_id}/wrapup", body)

    async def settle(
        self, api: CentralApi, ctx: Context, refusal: ApiRefused | None = None
    ) -> Settled | None:
        """The service refused the desk's times (the call's start was recorded by the
        service's clock, so the desk's end falls before it): the wrap-up goes without its
        end (the service's now) and with a follow-up no earlier than the call's start, under
        the same key (a refusal stored nothing under it)."""
        if refusal is None or refusal.field not in ("ended_at", "follow_up_at"):
            return None
        if self.entry is None:
            return None
        request = self.request(ctx)
        body = dict(request.body)
        body["ended_at"] = None
        real = ctx.cache.call(ctx.ids.real_int("call", self.payload.call_id, strict=True) or 0)
        start = real.started_at if real is not None else utcnow()
        if body.get("follow_up_at") and datetime.fromisoformat(body["follow_up_at"]) <= start:
            body["follow_up_at"] = (start + timedelta(minutes=5)).isoformat()
        answer = await api.send(
            request.method, request.path, json=body, idempotency_key=self.entry.idempotency_key
        )
        return Settled(answer, {"times": "the service's clock: " + refusal.message})

    def applied(self, ctx: Context, answer: Any) -> dict[str, Any]:
        call = Call.model_validate(answer)
        ctx.cache.put_call(call)
        return {"call_id": call.id}

    def describe(self) -> str:
        return f"wrap up call {self.payload.call_id}: {self.payload.wrap_up['disposition']}"


def wrap_up_body(ctx: Context, wrap_up: dict, call_id: int, real_call_id: int) -> dict:
    """The wrap-up as sent: provisional references in the notes (the wrap-up quotes the booking
    made in the call) become the confirmed ones. The desk's own times go as they are: a call
    started offline is sent with its own start, so its end and follow-up fit it."""
    body = dict(wrap_up)
    if body.get("notes"):
        body["notes"] = ctx.ids.confirmed_references(body["notes"])
    return body


# -- a line added to a call's record -------------------------------------------------------------


@dataclass(frozen=True)
class CallNoteAsk:
    call_id: int
    note: str


class NoteCallPayload(BaseModel):
    call_id: int  # as the desk named it (provisional if the call was started offline)
    note: str


class NoteCall(Write[NoteCallPayload, CallNoteAsk, Call]):
    """A line added to a call's record after the fact (what became of a booking the replay
    could not confirm: rebooked, or a callback), wrapped up or not."""

    kind = "note_call"
    Payload = NoteCallPayload

    @classmethod
    def prepare(cls, ctx: Context, ask: CallNoteAsk) -> CallNoteAsk:
        return CallNoteAsk(ctx.ids.resolved("call", ask.call_id)[1] or ask.call_id, ask.note)

    @classmethod
    def ready(cls, ctx: Context, ask: CallNoteAsk) -> bool:
        return ctx.ids.resolved("call", ask.call_id)[0]

    @classmethod
    async def online(cls, api: CentralApi, ctx: Context, ask: CallNoteAsk, key: str | None) -> Call:
        call = await api.add_call_note(ask.call_id, ask.note, idempotency_key=key)
        ctx.cache.put_call(call)
        return call

    @classmethod
    def make(cls, ctx: Context, ask: CallNoteAsk) -> NoteCall:
        return cls(NoteCallPayload(call_id=ask.call_id, note=ask.note))

    def provisional(self, ctx: Context) -> Call:
        current = cached_call(ctx, self.payload.call_id)
        notes = f"{current.notes}\n{self.payload.note}" if current.notes else self.payload.note
        changed = current.model_copy(update={"notes": notes})
        ctx.cache.put_call(changed, provisional=changed.id < 0)
        return changed

    def result(self, ctx: Context) -> Call:
        return cached_call(ctx, self.payload.call_id)

    def replay_keys(self) -> frozenset:
        return KeySet().add("call", self.payload.call_id).frozen()

    def request(self, ctx: Context) -> Request:
        call_id = ctx.ids.real_int("call", self.payload.call_id, strict=True)
        return Request("POST", f"/v1/calls/{call_id}/notes", {"note": self.payload.note})

    def applied(self, ctx: Context, answer: Any) -> dict[str, Any]:
        call = Call.model_validate(answer)
        ctx.cache.put_call(call)
        return {"call_id": call.id}

    def describe(self) -> str:
        return f"note on call {self.payload.call_id}: {self.payload.note[:60]}"
