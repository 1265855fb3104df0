"""Request bodies (issue 7): who you are comes before what you sent, and no body is held in memory
past a cap.

An ASGI middleware in front of the whole app (API and web pages):

* a ``/v1`` request that carries a body and no valid bearer token is answered 401 at once: its
  body is neither read nor parsed;
* a body larger than its cap is refused with 413 as soon as that is known: before reading when
  ``Content-Length`` says so, else (chunked) at the chunk that goes past the cap, so at most the
  cap is ever buffered. Uploads (documents, WFM schedules) may be up to :data:`UPLOAD_CAP`,
  everything else up to ``Settings.max_json_body_bytes``.

The 413 is raised where the app reads the body, so each front-end answers it in its own way
(the JSON error shape, or the web's error page).
"""

from __future__ import annotations

import re

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tandem.api import errors
from tandem.api.bearer import bearer_known
from tandem.domain.wfm import MAX_CSV_BYTES

# The largest upload (a WFM CSV; documents are smaller) with room for its multipart framing.
UPLOAD_CAP = MAX_CSV_BYTES + 2**20
# Where uploads are posted: the WFM imports and document uploads, in the API and the web app.
UPLOAD_PATHS = re.compile(r"/v1/wfm/.*|/coaching/wfm|(/v1)?/meetings/[^/]+/attachments/documents")


def _mib(size: int) -> str:
    return f"{size / 2**20:g} MiB"


def too_large(cap: int) -> HTTPException:
    return HTTPException(413, f"the request body is larger than {_mib(cap)}")


class BodyLimit:
    def __init__(self, app: ASGIApp, json_cap: int) -> None:
        self.app = app
        self.json_cap = json_cap

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        declared = _content_length(headers)
        if not declared and "transfer-encoding" not in headers:
            await self.app(scope, receive, send)  # no body to guard
            return
        path: str = scope["path"]
        if path.startswith("/v1/") and not await bearer_known(Request(scope)):
            response = errors.body(401, "Unauthenticated", "a valid bearer token is required", {})
            await response(scope, receive, send)
            return
        cap = UPLOAD_CAP if UPLOAD_PATHS.fullmatch(path) else self.json_cap
        received = 0

        async def counted() -> Message:
            nonlocal received
            if declared is not None and declared > cap:
                raise too_large(cap)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > cap:
                    raise too_large(cap)
            return message

        await self.app(scope, counted, send)


def _content_length(headers: Headers) -> int | None:
    try:
        return int(headers["content-length"])
    except (KeyError, ValueError):
        return None
