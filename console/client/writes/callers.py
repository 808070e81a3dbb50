"""Queued writes of callers: a new caller (``create_caller``) and a change (``update_caller``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from console.client.api import ApiRefused, CentralApi
from console.client.cache import utcnow
from console.client.issues import SyncIssue
from console.client.writes.base import Context, KeySet, Request, Settled, Write, not_cached
from console.domain.caller_fields import check_channel, clean_caller_fields, message_address
from console.domain.errors import InvalidValue
from console.domain.models import Caller, CallerIn, CallerPatch, Phone
from console.domain.phone import is_mobile
from console.domain.text import fold


def clean_caller(values: dict[str, Any], current: Caller | None = None) -> dict[str, Any]:
    """A new caller or a patch checked the way the service will check it (so a caller entered
    offline is not refused on replay for a typo the agent could have fixed while on the
    phone); the birth date as ISO text. A message channel needs its address: a patch is
    checked together with the ``current`` caller. Raises ApiRefused(422) naming the API's
    field."""
    try:
        cleaned = clean_caller_fields(values)
        if current is None or {"message_channel", "email", "phones"} & cleaned.keys():
            check_channel(
                cleaned.get("message_channel")
                or (current.message_channel if current is not None else None),
                cleaned.get("email", current.email if current else None),
                cleaned["phones"]
                if cleaned.get("phones") is not None
                else [phone.number for phone in (current.phones if current else [])],
            )
    except InvalidValue as exc:
        raise ApiRefused(422, "invalid", exc.message, exc.field) from None
    if cleaned.get("birth_date") is not None:
        cleaned["birth_date"] = cleaned["birth_date"].isoformat()
    return cleaned


def phones(numbers: list[str]) -> list[Phone]:
    return [Phone(number=n, label="mobile" if is_mobile(n) else "landline") for n in numbers]


# -- a new caller --------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewCaller:
    caller: CallerIn
    call_id: int | None  # the desk's call, for the audit log


class CreateCallerPayload(BaseModel):
    local_id: int
    caller: dict[str, Any]  # the fields as typed (CallerIn, only those set): the request's body
    call_id: int | None = None


class CreateCaller(Write[CreateCallerPayload, NewCaller, Caller]):
    """A caller entered while offline. On replay the caller is first matched to one the
    service has (the same EMŠO, else the same phone number *and* name), else created."""

    kind = "create_caller"
    Payload = CreateCallerPayload
    creates = (("caller", "local_id"),)

    @classmethod
    async def online(cls, api: CentralApi, ctx: Context, ask: NewCaller, key: str | None) -> Caller:
        created = await api.create_caller(ask.caller, idempotency_key=key)
        ctx.cache.put_caller(created)
        return created

    @classmethod
    def make(cls, ctx: Context, ask: NewCaller) -> CreateCaller:
        values = clean_caller(ask.caller.model_dump())
        for name, label in (("emso", "EMŠO"), ("zzzs_number", "ZZZS number")):
            if values.get(name):
                twins = ctx.cache.callers_with(**{name.split("_")[0]: values[name]})
                if twins:
                    raise ApiRefused(
                        409,
                        "caller_exists",
                        f"Caller {twins[0].id} already has this {label}; open that record.",
                    )
        return cls(
            CreateCallerPayload(
                local_id=ctx.cache.next_local_id(),
                caller=ask.caller.model_dump(mode="json", exclude_unset=True),
                call_id=ask.call_id,
            )
        )

    def provisional(self, ctx: Context) -> Caller:
        values = clean_caller(CallerIn.model_validate(self.payload.caller).model_dump())
        now = utcnow()
        caller = Caller(
            id=self.payload.local_id,
            first_name=values["first_name"],
            last_name=values["last_name"],
            phones=phones(values["phones"]),
            emso=values["emso"],
            zzzs_number=values["zzzs_number"],
            email=values["email"],
            language=values["language"],
            notes=values["notes"],
            flags=values["flags"],
            birth_date=values["birth_date"],
            created_at=now,
            updated_at=now,
            message_channel=values["message_channel"],
            message_consent=values["message_consent"],
            message_consent_at=now if values["message_consent"] else None,
        )
        caller.message_address = _address(caller)
        ctx.cache.put_caller(caller, provisional=True)
        return caller

    def result(self, ctx: Context) -> Caller:
        local_id = self.payload.local_id
        real = ctx.ids.real_int("caller", local_id)
        found = ctx.cache.caller(real if real is not None else local_id)
        if found is None:
            raise not_cached("this caller")
        return found

    def replay_keys(self) -> frozenset:
        caller = self.payload.caller
        keys = KeySet().add("caller", self.payload.local_id).add("call", self.payload.call_id)
        # Two new callers that may be one person are matched one after the other.
        for name in ("emso", "zzzs_number"):
            keys.add(name, str(caller.get(name) or "").strip() or None)
        for number in caller.get("phones") or []:
            keys.add("phone", str(number))
        keys.add(
            "new caller", fold(f"{caller.get('first_name', '')} {caller.get('last_name', '')}")
        )
        return keys.frozen()

    def request(self, ctx: Context) -> Request:
        call_id = ctx.ids.real_int("call", self.payload.call_id)
        return Request("POST", "/v1/callers", self.payload.caller, call_id=call_id)

    async def settle(
        self, api: CentralApi, ctx: Context, refusal: ApiRefused | None = None
    ) -> Settled | None:
        """An existing caller for this one: the same EMŠO (or ZZZS number, when the service
        says it exists), else the same phone number *and* name — a family often shares a
        landline, so the number alone does not make two people one."""
        if refusal is not None and refusal.error != "caller_exists":
            return None
        wanted = clean_caller(self.payload.caller)
        for name, label in (("emso", "emso"), ("zzzs_number", "zzzs")):
            if name == "zzzs_number" and refusal is None:
                continue
            if wanted.get(name):
                hits = await api.search_callers(wanted[name], limit=5)
                exact = [c for c in hits.callers if getattr(c, name) == wanted[name]]
                if exact:
                    return await _matched(api, exact[0].id, label)
        folded = fold(f"{wanted['first_name']} {wanted['last_name']}")
        for number in wanted.get("phones") or []:
            hits = await api.search_callers(number, limit=20)
            same = [
                c
                for c in hits.callers
                if number in c.phones and fold(f"{c.first_name} {c.last_name}") == folded
            ]
            if same:
                return await _matched(api, same[0].id, "phone")
        return None

    def applied(self, ctx: Context, answer: Any) -> dict[str, Any]:
        caller = Caller.model_validate(answer)
        ctx.ids.map("caller", self.payload.local_id, caller.id)
        ctx.cache.rekey_caller(self.payload.local_id, caller)
        return {"caller_id": caller.id}

    def issue(self, ctx: Context, kind: str, message: str) -> SyncIssue:
        issue = super().issue(ctx, kind, message)
        caller = self.payload.caller
        issue.caller_id = self.payload.local_id
        issue.caller_name = f"{caller.get('first_name', '')} {caller.get('last_name', '')}"
        issue.caller_phone = (caller.get("phones") or [None])[0]
        return issue

    def describe(self) -> str:
        c = self.payload.caller
        return (
            f"new caller {c.get('first_name', '')} {c.get('last_name', '')} "
            f"(id {self.payload.local_id})"
        )


def _address(caller: Caller) -> str | None:
    """Where the caller's messages go now, as the service will say (``message_address``)."""
    return message_address(
        caller.message_consent, caller.message_channel, caller.email, caller.phones
    )


