"""The web app: server-rendered pages (Jinja2 + vendored htmx) served by the API's own app.

Page authors: tandem.web.render (``page``, ``form_error``, the ``local`` filter), tandem.web.session
(``WebUser``); add a router module under tandem.web.routes and list it in ``ROUTERS`` below.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles

from tandem.web import errors
from tandem.web.routes import (
    calendars,
    coaching,
    coaching_cadence,
    coaching_plans,
    coaching_wfm,
    meeting_page,
    my_meetings,
    notifications,
    ops,
    series,
    settings,
    sign_in,
)
from tandem.web.session import require_csrf

STATIC = Path(__file__).with_name("static")

ROUTERS = (
    coaching.router,
    coaching_cadence.router,
    coaching_plans.router,
    coaching_wfm.router,
    sign_in.router,
    my_meetings.router,
    meeting_page.router,
    series.router,
    ops.router,
    notifications.router,
    settings.router,
    calendars.router,
)


def install(app: FastAPI) -> None:
    """Mounts ``/static`` and the pages; call after the API's routers and error handlers."""
    errors.install(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for router in ROUTERS:
        # Every state-changing request on every page goes through the CSRF gate.
        # Pages are HTML for browsers, not part of the JSON API the OpenAPI document describes.
        app.include_router(router, dependencies=[Depends(require_csrf)], include_in_schema=False)
