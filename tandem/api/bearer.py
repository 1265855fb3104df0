"""Who a request's bearer token names, looked up once per request: the body limit (401 before a
body is read), the validation-error handler (who you are comes before what you sent) and the
route's own auth dependency all ask, and the answer is kept in the request's state."""

from __future__ import annotations

from fastapi import Request

from tandem.domain.users import User
from tandem.store import users

_UNSEEN = object()


def bearer_token(request: Request) -> str:
    """The token of an ``Authorization: Bearer …`` header, or ``""``."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


async def bearer_user(request: Request) -> User | None:
    """The user the token names (None without a valid one)."""
    found = getattr(request.state, "bearer_user", _UNSEEN)
    if found is not _UNSEEN:
        return found  # type: ignore[return-value]
    token = bearer_token(request)
    user = None
    if token:
        db = request.app.state.services.db
        user = await db.read(lambda session: users.user_by_token(session, token))
    request.state.bearer_user = user
    return user
