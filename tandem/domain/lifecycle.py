"""The status machine (SPEC M2) and when each change is allowed (M3, M4, M6-M11).

Pure functions of the meeting state, shared by the workflow validators (the gate) and by the
API when it needs the same answer for a meeting whose workflow has finished.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from tandem.domain.errors import Conflict, Invalid, NotAllowed
from tandem.domain.meetings import (
    COACHING_MAX_DURATION_MINUTES,
    FINISHED,
    MAX_DURATION_MINUTES,
    PLANNED,
    Meeting,
    MeetingKind,
    MeetingStatus,
)

# Ended without being cancelled: their open items roll over to the next meeting of a series (C3).
HELD_OR_MISSED = frozenset({MeetingStatus.COMPLETED, MeetingStatus.MISSED})

# Nothing is planned further ahead than this (and 9999-12-31 cannot overflow an end time).
FURTHEST_AHEAD = timedelta(days=5 * 366)

REMINDER_LEAD = timedelta(hours=1)
AUTO_COMPLETE_AFTER = timedelta(hours=3)
ROLLOVER_AFTER = timedelta(hours=3)


def _refuse(meeting: Meeting, action: str, why: str) -> Conflict:
    return Conflict(
        f"cannot {action} a meeting that is {meeting.status.value}: {why}",
        status=meeting.status.value,
        meeting_id=meeting.id,
    )


def check_timing(
    kind: MeetingKind, starts_at: datetime, duration_minutes: int, now: datetime
) -> None:
    """Start in the future and a duration the kind allows."""
    limit = COACHING_MAX_DURATION_MINUTES if kind is MeetingKind.COACHING else MAX_DURATION_MINUTES
    if duration_minutes <= 0 or duration_minutes > limit:
        raise Invalid(
            f"duration_minutes must be between 1 and {limit} for a {kind.value} meeting",
            field="duration_minutes",
        )
    if kind is MeetingKind.COACHING and duration_minutes % 15:
        raise Invalid("coaching lasts 15, 30, 45 or 60 minutes (W2)", field="duration_minutes")
    if starts_at < now:
        raise Invalid("starts_at is in the past", field="starts_at")
    if starts_at > now + FURTHEST_AHEAD:
        raise Invalid("starts_at is more than five years ahead", field="starts_at")


def check_edit(meeting: Meeting) -> None:
    if meeting.status not in PLANNED:
        raise _refuse(meeting, "edit", "only a scheduled meeting can be edited")


def check_start(meeting: Meeting) -> None:
    if meeting.status not in PLANNED:
        raise _refuse(meeting, "start", "only a scheduled meeting can be started")


def check_complete(meeting: Meeting) -> None:
    if meeting.status is not MeetingStatus.IN_PROGRESS:
        raise _refuse(meeting, "complete", "only a meeting in progress can be completed")


def check_reschedule(meeting: Meeting) -> None:
    if meeting.status is MeetingStatus.IN_PROGRESS:
        raise _refuse(meeting, "reschedule", "it is live")
    if meeting.status not in PLANNED:
        raise _refuse(meeting, "reschedule", "only a scheduled meeting can be moved")


def check_cancel(meeting: Meeting) -> None:
    if meeting.status is MeetingStatus.IN_PROGRESS:
        raise _refuse(meeting, "cancel", "it is live")
    if meeting.status not in PLANNED:
        raise _refuse(meeting, "cancel", "only a scheduled meeting can be cancelled")


_STARTED = frozenset({MeetingStatus.IN_PROGRESS, MeetingStatus.COMPLETED, MeetingStatus.MISSED})


def has_started_or_passed(meeting: Meeting, now: datetime) -> bool:
    return meeting.status in _STARTED or meeting.ends_at <= now


def check_delete(meeting: Meeting, may_delete_started: bool, now: datetime) -> None:
    """M6: not started → whoever scheduled it; started or past → only with one-to-ones.delete."""
    if meeting.status is MeetingStatus.DELETED:
        raise _refuse(meeting, "delete", "it is already deleted")
    if has_started_or_passed(meeting, now) and not may_delete_started:
        raise NotAllowed(
            "a meeting that has started or passed can only be deleted with the "
            "one-to-ones.delete permission; archive it instead",
            permission="one-to-ones.delete",
            status=meeting.status.value,
        )


def check_invite_guest(meeting: Meeting, email: str, replaces: str | None) -> None:
    if meeting.status not in PLANNED:
        raise _refuse(meeting, "invite a guest to", "guests can only join a planned meeting")
    guests = {g.lower() for g in meeting.guest_emails}
    if replaces is not None and replaces.lower() not in guests:
        raise Invalid(f"{replaces} is not a guest of this meeting", field="replaces")
    if email.lower() in guests:
        raise Conflict(f"{email} is already a guest of this meeting", field="email")


def check_reassign(meeting: Meeting, facilitator_id: str) -> None:
    if meeting.status is MeetingStatus.IN_PROGRESS:
        raise _refuse(meeting, "reassign", "it is live")
    if meeting.status not in PLANNED:
        raise _refuse(meeting, "reassign", "only a planned meeting can change hands")
    if facilitator_id == meeting.facilitator_id:
        raise Invalid("that user already facilitates this meeting", field="facilitator_id")
    if facilitator_id in meeting.participant_ids:
        raise Invalid("a participant cannot facilitate their own meeting", field="facilitator_id")


def check_archive(meeting: Meeting, now: datetime) -> None:
    """M11: only past meetings can be archived."""
    past_but_open = meeting.status in PLANNED and meeting.ends_at <= now
    if meeting.status not in FINISHED and not past_but_open:
        raise _refuse(meeting, "archive", "only a past meeting can be archived")


def reminder_time(meeting: Meeting) -> datetime:
    """N3: when the reminder of a meeting is due, one hour before the start."""
    return meeting.starts_at - REMINDER_LEAD


def reminder_due(meeting: Meeting, now: datetime) -> datetime | None:
    """The reminder's time, unless that moment has already gone."""
    at = reminder_time(meeting)
    return at if at > now else None
