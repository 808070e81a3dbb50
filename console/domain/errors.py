"""The one exception the validators raise."""

from __future__ import annotations


class InvalidValue(ValueError):
    """A value an agent typed is not acceptable.

    ``field`` names what was being checked (``"emso"``, ``"phone"``, …); ``message`` is a short
    English sentence the UI can translate and show; ``str(exc) == message``.
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"InvalidValue(field={self.field!r}, message={self.message!r})"

    def __reduce__(self) -> tuple[type[InvalidValue], tuple[str, str]]:
        return (type(self), (self.field, self.message))
