"""Request and response bodies of the HTTP API (field names fixed by DESIGN.md)."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime, timedelta
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from tandem.domain.access import View
from tandem.domain.inputs import Choice, Instant, Lines, OneLine
from tandem.domain.meetings import (
    Clash,
    FocusRef,
    LongText,
    Meeting,
    MeetingKind,
    Name,
    Reason,
    Text,
)
from tandem.domain.times import TimeZoneName, local
from tandem.domain.users import User, WorkingHours
from tandem.store.series import SeriesRecord
from tandem.usecases.timeline import TimelineEntry

UserId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]

# New text as it may arrive (tandem.domain.inputs: readable, one line where one is meant). The
# domain types check lengths only, as they also load what earlier versions stored.
NameIn = Annotated[Name, OneLine]
TextIn = Annotated[Text, OneLine]
LongTextIn = Annotated[LongText, Lines]
ReasonIn = Annotated[Reason, Lines]


class FocusRefIn(FocusRef):
    ref: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2_000), OneLine
    ]


class Strict(BaseModel):
    """Unknown fields are an error, so a typo never silently does nothing; and values are not
    coerced (``"30"`` or ``true`` is not a number of minutes). Times, dates and enums are read
    from their JSON strings (tandem.domain.inputs); HTML forms, which post nothing but strings,
    validate with ``model_validate(data, strict=False)``."""

    model_config = ConfigDict(extra="forbid", strict=True)


class MeetingCreate(Strict):
    kind: Choice[MeetingKind]
    name: NameIn
    description: LongTextIn = ""
    facilitator_id: UserId | None = None
    participant_ids: list[UserId] = Field(min_length=1, max_length=50)
    starts_at: Instant
    duration_minutes: int | None = None
    # Validated even when absent: it is where "give a duration or an end" is checked.
    ends_at: Instant | None = Field(default=None, validate_default=True)
    timezone: TimeZoneName | None = None
    location: TextIn = ""
    participant_preview: bool = False
    focus: list[FocusRefIn] = Field(default_factory=list, max_length=50)

    @field_validator("participant_ids")
    @classmethod
    def _participants(cls, ids: list[str], info: ValidationInfo) -> list[str]:
        if info.data.get("kind") is MeetingKind.ONE_TO_ONE and len(ids) != 1:
            raise ValueError("a 1:1 has exactly one participant")
        if len(set(ids)) != len(ids):
            raise ValueError("lists someone twice")
        return ids

    @field_validator("ends_at")
    @classmethod
    def _end(cls, ends_at: datetime | None, info: ValidationInfo) -> datetime | None:
        duration, starts_at = info.data.get("duration_minutes"), info.data.get("starts_at")
        if ends_at is None:
            # A duration that failed its own validation is absent here; one error is enough.
            if duration is None and "duration_minutes" in info.data:
                raise ValueError("give duration_minutes or ends_at")
            return None
        if duration is not None:
            raise ValueError("give duration_minutes or ends_at, not both")
        if starts_at is not None and ends_at <= starts_at:
            raise ValueError("must be after starts_at")
        return ends_at

    @property
    def minutes(self) -> int:
        if self.duration_minutes is not None:
            return self.duration_minutes
        assert self.ends_at is not None
        return int((self.ends_at - self.starts_at) / timedelta(minutes=1))


class MeetingPatch(Strict):
    name: NameIn | None = None
    description: LongTextIn | None = None
    location: TextIn | None = None
    participant_preview: bool | None = None
    focus: list[FocusRefIn] | None = Field(default=None, max_length=50)
    starts_at: Instant | None = None
    duration_minutes: int | None = None
    timezone: TimeZoneName | None = None
    reason: ReasonIn | None = None


class RescheduleBody(Strict):
    starts_at: Instant
    duration_minutes: int | None = None  # None keeps the meeting's duration
    reason: ReasonIn


class ReasonBody(Strict):
    reason: ReasonIn


class OptionalReasonBody(Strict):
    reason: ReasonIn | None = None


class GuestBody(Strict):
    email: EmailStr
    replaces: EmailStr | None = None


class ReassignBody(Strict):
    facilitator_id: UserId
    reason: ReasonIn | None = None


# What each view leaves out (SPEC M5 for previews, A4 for ops).
_HIDDEN: dict[View, set[str]] = {
    View.FULL: set(),
    View.PREVIEW: {"description", "focus", "guest_emails"},
    View.LIFECYCLE: {"description", "focus", "guest_emails", "location"},
}


def meeting_out(meeting: Meeting, archived: bool, view: View) -> dict[str, Any]:
    out = {
        "id": meeting.id,
        "kind": meeting.kind.value,
        "name": meeting.name,
        "status": meeting.status.value,
        "starts_at": meeting.starts_at.isoformat(),
        "ends_at": meeting.ends_at.isoformat(),
        "starts_at_local": local(meeting.starts_at, meeting.timezone).isoformat(),
        "duration_minutes": meeting.duration_minutes,
        "timezone": meeting.timezone,
        "facilitator_id": meeting.facilitator_id,
        "participant_ids": list(meeting.participant_ids),
        "guest_emails": list(meeting.guest_emails),
        "series_id": meeting.series_id,
        "occurrence_index": meeting.occurrence_index,
        "archived": archived,
        "location": meeting.location,
        "description": meeting.description,
        "participant_preview": meeting.participant_preview,
        "focus": [f.model_dump() for f in meeting.focus],
        "created_by": meeting.created_by,
        "created_at": meeting.created_at.isoformat(),
        "started_at": meeting.started_at.isoformat() if meeting.started_at else None,
        "completed_at": meeting.completed_at.isoformat() if meeting.completed_at else None,
        "version": meeting.version,
        "view": view.value,
    }
    for field in _HIDDEN[view]:
        out.pop(field)
    return out


def user_out(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "name": user.name,
        "email": user.email,
        "timezone": user.timezone,
        "roles": list(user.roles),
        "divisions": list(user.divisions),
        "business_unit": user.business_unit,
        "permissions": sorted(user.permissions),
        "settings": user.preferences.model_dump(),
    }


def clash_out(clash: Clash) -> dict[str, Any]:
    """A block in someone's calendar, without revealing the meeting behind it."""
    return {
        "starts_at": clash.starts_at.isoformat(),
        "ends_at": clash.ends_at.isoformat(),
        "kind": clash.kind.value,
    }


