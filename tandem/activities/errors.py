"""Domain rejections as Temporal failures, and back: one mapping for workflows and activities."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from temporalio.exceptions import ApplicationError, ApplicationErrorCategory

from tandem.domain.errors import DomainError, ErrorType

BUSINESS_ERROR_TYPES = [t.value for t in ErrorType]


def to_application_error(error: DomainError) -> ApplicationError:
    # BENIGN: an expected answer (a clash, a refused transition), not an incident to log loudly.
    return ApplicationError(
        error.message,
        error.details,
        type=error.type.value,
        non_retryable=True,
        category=ApplicationErrorCategory.BENIGN,
    )


@contextmanager
def business_rules() -> Iterator[None]:
    """Run rule checks so that a broken rule fails the update (or activity), never the workflow."""
    try:
        yield
    except DomainError as error:
        raise to_application_error(error) from None
