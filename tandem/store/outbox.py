"""The notification outbox (SPEC N1).

Each notification is one row per recipient, written in the same transaction as the change that
caused it; its unique dedupe key makes a retried activity a no-op. The row is the in-app
notification, and also carries the e-mail's delivery state for the mail dispatcher.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import and_, bindparam, func, or_, select, update
from sqlalchemy.orm import Session

from tandem.store.schema import NotificationRow
from tandem.store.sql import insert_ignoring_duplicates

MAX_EMAIL_ATTEMPTS = 8


class EmailStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    NONE = "none"  # in-app only


@dataclass(frozen=True)
class OutboxMessage:
    dedupe_key: str
    kind: str
    subject: str
    body: str
    user_id: str | None
    email: str | None
    meeting_id: str | None
    calendar: str | None = None  # an iCalendar invitation for the e-mail (SPEC N6)


def enqueue(session: Session, messages: list[OutboxMessage], now: datetime) -> int:
    rows = [
        {
            "id": str(uuid.uuid4()),
            "dedupe_key": m.dedupe_key,
            "user_id": m.user_id,
            "email": m.email,
            "kind": m.kind,
            "subject": m.subject,
            "body": m.body,
            "meeting_id": m.meeting_id,
            "created_at": now,
            "read_at": None,
            "email_status": (EmailStatus.PENDING if m.email else EmailStatus.NONE).value,
            "email_attempts": 0,
            "email_next_attempt_at": now if m.email else None,
            "email_sent_at": None,
            "email_error": None,
            "calendar": m.calendar if m.email else None,
        }
        for m in messages
    ]
    return insert_ignoring_duplicates(session, NotificationRow.__table__, rows, ["dedupe_key"])


def for_user(
    session: Session, user_id: str, *, unread_only: bool, before: str | None, limit: int
) -> list[NotificationRow]:
    """Newest first; ``before`` is the id of the last row of the previous page."""
    query = select(NotificationRow).where(NotificationRow.user_id == user_id)
    if unread_only:
        query = query.where(NotificationRow.read_at.is_(None))
    if before:
        anchor = session.get(NotificationRow, before)
        if anchor is None or anchor.user_id != user_id:
            raise ValueError("malformed cursor")
        query = query.where(
            or_(
                NotificationRow.created_at < anchor.created_at,
                and_(
                    NotificationRow.created_at == anchor.created_at, NotificationRow.id < anchor.id
                ),
            )
        )
    query = query.order_by(NotificationRow.created_at.desc(), NotificationRow.id.desc())
    return list((session.scalars(query.limit(limit))).all())


def unread_count(session: Session, user_id: str) -> int:
    query = select(func.count()).where(
        NotificationRow.user_id == user_id, NotificationRow.read_at.is_(None)
    )
    return session.scalar(query) or 0


def mark_read(
    session: Session, user_id: str, notification_id: str, now: datetime
) -> NotificationRow | None:
    """The row, now read; None if it is not this user's."""
    row = session.get(NotificationRow, notification_id)
    if row is None or row.user_id != user_id:
        return None
    if row.read_at is None:
        row.read_at = now
    return row


def unsent_emails(session: Session) -> tuple[int, datetime | None]:
    """How many e-mails wait to be sent (due or retrying), and when the oldest was written."""
    count, oldest = session.execute(
        select(func.count(), func.min(NotificationRow.created_at)).where(
            NotificationRow.email_status == EmailStatus.PENDING.value
        )
    ).one()
    return count, oldest


@dataclass(frozen=True)
class LeasedEmail:
    """What the mail dispatcher needs of a leased row."""

    id: str
    dedupe_key: str
    kind: str
    subject: str
    body: str
    email: str
    meeting_id: str | None
    calendar: str | None
    created_at: datetime
    email_attempts: int


_ROWS = NotificationRow.__table__
# The dispatcher's statements, built once: it runs one short write transaction per e-mail, where
# an ORM load and flush cost twice the SQL (issue 13).
_NEXT_DUE = (
    select(*(_ROWS.c[f.name] for f in fields(LeasedEmail)))
    .where(
        _ROWS.c.email_status == EmailStatus.PENDING.value,
        _ROWS.c.email_next_attempt_at <= bindparam("now"),
    )
    .order_by(_ROWS.c.email_next_attempt_at)
    .limit(1)
)
# Several workers may dispatch at once on PostgreSQL; each takes rows the others have not locked.
_NEXT_DUE_LOCKED = _NEXT_DUE.with_for_update(skip_locked=True)
_LEASE = (
    update(_ROWS)
    .where(_ROWS.c.id == bindparam("row_id"))
    .values(email_next_attempt_at=bindparam("until"))
)
_SENT = (
    update(_ROWS)
    .where(_ROWS.c.id == bindparam("row_id"))
    .values(email_status=EmailStatus.SENT.value, email_sent_at=bindparam("at"), email_error=None)
)


def lease_next_email(session: Session, now: datetime, lease: timedelta) -> LeasedEmail | None:
    """The next due e-mail, leased until ``now + lease``: hidden from every dispatcher (this one
    included) until it is marked or the lease runs out. One at a time, so a dispatcher that dies
    leaves at most the one message it was sending to go again."""
    connection = session.connection()
    locked = connection.dialect.name == "postgresql"
    row = connection.execute(_NEXT_DUE_LOCKED if locked else _NEXT_DUE, {"now": now}).first()
    if row is None:
        return None
    connection.execute(_LEASE, {"row_id": row.id, "until": now + lease})
    return LeasedEmail(**row._mapping)


def extend_lease(session: Session, notification_id: str, until: datetime) -> None:
    session.execute(
        update(NotificationRow)
        .where(
            NotificationRow.id == notification_id,
            NotificationRow.email_status == EmailStatus.PENDING.value,
        )
        .values(email_next_attempt_at=until)
    )


def mark_sent(session: Session, notification_id: str, now: datetime) -> None:
    session.connection().execute(_SENT, {"row_id": notification_id, "at": now})


def mark_failed_attempt(session: Session, row: LeasedEmail, error: str, now: datetime) -> None:
    attempts = row.email_attempts + 1
    gave_up = attempts >= MAX_EMAIL_ATTEMPTS
    session.execute(
        update(NotificationRow)
        .where(NotificationRow.id == row.id)
        .values(
            email_attempts=attempts,
            email_error=error[:2000],
            email_status=(EmailStatus.FAILED if gave_up else EmailStatus.PENDING).value,
            email_next_attempt_at=None if gave_up else now + timedelta(seconds=2**attempts),
        )
    )
