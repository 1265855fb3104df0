"""Temporal's remote codec protocol (issue 8): the Temporal UI and ``temporal … --codec-endpoint``
send the sealed payloads of a history here and show what comes back. Only people with
``ops.history.view`` get them opened. The UI runs on another origin, so ``/codec`` (and nothing
else) answers CORS for the Temporal UI's origin, with credentials: a person signed in to the web
app is recognised by their session cookie, the CLI by ``--codec-auth 'Bearer <token>'``.
"""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send
from temporalio.api.common.v1 import Payload

from tandem.api.bearer import bearer_token, bearer_user
from tandem.api.errors import unauthenticated
from tandem.api.responses import CodecOut, ErrorOut
from tandem.api.services import Svc
from tandem.domain.users import User
from tandem.usecases import ops
from tandem.usecases.context import Services
from tandem.usecases.schemas import CodecIn
from tandem.web.session import current_session

router = APIRouter(prefix="/codec", tags=["ops"])
PATH = "/codec/"


class CodecCors:
    """CORS for ``/codec/…`` only: the Temporal UI's origin must not read the rest of the app."""

    def __init__(self, app: ASGIApp, ui_url: str) -> None:
        self.app = app
        parts = urlsplit(ui_url)
        self.cors = CORSMiddleware(
            app,
            allow_origins=[f"{parts.scheme}://{parts.netloc}"],
            allow_credentials=True,
            allow_methods=["POST"],
            allow_headers=["Authorization", "Content-Type", "X-Namespace"],
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        codec = scope["type"] == "http" and scope["path"].startswith(PATH)
        await (self.cors if codec else self.app)(scope, receive, send)


async def _caller(request: Request) -> User:
    if bearer_token(request):
        user = await bearer_user(request)
    else:
        signed = await current_session(request)
        user = signed.user if signed else None
    if user is None:
        raise unauthenticated("a valid bearer token or a web sign-in is required")
    return user


def _payloads(body: CodecIn) -> list[Payload]:
    return [
        Payload(
            metadata={k: base64.b64decode(v) for k, v in p.metadata.items()},
            data=base64.b64decode(p.data),
        )
        for p in body.payloads
    ]


def _out(payloads: list[Payload]) -> dict:
    def text(raw: bytes) -> str:
        return base64.b64encode(raw).decode()

    return {
        "payloads": [
            {"metadata": {k: text(v) for k, v in p.metadata.items()}, "data": text(p.data)}
            for p in payloads
        ]
    }


Transform = Callable[[Services, User, list[Payload]], Awaitable[list[Payload]]]
ERRORS: dict[int | str, dict] = {
    401: {"model": ErrorOut},
    403: {"model": ErrorOut},
    422: {"model": ErrorOut},
}


async def _apply(transform: Transform, request: Request, svc: Services, body: CodecIn) -> dict:
    return _out(await transform(svc, await _caller(request), _payloads(body)))


@router.post("/decode", response_model=CodecOut, responses=ERRORS)
async def decode(request: Request, svc: Svc, body: CodecIn) -> dict:
    """Open sealed payloads (needs ops.history.view)."""
    return await _apply(ops.open_payloads, request, svc, body)


@router.post("/encode", response_model=CodecOut, responses=ERRORS)
async def encode(request: Request, svc: Svc, body: CodecIn) -> dict:
    """Seal payloads, as Tandem's processes do (needs ops.history.view)."""
    return await _apply(ops.seal_payloads, request, svc, body)
