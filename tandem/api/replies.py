"""A use case's reply as an HTTP response: a replayed answer says so in a header."""

from __future__ import annotations

from fastapi.responses import JSONResponse

from tandem.usecases.idempotency import Reply


def as_response(reply: Reply) -> JSONResponse:
    headers = {"Idempotent-Replayed": "true"} if reply.replayed else None
    return JSONResponse(reply.body, status_code=reply.status, headers=headers)