async def _matched(api: CentralApi, caller_id: int, how: str) -> Settled:
    """The caller as the service has it (read without the desk's call: no call asked)."""
    found = Caller.model_validate(await api.send("GET", f"/v1/callers/{caller_id}"))
    return Settled(found.model_dump(mode="json"), {"matched_on": how})


# -- a change to a caller ------------------------------------------------------------------------


@dataclass(frozen=True)
class CallerChange:
    caller_id: int
    patch: CallerPatch


class UpdateCallerPayload(BaseModel):
    caller_id: int
    patch: dict[str, Any]  # the fields sent (CallerPatch, only those set): the request's body


class UpdateCaller(Write[UpdateCallerPayload, CallerChange, Caller]):
    """A change to a caller's record (a barrier: it may change what a new caller is matched
    on)."""

    kind = "update_caller"
    Payload = UpdateCallerPayload
    keyed = False

    @classmethod
    def prepare(cls, ctx: Context, ask: CallerChange) -> CallerChange:
        _known, real = ctx.ids.resolved("caller", ask.caller_id)
        return CallerChange(real, ask.patch)  # type: ignore[arg-type]

    @classmethod
    def ready(cls, ctx: Context, ask: CallerChange) -> bool:
        return ctx.ids.resolved("caller", ask.caller_id)[0]

    @classmethod
    async def online(
        cls, api: CentralApi, ctx: Context, ask: CallerChange, key: str | None
    ) -> Caller:
        updated = await api.update_caller(ask.caller_id, ask.patch)
        ctx.cache.put_caller(updated)
        return updated

    @classmethod
    def make(cls, ctx: Context, ask: CallerChange) -> UpdateCaller:
        current = ctx.cache.caller(ask.caller_id)
        if current is None:
            raise not_cached("this caller")
        sent = ask.patch.model_dump(exclude_unset=True)
        if not sent:
            raise ApiRefused(422, "invalid", "Nothing to change: send at least one field.")
        clean_caller(sent, current)
        return cls(
            UpdateCallerPayload(
                caller_id=current.id, patch=ask.patch.model_dump(mode="json", exclude_unset=True)
            )
        )

    def provisional(self, ctx: Context) -> Caller:
        current = ctx.cache.caller(self.payload.caller_id)
        if current is None:
            raise not_cached("this caller")
        values = clean_caller(
            CallerPatch.model_validate(self.payload.patch).model_dump(exclude_unset=True), current
        )
        update = {k: v for k, v in values.items() if k != "phones" and v is not None}
        for name in ("emso", "zzzs_number", "email", "birth_date"):  # these may be cleared
            if name in values:
                update[name] = values[name]
        if "phones" in values:
            update["phones"] = phones(values["phones"])
        now = utcnow()
        if update.get("message_consent", current.message_consent) != current.message_consent:
            update["message_consent_at"] = now
        update["updated_at"] = now
        changed = current.model_copy(update=update)
        changed.message_address = _address(changed)
        ctx.cache.put_caller(changed, provisional=changed.id < 0)
        return changed

    def request(self, ctx: Context) -> Request:
        caller_id = ctx.ids.real_int("caller", self.payload.caller_id, strict=True)
        return Request("PATCH", f"/v1/callers/{caller_id}", self.payload.patch, keyed=False)

    def applied(self, ctx: Context, answer: Any) -> dict[str, Any]:
        caller = Caller.model_validate(answer)
        ctx.cache.put_caller(caller)
        return {"caller_id": caller.id}

    def describe(self) -> str:
        fields = ", ".join(sorted(self.payload.patch))
        return f"change caller {self.payload.caller_id}: {fields}"
