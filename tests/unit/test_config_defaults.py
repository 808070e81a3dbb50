"""The shipped config.toml documents the defaults: its [ui] values are the code's."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from console.config import Config, ConfigError, UiSection, load_config

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


def test_the_shipped_floor_section_is_the_default() -> None:
    from console.config import FloorSection

    shipped = tomllib.loads((ROOT / "config.toml").read_text(encoding="utf-8"))["floor"]
    defaults = FloorSection()
    assert set(shipped) == set(FloorSection.model_fields)
    for name, value in shipped.items():
        if name == "away_reasons":
            assert [dict(reason) for reason in value] == [
                reason.model_dump() for reason in defaults.away_reasons
            ]
        else:
            assert getattr(defaults, name) == (tuple(value) if isinstance(value, list) else value)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("heartbeat_seconds = 20\nunreachable_after_seconds = 30\n", "at least twice"),
        ("fill_working_days = [5, 3]\n", "ascending"),
        ('[[floor.away_reasons]]\ncode = "Break!"\nlabel = "x"\nlabel_en = "x"\n', "code"),
        (
            '[[floor.away_reasons]]\ncode = "a"\nlabel = "x"\nlabel_en = "x"\n'
            '[[floor.away_reasons]]\ncode = "a"\nlabel = "y"\nlabel_en = "y"\n',
            "listed twice",
        ),
        ("long_call_minutes = 0\n", "long_call_minutes"),
    ],
)
def test_a_bad_floor_section_is_refused(tmp_path: Path, text: str, words: str) -> None:
    config = tmp_path / "config.toml"
    body = text if text.startswith("[[") else f"[floor]\n{text}"
    config.write_text(body)
    with pytest.raises(ConfigError) as caught:
        load_config(config, environ={})
    assert words in str(caught.value)


def test_the_floor_settings_reach_the_service(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        "[floor]\nunreachable_after_seconds = 45\n"
        '[[floor.away_reasons]]\ncode = "coffee"\nlabel = "Kava"\nlabel_en = "Coffee"\n'
    )
    settings = load_config(config, environ={}).server_settings("x.db").floor
    assert settings.unreachable_after_seconds == 45
    assert settings.away_codes() == ["coffee"]
