"""The bounds of what a client may send, and the shapes every request and error share.

One rule on both engines, at the model layer: what SQLite would store and PostgreSQL refuse
(a NUL, an id past 64 bits, a date past the calendar's end) is refused here first, with 422
naming the field. The JSON schema states each bound, so the OpenAPI document tells it too.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

# Every id is stored as a 64-bit integer on both engines; the API takes ids up to 2^53-1, the
# integers every JSON parser reads exactly (a JavaScript or a spreadsheet client too).
MAX_ID = 2**53 - 1


def json_integer(value: Any) -> Any:
    """A JSON integer: 7 or 7.0 (JSON Schema's integer), never "7", true or 7.5."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PydanticCustomError("int_type", "Input should be a valid integer")
    if isinstance(value, float):
        if not value.is_integer():
            raise PydanticCustomError("int_type", "Input should be a valid integer")
        return int(value)
    return value


# Integers in a JSON body are strict about their type (JSON Schema's integer, nothing looser);
# the bounds sit on the integer itself, so the JSON schema states them.
Id = Annotated[int, Field(ge=1, le=MAX_ID)]  # an id in a path or a query
BodyId = Annotated[int, Field(ge=1, le=MAX_ID), BeforeValidator(json_integer)]


def decimal_pattern(largest: int) -> str:
    """A regular expression for the decimal numbers 1 to ``largest`` (no sign, no leading 0)."""
    digits = str(largest)
    options = [f"[1-9][0-9]{{0,{len(digits) - 2}}}"] if len(digits) > 1 else []
    # As long as ``largest``: equal to its first k digits, then a smaller digit, then anything.
    for k, digit in enumerate(digits):
        low = "1" if k == 0 else "0"
        if int(digit) > int(low):
            rest = len(digits) - k - 1
            tail = f"[0-9]{{{rest}}}" if rest else ""
            options.append(f"{digits[:k]}[{low}-{int(digit) - 1}]{tail}")
    options.append(digits)
    return "^(?:" + "|".join(options) + ")$"


ID_PATTERN = decimal_pattern(MAX_ID)  # an id in a header, where everything is text

# Control characters (C0, DEL, C1); prose may keep tabs and line breaks. Lone surrogates are
# refused too (they are no characters at all; a JSON schema pattern cannot name them).
_CONTROL = r"\x00-\x1f\x7f-\x9f"
_CONTROL_BUT_LINES = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
_SURROGATES = r"\ud800-\udfff"
LINE_PATTERN = f"^[^{_CONTROL}]*$"
PROSE_PATTERN = f"^[^{_CONTROL_BUT_LINES}]*$"
# A search: one line with at least two characters that are not spaces.
SEARCH_PATTERN = f"^[^{_CONTROL}]*[^\\s{_CONTROL}][^{_CONTROL}]*[^\\s{_CONTROL}][^{_CONTROL}]*$"
_LINE_BAD = re.compile(f"[{_CONTROL}{_SURROGATES}]")
_PROSE_BAD = re.compile(f"[{_CONTROL_BUT_LINES}{_SURROGATES}]")


def _refuse(bad: re.Pattern[str], what: str):  # type: ignore[no-untyped-def]
    def check(value: str) -> str:
        found = bad.search(value)
        if found:
            code, position = ord(found.group()), found.start()
            raise PydanticCustomError(
                "control_character",
                f"must not contain {what} (found U+{code:04X} at position {position})",
            )
        return value

    return check


# One line of text (a name, a code, a search): no control characters at all.
Line = Annotated[
    str,
    AfterValidator(_refuse(_LINE_BAD, "control characters")),
    Field(json_schema_extra={"pattern": LINE_PATTERN}),
]
# Free text (notes, reasons): line breaks and tabs allowed, other control characters not.
Prose = Annotated[
    str,
    AfterValidator(_refuse(_PROSE_BAD, "control characters other than tabs and line breaks")),
    Field(json_schema_extra={"pattern": PROSE_PATTERN}),
]

# A search box's text: one line, at least two characters other than spaces.
SearchText = Annotated[
    str,
    AfterValidator(_refuse(_LINE_BAD, "control characters")),
    Field(json_schema_extra={"pattern": SEARCH_PATTERN}),
]

# The calendar the domain uses: calls, follow-ups and slots fall in these years.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)


def _in_calendar(value: datetime) -> datetime:
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    if not EARLIEST <= aware < LATEST:
        raise PydanticCustomError(
            "date_out_of_range",
            "must be from 2000-01-01 to 2099-12-31 (UTC)",
        )
    return value


# A time a client sends: ISO 8601, in the years 2000 to 2099.
When = Annotated[
    datetime,
    AfterValidator(_in_calendar),
    Field(description="ISO 8601 time, from 2000-01-01 to 2099-12-31 (UTC)"),
]
# A provisional reference a desk gave offline: P-, then a booking reference (the service checks
# it and answers 422 naming the field when it is not one).
ProvisionalReference = Annotated[Line, Field(min_length=1, max_length=20)]


def drop_null(schema: dict[str, Any]) -> None:
    """A property that may be left out but never sent as null: the schema says so."""
    options = schema.pop("anyOf", None)
    if options:
        kept = [option for option in options if option.get("type") != "null"]
        if len(kept) == 1:
            schema.update(kept[0])
        else:
            schema["anyOf"] = kept
    if schema.get("default", ...) is None:
        del schema["default"]


class ClientModel(BaseModel):
    """What a client sends: unknown properties are refused."""

    model_config = ConfigDict(extra="forbid")


class ApiError(BaseModel):
    """Every error the API returns: a stable code and a sentence an agent can read."""

    error: str = Field(description="machine-readable code, e.g. 'slot_taken'")
    message: str = Field(description="what happened, in plain words")
    field: str | None = Field(default=None, description="the input field at fault, if any")
