"""People (SPEC A1, A2): who am I, my notification settings (N3), admin creates users and roles."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from tandem.api.auth import CurrentUser
from tandem.api.responses import (
    CalendarFeedOut,
    CreatedUserOut,
    DirectoryList,
    RoleList,
    RoleOut,
    SettingsUpdated,
    UserOut,
    errors,
)
from tandem.api.services import Svc
from tandem.domain.access import require
from tandem.domain.errors import invalid
from tandem.domain.permissions import Permission
from tandem.store import users
from tandem.usecases import calendar_feed as feeds
from tandem.usecases import users as user_cases
from tandem.usecases.meeting_access import now
from tandem.usecases.schemas import RoleBody, SettingsPatch, UserCreate, user_out

router = APIRouter(prefix="/v1", tags=["users"], responses=errors(401, 403, 422))

ROLE_NAME = r"^[a-z][a-z0-9_\-]{1,63}$"  # as RoleBody.name


@router.get("/users/me", response_model=UserOut)
async def me(user: CurrentUser, svc: Svc) -> dict:
    return {**user_out(user), "calendar_feed_url": feeds.feed_url(svc, user)}


@router.post("/users/me/calendar-token", response_model=CalendarFeedOut)
async def rotate_calendar_token(user: CurrentUser, svc: Svc) -> dict:
    """A new secret link for your calendar feed; the old link stops working."""
    return {"calendar_feed_url": await feeds.rotate_feed(svc, user)}


@router.patch("/users/me/settings", response_model=SettingsUpdated)
async def update_settings(body: SettingsPatch, user: CurrentUser, svc: Svc) -> dict:
    updated = await user_cases.update_settings(svc, user, body)
    return {"settings": updated.preferences.model_dump(), "timezone": updated.timezone}


@router.post("/users", status_code=201, response_model=CreatedUserOut)
async def create_user(body: UserCreate, user: CurrentUser, svc: Svc) -> dict:
    require(user, Permission.ADMIN)
    created, token = await svc.db.write(
        lambda session: users.create_user(
            session,
            name=body.name,
            email=body.email,
            timezone=body.timezone,
            roles=body.roles,
            divisions=body.divisions,
            business_unit=body.business_unit,
            now=now(),
        )
    )
    return {**user_out(created), "token": token}


@router.get("/users", response_model=DirectoryList)
async def list_users(
    user: CurrentUser, svc: Svc, q: Annotated[str | None, Query(max_length=100)] = None
) -> dict:
    """A directory for choosing participants: names, zones and divisions, no settings."""
    items = [
        {
            "id": u.id,
            "name": u.name,
            "timezone": u.timezone,
            "roles": list(u.roles),
            "divisions": list(u.divisions),
        }
        for u in await user_cases.directory(svc, user, q)
    ]
    return {"items": items, "next_cursor": None}


@router.get("/roles", response_model=RoleList)
async def list_roles(user: CurrentUser, svc: Svc) -> dict:
    table = await svc.db.read(users.role_table)
    return {"items": [{"name": k, "permissions": sorted(v)} for k, v in sorted(table.items())]}


@router.put("/roles/{name}", response_model=RoleOut)
async def define_role(
    name: Annotated[str, Path(pattern=ROLE_NAME)], body: RoleBody, user: CurrentUser, svc: Svc
) -> dict:
    require(user, Permission.ADMIN)
    if body.name != name:
        raise invalid("name", "must match the path")
    await svc.db.write(lambda session: users.define_role(session, name, body.permissions))
    return {"name": name, "permissions": sorted(set(body.permissions))}
