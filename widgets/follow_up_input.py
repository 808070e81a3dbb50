"""A date and time as Slovenians write it (``22. 11. 2026 14:30``), checked as it is typed.

Under the input a line says what was understood ("ponedeljek, 23. 11. 2026 ob 14:30", to read
back to the caller) or what is wrong with it: a day or month that cannot be, a date that does
not exist (31. 2.), a time that does not exist in Ljubljana (the hour skipped when the clocks go
forward), a time already past, or a year that is probably a typo. While the text could still
become a valid date and time, the line only shows the expected form; it never shouts mid-word.

The example it shows (the placeholder, "e.g. ...") is a call back it would accept: the next
working day at 10:00, by the desk's clock (``now``), so it never suggests a day gone by. The form
also puts it in the field as a real value (:meth:`FollowUpInput.suggest`) when a call back is
ticked: kept, it saves as it is; the focus selects it whole, so that typing replaces it; until
the agent changes it, it follows the day (what the agent typed stays as typed).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Input, Static

from console.clock import Clock
from console.domain.calendar import TZ, format_date, format_time, is_holiday, is_working_day
from console.domain.errors import InvalidValue
from console.i18n import _

FIELD = "follow_up_at"
HORIZON = timedelta(days=366)
SUGGESTED_TIME = time(10, 0)

_COMPLETE = re.compile(r"^\s*(\d{1,2})\.\s*(\d{1,2})\.\s*(\d{4})\s*,?\s+(\d{1,2})[:.](\d{2})\s*$")
# Everything that can still grow into a complete value, piece by piece.
_PARTIAL = re.compile(
    r"^\s*(?P<day>\d{1,2})?"
    r"(?:\.\s*(?P<month>\d{1,2})?"
    r"(?:\.\s*(?P<year>\d{1,4})?"
    r"(?:\s*,?\s+(?P<hour>\d{1,2})?"
    r"(?:[:.](?P<minute>\d{1,2})?)?)?)?)?\s*$"
)


def _weekday(value: datetime) -> str:
    names = (
        _("Monday"),
        _("Tuesday"),
        _("Wednesday"),
        _("Thursday"),
        _("Friday"),
        _("Saturday"),
        _("Sunday"),
    )
    return names[value.weekday()]


def describe(value: datetime) -> str:
    """``ponedeljek, 23. 11. 2026 ob 14:30`` (in the UI language), for reading back."""
    local = value.astimezone(TZ)
    text = _("{weekday}, {date} at {time}").format(
        weekday=_weekday(local), date=format_date(local.date()), time=format_time(local)
    )
    if is_holiday(local.date()):
        text += " " + _("(public holiday)")
    return text


def suggestion(now: datetime) -> datetime:
    """The call back the form offers as its example: the next working day at 10:00."""
    day = now.astimezone(TZ).date() + timedelta(days=1)
    while not is_working_day(day):
        day += timedelta(days=1)
    return datetime.combine(day, SUGGESTED_TIME, tzinfo=TZ)


def example(now: datetime) -> str:
    """``5. 3. 2030 10:00``: the suggestion, written as the field takes it."""
    value = suggestion(now)
    return f"{format_date(value.date())} {value:%H:%M}"


def check_partial(
    text: str, today: date | None = None, *, now: datetime | None = None
) -> str | None:
    """What is already wrong with a value still being typed (``None``: nothing yet).

    Once the year has four digits the date itself is checked (31. 2. does not exist; with
    ``today``, a day already past is refused) before the time is typed. ``now``: the desk's
    time, for the example the message gives (default: the system's clock).
    """
    match = _PARTIAL.match(text)
    if match is None:
        shown = example(now or Clock().now())
        return _("Write the date and time as {example}.").format(example=shown)
    day, month, year, hour, minute = (
        match.group(name) for name in ("day", "month", "year", "hour", "minute")
    )
    if day and (int(day) > 31 or (len(day) == 2 and int(day) == 0)):
        return _("There is no day {day} in a month.").format(day=int(day))
    if month and (int(month) > 12 or (len(month) == 2 and int(month) == 0)):
        return _("There is no month {month}.").format(month=int(month))
    if day and month and year and len(year) == 4:
        try:
            typed = date(int(year), int(month), int(day))
        except ValueError:
            return _("{date} does not exist.").format(date=f"{int(day)}. {int(month)}. {year}")
        if today is not None and typed < today:
            return _("That time has passed: a call back must be in the future.")
    if hour and int(hour) > 23:
        return _("There is no hour {hour}.").format(hour=int(hour))
    if minute and (int(minute) > 59 or (len(minute) == 1 and int(minute) > 5)):
        return _("Minutes run from 00 to 59.")
    return None


def parse_follow_up(text: str, now: datetime) -> datetime:
    """The moment ``text`` means in Ljubljana, checked to be real and ahead of ``now``.

    Raises :class:`InvalidValue` with a message for the agent.
    """
    match = _COMPLETE.match(text)
    if match is None:
        problem = check_partial(text, now=now) if text.strip() else None
        raise InvalidValue(
            FIELD,
            problem or _("Enter the date and time, e.g. {example}.").format(example=example(now)),
        )
    day, month, year, hour, minute = (int(group) for group in match.groups())
    try:
        wall = datetime(year, month, day, hour, minute)
    except ValueError:
        if hour > 23 or minute > 59:
            raise InvalidValue(
                FIELD, _("{time} is not a time of day.").format(time=f"{hour}:{minute:02d}")
            ) from None
        raise InvalidValue(
            FIELD, _("{date} does not exist.").format(date=f"{day}. {month}. {year}")
        ) from None
    local = wall.replace(tzinfo=TZ)
    # A wall time inside the spring-forward gap does not survive a round trip through UTC.
    if local.astimezone(UTC).astimezone(TZ).replace(tzinfo=None) != wall:
        raise InvalidValue(
            FIELD,
            _("{time} does not exist on {date}: the clocks go forward.").format(
                time=f"{hour:02d}:{minute:02d}", date=format_date(wall.date())
            ),
        )
    if local <= now:
        raise InvalidValue(FIELD, _("That time has passed: a call back must be in the future."))
    if local - now > HORIZON:
        raise InvalidValue(FIELD, _("More than a year ahead: check the year."))
    return local


class FollowUpInput(Vertical):
    """An input for the call-back time and a line under it with its meaning or its problem."""

    DEFAULT_CSS = """
    FollowUpInput {
        height: auto;
        width: 1fr;
    }
    FollowUpInput > Input {
        width: 30;
    }
    FollowUpInput > .follow-up--hint {
        height: 1;
        padding: 0 1;
        color: $text-muted;
    }
    FollowUpInput > .follow-up--hint.-valid {
        color: $text-success;
    }
    FollowUpInput > .follow-up--hint.-invalid {
        color: $text-error;
    }
    """

    def __init__(
        self,
        *,
        now: Callable[[], datetime] | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self._now = now or Clock().now
        self._error: str | None = None
        self._suggested: str | None = None  # the suggestion put in the field, if one was

    def compose(self) -> ComposeResult:
        yield Input(
            placeholder=example(self._now()),
            max_length=40,
            select_on_focus=False,
            classes="follow-up--input",
        )
        yield Static(self._format_hint(), classes="follow-up--hint")

    @property
    def input(self) -> Input:
        return self.query_one(".follow-up--input", Input)

    @property
    def text(self) -> str:
        return self.input.value

    @text.setter
    def text(self, value: str) -> None:
        self.input.value = value  # Input.Changed follows and redraws the hint

    @property
    def error(self) -> str | None:
        """The problem shown under the input right now, if any."""
        return self._error

    @property
    def suggested(self) -> bool:
        """The field holds the suggestion, untouched by the agent."""
        return self._suggested is not None and self.text == self._suggested

    @property
    def typed(self) -> bool:
        """The agent changed the field: it holds neither nothing nor the untouched suggestion."""
        return self.text != (self._suggested or "")

    def suggest(self) -> None:
        """Put the suggestion (the next working day at 10:00) in an empty field, as a value
        that saves as it is; the focus selects it, so that typing replaces it."""
        if self.text.strip():
            return
        self._set_suggestion()

    def _set_suggestion(self) -> None:
        self._suggested = example(self._now())
        self.input.select_on_focus = True
        self.text = self._suggested
        if self.input.has_focus:
            self.input.select_all()

    def focus_input(self) -> None:
        self.input.focus()
        if self.suggested:
            self.input.select_all()  # already focused: the focus alone would not select it

    def clear(self) -> None:
        self._suggested = None
        self.text = ""
        self._show(None, self._format_hint())

    def check(self) -> datetime | None:
        """Validate for saving: the moment, or ``None`` with the problem shown in red."""
        try:
            value = parse_follow_up(self.text, self._now())
        except InvalidValue as problem:
            self.show_error(problem.message)
            return None
        self._show(None, describe(value))
        return value

    def show_error(self, message: str) -> None:
        """Show a problem under the input (the form calls this for a refusal by the server)."""
        self._show(message, message)

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        text = event.value
        # Only the untouched suggestion is selected whole on focus; what the agent typed is
        # edited where the cursor goes.
        self.input.select_on_focus = self.suggested
        if not text.strip():
            self._show(None, self._format_hint())
        elif _COMPLETE.match(text):
            self.check()
        else:
            now = self._now()
            problem = check_partial(text, now.date(), now=now)
            self._show(problem, problem or self._format_hint())

    def day_changed(self) -> None:
        """The desk's day changed: the example, and the suggestion while the agent has not
        touched it, follow it (what was typed stays, and is checked against the new day)."""
        self.input.placeholder = example(self._now())
        if self.suggested:
            self._set_suggestion()
        elif self.text.strip():
            self.on_input_changed(Input.Changed(self.input, self.text))
        else:
            self._show(None, self._format_hint())

    def _format_hint(self) -> str:
        return _("Date and time, e.g. {example}").format(example=example(self._now()))

    def _show(self, error: str | None, text: str) -> None:
        self._error = error
        hint = self.query_one(".follow-up--hint", Static)
        hint.update(Content(text))  # plain text: a server's message is not markup
        hint.set_class(error is not None, "-invalid")
        hint.set_class(error is None and text != self._format_hint(), "-valid")
        self.input.set_class(error is not None, "-invalid")
