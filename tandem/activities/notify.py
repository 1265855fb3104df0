"""Turns notification intents into outbox messages, one per recipient.

People read times in their own zone; guests in the meeting's. A user who switched reminders off
(SPEC N3) gets none; no other notification can be switched off. Templates only ever see
lifecycle facts (names, times, places, reasons): never agenda items or notes (SPEC C5).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from tandem.domain.guest_links import guest_token
from tandem.domain.invitations import Method, meeting_invitation, series_invitation
from tandem.domain.meetings import Meeting, MeetingKind
from tandem.domain.notifications import NotificationKind, Notify, Recipient
from tandem.domain.series import Series
from tandem.domain.times import human
from tandem.domain.users import User
from tandem.store.outbox import OutboxMessage

templates = Environment(
    loader=PackageLoader("tandem.activities", "templates"),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
    autoescape=False,  # plain-text mail and in-app text, never HTML
)

_KIND_LABEL = {MeetingKind.ONE_TO_ONE: "1:1", MeetingKind.COACHING: "coaching session"}

# Given a notice, a recipient and the recipient's zone: the template's variables.
Context = Callable[[Notify, Recipient, str], dict[str, Any]]
# Given a notice and a recipient: the calendar invitation their e-mail carries, if any.
Invitation = Callable[[Notify, Recipient], str | None]

_REQUESTS = {
    NotificationKind.CREATED,
    NotificationKind.RESCHEDULED,
    NotificationKind.GUEST_INVITED,
    NotificationKind.REASSIGNED,
}
_CANCELS = {NotificationKind.CANCELLED, NotificationKind.DELETED}


def invitation_method(meeting: Meeting, notice: Notify, recipient: Recipient) -> Method | None:
    """What a notice does to the recipient's calendar (SPEC N6). A series' occurrences are in
    the series' invitation, so they send none of their own."""
    if meeting.series_id is not None:
        return None
    if notice.kind in _CANCELS:
        return Method.CANCEL
    if notice.kind is NotificationKind.REASSIGNED and (
        recipient.user_id == notice.previous_facilitator_id
    ):
        return Method.CANCEL  # no longer theirs to attend
    return Method.REQUEST if notice.kind in _REQUESTS else None


def people_involved(attendees: Iterable[str], notices: Iterable[Notify]) -> set[str]:
    ids = set(attendees)
    for notice in notices:
        ids.update(r.user_id for r in notice.recipients if r.user_id)
        if notice.previous_facilitator_id:
            ids.add(notice.previous_facilitator_id)
    return ids


def name_of(users: dict[str, User], user_id: str | None) -> str:
    user = users.get(user_id or "")
    return user.name if user else "someone"


def scheduled_by(users: dict[str, User], actor_id: str, facilitator_id: str) -> str:
    """Who booked it, as the invitation says: "Sue, on behalf of Sam," when not the owner."""
    if actor_id == facilitator_id:
        return name_of(users, facilitator_id)
    return f"{name_of(users, actor_id)}, on behalf of {name_of(users, facilitator_id)},"


def outbox_messages(
    notices: Iterable[Notify],
    users: dict[str, User],
    *,
    scope: str,
    meeting_id: str | None,
    guest_zone: str,
    context: Context,
    invitation: Invitation,
) -> list[OutboxMessage]:
    messages = []
    for notice in notices:
        template = templates.get_template(f"{notice.kind.value}.txt.j2")
        for recipient in notice.recipients:
            user = users.get(recipient.user_id) if recipient.user_id else None
            if recipient.user_id and user is None:
                continue  # the user no longer exists; nobody to tell
            if (
                notice.kind is NotificationKind.REMINDER
                and user is not None
                and not user.preferences.meeting_reminders
            ):
                continue
            text = template.render(
                notice=notice,
                recipient=user.name if user else recipient.email,
                **context(notice, recipient, user.timezone if user else guest_zone),
            )
            subject, _, body = text.partition("\n")
            messages.append(
                OutboxMessage(
                    dedupe_key=notice.dedupe_key(scope, recipient),
                    kind=notice.kind.value,
                    subject=subject.strip(),
                    body=body.strip() + "\n",
                    user_id=recipient.user_id,
                    email=user.email if user else recipient.email,
                    meeting_id=meeting_id,
                    calendar=invitation(notice, recipient),
                )
            )
    return messages


def render(
    meeting: Meeting,
    notices: Iterable[Notify],
    users: dict[str, User],
    *,
    secret: str,
    base_url: str,
    now: datetime,
) -> list[OutboxMessage]:
    @cache
    def calendar(method: Method) -> str:
        return meeting_invitation(meeting, users, method, now=now)

    def invitation(notice: Notify, recipient: Recipient) -> str | None:
        method = invitation_method(meeting, notice, recipient)
        return None if method is None else calendar(method)

    def context(notice: Notify, recipient: Recipient, tz: str) -> dict[str, Any]:
        link = ""
        if recipient.email is not None:
            link = f"{base_url}/guest/{guest_token(secret, meeting.id, recipient.email)}"
        previous = notice.previous_starts_at
        return {
            "meeting": meeting,
            "kind_label": _KIND_LABEL[meeting.kind],
            "when": human(meeting.starts_at, tz),
            "previous_when": human(previous, tz) if previous else "",
            "options_when": [human(option, tz) for option in notice.options],
            "facilitator": name_of(users, meeting.facilitator_id),
            "scheduled_by": scheduled_by(users, meeting.created_by, meeting.facilitator_id),
            "previous_facilitator": name_of(users, notice.previous_facilitator_id),
            "participants": ", ".join(name_of(users, p) for p in meeting.participant_ids),
            "is_new_facilitator": recipient.user_id == meeting.facilitator_id,
            "is_previous_facilitator": recipient.user_id == notice.previous_facilitator_id,
            "guest_link": link,
        }

    return outbox_messages(
        notices,
        users,
        scope=f"meeting-{meeting.id}",
        meeting_id=meeting.id,
        guest_zone=meeting.timezone,
        context=context,
        invitation=invitation,
    )


def render_series(
    series: Series, notices: Iterable[Notify], users: dict[str, User], *, now: datetime
) -> list[OutboxMessage]:
    first = series.current

    @cache
    def calendar() -> str:
        return series_invitation(series, users, now=now)

    def invitation(notice: Notify, _: Recipient) -> str | None:
        # One invitation with the rule for the whole series, not one per occurrence (N2, N6).
        return calendar() if notice.kind is NotificationKind.SERIES_CREATED else None

    def context(notice: Notify, recipient: Recipient, tz: str) -> dict[str, Any]:
        return {
            "series": series,
            "cadence": first.recurrence.removeprefix("RRULE:"),
            "duration_minutes": first.duration_minutes,
            "when": human(first.starts_at, tz),
            "occurrence_when": human(notice.at, tz) if notice.at else "",
            "facilitator": name_of(users, series.facilitator_id),
            "scheduled_by": scheduled_by(users, series.created_by, series.facilitator_id),
            "participant": name_of(users, series.participant_id),
        }

    return outbox_messages(
        notices,
        users,
        scope=f"series-{series.id}",
        meeting_id=None,
        guest_zone=first.timezone,
        context=context,
        invitation=invitation,
    )
