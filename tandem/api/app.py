"""The FastAPI application."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI
from temporalio.client import Client

from tandem import web
from tandem.api import errors, openapi
from tandem.api.limits import BodyLimit
from tandem.api.observe import Observe
from tandem.api.routes import (
    attachments,
    cadence,
    calendars,
    coaching,
    codec,
    content,
    guest,
    health,
    lifecycle,
    meetings,
    notifications,
    ops,
    reassign,
    reassignments,
    replacements,
    series,
    users,
    wfm,
    wfm_export,
)
from tandem.observability.interceptors import carrying_request_ids
from tandem.settings import Settings
from tandem.store.db import Database
from tandem.usecases.context import Services
from tandem.usecases.temporal import connect


def create_app(
    settings: Settings, *, db: Database | None = None, client: Client | None = None
) -> FastAPI:
    """``db`` and ``client`` are built from ``settings`` unless given (tests share theirs)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own_db = db is None
        database = db or Database(settings.database, schema=settings.database_schema)
        # A client the tests share gets the interceptor that carries request ids into workflows.
        temporal = carrying_request_ids(client) if client else await connect(settings)
        wait = timedelta(seconds=settings.update_wait_seconds)
        app.state.services = Services.connected(settings, database, temporal, wait=wait)
        try:
            yield
        finally:
            if own_db:
                database.dispose()

    # No trailing-slash redirects: /v1/meetings/ is a 404, not a silent 307 (issue 7).
    app = FastAPI(title="Tandem", version="0.1.0", lifespan=lifespan, redirect_slashes=False)
    errors.install(app)
    app.add_middleware(BodyLimit, json_cap=settings.max_json_body_bytes)
    app.add_middleware(codec.CodecCors, ui_url=settings.temporal_ui_url)
    app.add_middleware(Observe)  # the outermost: it sees every answer, and times all of it
    openapi.install(app)
    for module in (
        health,
        users,
        meetings,
        lifecycle,
        reassign,
        reassignments,
        content,
        attachments,
        series,
        coaching,
        cadence,
        replacements,
        wfm,
        wfm_export,
        notifications,
        guest,
        codec,
        calendars,
        ops,
    ):
        app.include_router(module.router)
    web.install(app)
    return app
