"""Keys as data: every binding has an id from console/keymap.py, and [keys] remaps any of them."""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections import defaultdict
from pathlib import Path

import pytest
from textual.binding import Binding
from textual.dom import DOMNode

from console.config import Config, ConfigError, load_config
from console.keymap import (
    APP,
    BY_ID,
    KEY_BINDINGS,
    key_label,
    keymap_for,
    keymap_problems,
)

ROOT = Path(__file__).resolve().parents[2]


def _declared() -> list[tuple[str, str, Binding]]:
    """(module, class, binding) for every binding a class of ours declares."""
    found: list[tuple[str, str, Binding]] = []
    for package in ("console", "widgets"):
        root = importlib.import_module(package)
        for info in pkgutil.walk_packages(root.__path__, f"{package}."):
            if ".server" in info.name or ".migrations" in info.name:
                continue
            module = importlib.import_module(info.name)
            for cls in vars(module).values():
                if (
                    isinstance(cls, type)
                    and issubclass(cls, DOMNode)
                    and cls.__module__ == module.__name__
                    and "BINDINGS" in vars(cls)
                ):
                    for binding in cls.BINDINGS:
                        if not isinstance(binding, Binding):
                            binding = Binding(*binding)
                        found.append((module.__name__, cls.__name__, binding))
    return found


def test_every_binding_has_an_id_from_the_keymap_with_its_default_key() -> None:
    wrong: list[str] = []
    for module, cls, binding in _declared():
        where = f"{module}.{cls} {binding.key} -> {binding.action}"
        if binding.id is None:
            wrong.append(f"{where}: no id")
        elif binding.id not in BY_ID:
            wrong.append(f"{where}: id {binding.id!r} is not in console/keymap.py")
        elif binding.key != BY_ID[binding.id].keys:
            wrong.append(f"{where}: console/keymap.py says {BY_ID[binding.id].keys!r}")
    assert wrong == []


def test_every_id_in_the_keymap_is_a_binding_and_one_class_has_one_place() -> None:
    declared = _declared()
    assert {binding.id for _m, _c, binding in declared if binding.id} == set(BY_ID)
    places: dict[str, set[str]] = defaultdict(set)
    for module, cls, binding in declared:
        if binding.id is not None:
            places[f"{module}.{cls}"].add(BY_ID[binding.id].place)
    assert {name: found for name, found in places.items() if len(found) > 1} == {}
    assert {BY_ID[b.id].place for m, _c, b in declared if m == "console.app" and b.id} == {APP}


def test_the_six_keys_of_before_are_binding_ids() -> None:
    for old in ("lookup", "slots", "bookings", "wrapup", "directory", "reports"):
        assert BY_ID[old].place == APP


def test_an_unknown_id_is_refused_with_the_nearest_one() -> None:
    assert keymap_problems({"lokup": "f12"}) == [("lokup", "unknown binding id", "lookup")]
    assert keymap_problems({"zzzzzz": "f12"}) == [("zzzzzz", "unknown binding id", "")]
    assert keymap_problems({"lookup": " , "}) == [("lookup", "no key given", None)]


def test_a_key_another_binding_of_the_same_place_has_is_refused() -> None:
    [(binding_id, reason, _)] = keymap_problems({"bookings.cancel": "r"})
    assert binding_id == "bookings.cancel" and "'bookings.reschedule'" in reason
    # the app's keys work on every screen: a screen's binding cannot take one, nor the reverse
    assert keymap_problems({"bookings.cancel": "f2"})[0][1].startswith("'f2' is already")
    assert keymap_problems({"lookup": "ctrl+s"}) != []
    # swapping two keys, or a key another place uses, is fine
    assert keymap_problems({"slots": "f4", "bookings": "f3"}) == []
    assert keymap_problems({"bookings.cancel": "x", "lookup.new_caller": "x"}) == []
    assert keymap_problems({"lookup": "f2"}) == []  # the default, said again


def test_the_keymap_keeps_a_remapped_bindings_neighbours_on_their_key() -> None:
    """Textual drops every binding on a key it moves one binding away from, unless the keymap
    names it too: escape clears the lookup box still when back moves to another key."""
    keymap = keymap_for({"lookup.back": "ctrl+b"})
    assert keymap["lookup.back"] == "ctrl+b"
    assert keymap["lookup.clear"] == "escape"
    assert "lookup.new_caller" not in keymap
    assert keymap_for({})["sync_issues"] == "f6"  # the app's keys, as before


def test_keys_are_named_as_the_messages_name_them() -> None:
    assert [key_label(k) for k in ("f2", "f12", "ctrl+o", "p", "escape")] == [
        "F2",
        "F12",
        "ctrl+o",
        "p",
        "escape",
    ]


# -- in config.toml ----------------------------------------------------------------------------


def test_a_key_is_remapped_by_its_id(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[keys]\nslots = "f11"\n"lookup.new_caller" = "ctrl+k"\n')
    loaded = load_config(config, environ={})
    assert loaded.keys == {"slots": "f11", "lookup.new_caller": "ctrl+k"}
    assert loaded.key_of("slots") == "f11"
    assert loaded.key_of("bookings") == "f4"


def test_the_keys_section_refuses_an_unknown_id_as_it_refuses_an_unknown_key(
    tmp_path: Path,
) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[keys]\nlokup = "f12"\n')
    with pytest.raises(ConfigError, match=r"unknown key 'keys\.lokup'; did you mean 'lookup'\?"):
        load_config(config, environ={})
    config.write_text('[keys]\n"bookings.cancel" = "r"\n')
    with pytest.raises(ConfigError, match=r"keys\.bookings\.cancel: 'r' is already the key of"):
        load_config(config, environ={})
    with pytest.raises(ValueError):
        Config(keys={"nope": "f1"})


def test_the_shipped_config_documents_every_binding_id_with_its_default() -> None:
    text = (ROOT / "config.toml").read_text(encoding="utf-8")
    keys_section = text[text.index("[keys]") :]
    keys_section = keys_section[: keys_section.index("\n[", 1)]
    documented = dict(re.findall(r'^#? ?"?([\w.]+)"? = "([^"]*)"', keys_section, re.MULTILINE))
    assert documented == {binding.id: binding.keys for binding in KEY_BINDINGS}
