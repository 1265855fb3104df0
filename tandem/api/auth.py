"""Bearer-token authentication (SPEC A3): no token or an unknown one is a 401."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header

from tandem.api.errors import unauthenticated
from tandem.api.services import services
from tandem.domain.users import User
from tandem.store import users
from tandem.usecases.context import Services


async def current_user(
    svc: Annotated[Services, Depends(services)],
    authorization: Annotated[str | None, Header()] = None,
) -> User:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise unauthenticated()
    user = await svc.db.read(lambda session: users.user_by_token(session, token.strip()))
    if user is None:
        raise unauthenticated("unknown or revoked token")
    return user


CurrentUser = Annotated[User, Depends(current_user)]
