"""E-mail addresses: a pragmatic check that catches typos, not a full RFC 5322 parser."""

from __future__ import annotations

from console.domain.errors import InvalidValue

FIELD = "email"
MAX_LENGTH = 254
MAX_LOCAL = 64
_FORBIDDEN_LOCAL = frozenset(',;:<>()[]\\"')  # legal only when quoted; quoting is not supported


def parse_email(text: str) -> str:
    """Validate an address and return it with the domain lowercased (the local part is kept)."""
    address = text.strip()
    if not address:
        raise InvalidValue(FIELD, "E-mail address is empty")
    if any(ch.isspace() for ch in address):
        raise InvalidValue(FIELD, "E-mail address cannot contain spaces")
    if len(address) > MAX_LENGTH:
        raise InvalidValue(
            FIELD, f"E-mail address is too long: {len(address)} characters, at most {MAX_LENGTH}"
        )
    count = address.count("@")
    if count != 1:
        raise InvalidValue(
            FIELD,
            "E-mail address needs an @" if count == 0 else "E-mail address has more than one @",
        )
    local, domain = address.split("@")
    if not local:
        raise InvalidValue(FIELD, "E-mail address has nothing before the @")
    if len(local) > MAX_LOCAL:
        raise InvalidValue(FIELD, f"E-mail address has more than {MAX_LOCAL} characters before @")
    bad = next((ch for ch in local if ch in _FORBIDDEN_LOCAL), None)
    if bad is not None:
        raise InvalidValue(FIELD, f"E-mail address cannot contain {bad!r} before the @")
    if local.startswith(".") or local.endswith(".") or ".." in local:
        raise InvalidValue(FIELD, "E-mail address has a misplaced dot before the @")
    if not domain:
        raise InvalidValue(FIELD, "E-mail address has nothing after the @")
    domain = domain.lower()
    if "." not in domain:
        raise InvalidValue(FIELD, f"E-mail domain {domain!r} needs a dot (e.g. gmail.com)")
    labels = domain.split(".")
    if any(not label for label in labels):
        raise InvalidValue(FIELD, f"E-mail domain {domain!r} has an empty part between dots")
    for label in labels:
        bad = next((ch for ch in label if not (ch.isalnum() or ch == "-")), None)
        if bad is not None:
            raise InvalidValue(FIELD, f"E-mail domain cannot contain {bad!r}")
        if label.startswith("-") or label.endswith("-"):
            raise InvalidValue(FIELD, f"E-mail domain part {label!r} cannot start or end with -")
    if len(labels[-1]) < 2 or labels[-1].isdigit():
        raise InvalidValue(
            FIELD, f"E-mail domain {domain!r} does not end in a valid top-level domain (e.g. .si)"
        )
    return f"{local}@{domain}"
