"""Idempotency-Key handling (SPEC M13), following the IETF httpapi draft.

The first request with a key claims it (and the id of the resource it will create); a retry with
the same key and body gets the first response replayed, or, if the first is still in flight or
crashed, repeats the operation against the same resource, which the workflow deduplicates. The
same key with a different body is a 422.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NoReturn

from pydantic import BaseModel

from tandem.domain.errors import DomainError, ErrorType, Invalid
from tandem.domain.users import User
from tandem.store import idempotency
from tandem.usecases.context import Services

MAX_KEY_LENGTH = 255

# How each domain refusal is recorded, so that a retry is answered with the same status.
REFUSAL_STATUS = {
    ErrorType.CONFLICT: 409,
    ErrorType.NOT_ALLOWED: 403,
    ErrorType.INVALID: 422,
    ErrorType.NOT_FOUND: 404,
}


@dataclass(frozen=True)
class Reply:
    """The answer to an operation that honours an Idempotency-Key: what the first request got,
    byte for byte, when ``replayed``. Adapters show it as they like (JSON, a redirect)."""

    status: int
    body: dict[str, Any]
    replayed: bool = False


def refusal_body(error: DomainError) -> dict[str, Any]:
    return {"error": {"type": error.type.value, "message": error.message, "details": error.details}}


@dataclass(frozen=True)
class Claim:
    key: str | None
    resource_id: str | None
    replay: Reply | None = None

    def update_id(self, user: User, operation: str) -> str | None:
        """A Temporal update id: the workflow answers a repeated id with the first result."""
        if self.key is None:
            return None
        return f"{operation}-" + hashlib.sha256(f"{user.id}\n{self.key}".encode()).hexdigest()[:32]


def _fingerprint(operation: str, target: str | None, payload: Any) -> str:
    canonical = json.dumps([operation, target, payload], sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


async def claim(
    svc: Services,
    user: User,
    key: str | None,
    *,
    operation: str,
    target: str | None,
    payload: Any,
    new_resource_id: str | None = None,
) -> Claim:
    if key is None:
        return Claim(None, new_resource_id)
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise Invalid(
            f"Idempotency-Key: must be 1 to {MAX_KEY_LENGTH} characters", field="Idempotency-Key"
        )
    fingerprint = _fingerprint(operation, target, payload)
    record = await svc.db.write(
        lambda session: idempotency.claim(
            session,
            user_id=user.id,
            key=key,
            operation=operation,
            request_hash=fingerprint,
            resource_id=new_resource_id,
            now=datetime.now(UTC),
        )
    )
    if record.request_hash != fingerprint:
        raise Invalid(
            "Idempotency-Key: already used for a different request", field="Idempotency-Key"
        )
    replay = None
    if record.status_code is not None and record.response is not None:
        replay = Reply(record.status_code, record.response, replayed=True)
    return Claim(key, record.resource_id, replay)


async def claim_create(
    svc: Services, user: User, key: str | None, *, operation: str, body: BaseModel
) -> Claim:
    """A create's claim: the key (if any) is bound to this body and to the new resource's id,
    so a retry reaches the same resource."""
    return await claim(
        svc,
        user,
        key,
        operation=operation,
        target=None,
        payload=body.model_dump(mode="json"),
        new_resource_id=str(uuid.uuid4()),
    )


async def remember(
    svc: Services, user: User, claim_: Claim, status: int, body: dict[str, Any]
) -> None:
    if claim_.key is None:
        return
    await svc.db.write(
        lambda session: idempotency.remember_response(
            session, user_id=user.id, key=claim_.key, status_code=status, response=body
        )
    )


async def refuse(svc: Services, user: User, claim_: Claim, error: DomainError) -> NoReturn:
    """Record a refusal for the retry, then let it reach the caller."""
    await remember(svc, user, claim_, REFUSAL_STATUS[error.type], refusal_body(error))
    raise error
