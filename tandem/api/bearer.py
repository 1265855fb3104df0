"""Who a request's bearer token names, looked up once per request: the body limit (401 before a
body is read), the validation-error handler (who you are comes before what you sent) and the
route's own auth dependency all ask, and the answer is kept in the request's state.

The body limit may answer from a memory instead (``bearer_known``): a token that named a user
within the last ``KNOWN_SECONDS`` lets the body be read without a database hop. That memory
decides nothing else: the route still looks the token up afresh (for a create, in the same
read as the people it names, issue 13), so a revoked token or a changed role takes effect on
the very next request, as before. What a revoked token can still get for ``KNOWN_SECONDS`` is
its body read (within the body cap, as any signed-in caller's) before its 401. A minute, not
seconds: people create meetings minutes apart, and a shorter memory would rarely answer.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable

from fastapi import Request

from tandem.domain.users import User
from tandem.store import users

_UNSEEN = object()
# How long a token that named a user spares the body limit its own lookup.
KNOWN_SECONDS = 60.0
# Tokens remembered at most (the memory is emptied when it is full).
KNOWN_MAX = 10_000


def bearer_token(request: Request) -> str:
    """The token of an ``Authorization: Bearer …`` header, or ``""``."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _known(request: Request) -> dict[str, float]:
    state = request.app.state
    found = getattr(state, "known_tokens", None)
    if found is None:
        found = state.known_tokens = {}
    return found


def _remember(request: Request, token: str, user: User | None) -> None:
    if user is None:
        return
    known = _known(request)
    if len(known) >= KNOWN_MAX:
        known.clear()
    known[hashlib.sha256(token.encode()).hexdigest()] = time.monotonic() + KNOWN_SECONDS


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
        _remember(request, token, user)
    request.state.bearer_user = user
    return user


async def bearer_known(request: Request) -> bool:
    """Whether the token names a user, for the body limit only: true without a lookup when it
    did within ``KNOWN_SECONDS``; otherwise looked up (and kept for the route) as above."""
    token = bearer_token(request)
    if not token:
        return False
    digest = hashlib.sha256(token.encode()).hexdigest()
    if _known(request).get(digest, 0.0) > time.monotonic():
        return True
    return await bearer_user(request) is not None


async def bearer_user_and_people(
    request: Request, ids: Iterable[str]
) -> tuple[User | None, dict[str, User]]:
    """The token's user (looked up afresh unless this request already did) and these people,
    in one database hop when it can."""
    seen = getattr(request.state, "bearer_user", _UNSEEN)
    db = request.app.state.services.db
    if seen is not _UNSEEN:
        if seen is None:
            return None, {}
        me: User = seen  # type: ignore[assignment]
        others = list(set(ids) - {me.id})
        found = await db.read(lambda session: users.get_users(session, others)) if others else {}
        return me, {**found, me.id: me}
    token = bearer_token(request)
    if not token:
        request.state.bearer_user = None
        return None, {}
    wanted = list(ids)
    user, found = await db.read(lambda session: users.token_user_and_people(session, token, wanted))
    _remember(request, token, user)
    request.state.bearer_user = user
    return user, found
