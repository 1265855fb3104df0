"""Meeting content over HTTP: agenda topics (C1), action items (C2), notes (C4-C6). The rules
live in tandem.usecases.content."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from tandem.api.auth import CurrentUser
from tandem.api.responses import AUTHED, DeletedOut, ItemList, ItemOut, NoteList, NoteOut
from tandem.api.services import Svc
from tandem.domain.content import ItemKind
from tandem.store.schema import AgendaItemRow, NoteRow
from tandem.usecases import content as uc
from tandem.usecases.content import ItemCreate, ItemPatch, MoveBody, NoteCreate, NotePatch
from tandem.usecases.schemas import iso

router = APIRouter(prefix="/v1/meetings/{meeting_id}", tags=["content"], responses=AUTHED)


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


def _item_routes(path: str, kind: ItemKind) -> None:
    @router.get(path, name=f"list_{kind.value}s", response_model=ItemList)
    async def list_items(meeting_id: str, user: CurrentUser, svc: Svc) -> dict:
        rows = await uc.list_items(svc, user, meeting_id, kind)
        return {"items": [_item_out(r) for r in rows], "next_cursor": None}

    @router.post(path, status_code=201, name=f"add_{kind.value}", response_model=ItemOut)
    async def add_item(meeting_id: str, body: ItemCreate, user: CurrentUser, svc: Svc) -> dict:
        return _item_out(await uc.add_item(svc, user, meeting_id, kind, body))

    @router.patch(f"{path}/{{item_id}}", name=f"edit_{kind.value}", response_model=ItemOut)
    async def edit_item(
        meeting_id: str, item_id: str, body: ItemPatch, user: CurrentUser, svc: Svc
    ) -> dict:
        return _item_out(await uc.edit_item(svc, user, meeting_id, kind, item_id, body))

    @router.delete(f"{path}/{{item_id}}", name=f"delete_{kind.value}", response_model=DeletedOut)
    async def delete_item(meeting_id: str, item_id: str, user: CurrentUser, svc: Svc) -> dict:
        await uc.delete_item(svc, user, meeting_id, kind, item_id)
        return {"id": item_id, "deleted": True}

    @router.post(f"{path}/{{item_id}}/move", name=f"move_{kind.value}", response_model=ItemList)
    async def move_item(
        meeting_id: str, item_id: str, body: MoveBody, user: CurrentUser, svc: Svc
    ) -> dict:
        rows = await uc.move_item(svc, user, meeting_id, kind, item_id, body)
        return {"items": [_item_out(r) for r in rows], "next_cursor": None}


_item_routes("/agenda", ItemKind.TOPIC)
_item_routes("/action-items", ItemKind.ACTION)


@router.get("/notes", response_model=NoteList)
async def list_notes(
    meeting_id: str, user: CurrentUser, svc: Svc, hide_private: bool = False
) -> dict:
    """``hide_private`` lets an author keep their private notes off screen (C5) while sharing it."""
    rows = await uc.list_notes(svc, user, meeting_id, hide_private=hide_private)
    return {"items": [_note_out(r) for r in rows], "next_cursor": None}


@router.post("/notes", status_code=201, response_model=NoteOut)
async def add_note(meeting_id: str, body: NoteCreate, user: CurrentUser, svc: Svc) -> dict:
    return _note_out(await uc.add_note(svc, user, meeting_id, body))


@router.patch("/notes/{note_id}", response_model=NoteOut)
async def edit_note(
    meeting_id: str, note_id: str, body: NotePatch, user: CurrentUser, svc: Svc
) -> dict:
    return _note_out(await uc.edit_note(svc, user, meeting_id, note_id, body))


@router.delete("/notes/{note_id}", response_model=DeletedOut)
async def delete_note(meeting_id: str, note_id: str, user: CurrentUser, svc: Svc) -> dict:
    await uc.delete_note(svc, user, meeting_id, note_id)
    return {"id": note_id, "deleted": True}
