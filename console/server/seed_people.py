"""The demo's people: Slovenian name pools, and the demo callers as plain row tuples.

Deterministic: the same ``random_seed`` gives the same callers. The rows are written by
:mod:`console.server.bulk_load` (in this process or in its producer process), in the column
order of :data:`CALLER_COLUMNS` and :data:`PHONE_COLUMNS`.
"""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Iterable, Iterator, Sequence
from datetime import date

from faker.providers.person.sl_SI import Provider as SlovenianNames

from console.domain.emso import emso_batch
from console.domain.phone import COUNTRY, MOBILE_PREFIXES
from console.domain.text import fold
from console.server import demo_data

BIRTH_FIRST = date(1930, 1, 1)
BIRTH_LAST = date(2025, 12, 31)
ZZZS_SHARE = 0.93
EMAIL_SHARE = 0.40
SECOND_PHONE_SHARE = 0.30
LANDLINE_FIRST_SHARE = 0.10
LANDLINE_SECOND_SHARE = 0.50
DOUBLE_SURNAME_SHARE = 0.03
FLAG_SHARE = 0.01

CALLER_COLUMNS = (
    "id, first_name, last_name, name_folded, emso, zzzs_number, birth_date, email, language, "
    "flags, created_at, updated_at"
)
PHONE_COLUMNS = "caller_id, number, label, position"


# --- names ------------------------------------------------------------------------------------


