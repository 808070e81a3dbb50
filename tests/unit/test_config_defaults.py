"""The shipped config.toml documents the defaults: its [ui] values are the code's."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from console.config import (
    Config,
    ConfigError,
    RetentionSection,
    ServiceSection,
    UiSection,
    load_config,
)

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


@pytest.mark.parametrize(
    ("section", "model"), [("service", ServiceSection), ("retention", RetentionSection)]
)
def test_the_shipped_service_and_retention_sections_are_the_defaults(section, model) -> None:  # type: ignore[no-untyped-def]
    shipped = tomllib.loads((ROOT / "config.toml").read_text(encoding="utf-8"))[section]
    defaults = model()
    assert set(shipped) == set(model.model_fields)  # every key is documented
    for name, value in shipped.items():
        assert getattr(defaults, name) == value, name


def test_audit_rows_are_kept_a_year_at_least(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[retention]\naudit_days = 30\n")
    with pytest.raises(ConfigError, match="at least 365"):
        load_config(config, environ={})
    config.write_text('[retention]\naudit_days = 400\ndaily_at = "02:30"\n')
    retention = load_config(config, environ={}).server_settings("x.db").retention
    assert retention.audit_days == 400 and retention.daily_at.hour == 2
    config.write_text('[retention]\ndaily_at = "25:00"\n')
    with pytest.raises(ConfigError, match="daily_at"):
        load_config(config, environ={})


def test_the_shipped_callbacks_section_is_the_default() -> None:
    from console.config import CallbacksSection

    shipped = tomllib.loads((ROOT / "config.toml").read_text(encoding="utf-8"))["callbacks"]
    defaults = CallbacksSection()
    assert set(shipped) == set(CallbacksSection.model_fields)
    for name, value in shipped.items():
        expected = getattr(defaults, name)
        assert (tuple(value) if isinstance(value, list) else value) == expected, name
    assert Config().server_settings("x.db").callbacks == defaults.settings()


def test_callback_settings_are_checked(tmp_path: Path) -> None:
    import pytest

    from console.config import ConfigError

    config = tmp_path / "config.toml"
    config.write_text('[callbacks]\nhours = "Mon-Fri 8-16"\n')
    with pytest.raises(ConfigError, match=r"callbacks\.hours"):
        load_config(config, environ={})
    config.write_text("[callbacks]\nretry_minutes = [30, 0]\n")
    with pytest.raises(ConfigError, match="retry_minutes"):
        load_config(config, environ={})
    config.write_text('[callbacks]\nhours = "Mon-Sat 07:00-19:00"\nmax_attempts = 5\n')
    settings = load_config(config, environ={}).server_settings("x.db").callbacks
    assert settings.max_attempts == 5 and settings.office_hours.describe() == "Mon-Sat 07:00-19:00"


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
