"""The shipped config.toml documents the defaults: its [ui] values are the code's."""

from __future__ import annotations

import tomllib
from pathlib import Path

from console.config import Config, UiSection, load_config

ROOT = Path(__file__).resolve().parents[2]


def test_the_shipped_ui_section_is_the_default() -> None:
    shipped = tomllib.loads((ROOT / "config.toml").read_text(encoding="utf-8"))["ui"]
    defaults = UiSection()
    for name, value in shipped.items():
        assert getattr(defaults, name) == value, name


def test_the_search_delay_is_configurable(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[ui]\nsearch_delay_ms = 0\n")
    assert load_config(config, environ={}).ui.search_delay_ms == 0
    config.write_text("[ui]\nsearch_delay_ms = 200\n")
    assert load_config(config, environ={}).ui.search_delay_ms == 200
    assert Config().ui.search_delay_ms <= 50  # an agent feels a longer wait after each key
