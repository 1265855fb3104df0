"""Links that work without signing in, signed and unguessable: personal guest links (SPEC M9),
bound to one meeting and one address, and personal calendar feeds, bound to one person and the
feed's generation (rotating it moves the generation on, so the old link stops working)."""

from __future__ import annotations

from itsdangerous import BadSignature, URLSafeSerializer

_SALT = "tandem.guest-link"
_FEED_SALT = "tandem.calendar-feed"


def guest_token(secret: str, meeting_id: str, email: str) -> str:
    return URLSafeSerializer(secret, salt=_SALT).dumps([meeting_id, email.lower()])


def read_guest_token(secret: str, token: str) -> tuple[str, str] | None:
    """The (meeting id, e-mail) a token was made for, or None when it is not ours."""
    try:
        meeting_id, email = URLSafeSerializer(secret, salt=_SALT).loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    return str(meeting_id), str(email)


def feed_token(secret: str, user_id: str, generation: int) -> str:
    return URLSafeSerializer(secret, salt=_FEED_SALT).dumps([user_id, generation])


def feed_token_matches(secret: str, token: str, user_id: str, generation: int) -> bool:
    try:
        return URLSafeSerializer(secret, salt=_FEED_SALT).loads(token) == [user_id, generation]
    except (BadSignature, ValueError, TypeError):
        return False
