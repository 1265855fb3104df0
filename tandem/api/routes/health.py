"""Liveness and readiness (SPEC O2): ready means the database and Temporal both answer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from sqlalchemy import text

from tandem.api.responses import HealthOut, ReadyOut
from tandem.api.services import services
from tandem.domain.times import zone_data_version
from tandem.usecases.context import Services

router = APIRouter(tags=["health"])


@router.get("/health", response_model=HealthOut)
async def health() -> dict:
    return {"status": "ok"}


@router.get(
    "/ready",
    response_model=ReadyOut,  # documents the JSONResponse
    responses={503: {"model": ReadyOut, "description": "The database or Temporal is down."}},
)
async def ready(svc: Annotated[Services, Depends(services)]) -> JSONResponse:
    checks: dict[str, str] = {}
    try:
        await svc.db.read(lambda session: session.execute(text("SELECT 1")))
        checks["database"] = "ok"
    except Exception as error:
        checks["database"] = f"error: {error}"
    try:
        await svc.meetings.client.service_client.check_health()
        checks["temporal"] = "ok"
    except Exception as error:
        checks["temporal"] = f"error: {error}"
    ok = all(v == "ok" for v in checks.values())
    # The zone data decides every occurrence's instant (S1), so say which release this is.
    body = {
        "status": "ok" if ok else "unavailable",
        "checks": checks,
        "tzdata": zone_data_version(),
    }
    return JSONResponse(body, 200 if ok else 503)
