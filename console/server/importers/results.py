"""What one import did, for the command line's summary and for tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum


class Outcome(StrEnum):
    APPLIED = "applied"  # written: new rows, changes, or a fresher date
    UNCHANGED = "unchanged"  # the same list again: nothing written
    OLDER = "older"  # older than the list already loaded: nothing written


def day_text(day: date) -> str:
    """A date as Slovenians write it: 21. 8. 2026."""
    return f"{day.day}. {day.month}. {day.year}"


@dataclass
class ImportResult:
    source: str  # zzzs | sledilnik
    file_name: str
    list_name: str
    list_date: date
    rows: int
    outcome: Outcome = Outcome.APPLIED
    loaded_date: date | None = None  # the list already loaded before this one, if any
    added: int = 0
    removed: int = 0
    changed: int = 0
    import_id: int | None = None
    # The insurer's lists: doctors that got no bookable service (it is not in the database).
    without_service: int = 0
    # Sledilnik: how its rows matched the insurer's providers.
    matched: int = 0
    institutions: int = 0
    institutions_matched: int = 0
    overrides: int = 0
    overrides_matched: int = 0
    unmatched_examples: list[str] = field(default_factory=list)

    @property
    def message(self) -> str:
        """One line (two for Sledilnik) saying what happened, for people."""
        head = f"{self.file_name}: {self.list_name} of {day_text(self.list_date)}"
        if self.outcome is Outcome.OLDER:
            loaded = day_text(self.loaded_date) if self.loaded_date else "?"
            return f"{head} is older than the list already loaded ({loaded}): nothing changed."
        if self.outcome is Outcome.UNCHANGED:
            return f"{head} is already loaded: nothing changed."
        if self.source == "sledilnik":
            share = 100 * self.matched / self.rows if self.rows else 0.0
            examples = (
                f" (e.g. {', '.join(self.unmatched_examples)})" if self.unmatched_examples else ""
            )
            return (
                f"{head}: {self.rows:,} doctor rows, {self.matched:,} matched to the insurer's "
                f"doctors ({share:.1f} %), {self.rows - self.matched:,} not matched{examples}; "
                f"institutions {self.institutions_matched:,}/{self.institutions:,}, "
                f"dated corrections {self.overrides_matched:,}/{self.overrides:,}.\n"
                f"  facts: {self.added:,} added, {self.changed:,} changed, "
                f"{self.removed:,} removed."
            )
        text = (
            f"{head}: {self.rows:,} doctors; {self.added:,} added, {self.removed:,} removed, "
            f"{self.changed:,} changed."
        )
        if self.without_service:
            text += (
                f" {self.without_service:,} not bookable: their service is not in this "
                "database (seed it first)."
            )
        return text
