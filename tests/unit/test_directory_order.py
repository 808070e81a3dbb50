"""The directory's order and headline rules: Slovenian alphabetical order, accepting first,
and which open report a row shows."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime, timedelta

from console.domain.directory import accepting_if_listed, headline_report, order_key
from console.domain.models import ProviderReport, ReportKind
from console.domain.text import collation_key


def test_slovenian_alphabetical_order() -> None:
    words = ["Žalec", "Zreče", "Šentjur", "Sveti Jurij", "Čater", "Cvet", "Ćosić", "Celje"]
    words += ["Cankar", "dolenc", "Brežice", "Brezovica", "LJUBLJANA", "Ljutomer"]
    assert sorted(words, key=collation_key) == [
        "Brezovica",
        "Brežice",
        "Cankar",
        "Celje",
        "Ćosić",  # ć sorts as c
        "Cvet",
        "Čater",  # č after every c
        "dolenc",  # case does not matter
        "LJUBLJANA",
        "Ljutomer",
        "Sveti Jurij",
        "Šentjur",
        "Zreče",
        "Žalec",
    ]


def test_collation_ties_break_by_accent_and_case_and_decomposed_letters_count_alike() -> None:
    decomposed = unicodedata.normalize("NFD", "Čebelj")
    assert collation_key("Čebelj")[:2] == collation_key(decomposed)[:2]
    assert sorted(["Čebelj", "Cvet", decomposed], key=collation_key)[0] == "Cvet"
    assert sorted(["Ćosić", "cosic", "Cosic"], key=collation_key) == ["Cosic", "cosic", "Ćosić"]


def test_accepting_first_then_unknown_then_full_then_no_longer_listed() -> None:
    rows = [
        (False, True, "Ana", "ZD", 1),
        (None, True, "Bojan", "ZD", 2),
        (True, True, "Žiga", "ZD", 3),
        (True, False, "Ana", "ZD", 4),
        (True, True, "Čeh", "ZD", 5),
    ]
    ordered = sorted(rows, key=lambda r: order_key(*r))
    assert [r[4] for r in ordered] == [5, 3, 2, 1, 4]
    assert accepting_if_listed(False, True) is False
    assert accepting_if_listed(True, None) is None


def _report(report_id: int, kind: ReportKind, minutes: int, status: str = "open") -> ProviderReport:
    return ProviderReport(
        id=report_id,
        provider_id=1,
        provider_name="Kolar Miran",
        institution="ZD Celje",
        kind=kind,
        note="",
        agent_id=1,
        agent_name="Ana",
        created_at=datetime(2026, 9, 1, 8, tzinfo=UTC) + timedelta(minutes=minutes),
        status=status,
    )


def test_the_row_shows_the_newest_report_that_says_whether_the_doctor_accepts() -> None:
    full = _report(1, ReportKind.FULL, 0)
    contact = _report(2, ReportKind.CONTACT, 10)
    accepts = _report(3, ReportKind.ACCEPTS, 20, status="closed")
    assert headline_report([full, contact, accepts]) == full
    assert headline_report([contact]) == contact
    assert headline_report([accepts]) is None
    assert headline_report([full, _report(4, ReportKind.ACCEPTS, 30)]).id == 4  # type: ignore[union-attr]


def test_a_report_is_dated_by_the_day_in_ljubljana() -> None:
    from console.domain.directory import evidence, local_date
    from console.domain.models import DirectoryEntry, DoctorType, FactSource

    late = datetime(2026, 11, 22, 23, 30, tzinfo=UTC)  # 00:30 on 23 November in Ljubljana
    assert local_date(late).isoformat() == "2026-11-23"
    assert local_date(late.replace(tzinfo=None)).isoformat() == "2026-11-23"  # stored naive UTC
    report = ProviderReport(
        id=1, provider_id=1, provider_name="Kolar Miran", institution="ZD", kind=ReportKind.FULL,
        note="", agent_id=1, agent_name="Mojca", created_at=late, status="open",
    )  # fmt: skip
    entry = DirectoryEntry(
        provider_id=1, name="Kolar Miran", type=DoctorType.GP, institution="ZD", address="",
        postcode="", town="", municipality="", region="", accepts=True,
        list_date=datetime(2026, 11, 23).date(), report=report,
    )  # fmt: skip
    found = evidence(entry)
    # the same day as the list: the report (later in the day, by a person) comes first
    assert [e.source for e in found] == [FactSource.REPORT, FactSource.ZZZS]
    assert found[0].as_of.isoformat() == "2026-11-23"
