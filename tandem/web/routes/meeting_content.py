"""The meeting page's content: agenda topics (C1), action items (C2), notes (C4-C6) and
attachments (C7). Plain forms redirect back to the page (Post/Redirect/Get); htmx gets the
changed section back, so the page does not reload."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError

from tandem.domain.content import ItemKind
from tandem.domain.errors import DomainError, invalid
from tandem.uploads import document_response, upload_reader
from tandem.usecases import attachments, content
from tandem.usecases.attachments import AttachmentBody
from tandem.usecases.content import ItemCreate, ItemPatch, MoveBody, NoteCreate, NotePatch
from tandem.web.forms import from_form, optional_text, text
from tandem.web.render import services
from tandem.web.routes.meeting_view import (
    HIDE_PRIVATE_COOKIE,
    ITEM_SECTIONS,
    back_to,
    content_done,
    failed,
    is_htmx,
    section,
)
from tandem.web.session import WebUser

router = APIRouter(tags=["web: meeting content"])


def _item_routes(path: str, kind: ItemKind) -> None:
    name = ITEM_SECTIONS[kind]
    base = f"/meetings/{{meeting_id}}/{path}"

    @router.post(base, name=f"web_add_{kind.value}", include_in_schema=False)
    async def add(meeting_id: str, request: Request, user: WebUser) -> Response:
        form = await request.form()
        try:
            body = from_form(
                ItemCreate,
                {
                    "text": form.get("text", ""),
                    "url": optional_text(form, "url"),
                    **(
                        {
                            "assignee_id": optional_text(form, "assignee_id"),
                            "due_date": optional_text(form, "due_date"),
                        }
                        if kind is ItemKind.ACTION
                        else {}
                    ),
                },
            )
            await content.add_item(services(request), user, meeting_id, kind, body)
        except (DomainError, ValidationError) as error:
            return await failed(
                request, user, meeting_id, error, form=form, which=name, section_name=name
            )
        return await content_done(request, user, meeting_id, name)

    @router.post(f"{base}/{{item_id}}/move", name=f"web_move_{kind.value}", include_in_schema=False)
    async def move(meeting_id: str, item_id: str, request: Request, user: WebUser) -> Response:
        form = await request.form()
        try:
            body = from_form(MoveBody, {"direction": form.get("direction")})
            await content.move_item(services(request), user, meeting_id, kind, item_id, body)
        except (DomainError, ValidationError) as error:
            return await failed(
                request, user, meeting_id, error, form={}, which=name, section_name=name
            )
        return await content_done(request, user, meeting_id, name)

    @router.post(
        f"{base}/{{item_id}}/complete", name=f"web_complete_{kind.value}", include_in_schema=False
    )
    async def complete(meeting_id: str, item_id: str, request: Request, user: WebUser) -> Response:
        """``completed=1`` marks it complete, ``0`` opens it again (C1: either participant)."""
        form = await request.form()
        body = ItemPatch(completed=form.get("completed") != "0")
        try:
            await content.edit_item(services(request), user, meeting_id, kind, item_id, body)
        except DomainError as error:
            return await failed(
                request, user, meeting_id, error, form={}, which=name, section_name=name
            )
        return await content_done(request, user, meeting_id, name)

    @router.post(
        f"{base}/{{item_id}}/delete", name=f"web_delete_{kind.value}", include_in_schema=False
    )
    async def delete(meeting_id: str, item_id: str, request: Request, user: WebUser) -> Response:
        try:
            await content.delete_item(services(request), user, meeting_id, kind, item_id)
        except DomainError as error:
            return await failed(
                request, user, meeting_id, error, form={}, which=name, section_name=name
            )
        return await content_done(request, user, meeting_id, name)


_item_routes("agenda", ItemKind.TOPIC)
_item_routes("action-items", ItemKind.ACTION)


# -- notes -----------------------------------------------------------------------------------


@router.post("/meetings/{meeting_id}/notes", include_in_schema=False)
async def add_note(meeting_id: str, request: Request, user: WebUser) -> Response:
    form = await request.form()
    try:
        body = from_form(
            NoteCreate,
            {"body": form.get("body", ""), "visibility": form.get("visibility") or "shared"},
        )
        await content.add_note(services(request), user, meeting_id, body)
    except (DomainError, ValidationError) as error:
        return await failed(
            request, user, meeting_id, error, form=form, which="notes", section_name="notes"
        )
    return await content_done(request, user, meeting_id, "notes")


@router.post("/meetings/{meeting_id}/notes/private-view", include_in_schema=False)
async def private_view(meeting_id: str, request: Request, user: WebUser) -> Response:
    """C5: the author shows or hides their private notes in their own view (a cookie, so it
    holds across reloads, e.g. while sharing the screen)."""
    form = await request.form()
    hide = form.get("hide") == "1"
    response: Response
    if is_htmx(request):
        # Rendered with the new choice: the cookie this request carries is the old one.
        response = await section(request, user, meeting_id, "notes", hide_private=hide)
    else:
        response = back_to(meeting_id, "#notes")
    response.set_cookie(
        HIDE_PRIVATE_COOKIE,
        "1" if hide else "0",
        path="/meetings",
        httponly=True,
        samesite="lax",
        max_age=365 * 86400,
    )
    return response


@router.post("/meetings/{meeting_id}/notes/{note_id}/edit", include_in_schema=False)
async def edit_note(meeting_id: str, note_id: str, request: Request, user: WebUser) -> Response:
    form = await request.form()
    try:
        body = from_form(NotePatch, {"body": form.get("body", "")})
        await content.edit_note(services(request), user, meeting_id, note_id, body)
    except (DomainError, ValidationError) as error:
        return await failed(
            request, user, meeting_id, error, form=form, which="notes", section_name="notes"
        )
    return await content_done(request, user, meeting_id, "notes")


@router.post("/meetings/{meeting_id}/notes/{note_id}/delete", include_in_schema=False)
async def delete_note(meeting_id: str, note_id: str, request: Request, user: WebUser) -> Response:
    try:
        await content.delete_note(services(request), user, meeting_id, note_id)
    except DomainError as error:
        return await failed(
            request, user, meeting_id, error, form={}, which="notes", section_name="notes"
        )
    return await content_done(request, user, meeting_id, "notes")


# -- attachments -----------------------------------------------------------------------------


def _attachment_body(form: Mapping[str, Any], kind: str) -> AttachmentBody:
    """A link is a URL; an interaction is typed as its full URL or its id, in one field."""
    if kind == "interaction":
        typed = text(form, "interaction")
        where = "url" if typed.startswith(("http://", "https://")) else "ref"
        try:
            return from_form(AttachmentBody, {"kind": kind, where: typed or None})
        except ValidationError as error:
            # The page has one field for both: put the message there.
            message = error.errors()[0]["msg"].removeprefix("Value error, ")
            raise invalid("interaction", message) from None
    return from_form(
        AttachmentBody,
        {"kind": "link", "url": optional_text(form, "url"), "title": optional_text(form, "title")},
    )


@router.post("/meetings/{meeting_id}/attachments", include_in_schema=False)
async def add_attachment(meeting_id: str, request: Request, user: WebUser) -> Response:
    form = await request.form()
    kind = "interaction" if form.get("kind") == "interaction" else "link"
    try:
        body = _attachment_body(form, kind)
        await attachments.add_attachment(services(request), user, meeting_id, body)
    except (DomainError, ValidationError) as error:
        return await failed(
            request, user, meeting_id, error, form=form, which=kind, section_name="attachments"
        )
    return await content_done(request, user, meeting_id, "attachments")


@router.post("/meetings/{meeting_id}/attachments/documents", include_in_schema=False)
async def upload_document(meeting_id: str, request: Request, user: WebUser) -> Response:
    try:
        await attachments.upload_document(
            services(request), user, meeting_id, upload_reader(request)
        )
    except DomainError as error:
        form = await request.form()
        kept = {"title": form.get("title") if isinstance(form.get("title"), str) else ""}
        return await failed(
            request,
            user,
            meeting_id,
            error,
            form=kept,
            which="document",
            section_name="attachments",
        )
    return await content_done(request, user, meeting_id, "attachments")


@router.get("/meetings/{meeting_id}/attachments/{attachment_id}/download", include_in_schema=False)
async def download(
    meeting_id: str, attachment_id: str, request: Request, user: WebUser
) -> Response:
    row = await attachments.download_document(services(request), user, meeting_id, attachment_id)
    return document_response(row)


@router.post("/meetings/{meeting_id}/attachments/{attachment_id}/delete", include_in_schema=False)
async def remove_attachment(
    meeting_id: str, attachment_id: str, request: Request, user: WebUser
) -> Response:
    try:
        await attachments.remove_attachment(services(request), user, meeting_id, attachment_id)
    except DomainError as error:
        return await failed(
            request,
            user,
            meeting_id,
            error,
            form={},
            which="attachments",
            section_name="attachments",
        )
    return await content_done(request, user, meeting_id, "attachments")
