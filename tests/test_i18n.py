"""Every UI message has a Slovenian and an English translation, and the catalogs hold no junk.

The messages are read from the code itself with ``ast``: the first argument of every ``_()``
call (and the first two of ``ngettext()``), and the descriptions, tooltips and group labels of
every ``Binding`` (footer labels, translated at run time by ``widgets.translated``). Each must
be a msgid with a non-empty msgstr in both ``sl`` and ``en``. The checks are parametrized per
source file and per catalog file, so a failure names the file to fix (and ``-k`` can select).
"""

from __future__ import annotations

import ast
import string
from functools import cache
from pathlib import Path

import pytest

from console import i18n
from console.i18n import LANGUAGES, LOCALE_DIR, read_po

ROOT = Path(__file__).resolve().parents[1]
SOURCE_DIRS = (ROOT / "console", ROOT / "widgets")

# Messages that reach ``_()`` as variables, not literals, so the code scan cannot see them.
# Keep this list short: prefer literal ``_("...")`` calls wherever the text is known.
DYNAMIC_MSGIDS = frozenset(
    {
        # Role names: the status bar shows _(agent.role.value) (console.domain.models.Role).
        "agent",
        "supervisor",
        "admin",
        "telephony",  # the telephone system's token cannot open the console, but it is a role
        # Connection states: the status bar shows _(app.connection_state).
        "connecting",
        "online",
        "offline",
        "syncing",
        # Seed progress labels from console/server/seed.py and bulk_load.py; the startup screen
        # shows _(label).
        "catalogue",
        "slots",
        "callers",
        "search index",
        "indexes",
    }
)


# -- reading the code -----------------------------------------------------------------------


def _source_files() -> list[Path]:
    return sorted(
        path
        for directory in SOURCE_DIRS
        for path in directory.rglob("*.py")
        if "__pycache__" not in path.parts
    )


