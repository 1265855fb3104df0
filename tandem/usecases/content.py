"""Meeting content: agenda topics (C1), action items (C2), shared and private notes (C4, C5),
coaching notes (C6). Readable by whoever sees the meeting in full (never ops); changed only by
the people in the meeting."""

from __future__ import annotations

from sqlalchemy.orm import Session

from tandem.domain.access import View
from tandem.domain.content import (
    Direction,
    ItemKind,
    ItemText,
    NoteBody,
    NoteVisibility,
    Url,
    is_participant,
    may_delete_item,
    may_read_content,
    may_see_note,
    may_write_notes,
    note_visibilities,
)
from tandem.domain.errors import NotFound, invalid
from tandem.domain.inputs import Choice, Day
from tandem.domain.meetings import Meeting, MeetingKind
from tandem.domain.users import User
from tandem.store import content
from tandem.store.schema import AgendaItemRow, NoteRow
from tandem.usecases.context import Services
from tandem.usecases.meeting_access import Visible, gate, load, now
from tandem.usecases.schemas import Strict, UserId


class ItemCreate(Strict):
    text: ItemText
    url: Url | None = None
    assignee_id: UserId | None = None
    due_date: Day | None = None


class ItemPatch(Strict):
    text: ItemText | None = None
    url: Url | None = None
    completed: bool | None = None
    assignee_id: UserId | None = None
    due_date: Day | None = None


class MoveBody(Strict):
    direction: Choice[Direction]


class NoteCreate(Strict):
    body: NoteBody
    visibility: Choice[NoteVisibility] = NoteVisibility.SHARED


class NotePatch(Strict):
    body: NoteBody


async def reader(svc: Services, user: User, meeting_id: str) -> Visible:
    visible = await load(svc, user, meeting_id)
    gate(may_read_content(user, visible.meeting, visible.view is View.FULL), "read the content of")
    return visible


async def writer(svc: Services, user: User, meeting_id: str) -> Visible:
    visible = await load(svc, user, meeting_id)
    gate(is_participant(user, visible.meeting), "change the content of")
    return visible


def _check_action_fields(kind: ItemKind, visible: Visible, body: ItemCreate | ItemPatch) -> None:
    if kind is ItemKind.TOPIC and (body.assignee_id or body.due_date):
        raise invalid("assignee_id", "agenda topics have no assignee or due date")
    if body.assignee_id and body.assignee_id not in visible.meeting.attendee_ids:
        raise invalid("assignee_id", "the assignee must be someone in the meeting")


async def list_items(
    svc: Services, user: User, meeting_id: str, kind: ItemKind
) -> list[AgendaItemRow]:
    await reader(svc, user, meeting_id)
    return await svc.db.read(lambda session: content.items(session, meeting_id, kind))


async def add_item(
    svc: Services, user: User, meeting_id: str, kind: ItemKind, body: ItemCreate
) -> AgendaItemRow:
    visible = await writer(svc, user, meeting_id)
    _check_action_fields(kind, visible, body)
    return await svc.db.write(
        lambda session: content.add_item(
            session,
            meeting_id=meeting_id,
            kind=kind,
            text=body.text,
            url=body.url,
            author_id=user.id,
            assignee_id=body.assignee_id,
            due_date=body.due_date,
            now=now(),
        )
    )


async def edit_item(
    svc: Services, user: User, meeting_id: str, kind: ItemKind, item_id: str, body: ItemPatch
) -> AgendaItemRow:
    visible = await writer(svc, user, meeting_id)
    _check_action_fields(kind, visible, body)
    changes = body.model_dump(exclude_unset=True)

    def edit(session: Session) -> AgendaItemRow:
        row = content.item(session, meeting_id, kind, item_id)
        if {"text", "url"} & changes.keys() and row.author_id != user.id:
            gate(False, "reword someone else's item in")
        moment = now()
        if "completed" in changes:
            completed = changes.pop("completed")
            row.completed_at = moment if completed else None
            row.completed_by = user.id if completed else None
        for field, value in changes.items():
            setattr(row, field, value)
        row.updated_at = moment
        return row

    return await svc.db.write(edit)


async def delete_item(
    svc: Services, user: User, meeting_id: str, kind: ItemKind, item_id: str
) -> None:
    visible = await writer(svc, user, meeting_id)

    def delete(session: Session) -> None:
        row = content.item(session, meeting_id, kind, item_id)
        gate(may_delete_item(user, kind, row.author_id, visible.meeting), "delete this item from")
        content.delete_item(session, row)

    await svc.db.write(delete)


async def move_item(
    svc: Services, user: User, meeting_id: str, kind: ItemKind, item_id: str, body: MoveBody
) -> list[AgendaItemRow]:
    await writer(svc, user, meeting_id)

    def move(session: Session) -> list[AgendaItemRow]:
        content.move(session, content.item(session, meeting_id, kind, item_id), body.direction)
        return content.items(session, meeting_id, kind)

    return await svc.db.write(move)


async def list_notes(
    svc: Services, user: User, meeting_id: str, *, hide_private: bool = False
) -> list[NoteRow]:
    """``hide_private`` lets an author keep their private notes off screen (C5) while sharing it."""
    visible = await reader(svc, user, meeting_id)
    rows = await svc.db.read(lambda session: content.notes(session, meeting_id))
    return [
        r
        for r in rows
        if may_see_note(user, visible.meeting, NoteVisibility(r.visibility), r.author_id)
        and not (hide_private and r.visibility == NoteVisibility.PRIVATE.value)
    ]


async def add_note(svc: Services, user: User, meeting_id: str, body: NoteCreate) -> NoteRow:
    visible = await writer(svc, user, meeting_id)
    gate(may_write_notes(user, visible.meeting), "add notes to")
    if body.visibility not in note_visibilities(visible.meeting):
        allowed = ", ".join(sorted(v.value for v in note_visibilities(visible.meeting)))
        raise invalid("visibility", f"a {visible.meeting.kind.value} note is one of: {allowed}")
    return await svc.db.write(
        lambda session: content.add_note(
            session,
            meeting_id=meeting_id,
            author_id=user.id,
            visibility=body.visibility,
            body=body.body,
            now=now(),
        )
    )


def may_change_note(user: User, meeting: Meeting, author_id: str) -> bool:
    """1:1 notes belong to their author; coaching notes to the organiser and facilitator (C6)."""
    coaching = meeting.kind is MeetingKind.COACHING
    return author_id == user.id or (coaching and may_write_notes(user, meeting))


def _editable_note(session: Session, visible: Visible, user: User, note_id: str) -> NoteRow:
    row = content.note(session, visible.meeting.id, note_id)
    if not may_see_note(user, visible.meeting, NoteVisibility(row.visibility), row.author_id):
        raise NotFound("no such note")
    gate(may_change_note(user, visible.meeting, row.author_id), "change this note in")
    return row


async def edit_note(
    svc: Services, user: User, meeting_id: str, note_id: str, body: NotePatch
) -> NoteRow:
    visible = await writer(svc, user, meeting_id)

    def edit(session: Session) -> NoteRow:
        row = _editable_note(session, visible, user, note_id)
        row.body = body.body
        row.updated_at = now()
        return row

    return await svc.db.write(edit)


async def delete_note(svc: Services, user: User, meeting_id: str, note_id: str) -> None:
    visible = await writer(svc, user, meeting_id)
    await svc.db.write(
        lambda session: session.delete(_editable_note(session, visible, user, note_id))
    )
