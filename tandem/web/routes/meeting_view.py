"""What the meeting page shows, gathered once for the whole page and for each htmx fragment.

Every read goes through the same use cases as the API (A3, A4): a meeting the viewer may not
see raises NotFound, which tandem.web.errors turns into the same 404 page as a missing id.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from tandem.domain.access import View
from tandem.domain.attachments import DOCUMENT_TYPES, MAX_DOCUMENT_BYTES
from tandem.domain.content import (
    ItemKind,
    NoteVisibility,
    is_participant,
    may_delete_item,
    may_read_content,
    may_write_notes,
    note_visibilities,
)
from tandem.domain.errors import DomainError
from tandem.domain.meetings import MeetingKind
from tandem.domain.times import zone
from tandem.domain.users import User
from tandem.solver import from_minutes
from tandem.store import users
from tandem.usecases import attachments, coaching, content, meetings, reassign
from tandem.usecases.actions import Action, allowed_actions
from tandem.usecases.attachments import may_remove_attachment
from tandem.usecases.coaching import SlotQueryBody
from tandem.usecases.content import may_change_note
from tandem.usecases.history import meeting_history
from tandem.web.render import field_errors, form_error, page, services

PAGE = "meeting/page.html"
# The author's choice to keep their private notes off screen (C5), e.g. while sharing it. A cookie,
# so a reload during a screen share does not bring them back.
HIDE_PRIVATE_COOKIE = "tandem_hide_private"

# What the page says after a redirect (Post/Redirect/Get); a fixed set, never text from the URL.
DONE_MESSAGES = {
    "edited": "Details saved.",
    "started": "The meeting has started.",
    "completed": "The meeting is completed.",
    "rescheduled": "Rescheduled. The participants have been told the new time and the reason.",
    "cancelled": "Cancelled. The participants have been told the reason.",
    "guest": "The guest has been sent their invitation with a personal link.",
    "reassigned": "Reassigned. The new facilitator has been sent a confirmation.",
}

SECTIONS = {
    "agenda": "meeting/_items.html",
    "actions": "meeting/_items.html",
    "notes": "meeting/_notes.html",
    "attachments": "meeting/_attachments.html",
}
ITEM_SECTIONS = {ItemKind.TOPIC: "agenda", ItemKind.ACTION: "actions"}


def is_htmx(request: Request) -> bool:
    return bool(request.headers.get("HX-Request"))


def hides_private(request: Request) -> bool:
    return request.cookies.get(HIDE_PRIVATE_COOKIE) == "1"


@dataclass(frozen=True)
class Slot:
    starts_at: datetime
    ends_at: datetime
    rating: str
    reasons: list[str]


@dataclass
class SlotChoice:
    """The slot finder's answer for a coaching reschedule (M7): a week's best times."""

    week: date
    slots: list[Slot] = field(default_factory=list)
    problem: str | None = None

    @property
    def previous_week(self) -> date:
        return self.week - timedelta(days=7)

    @property
    def next_week(self) -> date:
        return self.week + timedelta(days=7)


async def _slot_choice(
    request: Request, user: User, visible: meetings.Visible, week: date | None
) -> SlotChoice:
    """Free times for the attendees and facilitator in the week from ``week`` (default today),
    the meeting itself left out so its own time can be offered again."""
    m = visible.meeting
    today = datetime.now(UTC).astimezone(zone(user.timezone)).date()
    week = week or today
    choice = SlotChoice(week)
    start = datetime.combine(week, datetime.min.time(), zone(user.timezone))
    try:
        found = await coaching.query_slots(
            services(request),
            user,
            SlotQueryBody(
                attendee_ids=m.participant_ids,
                facilitator_id=m.facilitator_id,
                window_start=max(start, datetime.now(UTC)),
                window_end=start + timedelta(days=7),
                duration_minutes=m.duration_minutes,
                exclude_meeting_id=m.id,
                include_schedules=False,
            ),
        )
    except (DomainError, ValidationError) as error:
        choice.problem = "; ".join(field_errors(error).values())
        return choice
    choice.slots = [
        Slot(from_minutes(s.start), from_minutes(s.end), s.rating.value, list(s.reasons))
        for s in found.slots
    ]
    return choice


async def meeting_context(
    request: Request,
    user: User,
    meeting_id: str,
    *,
    week: date | None = None,
    hide_private: bool | None = None,
) -> dict[str, Any]:
    """``hide_private`` None: as the viewer's cookie says (C5)."""
    svc = services(request)
    visible = await meetings.view_meeting(svc, user, meeting_id)
    m = visible.meeting
    now = datetime.now(UTC)
    actions = allowed_actions(user, m, visible.people, visible.archived, now)
    # M5: before the start without participant preview, the summary and focus data stay hidden
    # (the preview view), but the agenda is theirs to prepare (C1); ops (A4) never see content.
    # The page asks the same rule the content use cases enforce.
    full = visible.view is View.FULL
    reads_content = may_read_content(user, m, full)
    if hide_private is None:
        hide_private = hides_private(request)
    topics, action_items, notes, files = [], [], [], []
    if reads_content:
        topics = await content.list_items(svc, user, m.id, ItemKind.TOPIC)
        action_items = await content.list_items(svc, user, m.id, ItemKind.ACTION)
        notes = await content.list_notes(svc, user, m.id, hide_private=hide_private)
        files = await attachments.list_attachments(svc, user, m.id)
    candidates = (
        await reassign.reassign_candidates(svc, user, m.id) if Action.REASSIGN in actions else []
    )
    slots = None
    if m.kind is MeetingKind.COACHING and Action.RESCHEDULE in actions:
        slots = await _slot_choice(request, user, visible, week)
    events = (await meeting_history(svc, user, m.id, workflow=False)).entries

    ids = {m.facilitator_id, *m.participant_ids}
    ids |= {r.author_id for r in (*topics, *action_items, *notes)}
    ids |= {r.assignee_id for r in action_items if r.assignee_id}
    ids |= {r.added_by for r in files}
    people = await svc.db.read(lambda session: users.get_users(session, ids))
    names = {uid: u.name for uid, u in people.items()}
    in_meeting = is_participant(user, m)
    return {
        "meeting": m,
        "visible": visible,
        "full": full,
        "reads_content": reads_content,
        "actions": actions,
        "names": names,
        "attendees": [(uid, names.get(uid, "someone")) for uid in m.attendee_ids],
        "items": {ItemKind.TOPIC: topics, ItemKind.ACTION: action_items},
        "item_kinds": ItemKind,
        "may_change_content": in_meeting,
        "deletable": {
            r.id: in_meeting and may_delete_item(user, ItemKind(r.kind), r.author_id, m)
            for r in (*topics, *action_items)
        },
        "notes": notes,
        "note_editable": {
            n.id: in_meeting and may_change_note(user, m, n.author_id) for n in notes
        },
        "may_write_notes": may_write_notes(user, m),
        "note_visibilities": sorted(v.value for v in note_visibilities(m)),
        "private": NoteVisibility.PRIVATE.value,
        "hide_private": hide_private,
        "attachments": files,
        "removable": {a.id: may_remove_attachment(user, a, visible) for a in files},
        "document_types": sorted(DOCUMENT_TYPES),
        "max_document_mib": MAX_DOCUMENT_BYTES // (1024 * 1024),
        "candidates": candidates,
        "slots": slots,
        "events": events,
        "done": DONE_MESSAGES.get(request.query_params.get("done", "")),
        "failed": None,
    }


