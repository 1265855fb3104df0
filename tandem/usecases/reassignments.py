"""Bulk reassignment (SPEC M10): start a job that moves one person's future meetings and active
series to another, and follow its progress. The moves themselves are single reassignments
(``usecases.reassign``, ``usecases.series``), run by the job's workflow."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tandem.domain.access import may_reassign_for, may_view_reassignment
from tandem.domain.errors import NotAllowed, invalid, not_found
from tandem.domain.inputs import Choice
from tandem.domain.reassignments import BulkReassign, ReassignScope, TargetOutcome
from tandem.domain.users import User
from tandem.store import reassignments, users
from tandem.store.reassignments import JobRecord
from tandem.usecases import idempotency
from tandem.usecases.context import Services
from tandem.usecases.idempotency import Reply
from tandem.usecases.schemas import ReasonIn, Strict, UserId, iso


class ReassignmentBody(Strict):
    from_user_id: UserId
    to_user_id: UserId
    reason: ReasonIn
    scope: Choice[ReassignScope] = ReassignScope.BOTH


def _target_out(outcome: TargetOutcome) -> dict[str, Any]:
    t = outcome.target
    return {
        "kind": t.kind.value,
        "id": t.id,
        "name": t.name,
        "starts_at": iso(t.starts_at),
        "reason": outcome.reason,
    }


def job_out(record: JobRecord) -> dict[str, Any]:
    job, progress = record.job, record.progress
    return {
        "id": job.job_id,
        "state": progress.state.value,
        "from_user_id": job.from_user_id,
        "to_user_id": job.to_user_id,
        "reason": job.reason,
        "scope": job.scope.value,
        "total": progress.total,
        "done": progress.done,
        "moved": [_target_out(o) for o in progress.outcomes if o.moved],
        "not_moved": [_target_out(o) for o in progress.outcomes if not o.moved],
        "created_at": iso(record.created_at),
        "updated_at": iso(record.updated_at),
    }


async def start_reassignment(
    svc: Services, user: User, body: ReassignmentBody, *, idempotency_key: str | None = None
) -> Reply:
    """202 with the job; the same Idempotency-Key again answers with the same job."""
    if not may_reassign_for(user, body.from_user_id):
        raise NotAllowed(
            "only ops (or admins) may reassign someone else's meetings; supervisors with "
            "meetings.reassign may reassign their own",
            field="from_user_id",
        )
    people = await svc.db.read(
        lambda session: users.get_users(session, [body.from_user_id, body.to_user_id])
    )
    for field in ("from_user_id", "to_user_id"):
        if getattr(body, field) not in people:
            raise invalid(field, f"no user {getattr(body, field)}")
    if body.from_user_id == body.to_user_id:
        raise invalid("to_user_id", "must be someone other than from_user_id")

    claim = await idempotency.claim_create(
        svc, user, idempotency_key, operation="bulk_reassign", body=body
    )
    if claim.replay is not None:
        return claim.replay
    assert claim.resource_id is not None
    job = BulkReassign(
        job_id=claim.resource_id,
        actor_id=user.id,
        from_user_id=body.from_user_id,
        to_user_id=body.to_user_id,
        reason=body.reason,
        scope=body.scope,
    )
    record = await svc.db.write(
        lambda session: reassignments.add_job(session, job, datetime.now(UTC))
    )
    await svc.reassignments.start(job)
    out = job_out(record)
    await idempotency.remember(svc, user, claim, 202, out)
    return Reply(202, out)


async def get_reassignment(svc: Services, user: User, job_id: str) -> dict[str, Any]:
    record = await svc.db.read(lambda session: reassignments.get_job(session, job_id))
    if record is None or not may_view_reassignment(user, record.job.actor_id):
        raise not_found("reassignment")
    return job_out(record)
