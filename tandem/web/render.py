"""Rendering pages: the shared templates, ``page()``, and forms that failed a rule.

A page route::

    @router.get("/things/{thing_id}")
    async def thing(thing_id: str, request: Request, user: WebUser) -> HTMLResponse:
        found = await things.get(services(request), user, thing_id)  # NotFound -> the 404 page
        return await page(request, "thing.html", user, thing=found)

A form that a use case may refuse (its template shows ``errors`` next to the fields and refills
them from ``form``)::

    @router.post("/things")
    async def add_thing(request: Request, user: WebUser) -> Response:
        form = await request.form()
        try:
            await things.add(services(request), user, ThingCreate(name=form.get("name", "")))
        except (DomainError, ValidationError) as error:
            return await form_error(request, "things.html", user, error, form=form)
        return RedirectResponse("/things", status_code=303)

An htmx fragment is a template that does not extend ``base.html``, rendered with ``page()`` too.

Errors not caught in the route become whole pages (tandem.web.errors): NotFound is the 404
page, the same whether the thing is missing or hidden from the viewer; NotAllowed the 403 page.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, PackageLoader, StrictUndefined, pass_context
from markupsafe import Markup
from pydantic import ValidationError

from tandem.domain.errors import Conflict, DomainError, NotAllowed, NotFound
from tandem.domain.permissions import Permission
from tandem.domain.times import human
from tandem.domain.users import User
from tandem.usecases import notifications
from tandem.usecases.context import Services
from tandem.web import session

# Pages carry personal data: not cached, not framed by other sites, no full URL (which may hold
# a sign-in token) sent to anything the page links to.
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
}


def services(request: Request) -> Services:
    return request.app.state.services


@pass_context
def _local(context: Any, moment: datetime) -> str:
    """``{{ when | local }}``: an instant in the viewer's zone, zone named (always)."""
    return human(moment, context["zone"])


@pass_context
def _csrf_field(context: Any) -> Markup:
    """``{{ csrf_field() }}`` inside every ``<form method="post">`` (built once per page: a
    meeting with 50 agenda items has 200 forms)."""
    return context["csrf_input"]


templates = Jinja2Templates(
    env=Environment(
        loader=PackageLoader("tandem.web", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
)
templates.env.filters["local"] = _local
templates.env.globals["csrf_field"] = _csrf_field


def nav_links(user: User | None) -> list[tuple[str, str]]:
    """The header's sections this person may use: (label, path)."""
    if user is None:
        return []
    links = [("My 1:1s", "/meetings"), ("Series", "/series")]
    if user.is_admin or user.can(Permission.SLOTS_VIEW) or user.can(Permission.COACHING_ADD):
        links.append(("Coaching", "/coaching"))
    if user.is_admin or user.can(Permission.OPS_HISTORY):
        links.append(("Ops", "/ops"))
    return links


async def page(
    request: Request, name: str, user: User | None, *, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """Renders template ``name`` for ``user`` (None before sign-in).

    Every template gets: ``user``, ``nav`` (links this user may follow), ``unread_count``,
    ``zone`` (the viewer's IANA zone, used by the ``local`` filter), ``csrf_token`` (and
    ``csrf_field()``), ``form`` and ``errors`` (empty unless given), plus ``context``.
    """
    token, fresh = await session.form_token(request)
    values = {
        "user": user,
        "nav": nav_links(user),
        "unread_count": await notifications.unread_count(services(request), user) if user else 0,
        "zone": user.timezone if user else "UTC",
        "csrf_token": token,
        "csrf_input": Markup('<input type="hidden" name="{}" value="{}">').format(
            session.CSRF_FIELD, token
        ),
        "form": {},
        "errors": {},
        **context,
    }
    response = templates.TemplateResponse(
        request, name, values, status_code=status_code, headers=PAGE_HEADERS
    )
    if fresh:
        session.set_presession_cookie(request, response, token)
    return response


def field_errors(error: DomainError | ValidationError) -> dict[str, str]:
    """Messages by form field; one not about any field is under ``"form"``."""
    if isinstance(error, ValidationError):
        problems: dict[str, str] = {}
        for item in error.errors():
            field = ".".join(str(part) for part in item["loc"]) or "form"
            problems.setdefault(field, item["msg"].removeprefix("Value error, "))
        return problems
    return {str(error.details.get("field") or "form"): error.message}


async def form_error(
    request: Request,
    name: str,
    user: User | None,
    error: DomainError | ValidationError,
    *,
    form: Mapping[str, Any],
    **context: Any,
) -> HTMLResponse:
    """Re-renders the form in ``name`` with each message next to its field and what the person
    typed kept (``form``): 409 for a Conflict, 422 for bad input. NotFound and NotAllowed are
    raised again, to become the 404 and 403 pages."""
    if isinstance(error, NotFound | NotAllowed):
        raise error
    status_code = 409 if isinstance(error, Conflict) else 422
    return await page(
        request,
        name,
        user,
        status_code=status_code,
        form=dict(form),
        errors=field_errors(error),
        **context,
    )
