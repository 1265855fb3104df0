"""Tandem's own Prometheus metrics (SPEC O2), one definition each, for the API and the workers.

Labels are bounded and never personal: route templates (never a concrete id), methods, status
codes, notification kinds, import sources and error types. Both processes register on
prometheus_client's default registry: the API serves it at ``/metrics``, a worker on its metrics
port (tandem.cli.worker), together with the Temporal SDK's (tandem.observability.temporal_metrics).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from datetime import UTC, datetime

from fastapi.exceptions import RequestValidationError
from prometheus_client import REGISTRY, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from tandem.domain.errors import ErrorType
from tandem.store import outbox
from tandem.store.db import Database

log = logging.getLogger(__name__)

# -- API ---------------------------------------------------------------------------------------

HTTP_REQUESTS = Counter(
    "tandem_http_requests",
    "HTTP requests answered, by route template, method and status code",
    ["route", "method", "status"],
)
HTTP_LATENCY = Histogram(
    "tandem_http_request_duration_seconds",
    "Time from receiving a request to the end of its response, by route template and method",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)

# -- notifications (workers) -------------------------------------------------------------------

NOTIFICATIONS_SENT = Counter(
    "tandem_notifications_sent",
    "Notification e-mails delivered (to SMTP or to a file), by notification kind",
    ["kind"],
)
REMINDER_LATENESS = Histogram(
    "tandem_reminder_lateness_seconds",
    "Seconds from a reminder's due time (N3: an hour before the start) to its notifications "
    "being written to the outbox, where people see them in the app and mail is sent from",
    buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600),
)

# -- imports -----------------------------------------------------------------------------------

IMPORT_FAILURES = Counter(
    "tandem_import_failures",
    "Imports that failed and changed nothing, by source and error type",
    ["source", "error"],
)
# The sources: one label value per kind of import.
WFM_IMPORTS = "wfm"
CALENDAR_IMPORTS = "calendar"  # reading a connected calendar's candidates, importing them (K2)


# -- connected calendars (workers: sync passes; API: connect, candidates, import) -------------

CALENDAR_REQUESTS = Counter(
    "tandem_calendar_requests",
    "Requests made to connected calendars' servers (redirects each count), by method",
    ["method"],
)
CALENDAR_BYTES = Counter(
    "tandem_calendar_bytes_read", "Bytes of the answers read from connected calendars' servers"
)


def _error_type(error: Exception) -> str:
    """The error type the caller was told (domain and API errors carry one: Invalid, NotAllowed,
    TooLarge…; a body that does not validate is Invalid); anything else is a fault of ours."""
    named = getattr(error, "type", None)
    if isinstance(named, str):
        return str(named)
    if isinstance(error, RequestValidationError):
        return ErrorType.INVALID.value
    return "Internal"


@contextlib.contextmanager
def counting_failures(source: str) -> Iterator[None]:
    """Counts an import that ends in an exception (a refusal, a parse error, a crash) under
    ``source``; the exception goes on as it was."""
    try:
        yield
    except Exception as error:
        IMPORT_FAILURES.labels(source, _error_type(error)).inc()
        raise


# -- the outbox (workers) ----------------------------------------------------------------------


class OutboxCollector(Collector):
    """The e-mail backlog, read from the database when scraped, so that every worker reports
    the same shared outbox (aggregate with ``max``, not ``sum``)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def describe(self) -> list[GaugeMetricFamily]:
        return []  # else registering would query the database at once

    def collect(self) -> Iterator[GaugeMetricFamily]:
        now = datetime.now(UTC)
        try:
            with self.db.reading() as session:
                count, oldest = outbox.unsent_emails(session)
        except Exception:
            # The rest of the scrape (Temporal's metrics) still tells what the worker is doing;
            # the outbox's series go missing, which alerts on them notice.
            log.warning("could not read the outbox backlog for metrics", exc_info=True)
            return
        yield GaugeMetricFamily(
            "tandem_outbox_backlog", "E-mails in the outbox not sent yet (due or retrying)", count
        )
        age = (now - oldest).total_seconds() if oldest is not None else 0.0
        yield GaugeMetricFamily(
            "tandem_outbox_oldest_unsent_age_seconds",
            "Age of the oldest e-mail in the outbox not sent yet (0 when none is waiting)",
            max(age, 0.0),
        )


def watch_outbox(db: Database) -> OutboxCollector:
    collector = OutboxCollector(db)
    REGISTRY.register(collector)
    return collector
