"""A person's calendar feed (issue 10): their meetings as an iCalendar subscription that any
calendar app polls, through a secret link that works without signing in and can be rotated."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from tandem.domain.errors import not_found
from tandem.domain.guest_links import feed_token, feed_token_matches
from tandem.domain.invitations import personal_feed
from tandem.domain.users import User
from tandem.store import meetings, users
from tandem.usecases.context import Services

# How far back a feed reaches; everything ahead is in it.
FEED_PAST = timedelta(days=30)


def feed_url(svc: Services, user: User) -> str:
    token = feed_token(svc.settings.signing_key(), user.id, user.feed_generation)
    return f"{svc.settings.base_url}/v1/users/{user.id}/calendar.ics?token={token}"


async def rotate_feed(svc: Services, user: User) -> str:
    """A new link for the caller's feed; the one they had stops working."""
    generation = await svc.db.write(lambda session: users.rotate_feed(session, user.id))
    return feed_url(svc, user.model_copy(update={"feed_generation": generation}))


async def calendar_feed(svc: Services, user_id: str, token: str) -> str:
    """The feed a link names, or 404 for a wrong, old or unknown one (nothing is revealed)."""
    secret = svc.settings.signing_key()
    now = datetime.now(UTC)

    def read(session: Session) -> str | None:
        owner = users.get_user(session, user_id)
        if owner is None or not feed_token_matches(secret, token, user_id, owner.feed_generation):
            return None
        found = meetings.attended_since(session, user_id, now - FEED_PAST)
        people = users.get_users(session, {p for m in found for p in m.attendee_ids})
        return personal_feed(owner, found, people, now=now)

    feed = await svc.db.read(read)
    if feed is None:
        raise not_found("calendar feed")
    return feed
