"""In-app notifications (SPEC N1): my list, newest first, and marking them read."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from tandem.api.auth import CurrentUser
from tandem.domain.errors import invalid, not_found
from tandem.usecases.meeting_access import now
from tandem.usecases.schemas import iso
from tandem.api.services import Svc
from tandem.store import outbox
from tandem.store.schema import NotificationRow

router = APIRouter(prefix="/v1/notifications", tags=["notifications"])


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


@router.get("")
async def my_notifications(
    user: CurrentUser,
    svc: Svc,
    unread: bool = False,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict:
    try:
        rows = await svc.db.read(
            lambda session: outbox.for_user(
                session, user.id, unread_only=unread, before=cursor, limit=limit + 1
            )
        )
    except ValueError:
        raise invalid("cursor", "malformed cursor") from None
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": [_out(r) for r in rows], "next_cursor": rows[-1].id if more else None}


@router.post("/{notification_id}/read")
async def mark_read(notification_id: str, user: CurrentUser, svc: Svc) -> dict:
    marked = await svc.db.write(
        lambda session: outbox.mark_read(session, user.id, notification_id, now())
    )
    if not marked:
        raise not_found("notification")
    return {"id": notification_id, "read": True}
