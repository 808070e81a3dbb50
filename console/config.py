"""Configuration: ``config.toml`` plus environment overrides, checked strictly.

Where the file is found, first match wins:

1. ``--config PATH`` on the command line, or the ``AGENT_CONSOLE_CONFIG`` environment variable;
2. ``config.toml`` in the current directory;
3. ``config.toml`` in the user's config directory (``platformdirs``).

No file at all is fine: every key has a default (the repository's ``config.toml`` lists them,
each commented). Unknown keys are refused with a did-you-mean, so a typo never silently
falls back to a default. Environment variables override the file:
``AGENT_CONSOLE_SERVER_URL``, ``AGENT_CONSOLE_TOKEN``, ``AGENT_CONSOLE_DATA_DIR``,
``AGENT_CONSOLE_DATABASE`` and ``AGENT_CONSOLE_LANGUAGE``.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from datetime import date, time
from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError

from console.domain.calendar import OfficeHours
from console.domain.errors import InvalidValue
from console.domain.floor import AwayReason
from console.domain.models import Disposition
from console.keymap import keymap_problems, keys_of, split_keys
from console.server.floor_settings import DEFAULT_AWAY_REASONS, FloorSettings
from console.server.logs import LogSettings
from console.server.messages.settings import (
    DEFAULT_SMS_BODY,
    MessageSettings,
    SmsSettings,
    SmtpSettings,
)
from console.server.settings import (
    DEFAULT_DISPOSITIONS,
    MIN_AUDIT_DAYS,
    CallbackSettings,
    RetentionSettings,
    ServerSettings,
)

APP_NAME = "agent-console"
# Where relative paths in the configuration start when there is no configuration file.
PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ConfigError(Exception):
    """The configuration cannot be used; the message says which file, key and why."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ServerSection(_Section):
    url: str = ""
    token: str = ""
    timeout_seconds: float = Field(default=5.0, gt=0, le=120)
    ca_file: str = ""  # "": the system's trust store and the public authorities only

    @field_validator("ca_file")
    @classmethod
    def _ca_file_exists(cls, value: str) -> str:
        if value and not Path(value).expanduser().is_file():
            raise ValueError(f"no such file: {value}")
        return value


class ServiceSection(_Section):
    database: str = ""
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    hold_minutes: float = Field(default=3.0, gt=0, le=60)
    workers: int = Field(default=0, ge=0, le=64)  # 0: see console.server.db.default_workers
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_file: str = ""  # "": standard error
    log_rotate_mb: float = Field(default=10.0, ge=0, le=100_000)  # 0: rotated outside (logrotate)
    log_backups: int = Field(default=5, ge=1, le=1000)

    def log_settings(self) -> LogSettings:
        return LogSettings(
            level=self.log_level,
            file=self.log_file,
            rotate_bytes=int(self.log_rotate_mb * 1024 * 1024),
            backups=self.log_backups,
        )


