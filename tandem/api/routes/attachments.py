"""Attachments on a meeting over HTTP (SPEC C7). The rules live in tandem.usecases.attachments;
documents are uploaded as multipart form data (``file`` and an optional ``title``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from tandem.api.auth import CurrentUser
from tandem.api.errors import ApiError
from tandem.api.responses import (
    AUTHED,
    DOWNLOAD,
    UPLOAD,
    AttachmentList,
    AttachmentOut,
    DeletedOut,
    errors,
)
from tandem.api.services import Svc
from tandem.domain.attachments import AttachmentKind
from tandem.store.schema import AttachmentRow
from tandem.uploads import document_response, upload_reader
from tandem.usecases import attachments as uc
from tandem.usecases.attachments import AttachmentBody, DocumentTooLarge
from tandem.usecases.schemas import iso

router = APIRouter(
    prefix="/v1/meetings/{meeting_id}/attachments", tags=["attachments"], responses=AUTHED
)
# Links and interactions have no content_type, size or download: absent stays absent.
ATTACHMENT = {"response_model": AttachmentOut, "response_model_exclude_unset": True}


def _out(meeting_id: str, row: AttachmentRow) -> dict[str, Any]:
    out = {
        "id": row.id,
        "kind": row.kind,
        "title": row.title,
        "url": row.url,
        "ref": row.ref,
        "added_by": row.added_by,
        "created_at": iso(row.created_at),
    }
    if row.kind == AttachmentKind.DOCUMENT.value:
        out |= {
            "content_type": row.content_type,
            "size": row.size,
            "download": f"/v1/meetings/{meeting_id}/attachments/{row.id}/content",
        }
    return out


@router.get("", response_model=AttachmentList, response_model_exclude_unset=True)
async def list_attachments(meeting_id: str, user: CurrentUser, svc: Svc) -> dict:
    rows = await uc.list_attachments(svc, user, meeting_id)
    return {"items": [_out(meeting_id, r) for r in rows], "next_cursor": None}


@router.post("", status_code=201, **ATTACHMENT)
async def add_attachment(
    meeting_id: str, body: AttachmentBody, user: CurrentUser, svc: Svc
) -> dict:
    return _out(meeting_id, await uc.add_attachment(svc, user, meeting_id, body))


@router.post(
    "/documents",
    status_code=201,
    **ATTACHMENT,
    responses=errors(400, 413),
    openapi_extra=UPLOAD,
)
async def upload_document(meeting_id: str, request: Request, user: CurrentUser, svc: Svc) -> dict:
    try:
        row = await uc.upload_document(svc, user, meeting_id, upload_reader(request))
    except DocumentTooLarge as error:
        raise ApiError(413, error.type.value, error.message, error.details) from None
    return _out(meeting_id, row)


@router.get("/{attachment_id}/content", response_class=Response, responses=DOWNLOAD)
async def download_document(
    meeting_id: str, attachment_id: str, user: CurrentUser, svc: Svc
) -> Response:
    return document_response(await uc.download_document(svc, user, meeting_id, attachment_id))


@router.delete("/{attachment_id}", response_model=DeletedOut)
async def remove_attachment(
    meeting_id: str, attachment_id: str, user: CurrentUser, svc: Svc
) -> dict:
    await uc.remove_attachment(svc, user, meeting_id, attachment_id)
    return {"id": attachment_id, "deleted": True}
