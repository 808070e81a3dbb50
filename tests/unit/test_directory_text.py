"""How the directory words its facts: counted words in both languages, ages, freshness,
disagreement, and the municipality or region a few typed letters stand for."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest

from console import i18n
from console.domain.directory import assess
from console.domain.models import (
    DirectoryEntry,
    DirectoryFact,
    DoctorType,
    FactSource,
    ProviderReport,
    ReportKind,
)
from console.screens.directory import match_area
from widgets.directory_text import (
    STALE_STYLE,
    ago,
    days_ago,
    evidence_note,
    freshness_text,
    plural,
)

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
TODAY = date(2026, 11, 22)
LIST = date(2026, 8, 21)


@pytest.fixture
def sl() -> Iterator[None]:
    before = i18n.language()
    i18n.set_language("sl")
    yield
    i18n.set_language(before)


@pytest.fixture
def en() -> Iterator[None]:
    before = i18n.language()
    i18n.set_language("en")
    yield
    i18n.set_language(before)


def entry(**values: object) -> DirectoryEntry:
    fields = {
        "provider_id": 1,
        "name": "Novak Ana",
        "type": DoctorType.GP,
        "institution": "ZD Celje",
        "address": "Gregorčičeva 5",
        "postcode": "3000",
        "town": "Celje",
        "municipality": "Celje",
        "region": "Savinjska",
        "accepts": True,
        "list_date": LIST,
    }
    fields.update(values)
    return DirectoryEntry(**fields)


def report(kind: ReportKind, *, hours: int = 2, id: int = 7) -> ProviderReport:
    return ProviderReport(
        id=id,
        provider_id=1,
        provider_name="Novak Ana",
        institution="ZD Celje",
        kind=kind,
        note="",
        agent_id=3,
        agent_name="Mojca",
        created_at=NOW - timedelta(hours=hours),
        status="open",
    )


@pytest.mark.parametrize(
    ("count", "text"),
    [
        (1, "1 zdravnik"),
        (2, "2 zdravnika"),
        (3, "3 zdravniki"),
        (4, "4 zdravniki"),
        (5, "5 zdravnikov"),
        (42, "42 zdravnikov"),
        (101, "101 zdravnik"),
        (102, "102 zdravnika"),
        (111, "111 zdravnikov"),
        (3092, "3.092 zdravnikov"),
    ],
)
def test_slovenian_counts_take_the_form_the_number_needs(sl: None, count: int, text: str) -> None:
    assert plural(i18n._("{count} doctor|{count} doctors"), count) == text


def test_english_counts_have_two_forms(en: None) -> None:
    forms = i18n._("{count} doctor|{count} doctors")
    assert [plural(forms, n) for n in (1, 2, 5, 1078)] == [
        "1 doctor",
        "2 doctors",
        "5 doctors",
        "1,078 doctors",
    ]


def test_days_and_hours_ago(sl: None) -> None:
    assert [days_ago(n) for n in (0, 1, 2, 3, 93)] == [
        "danes",
        "včeraj",
        "pred 2 dnevoma",
        "pred 3 dnevi",
        "pred 93 dnevi",
    ]
    assert ago(NOW - timedelta(seconds=20), NOW) == "pravkar"
    assert ago(NOW - timedelta(minutes=5), NOW) == "pred 5 min"
    assert ago(NOW - timedelta(hours=2), NOW) == "pred 2 h"
    assert ago(NOW - timedelta(days=3), NOW) == "pred 3 dnevi"


def test_freshness_says_source_date_and_age_and_is_stale_past_the_limit(sl: None) -> None:
    verdict = assess(entry())
    stale = freshness_text(verdict, TODAY, 30, NOW)
    assert stale.plain == "ZZZS 21. 8. 2026 · pred 93 dnevi"
    assert stale.style == STALE_STYLE
    fresh = freshness_text(verdict, date(2026, 9, 1), 30, NOW)
    assert fresh.plain == "ZZZS 21. 8. 2026 · pred 11 dnevi"
    assert fresh.style != STALE_STYLE


def test_a_report_that_contradicts_the_insurer_is_said_plainly(sl: None) -> None:
    reported = entry(report=report(ReportKind.FULL), open_reports=1)
    i18n.set_language("sl")
    note = evidence_note(reported, now=NOW)
    assert note is not None
    assert note.plain == "⚠ ZZZS: sprejema · prijavljeno: poln – Mojca, pred 2 h"
    i18n.set_language("en")
    note = evidence_note(reported, now=NOW)
    assert note is not None
    assert note.plain == "⚠ ZZZS: accepts · reported full by Mojca 2 h ago"


def test_an_older_correction_is_dated_and_a_report_of_another_kind_has_its_own_line(
    sl: None,
) -> None:
    correction = DirectoryFact(
        source=FactSource.SLEDILNIK_OVERRIDE, as_of=date(2026, 8, 19), accepts=False
    )
    both = entry(correction=correction, report=report(ReportKind.CONTACT), open_reports=2)
    note = evidence_note(both, now=NOW)
    assert note is not None
    assert note.plain.split("\n") == [
        "⚠ popravek: poln (19. 8. 2026) · ZZZS: sprejema",
        "prijavljeno: napačen kontakt – Mojca, pred 2 h (še 1 prijava)",
    ]


def test_nothing_to_say_when_the_sources_agree(sl: None) -> None:
    assert evidence_note(entry(), now=NOW) is None


def test_a_report_made_offline_says_it_waits(sl: None) -> None:
    queued = entry(report=report(ReportKind.FULL, id=-4), open_reports=1)
    note = evidence_note(queued, now=NOW)
    assert note is not None
    assert note.plain.endswith("(v čakalni vrsti: poslano bo, ko bo povezava spet vzpostavljena)")


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("domz", "Domžale"),
        ("DOMŽALE", "Domžale"),
        ("nova gor", "Nova Gorica"),
        ("gor", "Gornja Radgona"),
        ("ljubljana", "Ljubljana"),
        ("xyz", None),
        ("", None),
    ],
)
def test_a_few_letters_stand_for_a_municipality(typed: str, meant: str | None) -> None:
    names = ["Dol pri Ljubljani", "Domžale", "Gornja Radgona", "Ljubljana", "Nova Gorica"]
    assert match_area(names, typed) == meant
