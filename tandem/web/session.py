"""Who is signed in to the web app, and the CSRF gate on every form (SPEC A3 for browsers).

The ``tandem_session`` cookie carries a random secret; the database keeps its hash, the person it
signs in and that session's CSRF token. Before sign-in, forms are protected by a double-submit
token kept in the ``tandem_csrf`` cookie.

Page authors need two names from here:

- ``WebUser``: a route parameter typed ``user: WebUser`` is the signed-in
  :class:`tandem.domain.users.User`; anyone else is sent to ``/sign-in?next=…`` (htmx requests
  get a 401 with ``HX-Redirect``).
- ``require_csrf``: applied by :func:`tandem.web.install` to every web router, so no route has to
  remember it. Forms carry ``{{ csrf_field() }}``; htmx sends the ``X-CSRF-Token`` header that
  ``base.html`` sets on ``<body>``.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import Depends, Request, Response

from tandem.domain.users import User
from tandem.store import web_sessions
from tandem.store.web_sessions import SignedIn
from tandem.uploads import MAX_PART_BYTES
from tandem.usecases.context import Services

SESSION_COOKIE = "tandem_session"
PRESESSION_COOKIE = "tandem_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Recording every request would make each page view a database write.
TOUCH_EVERY = timedelta(minutes=5)

_UNRESOLVED = object()


class SignInRequired(Exception):
    """No live session: answered with a redirect to the sign-in page (see tandem.web.errors)."""


class CsrfRefused(Exception):
    """A state-changing request without its form's token: answered 403 (see tandem.web.errors)."""


def _services(request: Request) -> Services:
    return request.app.state.services


async def current_session(request: Request) -> SignedIn | None:
    """The live session behind the request's cookie, looked up once per request."""
    cached = getattr(request.state, "web_session", _UNRESOLVED)
    if cached is not _UNRESOLVED:
        return cached  # type: ignore[return-value]
    secret = request.cookies.get(SESSION_COOKIE)
    found = None
    if secret:
        svc = _services(request)
        now = datetime.now(UTC)
        found = await svc.db.read(lambda s: web_sessions.signed_in(s, secret, now))
        if found is not None and now - found.last_seen_at > TOUCH_EVERY:
            await svc.db.write(lambda s: web_sessions.touch_session(s, secret, now))
    request.state.web_session = found
    return found


async def web_user(request: Request) -> User:
    signed = await current_session(request)
    if signed is None:
        raise SignInRequired()
    return signed.user


WebUser = Annotated[User, Depends(web_user)]


def safe_next(target: str | None, default: str = "/meetings") -> str:
    """``target`` if it is a path on this site, else ``default``: never another site (``//evil``,
    ``/\\evil``), so a crafted link cannot send someone elsewhere after signing in."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return default


def _secure(request: Request) -> bool:
    public = _services(request).settings.public_url or ""
    return request.url.scheme == "https" or public.startswith("https://")


def _set_cookie(request: Request, response: Response, name: str, value: str, **kw: int) -> None:
    response.set_cookie(
        name, value, httponly=True, samesite="lax", path="/", secure=_secure(request), **kw
    )


def set_session_cookie(request: Request, response: Response, secret: str) -> None:
    days = _services(request).settings.web_session_days
    _set_cookie(request, response, SESSION_COOKIE, secret, max_age=days * 86400)


def clear_session_cookie(request: Request, response: Response) -> None:
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=_secure(request)
    )


async def form_token(request: Request) -> tuple[str, bool]:
    """The token this request's forms must send back: the session's, or before sign-in the
    double-submit token from the ``tandem_csrf`` cookie. The flag is True for a new token, which
    the caller must set with :func:`set_presession_cookie`."""
    signed = await current_session(request)
    if signed is not None:
        return signed.csrf_token, False
    token = request.cookies.get(PRESESSION_COOKIE)
    if token:
        return token, False
    return secrets.token_urlsafe(32), True


def set_presession_cookie(request: Request, response: Response, token: str) -> None:
    _set_cookie(request, response, PRESESSION_COOKIE, token)


async def require_csrf(request: Request) -> None:
    """Refuses a state-changing request that does not carry its form's token."""
    if request.method in SAFE_METHODS:
        return
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        value = (await request.form(max_part_size=MAX_PART_BYTES)).get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    signed = await current_session(request)
    expected = signed.csrf_token if signed else request.cookies.get(PRESESSION_COOKIE)
    if sent and expected and hmac.compare_digest(sent.encode(), expected.encode()):
        return
    if signed is None and request.cookies.get(SESSION_COOKIE):
        # The page was rendered for a session that has since ended: ask them to sign in again.
        raise SignInRequired()
    raise CsrfRefused()
