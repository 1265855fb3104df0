"""Bearer-token authentication (SPEC A3): no token or an unknown one is a 401."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from tandem.api.bearer import bearer_token, bearer_user, bearer_user_and_people
from tandem.api.errors import unauthenticated
from tandem.domain.users import User

# A security scheme, so /docs offers "Authorize"; refusing is ours (the 401 shape, SPEC A3).
bearer = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="An API token (POST /v1/users answers one): `Authorization: Bearer <token>`.",
)


async def current_user(
    request: Request,
    _: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> User:
    if not bearer_token(request):
        raise unauthenticated()
    user = await bearer_user(request)
    if user is None:
        raise unauthenticated("unknown or revoked token")
    return user


CurrentUser = Annotated[User, Depends(current_user)]
# The scheme alone, for a route that looks its caller up itself (``caller_and_people``).
BearerScheme = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


async def caller_and_people(request: Request, ids: Iterable[str]) -> tuple[User, dict[str, User]]:
    """The caller (refused as ``current_user`` refuses) and the people ``ids`` name, read
    together: a create's one database hop for both (issue 13)."""
    if not bearer_token(request):
        raise unauthenticated()
    user, people = await bearer_user_and_people(request, ids)
    if user is None:
        raise unauthenticated("unknown or revoked token")
    return user, people