class RetentionSection(_Section):
    idempotency_days: int = Field(default=30, ge=1, le=36_500)
    changes_days: int = Field(default=30, ge=1, le=36_500)
    holds_days: int = Field(default=7, ge=1, le=36_500)
    agent_states_days: int = Field(default=400, ge=1, le=36_500)
    past_slots_days: int = Field(default=30, ge=1, le=36_500)
    provider_history_days: int = Field(default=730, ge=1, le=36_500)
    closed_reports_days: int = Field(default=365, ge=1, le=36_500)
    audit_days: int = Field(default=0, ge=0, le=36_500)
    daily: bool = True
    daily_at: str = Field(default="03:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    abandon_calls_after_hours: float = Field(default=12, ge=0, le=8760)

    @field_validator("audit_days")
    @classmethod
    def _audit_kept_a_year(cls, value: int) -> int:
        if 0 < value < MIN_AUDIT_DAYS:
            raise ValueError(
                f"audit rows are kept at least {MIN_AUDIT_DAYS} days: 0 (keep them) "
                f"or {MIN_AUDIT_DAYS} and more"
            )
        return value

    def settings(self) -> RetentionSettings:
        hours, minutes = self.daily_at.split(":")
        return RetentionSettings(
            idempotency_days=self.idempotency_days,
            changes_days=self.changes_days,
            holds_days=self.holds_days,
            agent_states_days=self.agent_states_days,
            past_slots_days=self.past_slots_days,
            provider_history_days=self.provider_history_days,
            closed_reports_days=self.closed_reports_days,
            audit_days=self.audit_days,
            daily=self.daily,
            daily_at=time(int(hours), int(minutes)),
            abandon_calls_after_hours=self.abandon_calls_after_hours,
        )


class DemoSection(_Section):
    callers: int = Field(default=20_000, ge=0, le=3_000_000)
    days: int = Field(default=30, ge=1, le=120)
    # The real doctor lists (zzzs/*.xlsx, zdravniki/) for the demo's health providers; a
    # relative path is taken from the config file's folder (no file: the project's root).
    directory_data: str = "../shared/data"
    # The embedded console's own mail sink when nothing listens at [messages.smtp] (see
    # config.toml): what it sends to callers is kept in <data dir>/mailbox/.
    mailbox: bool = True
    # Codes of the services that allow one active booking per caller (services.
    # one_booking_per_caller; `agent-console service-rule` changes it later).
    one_booking_per_caller: list[str] = Field(default_factory=list, max_length=100)


class CacheSection(_Section):
    window_days: int = Field(default=30, ge=1, le=120)
    window_refresh_minutes: float = Field(default=60.0, gt=0, le=24 * 60)
    caller_limit: int = Field(default=500, ge=10, le=100_000)
    sync_seconds: float = Field(default=2.0, gt=0, le=300)


class UiSection(_Section):
    language: Literal["sl", "en"] = "sl"
    theme: str = "textual-dark"
    # The lookup's debounce (see config.toml): none by default, every keystroke searches.
    search_delay_ms: int = Field(default=0, ge=0, le=2000)
    slot_days: int = Field(default=14, ge=1, le=120)
    timers: bool = True
    today: date | None = None


class DirectorySection(_Section):
    stale_after_days: int = Field(default=30, ge=1, le=3650)
    page_size: int = Field(default=50, ge=10, le=500)


class TelephonySection(_Section):
    """This desk's place in the telephone system (a screen pop when its extension rings)."""

    # "": none (no screen pop). As the telephone system names it: 101, 2001, SIP/desk-7 ...
    extension: str = Field(default="", max_length=32, pattern=r"^[0-9A-Za-z*#+_.\-/]*$")


class CallbacksSection(_Section):
    """The callback queue of the central service (see console.server.callbacks)."""

    hours: str = "Mon-Fri 08:00-16:00"
    exclude_holidays: bool = True
    lease_minutes: float = Field(default=10.0, gt=0, le=24 * 60)
    max_attempts: int = Field(default=3, ge=1, le=20)
    retry_minutes: tuple[float, ...] = Field(default=(30.0, 120.0), min_length=1, max_length=20)
    tries_boost_minutes: float = Field(default=30.0, ge=0, le=7 * 24 * 60)
    assigned_minutes: float = Field(default=120.0, ge=0, le=30 * 24 * 60)
    keep_days: int = Field(default=400, ge=7, le=3650)

    @field_validator("hours")
    @classmethod
    def _hours(cls, value: str) -> str:
        try:
            OfficeHours.parse(value)
        except InvalidValue as exc:
            raise ValueError(exc.message) from None
        return value

    @field_validator("retry_minutes")
    @classmethod
    def _retries(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if any(minutes <= 0 for minutes in value):
            raise ValueError("every retry wait must be more than 0 minutes")
        return value

    def settings(self) -> CallbackSettings:
        return CallbackSettings(**self.model_dump())


class SmtpSection(_Section):
    host: str = "127.0.0.1"
    port: int = Field(default=8025, ge=1, le=65535)
    security: Literal["none", "starttls", "tls"] = "none"
    user: str = ""
    password: str = ""  # $AGENT_CONSOLE_SMTP_PASSWORD wins when set
    timeout_seconds: float = Field(default=20.0, gt=0, le=300)


SMS_PLACEHOLDERS = frozenset({"to", "text", "sender", "message_id"})


class SmsSection(_Section):
    url: str = "http://127.0.0.1:8026/sms"
    user: str = ""
    password: str = ""  # $AGENT_CONSOLE_SMS_PASSWORD wins when set
    sender: str = Field(default="Narocanje", max_length=11)
    content_type: str = "application/json"
    body: str = DEFAULT_SMS_BODY
    transliterate: bool = True
    timeout_seconds: float = Field(default=20.0, gt=0, le=300)

    @field_validator("body")
    @classmethod
    def _known_placeholders(cls, body: str) -> str:
        import string

        names = {
            m.group("named") or m.group("braced")
            for m in string.Template.pattern.finditer(body)
            if not m.group("escaped")
        }
        if None in names:
            raise ValueError("a lone $ in the body template: write $$ for a dollar sign")
        unknown = sorted(names - SMS_PLACEHOLDERS)
        if unknown:
            known = ", ".join(f"${name}" for name in sorted(SMS_PLACEHOLDERS))
            raise ValueError(f"unknown placeholder ${unknown[0]}; known: {known}")
        return body


class MessagesSection(_Section):
    enabled: bool = True
    from_address: str = "Klicni center <noreply@localhost>"
    domain: str = ""
    delay_seconds: float = Field(default=20.0, ge=0, le=3600)
    reminder_days_before: int = Field(default=1, ge=0, le=10)
    reminder_time: str = Field(default="10:00", pattern=r"^([01]?\d|2[0-3])[:.][0-5]\d$")
    cancel_phone: str = Field(default="", max_length=40)
    cancel_url: str = Field(default="", max_length=200)
    sender: bool = True
    poll_seconds: float = Field(default=1.0, gt=0, le=300)
    batch: int = Field(default=50, ge=1, le=1000)
    connections: int = Field(default=4, ge=1, le=32)
    lease_seconds: float = Field(default=30.0, ge=2, le=3600)
    claim_seconds: float = Field(default=120.0, ge=10, le=86400)
    max_attempts: int = Field(default=8, ge=1, le=100)
    retry_seconds: float = Field(default=30.0, gt=0, le=86400)
    retry_max_seconds: float = Field(default=3600.0, gt=0, le=7 * 86400)
    keep_days: int = Field(default=400, ge=1, le=36500)
    smtp: SmtpSection = SmtpSection()
    sms: SmsSection = SmsSection()

    def settings(self) -> MessageSettings:
        hour, minute = (int(part) for part in self.reminder_time.replace(".", ":").split(":"))
        values = self.model_dump(exclude={"smtp", "sms", "reminder_time"})
        return MessageSettings(
            **values,
            reminder_time=time(hour, minute),
            smtp=SmtpSettings(**self.smtp.model_dump()),
            sms=SmsSettings(**self.sms.model_dump()),
        )


class FloorSection(_Section):
    """The supervisor's floor, on the central service (see config.toml's [floor])."""

    heartbeat_seconds: int = Field(default=10, ge=1, le=300)
    unreachable_after_seconds: int = Field(default=30, ge=2, le=3600)
    away_reasons: tuple[AwayReason, ...] = Field(default=DEFAULT_AWAY_REASONS, min_length=1)
    long_call_minutes: float = Field(default=15.0, gt=0, le=1440)
    long_after_call_work_minutes: float = Field(default=5.0, gt=0, le=1440)
    long_away_minutes: float = Field(default=30.0, gt=0, le=1440)
    report_open_hours: float = Field(default=24.0, gt=0, le=8760)
    fill_working_days: tuple[int, ...] = Field(default=(1, 3, 5), min_length=1, max_length=10)
    slot_totals_seconds: float = Field(default=300.0, ge=0, le=86400)

    @model_validator(mode="after")
    def _consistent(self) -> FloorSection:
        if self.unreachable_after_seconds < 2 * self.heartbeat_seconds:
            raise ValueError(
                "unreachable_after_seconds must be at least twice heartbeat_seconds "
                f"({2 * self.heartbeat_seconds}), or one late heartbeat marks a desk unreachable"
            )
        codes = [reason.code for reason in self.away_reasons]
        if len(set(codes)) != len(codes):
            raise ValueError(f"away_reasons: a code is listed twice ({', '.join(codes)})")
        days = list(self.fill_working_days)
        if days != sorted(set(days)) or days[0] < 1 or days[-1] > 60:
            raise ValueError("fill_working_days: distinct numbers from 1 to 60, ascending")
        return self

    def settings(self) -> FloorSettings:
        values = {name: getattr(self, name) for name in type(self).model_fields}
        return FloorSettings(**values)


class Config(_Section):
    server: ServerSection = ServerSection()
    service: ServiceSection = ServiceSection()
    retention: RetentionSection = RetentionSection()
    demo: DemoSection = DemoSection()
    cache: CacheSection = CacheSection()
    ui: UiSection = UiSection()
    directory: DirectorySection = DirectorySection()
    callbacks: CallbacksSection = CallbacksSection()
    telephony: TelephonySection = TelephonySection()
    # [keys]: binding id -> its keys; see console/keymap.py and config.toml for the ids.
    keys: dict[str, str] = Field(default_factory=dict)
    messages: MessagesSection = MessagesSection()
    floor: FloorSection = FloorSection()
    dispositions: tuple[Disposition, ...] = DEFAULT_DISPOSITIONS
    data_dir: str = ""
    source: str = Field(default="", exclude=True)

    @field_validator("keys")
    @classmethod
    def _known_bindings(cls, keys: dict[str, str]) -> dict[str, str]:
        problems = keymap_problems(keys)
        if problems:
            raise PydanticCustomError(
                "keymap",
                "; ".join(f"{binding_id}: {reason}" for binding_id, reason, _guess in problems),
                {"problems": problems},
            )
        return keys

    def key_of(self, binding_id: str) -> str:
        """The (first) key a binding is on, configured or by default: ``f2``."""
        return split_keys(keys_of(binding_id, self.keys))[0]

    @property
    def data_path(self) -> Path:
        """Where the embedded database, the local cache and the outbox live."""
        if self.data_dir:
            return Path(self.data_dir).expanduser()
        return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))

    @property
    def demo_directory_data(self) -> Path | None:
        """The folder of real doctor lists the demo seed uses (it may not exist); None: unset."""
        if not self.demo.directory_data:
            return None
        path = Path(self.demo.directory_data).expanduser()
        if not path.is_absolute():
            base = Path(self.source).resolve().parent if self.source else PROJECT_ROOT
            path = base / path
        return path.resolve()

    def demo_lists(self) -> Path | None:
        """:attr:`demo_directory_data` if it holds the insurer's lists (``zzzs/``), else None:
        the demo seed then generates its clinics."""
        folder = self.demo_directory_data
        return folder if folder is not None and (folder / "zzzs").is_dir() else None

    @property
    def embedded(self) -> bool:
        return not self.server.url

    @property
    def service_database(self) -> str:
        return self.service.database or str(self.data_path / "central.db")

    def server_settings(self, database: str | None = None) -> ServerSettings:
        return ServerSettings(
            database=database or self.service_database,
            hold_minutes=self.service.hold_minutes,
            dispositions=tuple(self.dispositions),
            retention=self.retention.settings(),
            callbacks=self.callbacks.settings(),
            messages=self.messages.settings(),
            floor=self.floor.settings(),
        )


