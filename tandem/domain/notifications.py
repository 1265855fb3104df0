"""What people are told, and when (SPEC N2-N5), as intents the workflow emits.

The workflow decides *who* is told *what* and the dedupe key; the activity renders the words and
writes the outbox, so message templates never live in workflow history.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, EmailStr, Field, model_validator

from tandem.domain.times import UtcDatetime
from tandem.domain.users import Preferences, User


class NotificationKind(StrEnum):
    CREATED = "meeting_created"
    REMINDER = "reminder"
    RESCHEDULED = "rescheduled"
    CANCELLED = "cancelled"
    DELETED = "deleted"
    REASSIGNED = "reassigned"
    GUEST_INVITED = "guest_invited"
    SERIES_CREATED = "series_created"
    OCCURRENCE_CLASH = "occurrence_clash"
    DIGEST = "weekly_digest"
    INVALID_SCHEDULE = "invalid_schedule"
    CALENDAR_UNREACHABLE = "calendar_unreachable"  # K4: told once per outage


class Contact(BaseModel):
    """What a notice needs of a person (their name in the text, where and in which zone to reach
    them), as the API read it for the request that caused the notice: carried to the activity
    so that it does not read the same people again (issue 13)."""

    id: str
    name: str
    email: str
    timezone: str
    meeting_reminders: bool = True

    @classmethod
    def of(cls, user: User) -> Contact:
        return cls(
            id=user.id,
            name=user.name,
            email=user.email,
            timezone=user.timezone,
            meeting_reminders=user.preferences.meeting_reminders,
        )

    def as_user(self) -> User:
        """The user the templates expect (its fields were valid when they were read)."""
        return User.model_construct(
            id=self.id,
            name=self.name,
            email=self.email,
            timezone=self.timezone,
            preferences=Preferences(meeting_reminders=self.meeting_reminders),
        )


class Recipient(BaseModel):
    """A Tandem user (in-app and e-mail) or an external guest (e-mail only)."""

    user_id: str | None = None
    email: EmailStr | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Recipient:
        if (self.user_id is None) == (self.email is None):
            raise ValueError("a recipient is a user_id or an email")
        return self

    @property
    def key(self) -> str:
        return self.user_id or f"guest:{self.email}"


class Notify(BaseModel):
    kind: NotificationKind
    recipients: list[Recipient]
    # Distinguishes this occurrence of the kind (a version, a deadline): part of the dedupe key.
    occasion: str
    reason: str | None = None
    previous_starts_at: UtcDatetime | None = None
    previous_facilitator_id: str | None = None
    guest_email: EmailStr | None = None
    was_started: bool = False
    # The moment a notice is about when it is not the meeting's own start (a clashing occurrence).
    at: UtcDatetime | None = None
    # W7+: replacement slots offered for an invalid appointment (best first), how many days
    # ahead they were looked for (None: not looked for), and whether Tandem rebooks by itself.
    options: list[UtcDatetime] = Field(default_factory=list)
    search_days: int | None = None
    auto_rebook: bool = False
    # A reschedule Tandem made by itself (the division's auto-rebook).
    automatic: bool = False

    def dedupe_key(self, scope: str, recipient: Recipient) -> str:
        """``scope`` names what it is about: ``meeting-<id>`` or ``series-<id>``."""
        return f"{scope}/{self.kind.value}/{self.occasion}/{recipient.key}"
