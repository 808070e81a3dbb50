"""Which certificates the desk trusts when the central service is reached over HTTPS.

A public administration's central service usually sits behind a gateway whose certificate an
internal certificate authority signed: that authority is in the operating system's trust store
(the IT department installs it there) or in a file of its own. The desk trusts:

- the operating system's store (``ssl.create_default_context()``: /etc/ssl/certs on Debian);
- the public authorities (certifi's bundle: a machine with an empty store still reaches a
  service with a public certificate);
- ``[server] ca_file``, when set: a PEM file of the authority that signed the service's
  certificate (or the service's own self-signed certificate).

A certificate the desk does not trust is never waved through: the request fails and the agent
reads why (:func:`untrusted_reason`), not just "cannot reach".
"""

from __future__ import annotations

import ssl
from pathlib import Path

import certifi


class TrustError(ValueError):
    """``[server] ca_file`` cannot be used: the message says why, naming the setting."""


def trust(ca_file: str = "") -> ssl.SSLContext:
    """The TLS context for the desk's requests to the central service."""
    context = ssl.create_default_context()
    context.load_verify_locations(cafile=certifi.where())
    if ca_file:
        path = Path(ca_file).expanduser()
        if not path.is_file():
            raise TrustError(f"[server] ca_file: no such file: {path}")
        try:
            context.load_verify_locations(cafile=str(path))
        except (ssl.SSLError, ValueError) as exc:
            raise TrustError(
                f"[server] ca_file: {path} holds no PEM certificate the desk can read ({exc})"
            ) from None
    return context


def untrusted_reason(error: BaseException) -> str | None:
    """The certificate problem behind a failed connection, if that is what it was."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ssl.SSLCertVerificationError):
            return current.verify_message or str(current)
        if isinstance(current, ssl.SSLError):
            return current.reason or str(current)
        current = current.__cause__ or current.__context__
    return None