def find_config_file(explicit: str | Path | None = None) -> Path | None:
    if explicit:
        return Path(explicit)
    if env := os.environ.get("AGENT_CONSOLE_CONFIG"):
        return Path(env)
    here = Path.cwd() / "config.toml"
    if here.is_file():
        return here
    user = Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / "config.toml"
    return user if user.is_file() else None


def load_config(path: str | Path | None = None, *, environ: dict[str, str] | None = None) -> Config:
    """Read, check and return the configuration (see the module docstring for the order)."""
    environ = dict(os.environ if environ is None else environ)
    file = find_config_file(path)
    raw: dict = {}
    if file is not None:
        try:
            raw = tomllib.loads(file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"{file}: no such configuration file") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{file}: not valid TOML: {exc}") from None
    _apply_environment(raw, environ)
    try:
        config = Config.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_explain(file, exc)) from None
    return config.model_copy(update={"source": str(file) if file else ""})


def _apply_environment(raw: dict, environ: dict[str, str]) -> None:
    overrides = {
        "AGENT_CONSOLE_SERVER_URL": ("server", "url"),
        "AGENT_CONSOLE_TOKEN": ("server", "token"),
        "AGENT_CONSOLE_DATABASE": ("service", "database"),
        "AGENT_CONSOLE_LANGUAGE": ("ui", "language"),
    }
    for variable, (section, key) in overrides.items():
        if variable in environ:
            raw.setdefault(section, {})[key] = environ[variable]
    if "AGENT_CONSOLE_DATA_DIR" in environ:
        raw["data_dir"] = environ["AGENT_CONSOLE_DATA_DIR"]