def _unique_names(names: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for name in names:
        seen.setdefault(name[:1].upper() + name[1:], None)
    return list(seen)


def _zipf(count: int, offset: float) -> list[float]:
    """Cumulative weights for a frequency-ranked list: rank r weighs 1 / (r + offset)."""
    return list(itertools.accumulate(1 / (rank + offset) for rank in range(count)))


class NamePools:
    """Faker's sl_SI name lists (ranked by frequency), drawn with a skew toward the top."""

    def __init__(self) -> None:
        self.males = _unique_names(SlovenianNames.first_names_male)
        self.females = _unique_names(SlovenianNames.first_names_female)
        self.lasts = _unique_names(SlovenianNames.last_names)
        self.male_cum = _zipf(len(self.males), 8)
        self.female_cum = _zipf(len(self.females), 8)
        self.last_cum = _zipf(len(self.lasts), 20)

    @staticmethod
    def _pick(names: list[str], cum: list[float], r: float) -> str:
        return names[bisect.bisect(cum, r * cum[-1])]

    def first_male(self, r: float) -> str:
        return self._pick(self.males, self.male_cum, r)

    def first_female(self, r: float) -> str:
        return self._pick(self.females, self.female_cum, r)

    def last(self, r: float) -> str:
        return self._pick(self.lasts, self.last_cum, r)


# --- callers ----------------------------------------------------------------------------------


def _cumulative(weighted: Sequence[tuple[str, int]]) -> tuple[list[str], list[float]]:
    values = [value for value, _ in weighted]
    cum = list(itertools.accumulate(weight for _, weight in weighted))
    return values, [c / cum[-1] for c in cum]


def _email_local(first: str, last: str) -> str:
    return "".join(ch for ch in fold(f"{first}.{last}") if ch.isalnum() or ch in ".-")


def name_texts() -> Iterator[str]:
    """Every text a caller row takes from the name pools: each name, its folded form and its
    e-mail part (the bulk loader checks them once for what its COPY text cannot hold)."""
    names = NamePools()
    for values in (names.males, names.females, names.lasts):
        for entry in _pool(values):
            yield from entry


def _pool(values: list[str]) -> list[tuple[str, str, str]]:
    """(name, folded, e-mail part) for every name, computed once."""
    return [(v, fold(v), _email_local(v, "").rstrip(".")) for v in values]


def caller_chunks(
    count: int, random_seed: int, now: str, chunk: int
) -> Iterator[tuple[list[tuple], list[tuple]]]:
    """Callers as (caller rows, phone rows) per chunk, ids 1..count."""
    rnd = random.Random(f"{random_seed}:callers")
    random_ = rnd.random
    names = NamePools()
    emsos = emso_batch(rnd, count, BIRTH_FIRST, BIRTH_LAST)
    with_zzzs = [random_() < ZZZS_SHARE for _ in range(count)]
    # Insurance numbers rise with the caller id, as numbers issued over the years would; it
    # also turns the unique index's inserts into appends, several seconds on a national load.
    zzzs_iter = iter(sorted(rnd.sample(range(1_000_000_000), sum(with_zzzs))))

    males, females, lasts = _pool(names.males), _pool(names.females), _pool(names.lasts)
    male_cum = [c / names.male_cum[-1] for c in names.male_cum]
    female_cum = [c / names.female_cum[-1] for c in names.female_cum]
    last_cum = [c / names.last_cum[-1] for c in names.last_cum]
    domains, domain_cum = _cumulative(demo_data.EMAIL_DOMAINS)
    languages, language_cum = _cumulative(demo_data.LANGUAGES)
    areas, area_cum = _cumulative(demo_data.LANDLINE_AREAS)
    flags = demo_data.FLAGS
    mobiles = [f"+{COUNTRY}{prefix}" for prefix in MOBILE_PREFIXES]
    landlines = [f"+{COUNTRY}{area}" for area in areas]
    n_mobiles = len(mobiles)
    bisect_ = bisect.bisect
    birth_cache: dict[str, str] = {}

    def birth(emso: str) -> str:
        head = emso[:7]
        found = birth_cache.get(head)
        if found is None:
            yyy = head[4:7]
            year = ("1" if yyy >= "800" else "2") + yyy
            found = birth_cache[head] = f"{year}-{head[2:4]}-{head[0:2]}"
        return found

    def mobile() -> str:
        return f"{mobiles[int(random_() * n_mobiles)]}{int(random_() * 1_000_000):06d}"

    def landline() -> str:
        # The subscriber number starts with 2, 4, 5 or 6: never a mobile or VoIP prefix.
        area = landlines[bisect_(area_cum, random_())]
        return f"{area}{'2456'[int(random_() * 4)]}{int(random_() * 1_000_000):06d}"

    for lo in range(0, count, chunk):
        hi = min(count, lo + chunk)
        rows: list[tuple] = []
        phones: list[tuple] = []
        add_row, add_phone = rows.append, phones.append
        for i in range(lo, hi):
            emso = emsos[i]
            if emso[9] < "5":
                first, first_folded, first_mail = males[bisect_(male_cum, random_())]
            else:
                first, first_folded, first_mail = females[bisect_(female_cum, random_())]
            last, last_folded, last_mail = lasts[bisect_(last_cum, random_())]
            if random_() < DOUBLE_SURNAME_SHARE:
                second, second_folded, second_mail = lasts[bisect_(last_cum, random_())]
                if second != last:
                    joiner = " " if random_() < 0.6 else "-"
                    last = f"{last}{joiner}{second}"
                    last_folded = f"{last_folded}{joiner}{second_folded}"
                    last_mail = f"{last_mail}{second_mail}"
            r = random_()
            if r < EMAIL_SHARE:
                domain = domains[bisect_(domain_cum, random_())]
                if r < EMAIL_SHARE * 0.5:
                    email = f"{first_mail}.{last_mail}@{domain}"
                elif r < EMAIL_SHARE * 0.8:
                    email = f"{first_mail}.{last_mail}{emso[5:7]}@{domain}"
                else:
                    email = f"{first_mail[0]}{last_mail}{int(random_() * 1000)}@{domain}"
            else:
                email = None
            r = random_()
            language = "sl" if r < language_cum[0] else languages[bisect_(language_cum, r)]
            caller_id = i + 1
            add_row(
                (
                    caller_id,
                    first,
                    last,
                    f"{last_folded} {first_folded}",
                    emso,
                    f"{next(zzzs_iter):09d}" if with_zzzs[i] else None,
                    birth(emso),
                    email,
                    language,
                    flags[int(random_() * len(flags))] if random_() < FLAG_SHARE else "[]",
                    now,
                    now,
                )
            )
            if random_() < LANDLINE_FIRST_SHARE:
                number, label = landline(), "landline"
            else:
                number, label = mobile(), "mobile"
            add_phone((caller_id, number, label, 0))
            if random_() < SECOND_PHONE_SHARE:
                if random_() < LANDLINE_SECOND_SHARE:
                    other, other_label = landline(), "landline"
                else:
                    other, other_label = mobile(), "mobile"
                if other != number:
                    add_phone((caller_id, other, other_label, 1))
        yield rows, phones