def event_out(entry: TimelineEntry) -> dict[str, Any]:
    return {
        "at": entry.at.isoformat(),
        "action": entry.action,
        "actor_id": entry.actor_id,
        "actor_name": entry.actor_name,
        "reason": entry.reason,
        "details": entry.details,
        "error": entry.error,
        "source": entry.source,
    }


class UserCreate(Strict):
    name: NameIn
    email: EmailStr
    roles: list[Annotated[str, StringConstraints(min_length=1, max_length=64)]] = Field(
        min_length=1
    )
    divisions: list[Annotated[str, StringConstraints(min_length=1, max_length=100)]] = Field(
        default_factory=list
    )
    timezone: TimeZoneName = "UTC"
    business_unit: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = None


class SettingsPatch(Strict):
    meeting_reminders: bool | None = None
    timezone: TimeZoneName | None = None
    working_hours: list[WorkingHours] | None = Field(default=None, max_length=50)


class RoleBody(Strict):
    name: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_\-]{1,63}$")]
    permissions: list[str]


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def series_out(record: SeriesRecord, view: View) -> dict[str, Any]:
    s = record.series
    current = s.current
    out = {
        "id": s.id,
        "name": s.name,
        "facilitator_id": s.facilitator_id,
        "participant_id": s.participant_id,
        "status": s.status.value,
        "archived": record.archived,
        "starts_at": iso(s.segments[0].starts_at),
        "timezone": current.timezone,
        "duration_minutes": current.duration_minutes,
        "recurrence": current.recurrence,
        "rrule": current.rule().rrule_string(),
        "segments": [seg.model_dump(mode="json") for seg in s.segments],
        "skipped": list(s.skipped),
        "clashes": [
            {"index": index, "reason": reason} for index, reason in sorted(record.clashes.items())
        ],
        "created_at": iso(s.created_at),
        "ended_at": iso(s.ended_at),
        "version": s.version,
        "view": view.value,
        "description": s.description,
        "location": s.location,
    }
    if view is not View.FULL:
        out.pop("description")
        out.pop("location")
    return out


def _base64(value: str) -> str:
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("not base64") from None
    return value


Base64 = Annotated[str, AfterValidator(_base64)]


class CodecPayloadIn(Strict):
    """One payload as Temporal's codec-server protocol sends it (metadata values and data in
    base64)."""

    metadata: dict[str, Base64] = Field(default_factory=dict, max_length=32)
    data: Base64 = ""


class CodecIn(Strict):
    payloads: list[CodecPayloadIn] = Field(max_length=10_000)
