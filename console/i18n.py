"""UI text through gettext catalogs: Slovenian by default, English by setting.

Messages are written in English in the code, wrapped in ``_()``. The catalogs are ordinary
gettext ``.po`` files under ``console/locale/<language>/LC_MESSAGES/``; every ``.po`` file in
a language's folder is loaded (one per screen keeps them small). They are read directly, so no
compiled ``.mo`` files need to be built or kept in step. ``tests/test_i18n.py`` checks that
every message in the code has both translations.
"""

from __future__ import annotations

import ast
import gettext
from pathlib import Path

LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = ("sl", "en")
DEFAULT_LANGUAGE = "sl"


class PoTranslations(gettext.NullTranslations):
    """A gettext translation read straight from ``.po`` files."""

    def __init__(self, messages: dict[str, str]) -> None:
        super().__init__()
        self.messages = messages

    def gettext(self, message: str) -> str:
        return self.messages.get(message) or message

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.gettext(singular if n == 1 else plural)


def read_po(path: Path) -> dict[str, str]:
    """The ``msgid -> msgstr`` pairs of one ``.po`` file (no plural forms, no contexts)."""
    messages: dict[str, str] = {}
    msgid: list[str] | None = None
    msgstr: list[str] | None = None
    current: list[str] | None = None

    def flush() -> None:
        if msgid is not None and msgstr is not None:
            key = "".join(msgid)
            if key:
                messages[key] = "".join(msgstr)

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("msgid "):
            flush()
            msgid, msgstr = [], None
            current = msgid
            line = line[len("msgid ") :]
        elif line.startswith("msgstr "):
            msgstr = []
            current = msgstr
            line = line[len("msgstr ") :]
        if not (line.startswith('"') and line.endswith('"')) or current is None:
            raise ValueError(f"{path}:{number}: not a line of a .po file: {raw!r}")
        current.append(ast.literal_eval(line))
    flush()
    return messages


def load(language: str) -> PoTranslations:
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}; choose one of {', '.join(LANGUAGES)}")
    messages: dict[str, str] = {}
    for path in sorted((LOCALE_DIR / language / "LC_MESSAGES").glob("*.po")):
        messages.update(read_po(path))
    return PoTranslations(messages)


_active: PoTranslations = load(DEFAULT_LANGUAGE)
_language = DEFAULT_LANGUAGE


def set_language(language: str) -> None:
    global _active, _language
    _active = load(language)
    _language = language


def language() -> str:
    return _language


def _(message: str) -> str:
    """Translate one UI message into the active language."""
    return _active.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _active.ngettext(singular, plural, n)
