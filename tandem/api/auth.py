"""Bearer-token authentication (SPEC A3): no token or an unknown one is a 401."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from tandem.api.errors import unauthenticated
from tandem.api.services import services
from tandem.domain.users import User
from tandem.store import users
from tandem.usecases.context import Services

# A security scheme, so /docs offers "Authorize"; refusing is ours (the 401 shape, SPEC A3).
bearer = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="An API token (POST /v1/users answers one): `Authorization: Bearer <token>`.",
)


async def current_user(
    svc: Annotated[Services, Depends(services)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> User:
    token = credentials.credentials.strip() if credentials else ""
    if not token:
        raise unauthenticated()
    user = await svc.db.read(lambda session: users.user_by_token(session, token))
    if user is None:
        raise unauthenticated("unknown or revoked token")
    return user


CurrentUser = Annotated[User, Depends(current_user)]
