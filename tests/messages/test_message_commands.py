"""The commands and configuration of messages: ``[messages]`` as shipped is the default,
``mail-sink`` prints what arrives, ``send-messages --once`` sends to it, the OpenAPI lists it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest
from message_rig import Rig, free_port

from console.config import Config, ConfigError, load_config
from console.server.messages.settings import SMTP_PASSWORD_ENV

REPO = Path(__file__).resolve().parents[2]


def test_the_shipped_messages_section_is_the_default() -> None:
    shipped = tomllib.loads((REPO / "config.toml").read_text(encoding="utf-8"))
    assert Config.model_validate({"messages": shipped["messages"]}).messages == Config().messages
    defaults = Config().messages.settings()
    assert (defaults.smtp.host, defaults.smtp.port) == ("127.0.0.1", 8025)  # the mail sink
    assert defaults.sms.url == "http://127.0.0.1:8026/sms"
    assert defaults.reminder_time.hour == 10 and defaults.reminder_days_before == 1


def test_bad_message_settings_are_refused_by_name(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    for text, key in (
        ('[messages.smtp]\nsecurity = "ssl"\n', "messages.smtp.security"),
        ('[messages]\nreminder_time = "25:00"\n', "messages.reminder_time"),
        ('[messages.sms]\nbody = "$number $text"\n', "messages.sms.body"),
        ("[messages.smtp]\nhots = 'x'\n", "did you mean 'host'"),
    ):
        config.write_text(text)
        with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
            load_config(config, environ={})


def test_the_smtp_password_may_come_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[messages.smtp]\nuser = "centre"\npassword = "from-file"\n')
    smtp = load_config(config, environ={}).messages.settings().smtp
    assert smtp.secret() == "from-file"
    monkeypatch.setenv(SMTP_PASSWORD_ENV, "from-env")
    assert smtp.secret() == "from-env"


def _environment(config: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGENT_CONSOLE_")}
    env["AGENT_CONSOLE_CONFIG"] = str(config)
    env["AGENT_CONSOLE_DATA_DIR"] = str(config.parent / "data")
    env["PYTHONUNBUFFERED"] = "1"
    return env


@pytest.mark.slow
def test_mail_sink_prints_what_send_messages_sends(
    rig: Rig, database_url_param: str, tmp_path: Path
) -> None:
    smtp_port, sms_port = free_port(), free_port()
    config = tmp_path / "config.toml"
    config.write_text(
        f"[messages]\ndelay_seconds = 0\n[messages.smtp]\nport = {smtp_port}\n"
        f'[messages.sms]\nurl = "http://127.0.0.1:{sms_port}/sms"\n'
    )
    out = tmp_path / "sink.out"
    with out.open("wb") as handle:
        sink = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "console.cli",
                "mail-sink",
                "--port",
                str(smtp_port),
                "--sms-port",
                str(sms_port),
            ],
            cwd=REPO,
            env=_environment(config),
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while "Mail sink" not in out.read_text():
            assert sink.poll() is None and time.monotonic() < deadline, out.read_text()
            time.sleep(0.1)
        rig.consent("janez")
        rig.consent("spela", channel="sms")
        booking = rig.book("janez", slot=rig.slot(day=1, index=0))
        rig.book("spela", slot=rig.slot(day=1, index=1))
        command = ["send-messages", "--once", "--db", database_url_param]
        sent = subprocess.run(
            [sys.executable, "-m", "console.cli", *command],
            cwd=REPO,
            env=_environment(config),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert sent.returncode == 0, sent.stdout + sent.stderr
        assert "sent 2" in sent.stdout
        deadline = time.monotonic() + 30
        while "SMS" not in out.read_text() or "METHOD:REQUEST" not in out.read_text():
            assert time.monotonic() < deadline, out.read_text()
            time.sleep(0.1)
    finally:
        sink.terminate()
        sink.wait(30)
    shown = out.read_text()
    assert "To:         janez@example.org" in shown
    assert f"Message-ID: {booking['messages'][0]['message_id']}" in shown
    assert booking["reference_display"] in shown
    assert f"UID:booking-{booking['reference']}@ue.example  SEQUENCE:0" in shown
    assert '"to": "+38631555111"' in shown
    assert "1 segment(s) of GSM-7" in shown  # how the SMS goes out, said with it
    assert "1 e-mail(s) received." in shown


def test_the_openapi_describes_messages(rig: Rig) -> None:
    schema = rig.client.get("/openapi.json").json()
    assert "/v1/callers/{caller_id}/messages" in schema["paths"]
    assert "/v1/bookings/{reference}/messages/withdraw" in schema["paths"]
    components = schema["components"]["schemas"]
    assert {"message_channel", "message_consent", "message_consent_at", "message_address"} <= set(
        components["Caller"]["properties"]
    )
    for model in ("BookingIn", "RescheduleIn", "CancelIn"):
        assert "notify" in components[model]["properties"], model
    assert "messages" in components["Booking"]["properties"]
    assert set(components["MessageStatus"]["enum"]) == {
        "queued",
        "sending",
        "sent",
        "failed",
        "cancelled",
    }
