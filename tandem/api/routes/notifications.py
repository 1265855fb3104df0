"""In-app notifications (SPEC N1): my list, newest first, and marking them read."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from tandem.api.auth import CurrentUser
from tandem.api.responses import AUTHED, NotificationList, ReadOut
from tandem.api.services import Svc
from tandem.store.schema import NotificationRow
from tandem.usecases import notifications
from tandem.usecases.schemas import iso

router = APIRouter(prefix="/v1/notifications", tags=["notifications"], responses=AUTHED)


def _out(row: NotificationRow) -> dict:
    return {
        "id": row.id,
        "kind": row.kind,
        "subject": row.subject,
        "body": row.body,
        "meeting_id": row.meeting_id,
        "created_at": iso(row.created_at),
        "read_at": iso(row.read_at),
        "email": {"status": row.email_status, "sent_at": iso(row.email_sent_at)},
    }


@router.get("", response_model=NotificationList)
async def my_notifications(
    user: CurrentUser,
    svc: Svc,
    unread: bool = False,
    cursor: Annotated[
        str | None, Query(description="The next_cursor of the previous page.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict:
    page = await notifications.list_notifications(
        svc, user, unread_only=unread, cursor=cursor, limit=limit
    )
    return {"items": [_out(r) for r in page.items], "next_cursor": page.next_cursor}


@router.post("/{notification_id}/read", response_model=ReadOut)
async def mark_read(notification_id: str, user: CurrentUser, svc: Svc) -> dict:
    await notifications.mark_read(svc, user, notification_id)
    return {"id": notification_id, "read": True}
