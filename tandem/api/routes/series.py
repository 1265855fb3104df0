"""Recurring 1:1s over HTTP (SPEC S1-S4); the rules live in tandem.usecases.series."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query
from fastapi.responses import JSONResponse

from tandem.api.auth import CurrentUser
from tandem.api.replies import as_response
from tandem.api.responses import (
    AUTHED,
    CHANGES,
    OccurrenceList,
    SeriesList,
    SeriesOut,
    SeriesReassignedOut,
    replayable,
)
from tandem.api.services import IdempotencyKey, Svc
from tandem.domain.access import View
from tandem.domain.inputs import Instant
from tandem.domain.series import SeriesStatus
from tandem.usecases import series as uc
from tandem.usecases.schemas import OptionalReasonBody, ReassignBody, series_out
from tandem.usecases.series import SeriesCreate, SeriesPatch, VisibleSeries

router = APIRouter(prefix="/v1/series", tags=["series"], responses=AUTHED)
# A participant's view leaves out description and location: absent stays absent.
SERIES = {"response_model": SeriesOut, "response_model_exclude_unset": True}


def _out(visible: VisibleSeries) -> dict:
    return series_out(visible.record, visible.view)


@router.post("", status_code=201, **SERIES, responses={**CHANGES, **replayable(201)})
async def create_series(
    body: SeriesCreate, user: CurrentUser, svc: Svc, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    return as_response(await uc.create_series(svc, user, body, idempotency_key=idempotency_key))


@router.get("", response_model=SeriesList, response_model_exclude_unset=True)
async def list_series(
    user: CurrentUser,
    svc: Svc,
    status: SeriesStatus | None = None,
    archived: bool = False,
) -> dict:
    records = await uc.list_series(svc, user, status=status, archived=archived)
    return {"items": [series_out(r, View.FULL) for r in records], "next_cursor": None}


@router.get("/{series_id}", **SERIES)
async def get_series(series_id: str, user: CurrentUser, svc: Svc) -> dict:
    return _out(await uc.load_series(svc, user, series_id))


@router.patch("/{series_id}", **SERIES, responses={**CHANGES, **replayable()})
async def edit_series(
    series_id: str,
    body: SeriesPatch,
    user: CurrentUser,
    svc: Svc,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    return as_response(
        await uc.edit_series(svc, user, series_id, body, idempotency_key=idempotency_key)
    )


@router.post("/{series_id}/end", **SERIES, responses={**CHANGES, **replayable()})
async def end_series(
    series_id: str,
    user: CurrentUser,
    svc: Svc,
    body: Annotated[OptionalReasonBody | None, Body()] = None,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    reason = body.reason if body else None
    return as_response(
        await uc.end_series(svc, user, series_id, reason, idempotency_key=idempotency_key)
    )


@router.post(
    "/{series_id}/reassign",
    response_model=SeriesReassignedOut,
    response_model_exclude_unset=True,
    responses={**CHANGES, **replayable()},
)
async def reassign_series(
    series_id: str,
    body: ReassignBody,
    user: CurrentUser,
    svc: Svc,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """M10: the series, and its occurrences still ahead, to another facilitator."""
    return as_response(
        await uc.reassign_series(svc, user, series_id, body, idempotency_key=idempotency_key)
    )


@router.delete(
    "/{series_id}/occurrences/{meeting_id}", **SERIES, responses={**CHANGES, **replayable()}
)
async def delete_occurrence(
    series_id: str,
    meeting_id: str,
    user: CurrentUser,
    svc: Svc,
    body: Annotated[OptionalReasonBody | None, Body()] = None,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    reason = body.reason if body else None
    reply = await uc.delete_occurrence(
        svc, user, series_id, meeting_id, reason, idempotency_key=idempotency_key
    )
    return as_response(reply)


@router.get("/{series_id}/occurrences", response_model=OccurrenceList)
async def occurrences(
    series_id: str,
    user: CurrentUser,
    svc: Svc,
    start: Annotated[Instant | None, Query(alias="from")] = None,
    end: Annotated[Instant | None, Query(alias="to")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
) -> dict:
    """Planned occurrences in [from, to) whether materialised yet or not (default: 12 weeks)."""
    found = await uc.occurrences(svc, user, series_id, start=start, end=end, limit=limit)
    return {"items": [p.out() for p in found], "next_cursor": None}


@router.post("/{series_id}/archive", **SERIES, responses=CHANGES)
async def archive_series(series_id: str, user: CurrentUser, svc: Svc) -> dict:
    return _out(await uc.set_archived(svc, user, series_id, True))


@router.post("/{series_id}/unarchive", **SERIES, responses=CHANGES)
async def unarchive_series(series_id: str, user: CurrentUser, svc: Svc) -> dict:
    return _out(await uc.set_archived(svc, user, series_id, False))
