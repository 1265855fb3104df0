"""Meeting content: agenda topics (C1), action items (C2), shared and private notes (C4, C5),
coaching notes (C6). Readable by whoever sees the meeting in full (never ops); changed only by
the people in the meeting."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter
from sqlalchemy.orm import Session

from tandem.api.auth import CurrentUser
from tandem.api.errors import invalid
from tandem.api.meeting_access import Visible, gate, load, now
from tandem.api.schemas import Strict, UserId, iso
from tandem.api.services import Services, Svc
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
from tandem.domain.errors import NotFound
from tandem.domain.meetings import MeetingKind
from tandem.domain.users import User
from tandem.store import content
from tandem.store.schema import AgendaItemRow, NoteRow

router = APIRouter(prefix="/v1/meetings/{meeting_id}", tags=["content"])


class ItemCreate(Strict):
    text: ItemText
    url: Url | None = None
    assignee_id: UserId | None = None
    due_date: date | None = None


class ItemPatch(Strict):
    text: ItemText | None = None
    url: Url | None = None
    completed: bool | None = None
    assignee_id: UserId | None = None
    due_date: date | None = None


class MoveBody(Strict):
    direction: Direction


class NoteCreate(Strict):
    body: NoteBody
    visibility: NoteVisibility = NoteVisibility.SHARED


class NotePatch(Strict):
    body: NoteBody


def _item_out(row: AgendaItemRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "kind": row.kind,
        "text": row.text,
        "url": row.url,
        "author_id": row.author_id,
        "position": row.position,
        "completed": row.completed_at is not None,
        "completed_at": iso(row.completed_at),
        "completed_by": row.completed_by,
        "assignee_id": row.assignee_id,
        "due_date": row.due_date.isoformat() if row.due_date else None,
        "rolled_over_from": row.rolled_over_from,
        "created_at": iso(row.created_at),
    }


def _note_out(row: NoteRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "author_id": row.author_id,
        "visibility": row.visibility,
        "body": row.body,
        "created_at": iso(row.created_at),
        "updated_at": iso(row.updated_at),
    }


async def _reader(svc: Services, user: User, meeting_id: str) -> Visible:
    visible = await load(svc, user, meeting_id)
    gate(may_read_content(user, visible.meeting, visible.view is View.FULL), "read the content of")
    return visible


async def _writer(svc: Services, user: User, meeting_id: str) -> Visible:
    visible = await load(svc, user, meeting_id)
    gate(is_participant(user, visible.meeting), "change the content of")
    return visible


def _check_action_fields(kind: ItemKind, visible: Visible, body: ItemCreate | ItemPatch) -> None:
    if kind is ItemKind.TOPIC and (body.assignee_id or body.due_date):
        raise invalid("assignee_id", "agenda topics have no assignee or due date")
    if body.assignee_id and body.assignee_id not in visible.meeting.attendee_ids:
        raise invalid("assignee_id", "the assignee must be someone in the meeting")


def _item_routes(path: str, kind: ItemKind) -> None:
    @router.get(path, name=f"list_{kind.value}s")
    async def list_items(meeting_id: str, user: CurrentUser, svc: Svc) -> dict:
        await _reader(svc, user, meeting_id)
        rows = await svc.db.read(lambda session: content.items(session, meeting_id, kind))
        return {"items": [_item_out(r) for r in rows], "next_cursor": None}

    @router.post(path, status_code=201, name=f"add_{kind.value}")
    async def add_item(meeting_id: str, body: ItemCreate, user: CurrentUser, svc: Svc) -> dict:
        visible = await _writer(svc, user, meeting_id)
        _check_action_fields(kind, visible, body)
        row = await svc.db.write(
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
        return _item_out(row)

    @router.patch(f"{path}/{{item_id}}", name=f"edit_{kind.value}")
    async def edit_item(
        meeting_id: str, item_id: str, body: ItemPatch, user: CurrentUser, svc: Svc
    ) -> dict:
        visible = await _writer(svc, user, meeting_id)
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

        return _item_out(await svc.db.write(edit))

    @router.delete(f"{path}/{{item_id}}", name=f"delete_{kind.value}")
    async def delete_item(meeting_id: str, item_id: str, user: CurrentUser, svc: Svc) -> dict:
        visible = await _writer(svc, user, meeting_id)

        def delete(session: Session) -> None:
            row = content.item(session, meeting_id, kind, item_id)
            allowed = may_delete_item(user, kind, row.author_id, visible.meeting)
            gate(allowed, "delete this item from")
            content.delete_item(session, row)

        await svc.db.write(delete)
        return {"id": item_id, "deleted": True}

    @router.post(f"{path}/{{item_id}}/move", name=f"move_{kind.value}")
    async def move_item(
        meeting_id: str, item_id: str, body: MoveBody, user: CurrentUser, svc: Svc
    ) -> dict:
        await _writer(svc, user, meeting_id)

        def move(session: Session) -> list[AgendaItemRow]:
            content.move(session, content.item(session, meeting_id, kind, item_id), body.direction)
            return content.items(session, meeting_id, kind)

        rows = await svc.db.write(move)
        return {"items": [_item_out(r) for r in rows], "next_cursor": None}


_item_routes("/agenda", ItemKind.TOPIC)
_item_routes("/action-items", ItemKind.ACTION)


@router.get("/notes")
async def list_notes(
    meeting_id: str, user: CurrentUser, svc: Svc, hide_private: bool = False
) -> dict:
    """``hide_private`` lets an author keep their private notes off screen (C5) while sharing it."""
    visible = await _reader(svc, user, meeting_id)
    rows = await svc.db.read(lambda session: content.notes(session, meeting_id))
    shown = [
        r
        for r in rows
        if may_see_note(user, visible.meeting, NoteVisibility(r.visibility), r.author_id)
        and not (hide_private and r.visibility == NoteVisibility.PRIVATE.value)
    ]
    return {"items": [_note_out(r) for r in shown], "next_cursor": None}


@router.post("/notes", status_code=201)
async def add_note(meeting_id: str, body: NoteCreate, user: CurrentUser, svc: Svc) -> dict:
    visible = await _writer(svc, user, meeting_id)
    gate(may_write_notes(user, visible.meeting), "add notes to")
    if body.visibility not in note_visibilities(visible.meeting):
        allowed = ", ".join(sorted(v.value for v in note_visibilities(visible.meeting)))
        raise invalid("visibility", f"a {visible.meeting.kind.value} note is one of: {allowed}")
    row = await svc.db.write(
        lambda session: content.add_note(
            session,
            meeting_id=meeting_id,
            author_id=user.id,
            visibility=body.visibility,
            body=body.body,
            now=now(),
        )
    )
    return _note_out(row)


def _editable_note(session: Session, visible: Visible, user: User, note_id: str) -> NoteRow:
    row = content.note(session, visible.meeting.id, note_id)
    if not may_see_note(user, visible.meeting, NoteVisibility(row.visibility), row.author_id):
        raise NotFound("no such note")
    # 1:1 notes belong to their author; coaching notes to the organiser and facilitator (C6).
    coaching = visible.meeting.kind is MeetingKind.COACHING
    allowed = row.author_id == user.id or (coaching and may_write_notes(user, visible.meeting))
    gate(allowed, "change this note in")
    return row


@router.patch("/notes/{note_id}")
async def edit_note(
    meeting_id: str, note_id: str, body: NotePatch, user: CurrentUser, svc: Svc
) -> dict:
    visible = await _writer(svc, user, meeting_id)

    def edit(session: Session) -> NoteRow:
        row = _editable_note(session, visible, user, note_id)
        row.body = body.body
        row.updated_at = now()
        return row

    return _note_out(await svc.db.write(edit))


@router.delete("/notes/{note_id}")
async def delete_note(meeting_id: str, note_id: str, user: CurrentUser, svc: Svc) -> dict:
    visible = await _writer(svc, user, meeting_id)
    await svc.db.write(
        lambda session: session.delete(_editable_note(session, visible, user, note_id))
    )
    return {"id": note_id, "deleted": True}
