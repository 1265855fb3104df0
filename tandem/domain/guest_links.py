"""Personal guest links (SPEC M9): signed, unguessable, bound to one meeting and one address."""

from __future__ import annotations

from itsdangerous import BadSignature, URLSafeSerializer

_SALT = "tandem.guest-link"


def guest_token(secret: str, meeting_id: str, email: str) -> str:
    return URLSafeSerializer(secret, salt=_SALT).dumps([meeting_id, email.lower()])


def read_guest_token(secret: str, token: str) -> tuple[str, str] | None:
    """The (meeting id, e-mail) a token was made for, or None when it is not ours."""
    try:
        meeting_id, email = URLSafeSerializer(secret, salt=_SALT).loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    return str(meeting_id), str(email)
