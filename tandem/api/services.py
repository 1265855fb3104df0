"""FastAPI dependencies: the process's use-case services and the Idempotency-Key header."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from tandem.usecases.context import Services


def services(request: Request) -> Services:
    return request.app.state.services


async def _services(request: Request) -> Services:
    # async: FastAPI runs a plain ``def`` dependency in its thread pool, a hop per request just
    # to read an attribute (issue 13).
    return services(request)


Svc = Annotated[Services, Depends(_services)]

IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key")]
