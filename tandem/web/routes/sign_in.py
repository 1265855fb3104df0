"""Signing in and out (SPEC A3 for browsers): with an API token, or with a link sent by e-mail."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tandem.domain.errors import DomainError
from tandem.usecases import users
from tandem.web import session
from tandem.web.render import form_error, page, services

router = APIRouter(tags=["web: sign-in"])

Next = Annotated[str, Form(max_length=2000)]
LINK_SENT = "If that address belongs to a Tandem user, a sign-in link is on its way."


@router.get("/", include_in_schema=False)
async def home(request: Request) -> RedirectResponse:
    signed = await session.current_session(request)
    return RedirectResponse("/meetings" if signed else "/sign-in", status_code=303)


@router.get("/sign-in", include_in_schema=False)
async def sign_in_page(request: Request, next: str = "") -> HTMLResponse:
    return await page(request, "sign_in.html", None, next=session.safe_next(next))


async def _signed_in_response(request: Request, secret: str, next_path: str) -> Response:
    # A browser that was signed in as someone else leaves that session behind, ended.
    previous = request.cookies.get(session.SESSION_COOKIE)
    if previous:
        await users.sign_out(services(request), previous)
    response = RedirectResponse(session.safe_next(next_path), status_code=303)
    session.set_session_cookie(request, response, secret)
    return response


@router.post("/sign-in/token", include_in_schema=False)
async def sign_in_with_token(
    request: Request, token: Annotated[str, Form(max_length=500)] = "", next: Next = ""
) -> Response:
    try:
        secret = await users.sign_in_with_token(services(request), token)
    except DomainError as error:
        # The token is a secret: never echo it back into the page.
        return await form_error(
            request, "sign_in.html", None, error, form={}, next=session.safe_next(next)
        )
    return await _signed_in_response(request, secret, next)


@router.post("/sign-in/link", include_in_schema=False)
async def send_link(
    request: Request, email: Annotated[str, Form(max_length=320)] = "", next: Next = ""
) -> HTMLResponse:
    target = session.safe_next(next)
    try:
        await users.send_sign_in_link(services(request), email, target)
    except DomainError as error:
        return await form_error(
            request, "sign_in.html", None, error, form={"email": email}, next=target
        )
    return await page(
        request, "sign_in.html", None, notice=LINK_SENT, form={"email": email}, next=target
    )


@router.get("/sign-in/link/{token}", include_in_schema=False)
async def link_page(request: Request, token: str, next: str = "") -> HTMLResponse:
    """Opening the link only shows a button: mail scanners that fetch links use nothing up."""
    target = session.safe_next(next)
    try:
        await users.check_sign_in_link(services(request), token)
    except DomainError as error:
        return await form_error(
            request, "sign_in_link.html", None, error, form={}, token=token, next=target
        )
    return await page(request, "sign_in_link.html", None, token=token, next=target)


@router.post("/sign-in/link/{token}", include_in_schema=False)
async def use_link(request: Request, token: str, next: Next = "") -> Response:
    target = session.safe_next(next)
    try:
        secret = await users.sign_in_with_link(services(request), token)
    except DomainError as error:
        return await form_error(
            request, "sign_in_link.html", None, error, form={}, token=token, next=target
        )
    return await _signed_in_response(request, secret, target)


@router.post("/sign-out", include_in_schema=False)
async def sign_out(request: Request) -> RedirectResponse:
    secret = request.cookies.get(session.SESSION_COOKIE)
    if secret:
        await users.sign_out(services(request), secret)
    response = RedirectResponse("/sign-in", status_code=303)
    session.clear_session_cookie(request, response)
    return response
