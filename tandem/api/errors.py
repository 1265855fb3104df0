"""One error shape for every failure: ``{"error": {"type", "message", "details"}}``."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from tandem.domain.errors import DomainError, ErrorType
from tandem.store import users
from tandem.usecases.idempotency import REFUSAL_STATUS


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


def error_payload(type_: str, message: str, details: dict[str, Any]) -> dict[str, Any]:
    return {"error": {"type": type_, "message": message, "details": details}}


def unauthenticated(message: str = "a valid bearer token is required") -> ApiError:
    return ApiError(401, "Unauthenticated", message)


def from_domain(error: DomainError) -> ApiError:
    return ApiError(REFUSAL_STATUS[error.type], error.type.value, error.message, error.details)


def body(status: int, type_: str, message: str, details: dict[str, Any]) -> JSONResponse:
    payload = error_payload(type_, message, details)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(payload, status_code=status, headers=headers)


PUBLIC_PREFIXES = ("/health", "/ready", "/guest/", "/docs", "/redoc", "/openapi.json")


async def _authenticated(request: Request) -> bool:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return False
    user = await request.app.state.services.db.read(
        lambda session: users.user_by_token(session, token.strip())
    )
    return user is not None


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

    @app.exception_handler(TimeoutError)
    async def _unconfirmed(_: Request, error: TimeoutError) -> JSONResponse:
        # The change may still be applied; a retry with the same Idempotency-Key is safe.
        message = "the change was not confirmed in time; retry with the same Idempotency-Key"
        return body(503, "Unavailable", message, {})

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        # FastAPI parses the body before running the auth dependency; who you are comes first.
        if not request.url.path.startswith(PUBLIC_PREFIXES) and not await _authenticated(request):
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
    async def _http(_: Request, error: HTTPException) -> JSONResponse:
        type_ = {404: ErrorType.NOT_FOUND.value, 405: "MethodNotAllowed"}.get(
            error.status_code, "Error"
        )
        return body(error.status_code, type_, str(error.detail), {})
