"""Errors on web paths are pages, not JSON.

tandem.api.errors installs the JSON handlers for the whole app; these wrap them, answering in
HTML only for web paths, so ``/v1`` (and the other API paths) behave exactly as before.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import quote, urlsplit

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from starlette.exceptions import HTTPException

from tandem.domain.errors import DomainError, ErrorType
from tandem.usecases.idempotency import REFUSAL_STATUS
from tandem.usecases.temporal import BackendUnavailable
from tandem.web import session
from tandem.web.render import page

NOT_WEB = (
    "/v1", "/codec", "/guest", "/health", "/ready", "/docs", "/redoc", "/openapi.json", "/static",
    "/metrics",
)  # fmt: skip

Handler = Callable[[Request, Exception], Awaitable[Response]]


def is_web_path(path: str) -> bool:
    return not path.startswith(NOT_WEB)


def is_web(request: Request) -> bool:
    return is_web_path(request.url.path)


async def error_page(request: Request, status_code: int, message: str = "") -> Response:
    """The page for ``status_code``: 404.html, 403.html, else error.html with ``message``."""
    signed = await session.current_session(request)
    user = signed.user if signed else None
    name = {404: "404.html", 403: "403.html"}.get(status_code, "error.html")
    return await page(request, name, user, status_code=status_code, message=message)


def _sign_in_url(target: str | None) -> str:
    return f"/sign-in?next={quote(target, safe='/')}" if target else "/sign-in"


async def _sign_in_required(request: Request, _: Exception) -> Response:
    if request.headers.get("HX-Request"):
        # htmx would swap a redirect's sign-in page into a fragment; it follows HX-Redirect.
        current = urlsplit(request.headers.get("HX-Current-URL", ""))
        here = current.path + (f"?{current.query}" if current.query else "")
        response: Response = Response(
            status_code=401, headers={"HX-Redirect": _sign_in_url(here or None)}
        )
    else:
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        target = here if request.method == "GET" else None
        response = RedirectResponse(_sign_in_url(target), status_code=303)
    if request.cookies.get(session.SESSION_COOKIE):
        session.clear_session_cookie(request, response)
    return response


async def _csrf_refused(request: Request, _: Exception) -> Response:
    return await error_page(
        request,
        403,
        "This form was not sent from a Tandem page, or the page is out of date. "
        "Go back, reload the page and try again.",
    )


def install(app: FastAPI) -> None:
    """Call after tandem.api.errors.install: it wraps the handlers that one registered."""
    json_domain: Handler = app.exception_handlers[DomainError]
    json_http: Handler = app.exception_handlers[HTTPException]
    json_invalid: Handler = app.exception_handlers[RequestValidationError]
    json_unavailable: Handler = app.exception_handlers[BackendUnavailable]

    async def domain(request: Request, error: Exception) -> Response:
        if not is_web(request):
            return await json_domain(request, error)
        assert isinstance(error, DomainError)
        return await error_page(request, REFUSAL_STATUS[error.type], error.message)

    async def http(request: Request, error: Exception) -> Response:
        if not is_web(request):
            return await json_http(request, error)
        assert isinstance(error, HTTPException)
        return await error_page(request, error.status_code, str(error.detail))

    async def invalid(request: Request, error: Exception) -> Response:
        if not is_web(request):
            return await json_invalid(request, error)
        assert isinstance(error, RequestValidationError)
        messages = [f"{field}: {text}" for field, text in _problems(error).items()]
        return await error_page(request, REFUSAL_STATUS[ErrorType.INVALID], "; ".join(messages))

    async def unavailable(request: Request, error: Exception) -> Response:
        if not is_web(request):
            return await json_unavailable(request, error)
        assert isinstance(error, BackendUnavailable)
        return await error_page(request, 503, error.message)

    app.add_exception_handler(DomainError, domain)
    app.add_exception_handler(BackendUnavailable, unavailable)
    app.add_exception_handler(HTTPException, http)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(session.SignInRequired, _sign_in_required)
    app.add_exception_handler(session.CsrfRefused, _csrf_refused)


def _problems(error: RequestValidationError) -> dict[str, str]:
    problems: dict[str, str] = {}
    for item in error.errors():
        location = [str(p) for p in item["loc"] if p not in ("body", "query", "path", "header")]
        problems.setdefault(".".join(location) or "form", item["msg"])
    return problems
