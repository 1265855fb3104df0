"""FastAPI dependencies: the process's use-case services and the Idempotency-Key header."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from tandem.usecases.context import Services


def services(request: Request) -> Services:
    return request.app.state.services


Svc = Annotated[Services, Depends(services)]

IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key")]