def _literal(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _callee(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def _keyword(node: ast.Call, name: str) -> ast.AST | None:
    return next((k.value for k in node.keywords if k.arg == name), None)


def messages_in_source(source: str) -> set[str]:
    """The msgids one module uses, read from its syntax tree."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        name = _callee(node)
        if name == "_" and isinstance(node.func, ast.Name):
            candidates = [node.args[0] if node.args else None]
        elif name == "ngettext":
            candidates = list(node.args[:2])
        elif name == "Binding":
            description = node.args[2] if len(node.args) > 2 else _keyword(node, "description")
            candidates = [description, _keyword(node, "tooltip")]
        elif name == "Group" and isinstance(node.func, ast.Attribute):  # Binding.Group(...)
            candidates = [node.args[0] if node.args else _keyword(node, "description")]
        else:
            continue
        found.update(text for text in map(_literal, candidates) if text)
    # Tuple bindings in a class body: BINDINGS = [("key", "action", "Description"), ...]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "BINDINGS" for target in node.targets
        ):
            for element in getattr(node.value, "elts", []):
                if isinstance(element, ast.Tuple) and len(element.elts) > 2:
                    text = _literal(element.elts[2])
                    if text:
                        found.add(text)
    return found


@cache
def used_messages() -> dict[Path, frozenset[str]]:
    return {
        path: frozenset(messages_in_source(path.read_text(encoding="utf-8")))
        for path in _source_files()
    }


def all_used() -> set[str]:
    return set().union(*used_messages().values())


# -- reading the catalogs -------------------------------------------------------------------


def _catalog_names() -> list[str]:
    return sorted({path.name for language in LANGUAGES for path in _po_files(language)})


def _po_files(language: str) -> list[Path]:
    return sorted((LOCALE_DIR / language / "LC_MESSAGES").glob("*.po"))


@cache
def catalog(language: str) -> dict[str, str]:
    """All messages of one language, as the console loads them."""
    messages: dict[str, str] = {}
    for path in _po_files(language):
        messages.update(read_po(path))
    return messages


def catalog_file(language: str, name: str) -> dict[str, str]:
    path = LOCALE_DIR / language / "LC_MESSAGES" / name
    return read_po(path) if path.is_file() else {}


def _relative(path: Path) -> str:
    return str(path.relative_to(ROOT))


# -- the checks -----------------------------------------------------------------------------


@pytest.mark.parametrize("path", _source_files(), ids=_relative)
def test_every_message_in_the_code_has_both_translations(path: Path) -> None:
    messages = used_messages()[path]
    for language in LANGUAGES:
        known = catalog(language)
        missing = sorted(m for m in messages if not known.get(m))
        assert not missing, f"{_relative(path)}: no {language} translation for {missing}"


@pytest.mark.parametrize("name", _catalog_names())
def test_both_languages_have_the_same_messages(name: str) -> None:
    sl, en = catalog_file("sl", name), catalog_file("en", name)
    assert sl, f"sl/LC_MESSAGES/{name} is missing or empty"
    assert en, f"en/LC_MESSAGES/{name} is missing or empty"
    assert sorted(set(sl) - set(en)) == [], f"{name}: in sl but not in en"
    assert sorted(set(en) - set(sl)) == [], f"{name}: in en but not in sl"
    empty = sorted(m for language in (sl, en) for m, text in language.items() if not text.strip())
    assert empty == [], f"{name}: empty msgstr for {empty}"


@pytest.mark.parametrize("name", _catalog_names())
def test_no_message_in_a_catalog_is_unused(name: str) -> None:
    used = all_used() | DYNAMIC_MSGIDS
    unused = sorted(
        m for language in LANGUAGES for m in catalog_file(language, name) if m not in used
    )
    assert unused == [], f"{name}: no code uses {sorted(set(unused))}"


@pytest.mark.parametrize("name", _catalog_names())
def test_placeholders_survive_translation(name: str) -> None:
    def fields(text: str) -> set[str]:
        return {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}

    for language in LANGUAGES:
        for msgid, msgstr in catalog_file(language, name).items():
            assert fields(msgstr) == fields(msgid), (
                f"{language}/{name}: {msgid!r} -> {msgstr!r} changes the {{placeholders}}"
            )


@pytest.mark.parametrize("name", _catalog_names())
def test_a_message_in_two_catalogs_is_translated_the_same(name: str) -> None:
    for language in LANGUAGES:
        mine = catalog_file(language, name)
        for other in _po_files(language):
            if other.name == name:
                continue
            theirs = read_po(other)
            differ = sorted(m for m in mine if m in theirs and theirs[m] != mine[m])
            assert differ == [], (
                f"{language}: {name} and {other.name} translate {differ} differently"
            )


def test_the_dynamic_messages_are_the_ones_the_code_produces() -> None:
    from console.domain.models import Role

    seed_sources = [
        (ROOT / "console" / "server" / name).read_text(encoding="utf-8")
        for name in ("seed.py", "bulk_load.py")  # the modules that report the seed's progress
    ]
    seed_labels = {
        node.args[0].value
        for source in seed_sources
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call)
        and _callee(node) in ("progress", "report_progress")
        and node.args
        and _literal(node.args[0])
    }
    states = {"connecting", "online", "offline", "syncing"}
    assert {role.value for role in Role} | states | seed_labels == DYNAMIC_MSGIDS


# -- the loader -----------------------------------------------------------------------------


@pytest.fixture
def restore_language():
    before = i18n.language()
    yield
    i18n.set_language(before)


def test_switching_the_language_changes_the_text(restore_language) -> None:
    i18n.set_language("sl")
    assert i18n._("Wrap-up") == "Zaključek klica"
    assert i18n._("READ-ONLY") == "SAMO BRANJE"
    i18n.set_language("en")
    assert i18n._("Wrap-up") == "Wrap-up"
    assert i18n._("READ-ONLY") == "READ-ONLY"
    assert i18n.language() == "en"
    i18n.set_language("sl")
    assert i18n._("Call back") == "Povratni klic"


def test_an_unknown_message_is_shown_as_written(restore_language) -> None:
    i18n.set_language("sl")
    assert i18n._("No such message, surely") == "No such message, surely"


def test_an_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown language"):
        i18n.set_language("de")


def test_the_po_reader_handles_multi_line_strings_escapes_and_comments(tmp_path: Path) -> None:
    po = tmp_path / "sample.po"
    po.write_text(
        "# translator comment\n"
        'msgid ""\n'
        'msgstr ""\n'
        '"Content-Type: text/plain; charset=UTF-8\\n"\n'
        '"Language: sl\\n"\n'
        "\n"
        "#: console/screens/wrapup.py:1\n"
        'msgid ""\n'
        '"First line\\n"\n'
        '"second line"\n'
        'msgstr ""\n'
        '"Prva vrstica\\n"\n'
        '"druga vrstica"\n'
        "\n"
        'msgid "Say \\"hello\\"\\tand a back\\\\slash"\n'
        'msgstr "Reci \\"živjo\\"\\tin poševnica \\\\ nazaj"\n'
        "\n"
        'msgid "Untranslated"\n'
        'msgstr ""\n',
        encoding="utf-8",
    )
    messages = read_po(po)
    assert messages == {
        "First line\nsecond line": "Prva vrstica\ndruga vrstica",
        'Say "hello"\tand a back\\slash': 'Reci "živjo"\tin poševnica \\ nazaj',
        "Untranslated": "",
    }
    assert "" not in messages  # the header entry is not a message


def test_the_po_reader_refuses_a_broken_line(tmp_path: Path) -> None:
    po = tmp_path / "broken.po"
    po.write_text('msgid "One"\nmsgstr "Ena"\nnonsense\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"broken\.po:3"):
        read_po(po)


def test_the_scan_finds_calls_bindings_and_groups() -> None:
    source = (
        "from textual.binding import Binding\n"
        "class S:\n"
        "    BINDINGS = [\n"
        '        Binding("f1", "help", "Help", tooltip="Show help"),\n'
        '        Binding("f2", "x", description="Find", group=Binding.Group("Grouped")),\n'
        '        Binding("f3", "y", show=False),\n'
        '        ("f4", "z", "Tuple binding"),\n'
        "    ]\n"
        "    def f(self, n):\n"
        "        for _ in range(3): pass\n"
        '        return _("Hello {name}").format(name="x") + ngettext("one", "many", n)\n'
    )
    assert messages_in_source(source) == {
        "Help",
        "Show help",
        "Find",
        "Grouped",
        "Tuple binding",
        "Hello {name}",
        "one",
        "many",
    }
