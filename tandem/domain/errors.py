"""Business rejections shared by every layer.

The same four types travel as Temporal ``ApplicationError.type`` and map to HTTP statuses in the
API, so a rule broken anywhere reads the same to the caller.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class ErrorType(StrEnum):
    CONFLICT = "Conflict"
    NOT_ALLOWED = "NotAllowed"
    INVALID = "Invalid"
    NOT_FOUND = "NotFound"


class DomainError(Exception):
    type: ErrorType = ErrorType.INVALID

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class Conflict(DomainError):
    type = ErrorType.CONFLICT


class NotAllowed(DomainError):
    type = ErrorType.NOT_ALLOWED


class Invalid(DomainError):
    type = ErrorType.INVALID


class NotFound(DomainError):
    type = ErrorType.NOT_FOUND


ERRORS_BY_TYPE: dict[str, type[DomainError]] = {
    cls.type.value: cls for cls in (Conflict, NotAllowed, Invalid, NotFound)
}


def invalid(field: str, message: str) -> Invalid:
    """Bad input, naming the field (the API answers 422 with it in ``details.field``)."""
    return Invalid(f"{field}: {message}", field=field)


def not_found(what: str = "meeting") -> NotFound:
    return NotFound(f"no such {what}")
