"""Structured logs (SPEC O2): one JSON object per line, or plain text for a person at a terminal.

Every line has ``time`` (UTC, ISO 8601), ``level``, ``logger`` and ``message``; ``request_id``
when it belongs to the work of an API request (tandem.observability.requests); and the record's
extra fields, such as Temporal's ``temporal_workflow`` and ``temporal_activity`` (ids and types).
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

from temporalio import activity, workflow

from tandem.observability import requests
from tandem.settings import LogFormat, Settings

# What every LogRecord has: anything else on a record is an extra field worth writing out.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "request_id",
    "request",  # TextFormatter's
}


class RequestIdFilter(logging.Filter):
    """Stamps each record with the request id of the work it was logged in."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = requests.current.get()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None)
        if request_id is not None:
            line["request_id"] = request_id
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s%(request)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        request_id = getattr(record, "request_id", None)
        record.request = f" [{request_id}]" if request_id else ""
        return super().format(record)


def _as_json(format: LogFormat, stream: TextIO) -> bool:
    """``auto``: text when ``stream`` (stderr) is a terminal, JSON otherwise."""
    return format == "json" or (format == "auto" and not stream.isatty())


def handler(format: LogFormat, stream: TextIO | None = None) -> logging.Handler:
    stream = stream or sys.stderr
    out = logging.StreamHandler(stream)
    out.setFormatter(JsonFormatter() if _as_json(format, stream) else TextFormatter())
    out.addFilter(RequestIdFilter())
    return out


def configure(settings: Settings) -> None:
    """For ``tandem worker`` and ``tandem api``: they log to stderr (``tandem up`` shows its
    children's on its terminal)."""
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler(settings.log_format))
    root.setLevel(settings.log_level.upper())
    if _as_json(settings.log_format, sys.stderr):
        # The workflow's and activity's details are fields of the line already; in text they
        # stay at the end of the message, where a person reads them.
        activity.logger.activity_info_on_message = False
        workflow.logger.workflow_info_on_message = False
