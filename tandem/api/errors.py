"""One error shape for every failure: ``{"error": {"type", "message", "details"}}``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from tandem.api.bearer import bearer_user
from tandem.api.methods import allowed_methods
from tandem.domain.errors import DomainError, ErrorType
from tandem.usecases.idempotency import REFUSAL_STATUS
from tandem.usecases.temporal import BackendUnavailable, Unconfirmed


class ApiError(Exception):
    def __init__(
        self, status: int, type_: str, message: str, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.type = type_
        self.message = message
        self.details = details or {}

    def payload(self) -> dict[str, Any]:
        return error_payload(self.type, self.message, self.details)


# When a 503's caller should try again (the worker restarts with a 1 s backoff, then more).
RETRY_AFTER_SECONDS = "5"


def error_payload(type_: str, message: str, details: dict[str, Any]) -> dict[str, Any]:
    return {"error": {"type": type_, "message": message, "details": details}}


def unauthenticated(message: str = "a valid bearer token is required") -> ApiError:
    return ApiError(401, "Unauthenticated", message)


def from_domain(error: DomainError) -> ApiError:
    return ApiError(REFUSAL_STATUS[error.type], error.type.value, error.message, error.details)


def body(
    status: int,
    type_: str,
    message: str,
    details: dict[str, Any],
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    payload = error_payload(type_, message, details)
    headers = {**(headers or {}), **({"WWW-Authenticate": "Bearer"} if status == 401 else {})}
    return JSONResponse(payload, status_code=status, headers=headers)


HTTP_TYPES = {
    400: "BadRequest",
    404: ErrorType.NOT_FOUND.value,
    405: "MethodNotAllowed",
    413: "TooLarge",
}


def _unreadable(request: Request, error: HTTPException) -> tuple[str, dict[str, Any]]:
    """What a 400 from reading the body (Starlette's form parser, FastAPI's body reader) was
    about: the body, as what content type, and the parser's own words, not just "invalid"."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip() or "no type"
    cause = error.__cause__ or error.__context__
    while cause is not None and (cause.__cause__ or cause.__context__) is not None:
        cause = cause.__cause__ or cause.__context__  # the parser's error, under Starlette's
    reason = str(error.detail)
    if cause is not None and str(cause) and str(cause) not in reason:
        reason = f"{reason.rstrip('.')}: {cause}"
    return f"body: could not be read as {content_type}: {reason}", {"field": "body"}


PUBLIC_PREFIXES = ("/health", "/ready", "/guest/", "/docs", "/redoc", "/openapi.json")


def _field(location: tuple[Any, ...]) -> str:
    parts = [str(p) for p in location if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_: Request, error: ApiError) -> JSONResponse:
        return body(error.status, error.type, error.message, error.details)

    @app.exception_handler(DomainError)
    async def _domain_error(_: Request, error: DomainError) -> JSONResponse:
        api = from_domain(error)
        return body(api.status, api.type, api.message, api.details)

    @app.exception_handler(BackendUnavailable)
    async def _unavailable(_: Request, error: BackendUnavailable) -> JSONResponse:
        # Unconfirmed: it may still be applied, and a retry with the same key is safe and says.
        kind = "Unconfirmed" if isinstance(error, Unconfirmed) else "Unavailable"
        response = body(503, kind, error.message, {})
        response.headers["Retry-After"] = RETRY_AFTER_SECONDS
        return response

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        # FastAPI parses the body before running the auth dependency; who you are comes first.
        if not request.url.path.startswith(PUBLIC_PREFIXES) and await bearer_user(request) is None:
            return body(401, "Unauthenticated", "a valid bearer token is required", {})
        problems = []
        for item in error.errors():
            if item.get("type") == "json_invalid":
                problems.append({"field": "body", "message": "malformed JSON: " + item["msg"]})
            else:
                problems.append({"field": _field(tuple(item["loc"])), "message": item["msg"]})
        first = problems[0]
        message = f"{first['field']}: {first['message']}"
        return body(
            422, ErrorType.INVALID.value, message, {"errors": problems, "field": first["field"]}
        )

    @app.exception_handler(HTTPException)
    async def _http(request: Request, error: HTTPException) -> JSONResponse:
        type_ = HTTP_TYPES.get(error.status_code, "Error")
        message, details = str(error.detail), {}
        if error.status_code == 400:
            message, details = _unreadable(request, error)
        # 405 carries Allow (RFC 9110): every method of the path, not just one route's.
        headers = error.headers
        if error.status_code == 405:
            headers = {**(headers or {}), "Allow": allowed_methods(request)}
        return body(error.status_code, type_, message, details, headers)
