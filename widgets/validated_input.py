"""An input with its label above and a message line below that checks the value as you type.

``ValidatedInput(label, check=parse_emso)`` runs ``check`` on every keystroke. ``check`` takes
the text and returns the parsed value, or raises :class:`~console.domain.errors.InvalidValue`;
the message under the field says what is wrong, in the UI language (:func:`explain` translates
the domain validators' common messages and falls back to their English text). While the field
has focus a problem is shown softly (the agent may still be typing); once the agent leaves the
field, or a form asks :meth:`ValidatedInput.validate`, it is shown as an error. A ``describe``
function may turn a valid value into a short confirmation (``Born 1. 1. 1990``).

A form can also put the central service's verdict under a field with :meth:`show_error`; it
stays until the value changes. Nothing typed is ever changed by the checks.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.reactive import reactive
from textual.widgets import Input, Label, Static

from console.domain.errors import InvalidValue
from console.i18n import _

Check = Callable[[str], Any]
Describe = Callable[[Any], "str | None"]


class ValidatedInput(Vertical, can_focus=False):
    """Label, input, message line. ``value``, ``parsed``, ``validate()``, ``show_error()``."""

    DEFAULT_CSS = """
    ValidatedInput {
        height: auto;
        width: 1fr;
        padding: 0 1 0 0;

        & > .validated-input--label {
            color: $text-muted;
            padding: 0 1;
            width: 1fr;
        }
        & > .validated-input--label.-required {
            color: $text;
        }
        & > Input {
            width: 1fr;
        }
        & > .validated-input--message {
            height: auto;
            min-height: 1;
            max-height: 3;
            width: 1fr;
            padding: 0 1;
            color: $text-muted;
        }
        &.-ok > .validated-input--message {
            color: $text-success;
        }
        &.-soft > .validated-input--message {
            color: $text-warning;
        }
        &.-error > .validated-input--message {
            color: $text-error;
            text-style: bold;
        }
        &.-error > Input {
            border: tall $error;
        }
        &.-error > Input:focus {
            border: tall $error;
            background-tint: $error 10%;
        }
    }
    """

    state: reactive[str] = reactive("empty")
    """``empty``, ``ok``, ``soft`` (a problem while typing) or ``error``."""

    def __init__(
        self,
        label: str,
        *,
        check: Check | None = None,
        describe: Describe | None = None,
        required: bool = False,
        value: str = "",
        placeholder: str = "",
        max_length: int = 0,
        explain_error: Callable[[InvalidValue], str] | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self._label = label
        self._check = check
        self._describe = describe
        self.required = required
        self._explain = explain_error or explain
        self._initial = value
        self._placeholder = placeholder
        self._max_length = max_length
        self._server_error: str | None = None
        self._strict = False
        self.parsed: Any = None
        self.message = ""

    def compose(self) -> ComposeResult:
        label = f"{self._label} *" if self.required else self._label
        yield Label(
            label,
            classes="validated-input--label" + (" -required" if self.required else ""),
        )
        yield Input(
            value=self._initial,
            placeholder=self._placeholder,
            max_length=self._max_length,
            id=f"{self.id}-input" if self.id else None,
        )
        yield Static("", classes="validated-input--message", markup=False)

    def on_mount(self) -> None:
        if self._initial:
            self._run(strict=False)

    # -- the value --------------------------------------------------------------------------

    @property
    def input(self) -> Input:
        return self.query_one(Input)

    @property
    def value(self) -> str:
        return self.input.value if self.is_mounted else self._initial

    @value.setter
    def value(self, text: str) -> None:
        if self.is_mounted:
            self.input.value = text
        else:
            self._initial = text

    def focus(self, scroll_visible: bool = True) -> ValidatedInput:
        self.input.focus(scroll_visible)
        return self

    @property
    def is_valid(self) -> bool:
        return self.state in ("empty", "ok") and not (self.required and not self.value.strip())

    # -- checking ---------------------------------------------------------------------------

    def validate(self) -> bool:
        """Check now and show any problem as an error (a form calls this before saving)."""
        self._strict = True
        self._run(strict=True)
        return self.state in ("ok", "empty")

    def show_error(self, message: str) -> None:
        """Show a message from elsewhere (the central service) until the value changes."""
        self._server_error = message
        self._show("error", message)

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        self._server_error = None
        self._run(strict=self._strict and not self.input.has_focus)

    def focus_at_end(self) -> None:
        """Focus the box with the cursor after its text, nothing selected (a value to complete,
        like a name pre-filled from part of a query); later focus selects all as usual."""
        box = self.input
        box.select_on_focus = False
        box.focus()
        box.cursor_position = len(box.value)

    @on(Input.Blurred)
    def _left(self, event: Input.Blurred) -> None:
        event.input.select_on_focus = True
        if self._server_error is None and self.value.strip():
            self._strict = True
            self._run(strict=True)

    def _run(self, *, strict: bool) -> None:
        if self._server_error is not None:
            self._show("error", self._server_error)
            return
        text = self.value
        self.parsed = None
        if not text.strip():
            if self.required and strict:
                self._show("error", _("Required"))
            else:
                self._show("empty", "")
            return
        if self._check is None:
            self.parsed = text.strip()
            self._show("ok", "")
            return
        try:
            parsed = self._check(text)
        except InvalidValue as exc:
            self._show("error" if strict else "soft", self._explain(exc))
            return
        self.parsed = parsed
        hint = self._describe(parsed) if self._describe else None
        self._show("ok", hint or "")

    def _show(self, state: str, message: str) -> None:
        self.state = state
        self.message = message
        if self.is_mounted:
            self.query_one(".validated-input--message", Static).update(message)

    def watch_state(self, old: str, new: str) -> None:
        self.remove_class(f"-{old}")
        self.add_class(f"-{new}")


# -- the domain validators' messages, in the UI language -----------------------------------

_PATTERNS: list[tuple[re.Pattern[str], Callable[[], str]]] = []


def _pattern(regex: str) -> Callable[[Callable[[], str]], Callable[[], str]]:
    def register(template: Callable[[], str]) -> Callable[[], str]:
        _PATTERNS.append((re.compile(regex + r"\Z"), template))
        return template

    return register


def _unquote(text: str) -> str:
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"" else text


def explain(error: InvalidValue | str) -> str:
    """An ``InvalidValue`` from the domain validators in the UI language.

    The common messages are translated (with their numbers and characters kept); anything
    else is shown in the validator's own English words rather than not at all.
    """
    message = error.message if isinstance(error, InvalidValue) else error
    for regex, template in _PATTERNS:
        match = regex.match(message)
        if match is not None:
            found = {k: _unquote(v) for k, v in match.groupdict().items()}
            return template().format(**found)
    return message


# These run at call time, so the catalog of the moment is used.
_pattern(r"EMŠO is empty")(lambda: _("EMŠO is empty"))
_pattern(r"EMŠO may contain only digits, found (?P<found>.+)")(
    lambda: _("EMŠO may contain only digits, found “{found}”")
)
_pattern(r"EMŠO must have 13 digits, got (?P<count>\d+)")(
    lambda: _("EMŠO must have 13 digits, got {count}")
)
_pattern(r"EMŠO birth date is impossible: (?P<date>.+)")(
    lambda: _("The birth date in the EMŠO does not exist: {date}")
)
_pattern(r"EMŠO register code must be between 50 and 59, got (?P<code>\d+)")(
    lambda: _("EMŠO register code must be between 50 and 59, got {code}")
)
_pattern(r"EMŠO is not valid: no valid check digit exists for these first 12 digits")(
    lambda: _("This EMŠO cannot exist: no check digit fits its first 12 digits")
)
_pattern(r"EMŠO check digit does not match the other 12 digits: a digit is mistyped somewhere")(
    lambda: _("EMŠO check digit does not match the other 12 digits: a digit is mistyped somewhere")
)
_pattern(r"Phone number is empty")(lambda: _("Phone number is empty"))
_pattern(r"Phone number cannot contain letters, found (?P<found>.+)")(
    lambda: _("Phone number cannot contain letters, found “{found}”")
)
_pattern(r"Phone number cannot contain (?P<found>.+)")(
    lambda: _("Phone number cannot contain “{found}”")
)
_pattern(r"Phone number has no digits")(lambda: _("Phone number has no digits"))
_pattern(r"Phone number has no digits after the country code")(
    lambda: _("Phone number has no digits after the country code")
)
_pattern(r"0(?P<prefix>\d\d) numbers have 4 to 6 digits after 0\d\d, got (?P<count>\d+)")(
    lambda: _("0{prefix} numbers have 4 to 6 digits after 0{prefix}, got {count}")
)
_pattern(r"Unknown Slovenian prefix (?P<prefix>\d+)")(
    lambda: _("Unknown Slovenian prefix {prefix}")
)
_pattern(
    r"Slovenian numbers have 8 digits after the leading 0 \(e\.g\. 041 234 567\), "
    r"got (?P<count>\d+)"
)(lambda: _("Slovenian numbers have 8 digits after the leading 0 (041 234 567), got {count}"))
_pattern(r"Slovenian numbers start with 0 \(041 234 567\) or \+386; add the prefix")(
    lambda: _("Slovenian numbers start with 0 (041 234 567) or +386: add the prefix")
)
_pattern(r"International numbers start with a country code after \+ or 00")(
    lambda: _("International numbers start with a country code after + or 00")
)
_pattern(r"International numbers have 7 to 15 digits after \+ or 00, got (?P<count>\d+)")(
    lambda: _("International numbers have 7 to 15 digits after + or 00, got {count}")
)
_pattern(r"ZZZS number is empty")(lambda: _("ZZZS number is empty"))
_pattern(r"ZZZS number may contain only digits, found (?P<found>.+)")(
    lambda: _("ZZZS number may contain only digits, found “{found}”")
)
_pattern(r"ZZZS number must have 9 digits, got (?P<count>\d+)")(
    lambda: _("ZZZS number must have 9 digits, got {count}")
)
_pattern(r"E-mail address is empty")(lambda: _("E-mail address is empty"))
_pattern(r"E-mail address cannot contain spaces")(lambda: _("E-mail address cannot contain spaces"))
_pattern(r"E-mail address needs an @")(lambda: _("E-mail address needs an @"))
_pattern(r"E-mail address has more than one @")(lambda: _("E-mail address has more than one @"))
_pattern(r"E-mail address has nothing before the @")(
    lambda: _("E-mail address has nothing before the @")
)
_pattern(r"E-mail address has nothing after the @")(
    lambda: _("E-mail address has nothing after the @")
)
_pattern(r"E-mail address has a misplaced dot before the @")(
    lambda: _("E-mail address has a misplaced dot before the @")
)
_pattern(r"E-mail domain (?P<domain>.+) needs a dot \(e\.g\. gmail\.com\)")(
    lambda: _("E-mail domain {domain} needs a dot (e.g. gmail.com)")
)
_pattern(r"E-mail domain (?P<domain>.+) has an empty part between dots")(
    lambda: _("E-mail domain {domain} has an empty part between dots")
)
_pattern(r"E-mail domain cannot contain (?P<found>.+)")(
    lambda: _("E-mail domain cannot contain “{found}”")
)
_pattern(r"E-mail domain (?P<domain>.+) does not end in a valid top-level domain \(e\.g\. \.si\)")(
    lambda: _("E-mail domain {domain} does not end in a valid top-level domain (e.g. .si)")
)
