"""Queued writes of the doctor directory: an agent's report that the directory is wrong about a
doctor (``report_provider``) and closing one (``close_report``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from console.client.api import ApiRefused, CentralApi
from console.client.cache import utcnow
from console.client.outbox import PENDING, Outbox, OutboxEntry
from console.client.writes.base import Context, KeySet, Request, Write, not_cached
from console.domain.models import ProviderReport, ReportClose, ReportIn


def queued_report(entry: OutboxEntry) -> ProviderReport:
    """What a queued report (or close) was answered with; the real one once replayed."""
    if entry.state == "done" and isinstance(entry.result, dict) and "report" in entry.result:
        return ProviderReport.model_validate(entry.result["report"])
    return ProviderReport.model_validate(entry.payload["made"])


def pending_reports(outbox: Outbox) -> list[ProviderReport]:
    """The reports this desk made that wait in the outbox, oldest first."""
    return [
        ProviderReport.model_validate(e.payload["made"])
        for e in outbox.entries(states=(PENDING,))
        if e.kind == ReportProvider.kind
    ]


def with_queued_reports(
    outbox: Outbox, reports: list[ProviderReport], status: str
) -> list[ProviderReport]:
    """``reports`` (``status``: open, closed, all) as this desk's queued reports and closes
    leave them: queued reports first (newest first), queued closes applied."""
    closed = {
        e.payload["report_id"]: e.payload["made"]
        for e in outbox.entries(states=(PENDING,))
        if e.kind == CloseReport.kind
    }
    merged = []
    made = sorted(pending_reports(outbox), key=lambda r: r.created_at, reverse=True)
    for report in [*made, *reports]:
        if report.id in closed:
            report = ProviderReport.model_validate(closed[report.id])
        if status == "all" or report.status == status:
            merged.append(report)
    return merged


class _Report(Write):
    def result(self, ctx: Context) -> ProviderReport:
        if self.entry is None:
            return self.payload.made
        return queued_report(self.entry)


# -- a report ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewReport:
    provider_id: int
    report: ReportIn
    call_id: int | None  # the report's call, else the desk's


class ReportProviderPayload(BaseModel):
    local_id: int
    provider_id: int
    report: dict[str, Any]  # ReportIn as JSON, without its call: the request's body
    call_id: int | None = None
    made: ProviderReport  # the provisional report the desk shows meanwhile


class ReportProvider(_Report, Write[ReportProviderPayload, NewReport, ProviderReport]):
    kind = "report_provider"
    Payload = ReportProviderPayload
    creates = (("report", "local_id"),)

    @classmethod
    def prepare(cls, ctx: Context, ask: NewReport) -> NewReport:
        call_id = ctx.ids.resolved("call", ask.report.call_id or ask.call_id)[1]
        return NewReport(ask.provider_id, ask.report, call_id)

    @classmethod
    def ready(cls, ctx: Context, ask: NewReport) -> bool:
        return ctx.ids.resolved("call", ask.call_id)[0]

    @classmethod
    async def online(
        cls, api: CentralApi, ctx: Context, ask: NewReport, key: str | None
    ) -> ProviderReport:
        made = await api.report_provider(
            ask.provider_id,
            ask.report.model_copy(update={"call_id": ask.call_id}),
            idempotency_key=key,
        )
        ctx.directory.add_report(made)
        return made

    @classmethod
    def make(cls, ctx: Context, ask: NewReport) -> ReportProvider:
        me = ctx.me()
        entry = ctx.directory.entry(ask.provider_id)
        local_id = ctx.cache.next_local_id()
        made = ProviderReport(
            id=local_id,
            provider_id=ask.provider_id,
            provider_name=entry.name if entry else "",
            institution=entry.institution if entry else "",
            type=entry.type if entry else None,
            kind=ask.report.kind,
            note=ask.report.note,
            agent_id=me.id,
            agent_name=me.name,
            call_id=ask.call_id,
            created_at=utcnow(),
            status="open",
        )
        return cls(
            ReportProviderPayload(
                local_id=local_id,
                provider_id=ask.provider_id,
                report=ask.report.model_dump(mode="json", exclude={"call_id"}),
                call_id=ask.call_id,
                made=made,
            )
        )

    def provisional(self, ctx: Context) -> ProviderReport:
        ctx.directory.add_report(self.payload.made)
        return self.payload.made

    def replay_keys(self) -> frozenset:
        p = self.payload
        keys = KeySet().add("report", p.local_id).add("provider", p.provider_id)
        return keys.add("call", p.call_id).frozen()

    def request(self, ctx: Context) -> Request:
        p = self.payload
        call_id = ctx.ids.real_int("call", p.call_id)
        body = {**p.report, "call_id": call_id}
        return Request("POST", f"/v1/directory/{p.provider_id}/reports", body, call_id=call_id)

    def applied(self, ctx: Context, answer: Any) -> dict[str, Any]:
        report = ProviderReport.model_validate(answer)
        ctx.ids.map("report", self.payload.local_id, report.id)
        ctx.directory.replace_report(report.provider_id, self.payload.local_id, report)
        return {"report_id": report.id, "report": report.model_dump(mode="json")}

    def dropped(self, ctx: Context) -> None:
        ctx.directory.close_report(self.payload.provider_id, self.payload.local_id)

    def describe(self) -> str:
        made = self.payload.made
        doctor = made.provider_name or f"doctor {self.payload.provider_id}"
        note = f": {made.note}" if made.note else ""
        return f"report {doctor} {made.kind.value}{note}"


# -- closing a report ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportClosing:
    report_id: int
    close: ReportClose


class CloseReportPayload(BaseModel):
    report_id: int  # as the desk named it (provisional if the report was made offline)
    close: dict[str, Any]  # ReportClose as JSON: the request's body
    made: ProviderReport  # the report as closed, shown meanwhile


class CloseReport(_Report, Write[CloseReportPayload, ReportClosing, ProviderReport]):
    kind = "close_report"
    Payload = CloseReportPayload

    @classmethod
    def ready(cls, ctx: Context, ask: ReportClosing) -> bool:
        return ctx.ids.resolved("report", ask.report_id)[0]

    @classmethod
    async def online(
        cls, api: CentralApi, ctx: Context, ask: ReportClosing, key: str | None
    ) -> ProviderReport:
        real = ctx.ids.resolved("report", ask.report_id)[1]
        assert real is not None
        closed = await api.close_report(real, ask.close, idempotency_key=key)
        ctx.directory.close_report(closed.provider_id, closed.id)
        return closed

    @classmethod
    def make(cls, ctx: Context, ask: ReportClosing) -> CloseReport:
        real = ctx.ids.resolved("report", ask.report_id)[1]
        assert real is not None
        current = ctx.directory.report(real)
        if current is None:
            opened = with_queued_reports(ctx.outbox, [], "open")
            current = next((r for r in opened if r.id == ask.report_id), None)
        if current is None:
            raise not_cached("this report")
        current = with_queued_reports(ctx.outbox, [current], "all")[-1]  # a queued close applies
        if current.status != "open":
            raise ApiRefused(409, "report_closed", "This report is already closed.")
        closed = current.model_copy(
            update={
                "status": "closed",
                "closed_at": utcnow(),
                "closed_by_name": ctx.me().name,
                "resolution": ask.close.resolution,
            }
        )
        return cls(
            CloseReportPayload(
                report_id=ask.report_id, close=ask.close.model_dump(mode="json"), made=closed
            )
        )

    def provisional(self, ctx: Context) -> ProviderReport:
        made = self.payload.made
        ctx.directory.close_report(made.provider_id, made.id)
        return made

    def replay_keys(self) -> frozenset:
        return KeySet().add("report", self.payload.report_id).frozen()

    def request(self, ctx: Context) -> Request:
        report_id = ctx.ids.real_int("report", self.payload.report_id, strict=True)
        return Request("POST", f"/v1/reports/{report_id}/close", self.payload.close)

    def applied(self, ctx: Context, answer: Any) -> dict[str, Any]:
        report = ProviderReport.model_validate(answer)
        return {"report_id": report.id, "report": report.model_dump(mode="json")}

    def describe(self) -> str:
        return f"close report {self.payload.report_id}"
