"""Every HTTP request, observed (SPEC O2): its request id, its metrics, one log line.

An ASGI middleware in front of everything else, so that answers the other middleware give on
their own (401 and 413 from tandem.api.limits) are counted and carry the id too. Metrics and the
log line name the route *template* (``/v1/meetings/{meeting_id}``), never the concrete path:
paths hold ids and secrets (guest links, calendar feed tokens), and concrete paths would make
one time series per meeting.
"""

from __future__ import annotations

import logging
import time

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tandem.observability import requests
from tandem.observability.metrics import HTTP_LATENCY, HTTP_REQUESTS

log = logging.getLogger("tandem.api.requests")

# Requests no route matched: one label for all of them, whatever path was asked for.
UNMATCHED = "unmatched"
# Any token is a method to HTTP; these are the ones with a label of their own, so that a client
# making up methods cannot make up time series.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def route_template(scope: Scope) -> str:
    """The template of the route that served the request (Starlette records it in the scope)."""
    route = scope.get("route")
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    return template if isinstance(template, str) and template else UNMATCHED


class Observe:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = requests.accepted_or_new(Headers(scope=scope).get(requests.HEADER))
        token = requests.current.set(request_id)
        started = time.perf_counter()
        status: int | None = None  # until a response starts

        async def answer(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)[requests.HEADER] = request_id
            await send(message)

        try:
            await self.app(scope, receive, answer)
        except Exception:
            # A fault no handler answered. Logged here, in the request's context, so that its
            # traceback carries the request id; answered here as Starlette would (a bare 500),
            # with the id the caller can quote. Past the start of a response there is nothing
            # left to answer: the server closes the connection.
            log.exception("%s %s failed", scope["method"], route_template(scope))
            if status is not None:
                raise
            await PlainTextResponse("Internal Server Error", 500)(scope, receive, answer)
        finally:
            status = status or 500
            elapsed = time.perf_counter() - started
            route = route_template(scope)
            method = scope["method"] if scope["method"] in METHODS else "other"
            HTTP_REQUESTS.labels(route, method, str(status)).inc()
            HTTP_LATENCY.labels(route, method).observe(elapsed)
            log.info(
                "%s %s %s",
                method,
                route,
                status,
                extra={
                    "method": method,
                    "route": route,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 1),
                },
            )
            requests.current.reset(token)
