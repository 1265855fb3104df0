"""In-app notifications (SPEC N1): a person's list, newest first, and marking them read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from tandem.domain.errors import invalid, not_found
from tandem.domain.users import User
from tandem.store import outbox
from tandem.store.schema import NotificationRow
from tandem.usecases.context import Services


@dataclass(frozen=True)
class NotificationPage:
    items: list[NotificationRow]
    next_cursor: str | None


async def list_notifications(
    svc: Services, actor: User, *, unread_only: bool = False, cursor: str | None = None, limit: int
) -> NotificationPage:
    """``cursor`` is the ``next_cursor`` of the previous page."""
    try:
        rows = await svc.db.read(
            lambda session: outbox.for_user(
                session, actor.id, unread_only=unread_only, before=cursor, limit=limit + 1
            )
        )
    except ValueError:
        raise invalid("cursor", "malformed cursor") from None
    more = len(rows) > limit
    rows = rows[:limit]
    return NotificationPage(rows, rows[-1].id if more else None)


async def mark_read(svc: Services, actor: User, notification_id: str) -> NotificationRow:
    """Returns the notification, now read. Someone else's is as unknown as a missing one."""
    now = datetime.now(UTC)
    row = await svc.db.write(
        lambda session: outbox.mark_read(session, actor.id, notification_id, now)
    )
    if row is None:
        raise not_found("notification")
    return row


async def unread_count(svc: Services, actor: User) -> int:
    return await svc.db.read(lambda session: outbox.unread_count(session, actor.id))
