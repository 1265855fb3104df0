"""Meetings over HTTP: create, the two lists (A6), view (A4, M5), edit (M3), history (O1),
archive (M11). The rules live in tandem.usecases.meetings."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from tandem.api.auth import BearerScheme, CurrentUser, caller_and_people
from tandem.api.replies import as_response
from tandem.api.responses import (
    AUTHED,
    CHANGES,
    CURSOR_PATTERN,
    MEETING,
    HistoryOut,
    MeetingList,
    replayable,
)
from tandem.api.services import IdempotencyKey, Svc
from tandem.usecases import history as timeline
from tandem.usecases import meetings as uc
from tandem.usecases.schemas import MeetingCreate, MeetingPatch, event_out, meeting_out

router = APIRouter(prefix="/v1/meetings", tags=["meetings"], responses=AUTHED)


@router.post("", status_code=201, **MEETING, responses={**CHANGES, **replayable(201)})
async def create_meeting(
    request: Request,
    body: MeetingCreate,
    _: BearerScheme,
    svc: Svc,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    # The caller and the people the body names in one read (CurrentUser would be a read of its
    # own), with the same refusals.
    user, people = await caller_and_people(
        request, [i for i in (body.facilitator_id, *body.participant_ids) if i]
    )
    reply = await uc.create_meeting(svc, user, body, idempotency_key=idempotency_key, people=people)
    return as_response(reply)


@router.get("", response_model=MeetingList, response_model_exclude_unset=True)
async def list_meetings(
    user: CurrentUser,
    svc: Svc,
    role: Literal["facilitator", "participant"] | None = None,
    status: str | None = None,
    archived: bool = False,
    cursor: Annotated[
        str | None,
        Query(
            description="The next_cursor of the previous page.",
            json_schema_extra={"pattern": CURSOR_PATTERN},
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict:
    page = await uc.list_meetings(
        svc,
        user,
        role=role,
        statuses=uc.parse_statuses(status),
        archived=archived,
        cursor=cursor,
        limit=limit,
    )
    items = [meeting_out(i.meeting, i.archived, i.view) for i in page.items]
    return {"items": items, "next_cursor": page.next_cursor}


@router.get("/{meeting_id}", **MEETING)
async def get_meeting(meeting_id: str, user: CurrentUser, svc: Svc) -> dict:
    return (await uc.view_meeting(svc, user, meeting_id)).out()


@router.patch("/{meeting_id}", **MEETING, responses={**CHANGES, **replayable()})
async def edit_meeting(
    meeting_id: str,
    body: MeetingPatch,
    user: CurrentUser,
    svc: Svc,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    return as_response(
        await uc.edit_meeting(svc, user, meeting_id, body, idempotency_key=idempotency_key)
    )


@router.get("/{meeting_id}/history", response_model=HistoryOut)
async def meeting_history(meeting_id: str, user: CurrentUser, svc: Svc) -> dict:
    """O1: the audit lines merged with the workflow's Temporal history, in the viewer's zone."""
    history = await timeline.meeting_history(svc, user, meeting_id)
    return {
        "meeting_id": meeting_id,
        "timezone": history.timezone,
        "workflow_id": history.workflow_id,
        "workflow_url": history.workflow_url,
        "series_workflow_id": history.series_workflow_id,
        "complete": history.complete,
        "items": [event_out(e) for e in history.entries],
    }


@router.post("/{meeting_id}/archive", **MEETING, responses=CHANGES)
async def archive_meeting(meeting_id: str, user: CurrentUser, svc: Svc) -> dict:
    return (await uc.set_archived(svc, user, meeting_id, True)).out()


@router.post("/{meeting_id}/unarchive", **MEETING, responses=CHANGES)
async def unarchive_meeting(meeting_id: str, user: CurrentUser, svc: Svc) -> dict:
    return (await uc.set_archived(svc, user, meeting_id, False)).out()
