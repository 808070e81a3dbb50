"""The SMTP settings do what config.toml says, against a real aiosmtpd speaking TLS: STARTTLS
with a login (the password from ``$AGENT_CONSOLE_SMTP_PASSWORD``), TLS from the first byte
(port 465 style), and the refusals a misconfigured relay gives: each is a reason a person can
act on, retried (the relay's trouble, not the message's).

The server's certificate is a self-signed one made here with the ``openssl`` command; the
sender trusts it as it would trust a relay's certificate from a private authority: through
``SSL_CERT_FILE``, which the default TLS context reads."""

from __future__ import annotations

import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from message_rig import free_port

from console.server.messages.settings import SMTP_PASSWORD_ENV, SmtpSettings
from console.server.messages.transport import SendError, SmtpTransport

MESSAGE = (
    b"From: narocanje@ue.example\r\nTo: janez@example.org\r\nSubject: test\r\n"
    b"Message-ID: <tls.1@ue.example>\r\n\r\nHello.\r\n"
)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    openssl = shutil.which("openssl")
    if openssl is None:  # pragma: no cover - every CI image has it
        pytest.skip("needs the openssl command to make a certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            openssl,
            *("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"),
            *("-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost"),
            *("-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


class Inbox:
    def __init__(self) -> None:
        self.received: list[tuple[str, bytes, bool]] = []
        self.logins: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self._lock:
            tls = server.transport.get_extra_info("ssl_object") is not None
            secure = tls or session.ssl is not None
            self.received.append((envelope.mail_from, bytes(envelope.content), secure))
        return "250 OK"

    def authenticator(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        assert isinstance(data, LoginPassword)
        login, password = data.login.decode(), data.password.decode()
        self.logins.append((login, password))
        # handled=False: aiosmtpd answers a refusal with its 535 (its default assumes we did).
        return AuthResult(
            success=(login, password) == ("centre", "from-the-environment"), handled=False
        )


def _server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*map(str, certificate))
    return context


@pytest.fixture
def starttls_server(certificate: tuple[Path, Path]) -> Iterator[tuple[Inbox, int]]:
    """A relay that takes nothing before STARTTLS and a login."""
    inbox, port = Inbox(), free_port()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        tls_context=_server_context(certificate),
        require_starttls=True,
        auth_required=True,
        authenticator=inbox.authenticator,
    )
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.fixture
def tls_server(certificate: tuple[Path, Path]) -> Iterator[tuple[Inbox, int]]:
    """A relay speaking TLS from the first byte (SMTPS, usually port 465)."""
    inbox, port = Inbox(), free_port()
    controller = Controller(
        inbox, hostname="127.0.0.1", port=port, ssl_context=_server_context(certificate)
    )
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.fixture
def trusted(certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))


def _send(settings: SmtpSettings) -> None:
    transport = SmtpTransport(settings)
    try:
        transport.send("narocanje@ue.example", "janez@example.org", MESSAGE)
    finally:
        transport.close()


def test_starttls_and_a_login_with_the_password_from_the_environment(
    starttls_server: tuple[Inbox, int], trusted: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox, port = starttls_server
    monkeypatch.setenv(SMTP_PASSWORD_ENV, "from-the-environment")
    _send(
        SmtpSettings(
            host="127.0.0.1",
            port=port,
            security="starttls",
            user="centre",
            password="not-this-one",
            timeout_seconds=10,
        )
    )
    assert inbox.logins == [("centre", "from-the-environment")]
    [(sender, data, secure)] = inbox.received
    assert sender == "narocanje@ue.example" and secure
    assert b"Message-ID: <tls.1@ue.example>" in data


def test_tls_from_the_first_byte(tls_server: tuple[Inbox, int], trusted: None) -> None:
    inbox, port = tls_server
    _send(SmtpSettings(host="127.0.0.1", port=port, security="tls", timeout_seconds=10))
    [(_sender, _data, secure)] = inbox.received
    assert secure


def test_a_relay_refusing_what_the_settings_do_says_why_and_is_retried(
    starttls_server: tuple[Inbox, int], trusted: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox, port = starttls_server
    where = f"127.0.0.1:{port}"
    base = SmtpSettings(host="127.0.0.1", port=port, timeout_seconds=10)

    # No STARTTLS where the relay needs it: its own words ("530 ... STARTTLS"), and the
    # message waits for the settings to be put right (it was failed at once before).
    with pytest.raises(SendError) as plain:
        _send(base)
    assert not plain.value.permanent
    assert plain.value.reason.startswith(f"SMTP server {where}: 530")
    assert "STARTTLS" in plain.value.reason

    # The wrong password: the relay's 535, with where it came from.
    monkeypatch.delenv(SMTP_PASSWORD_ENV, raising=False)
    wrong = SmtpSettings(
        host="127.0.0.1",
        port=port,
        security="starttls",
        user="centre",
        password="wrong",
        timeout_seconds=10,
    )
    with pytest.raises(SendError) as login:
        _send(wrong)
    assert not login.value.permanent
    assert login.value.reason.startswith(f"SMTP server {where}: 535")
    assert inbox.received == []

    # Encrypted but without the login the relay requires: 530 again, the relay's trouble.
    with pytest.raises(SendError) as anonymous:
        _send(SmtpSettings(host="127.0.0.1", port=port, security="starttls", timeout_seconds=10))
    assert not anonymous.value.permanent
    assert anonymous.value.reason.startswith(f"SMTP server {where}: 530")


def test_an_untrusted_certificate_is_refused_with_the_reason(
    tls_server: tuple[Inbox, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox, port = tls_server
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    with pytest.raises(SendError) as refused:
        _send(SmtpSettings(host="127.0.0.1", port=port, security="tls", timeout_seconds=10))
    assert not refused.value.permanent
    assert "CERTIFICATE_VERIFY_FAILED" in refused.value.reason
    assert inbox.received == []
