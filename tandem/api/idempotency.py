"""Idempotency-Key handling (SPEC M13), following the IETF httpapi draft.

The first request with a key claims it (and the id of the resource it will create); a retry with
the same key and body gets the first response replayed, or, if the first is still in flight or
crashed, repeats the operation against the same resource, which the workflow deduplicates. The
same key with a different body is a 422.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Header
from fastapi.responses import JSONResponse

from tandem.api.errors import invalid
from tandem.api.services import Services
from tandem.domain.users import User
from tandem.store import idempotency

MAX_KEY_LENGTH = 255

IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key")]


@dataclass(frozen=True)
class Claim:
    key: str | None
    resource_id: str | None
    replay: JSONResponse | None = None

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
        raise invalid("Idempotency-Key", f"must be 1 to {MAX_KEY_LENGTH} characters")
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
        raise invalid("Idempotency-Key", "already used for a different request")
    replay = None
    if record.status_code is not None and record.response is not None:
        replay = JSONResponse(
            record.response, status_code=record.status_code, headers={"Idempotent-Replayed": "true"}
        )
    return Claim(key, record.resource_id, replay)


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
