"""Idempotency-Key handling (SPEC M13), following the IETF httpapi draft.

The first request with a key claims it (and the id of the resource it will create); a retry with
the same key and body gets the first response replayed. If the first answer never got written
(the API died, or the backend answered 503), the retry learns from the change's own transaction
whether it was applied (``Claim.applied``) and answers as the first would have; otherwise it
repeats the operation against the same resource, which the workflow deduplicates. The same key
with a different body is a 422.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NoReturn, TypeVar

from pydantic import BaseModel

from tandem.activities.messages import KEYED_UPDATE, AppliedChange
from tandem.domain.errors import DomainError, ErrorType, Invalid
from tandem.domain.users import User
from tandem.store import idempotency
from tandem.usecases.context import Services

MAX_KEY_LENGTH = 255

T = TypeVar("T")

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
    # The Temporal update id the change is sent as: a running workflow answers a repeated id
    # with the first result, and the change's transaction records its outcome under it.
    update_id: str | None = None
    # That recorded outcome, when an earlier attempt was applied but its answer was lost, and
    # the caller's view of the resource when the key was first used (to answer as then).
    applied: AppliedChange | None = None
    view: str | None = None


def _update_id(user: User, key: str, operation: str) -> str:
    digest = hashlib.sha256(f"{user.id}\n{key}".encode()).hexdigest()[:32]
    return f"{KEYED_UPDATE}{operation}-{digest}"


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
    view: str | None = None,
) -> Claim:
    if key is None:
        return Claim(None, new_resource_id)
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise Invalid(
            f"Idempotency-Key: must be 1 to {MAX_KEY_LENGTH} characters", field="Idempotency-Key"
        )
    fingerprint = _fingerprint(operation, target, payload)
    update_id = _update_id(user, key, operation)
    record = await svc.db.write(
        lambda session: idempotency.claim(
            session,
            user_id=user.id,
            key=key,
            operation=operation,
            request_hash=fingerprint,
            resource_id=new_resource_id,
            update_id=update_id,
            view=view,
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
    applied = None if record.applied is None else AppliedChange.model_validate(record.applied)
    return Claim(key, record.resource_id, replay, update_id, applied, record.view)


async def applied_since(svc: Services, user: User, claim_: Claim) -> AppliedChange | None:
    """Whether this key's change has been applied by now (an earlier attempt may have been in
    flight while this one was refused)."""
    if claim_.key is None:
        return None
    found = await svc.db.read(
        lambda session: idempotency.applied(session, user_id=user.id, key=claim_.key)
    )
    return None if found is None else AppliedChange.model_validate(found)


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


async def applied_once(
    svc: Services,
    user: User,
    claim_: Claim,
    attempt: Callable[[], Awaitable[T]],
    recorded: Callable[[AppliedChange], T | None],
    *,
    explain: Callable[[DomainError], Awaitable[DomainError]] | None = None,
) -> tuple[T, bool]:
    """A keyed change's result, and whether it came from an earlier attempt.

    When an earlier attempt with this key was applied (its answer was lost), ``recorded`` rebuilds
    the result from the outcome its transaction kept, and nothing is sent again. Otherwise the
    change is ``attempt``-ed; a refusal that raced an earlier attempt's success is answered by
    that success, and any other refusal is recorded for the retry (``explain``-ed first)."""
    if claim_.applied is not None and (earlier := recorded(claim_.applied)) is not None:
        return earlier, True
    try:
        return await attempt(), False
    except DomainError as error:
        applied = await applied_since(svc, user, claim_)
        if applied is not None and (earlier := recorded(applied)) is not None:
            return earlier, True
        await refuse(svc, user, claim_, await explain(error) if explain else error)
