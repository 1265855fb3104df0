"""Web sign-in (SPEC A3 for browsers): sessions behind the ``tandem_session`` cookie, and the
single-use sign-in links sent by e-mail. Only SHA-256 hashes of the secrets are stored, as for
API tokens, so a copy of these tables signs nobody in."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from tandem.domain.errors import Invalid
from tandem.domain.users import User
from tandem.store import users
from tandem.store.schema import MagicLinkRow, WebSessionRow

LINK_LIFETIME = timedelta(minutes=15)


@dataclass(frozen=True)
class SignedIn:
    """A live session: who it is, the token their forms must carry, when it was last used."""

    user: User
    csrf_token: str
    last_seen_at: datetime


def start_session(session: Session, user_id: str, now: datetime, lifetime: timedelta) -> str:
    """A new session for ``user_id``; returns the cookie secret (never stored)."""
    secret = secrets.token_urlsafe(32)
    # Housekeeping: each sign-in clears that person's expired sessions.
    session.execute(
        delete(WebSessionRow).where(
            WebSessionRow.user_id == user_id, WebSessionRow.expires_at <= now
        )
    )
    session.add(
        WebSessionRow(
            id=users.hash_token(secret),
            user_id=user_id,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            expires_at=now + lifetime,
            last_seen_at=now,
        )
    )
    return secret


def signed_in(session: Session, secret: str, now: datetime) -> SignedIn | None:
    """The session behind a cookie secret, or None if it is unknown, ended or expired."""
    row = session.get(WebSessionRow, users.hash_token(secret))
    if row is None or row.expires_at <= now:
        return None
    user = users.get_user(session, row.user_id)
    if user is None:
        return None
    return SignedIn(user, row.csrf_token, row.last_seen_at)


def touch_session(session: Session, secret: str, now: datetime) -> None:
    row = session.get(WebSessionRow, users.hash_token(secret))
    if row is not None:
        row.last_seen_at = now


def end_session(session: Session, secret: str) -> None:
    session.execute(delete(WebSessionRow).where(WebSessionRow.id == users.hash_token(secret)))


def issue_link(session: Session, user_id: str, now: datetime) -> tuple[str, str]:
    """A sign-in link for ``user_id``, valid once within 15 minutes: returns (link id, token)."""
    session.execute(
        delete(MagicLinkRow).where(MagicLinkRow.user_id == user_id, MagicLinkRow.expires_at <= now)
    )
    token = secrets.token_urlsafe(32)
    link_id = str(uuid.uuid4())
    session.add(
        MagicLinkRow(
            id=link_id,
            token_hash=users.hash_token(token),
            user_id=user_id,
            created_at=now,
            expires_at=now + LINK_LIFETIME,
            used_at=None,
        )
    )
    return link_id, token


def _usable_link(session: Session, token: str, now: datetime) -> MagicLinkRow:
    row = session.scalar(
        select(MagicLinkRow).where(MagicLinkRow.token_hash == users.hash_token(token))
    )
    if row is None:
        raise Invalid("This sign-in link is not valid. Ask for a new one.", field="link")
    if row.used_at is not None:
        raise Invalid("This sign-in link has already been used. Ask for a new one.", field="link")
    if row.expires_at <= now:
        raise Invalid("This sign-in link has expired. Ask for a new one.", field="link")
    return row


def check_link(session: Session, token: str, now: datetime) -> None:
    """Raises :class:`Invalid` unless the link could still be used; does not use it."""
    _usable_link(session, token, now)


def use_link(session: Session, token: str, now: datetime) -> str:
    """Marks the link used and returns its user's id; raises :class:`Invalid` if it cannot be."""
    row = _usable_link(session, token, now)
    row.used_at = now
    return row.user_id