def _known_keys(model: type[BaseModel], location: tuple) -> list[str]:
    current: type[BaseModel] | None = model
    for part in location[:-1]:
        field = current.model_fields.get(str(part)) if current else None
        annotation = field.annotation if field else None
        current = (
            annotation
            if isinstance(annotation, type) and issubclass(annotation, BaseModel)
            else None
        )
    return list(current.model_fields) if current else []


def _explain(file: Path | None, exc: ValidationError) -> str:
    where = str(file) if file else "configuration"
    lines = []
    for error in exc.errors():
        location = error["loc"]
        key = ".".join(str(part) for part in location)
        if error["type"] == "keymap":
            for binding_id, reason, guess in error["ctx"]["problems"]:
                if guess is not None:  # an unknown id, said as an unknown key is
                    hint = f"; did you mean {guess!r}?" if guess else "; see config.toml"
                    lines.append(f"{where}: unknown key 'keys.{binding_id}'{hint}")
                else:
                    lines.append(f"{where}: keys.{binding_id}: {reason}")
        elif error["type"] == "extra_forbidden":
            known = _known_keys(Config, location)
            guess = difflib.get_close_matches(str(location[-1]), known, n=1)
            hint = f"; did you mean {guess[0]!r}?" if guess else f"; known keys: {', '.join(known)}"
            lines.append(f"{where}: unknown key {key!r}{hint}")
        else:
            lines.append(f"{where}: {key}: {error['msg']}")
    return "\n".join(lines)
