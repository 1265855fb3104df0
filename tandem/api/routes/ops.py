"""Ops over HTTP (SPEC O1): meeting workflows found through Temporal's visibility. The rules
live in tandem.usecases.ops."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from tandem.api.auth import CurrentUser
from tandem.api.responses import AUTHED, CURSOR_PATTERN, FoundWorkflowList
from tandem.api.services import Svc
from tandem.domain.meetings import MeetingStatus
from tandem.usecases import ops as uc

router = APIRouter(prefix="/v1/ops", tags=["ops"], responses=AUTHED)

# Ids go into a visibility query: letters, digits and dashes only.
PersonId = Annotated[str | None, Query(pattern=r"^[A-Za-z0-9-]{1,64}$")]
DAY = r"^\d{4}-\d{2}-\d{2}$"


@router.get("/meetings", response_model=FoundWorkflowList)
async def find_meetings(
    user: CurrentUser,
    svc: Svc,
    facilitator: PersonId = None,
    participant: PersonId = None,
    status: MeetingStatus | None = None,
    day_from: Annotated[
        str | None, Query(alias="from", pattern=DAY, description="first day, in your zone")
    ] = None,
    day_to: Annotated[
        str | None, Query(alias="to", pattern=DAY, description="last day, included")
    ] = None,
    cursor: Annotated[
        str | None,
        Query(
            description="The next_cursor of the previous page.",
            json_schema_extra={"pattern": CURSOR_PATTERN},
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict:
    """Meeting workflows by their search attributes (needs ``ops.history.view``); ``query`` is
    the same search to type into the Temporal UI."""
    page = await uc.find_workflows(
        svc,
        user,
        facilitator_id=facilitator,
        participant_id=participant,
        status=status,
        day_from=uc.day("from", day_from),
        day_to=uc.day("to", day_to),
        cursor=cursor,
        limit=limit,
    )
    return {
        "items": [
            {
                "workflow_id": f.workflow_id,
                "meeting_id": f.meeting_id,
                "name": f.name,
                "status": f.status,
                "starts_at": f.starts_at.isoformat(),
                "facilitator": {"id": f.facilitator_id, "name": page.names.get(f.facilitator_id)},
                "participants": [{"id": p, "name": page.names.get(p)} for p in f.participant_ids],
                "series_id": f.series_id,
            }
            for f in page.items
        ],
        "next_cursor": page.next_cursor,
        "query": page.query,
    }
