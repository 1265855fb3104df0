"""People (SPEC A1) and what they may do."""

from __future__ import annotations

from datetime import time

from pydantic import BaseModel, ConfigDict, EmailStr, Field, model_validator

from tandem.domain.permissions import Permission


class WorkingHours(BaseModel):
    """One stretch of a working week, in the person's own zone: e.g. Monday 08:00-17:00."""

    model_config = ConfigDict(frozen=True)

    # Strict like the request models it arrives in (``true`` is not Tuesday); forms relax it.
    weekday: int = Field(ge=0, le=6, strict=True, description="0 = Monday")
    start: time
    end: time

    @model_validator(mode="after")
    def _ordered(self) -> WorkingHours:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class Preferences(BaseModel):
    """A person's settings. Only the one-hour reminder can be switched off (SPEC N3). Working
    hours bound when coaching may be booked with them as facilitator (W3); none set means the
    WFM schedule (if any) decides."""

    meeting_reminders: bool = True
    working_hours: list[WorkingHours] = Field(default_factory=list)


class User(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    email: EmailStr
    timezone: str
    roles: tuple[str, ...] = ()
    divisions: tuple[str, ...] = ()
    business_unit: str | None = None
    preferences: Preferences = Field(default_factory=Preferences)
    permissions: frozenset[str] = frozenset()
    # Which personal calendar feed link works (tandem.domain.guest_links.feed_token).
    feed_generation: int = 0

    def can(self, permission: Permission) -> bool:
        return permission.value in self.permissions

    @property
    def is_admin(self) -> bool:
        return self.can(Permission.ADMIN)

    def shares_division(self, other: User) -> bool:
        return bool(set(self.divisions) & set(other.divisions))
