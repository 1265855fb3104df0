"""The request id: one per API request, carried into the workflow and activity work it starts.

The API takes the caller's ``X-Request-ID`` (a proxy's, a client's) or makes one, and answers
with it; Temporal interceptors (tandem.observability.interceptors) carry it in workflow and
activity headers, so every log line of that work names it. A context variable holds it: each
request, workflow handler and activity runs in its own asyncio context.
"""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar

HEADER = "X-Request-ID"

current: ContextVar[str | None] = ContextVar("tandem_request_id", default=None)

# What a caller's id may look like: enough for UUIDs and the usual proxy formats, and nothing
# that could forge a log line (newlines, quotes) or bloat every line of the work it starts. No
# "@": it travels unsealed in Temporal headers, and an e-mail address is no request id.
_ACCEPTED = re.compile(r"[A-Za-z0-9._:/+=-]{1,128}")


def accepted_or_new(given: str | None) -> str:
    """The caller's id when it looks like one; otherwise a fresh one. A malformed id is never a
    reason to refuse a request: it only labels the work."""
    if given is not None and _ACCEPTED.fullmatch(given):
        return given
    return uuid.uuid4().hex