def back_to(meeting_id: str, anchor: str = "", done: str = "") -> RedirectResponse:
    """Post/Redirect/Get: back to the meeting page, where ``done`` says what happened."""
    query = f"?done={done}" if done else ""
    return RedirectResponse(f"/meetings/{meeting_id}{query}{anchor}", status_code=303)


async def section(
    request: Request, user: User, meeting_id: str, name: str, *, hide_private: bool | None = None
) -> HTMLResponse:
    context = await meeting_context(request, user, meeting_id, hide_private=hide_private)
    return await page(request, SECTIONS[name], user, section=name, **context)


async def content_done(request: Request, user: User, meeting_id: str, name: str) -> Response:
    """After a content change: htmx gets the fresh section, a plain form the page again."""
    if is_htmx(request):
        return await section(request, user, meeting_id, name)
    return back_to(meeting_id, f"#{name}")


async def failed(
    request: Request,
    user: User,
    meeting_id: str,
    error: DomainError | ValidationError,
    *,
    form: Mapping[str, Any],
    which: str,
    section_name: str | None = None,
) -> Response:
    """A form a rule refused, shown again with the message next to the field and what was typed
    kept (409/422; base.html lets htmx swap those). ``which`` names the form on the page, so
    only that one shows the errors; htmx gets just the section the form is in."""
    context = await meeting_context(request, user, meeting_id)
    context["failed"] = which
    if section_name and is_htmx(request):
        return await form_error(
            request, SECTIONS[section_name], user, error, form=form, section=section_name, **context
        )
    return await form_error(request, PAGE, user, error, form=form, **context)
