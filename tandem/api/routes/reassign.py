"""Reassigning a meeting to another facilitator (SPEC M10), with the candidates' availability."""

from __future__ import annotations

from collections import defaultdict

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from tandem.api.auth import CurrentUser
from tandem.api.errors import invalid
from tandem.api.idempotency import IdempotencyKey
from tandem.api.meeting_access import Visible, gate, load, send_update
from tandem.api.schemas import ReassignBody, clash_out
from tandem.api.services import Services, Svc
from tandem.domain import lifecycle
from tandem.domain.access import may_facilitate, may_reassign
from tandem.domain.meetings import Clash, MeetingKind, Reassign, ReassignOutcome
from tandem.domain.users import User
from tandem.store import bookings, users

router = APIRouter(prefix="/v1/meetings", tags=["meetings"])


def _blocks_coaching(visible: Visible, blocks: list[Clash]) -> bool:
    """A coaching appointment may never overlap another coaching appointment (M10, W3)."""
    return visible.meeting.kind is MeetingKind.COACHING and any(
        b.kind is MeetingKind.COACHING for b in blocks
    )


async def _blocks(svc: Services, visible: Visible, user_ids: list[str]) -> dict[str, list[Clash]]:
    m = visible.meeting
    found = await svc.db.read(
        lambda session: bookings.clashes(
            session, user_ids, m.starts_at, m.ends_at, excluding_meeting=m.id
        )
    )
    grouped: dict[str, list[Clash]] = defaultdict(list)
    for clash in found:
        grouped[clash.user_id].append(clash)
    return grouped


def _candidate(user: User, blocks: list[Clash], visible: Visible) -> dict:
    return {
        "user_id": user.id,
        "name": user.name,
        "timezone": user.timezone,
        "available": not blocks,
        "selectable": not _blocks_coaching(visible, blocks),
        "blocks": [clash_out(b) for b in blocks],
    }


@router.get("/{meeting_id}/reassign-candidates")
async def reassign_candidates(meeting_id: str, user: CurrentUser, svc: Svc) -> dict:
    visible = await load(svc, user, meeting_id)
    gate(may_reassign(user, visible.meeting, visible.people), "reassign")
    m = visible.meeting
    participants = [visible.people[p] for p in m.participant_ids if p in visible.people]
    everyone = await svc.db.read(users.all_users)
    candidates = [
        u
        for u in everyone
        if u.id != m.facilitator_id
        and u.id not in m.participant_ids
        and may_facilitate(u, m.kind, participants) is None
    ]
    blocks = await _blocks(svc, visible, [c.id for c in candidates])
    items = [_candidate(c, blocks.get(c.id, []), visible) for c in candidates]
    items.sort(key=lambda item: (not item["available"], item["name"]))
    return {"items": items, "next_cursor": None}


@router.post("/{meeting_id}/reassign")
async def reassign_meeting(
    meeting_id: str,
    body: ReassignBody,
    user: CurrentUser,
    svc: Svc,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    visible = await load(svc, user, meeting_id)
    gate(may_reassign(user, visible.meeting, visible.people), "reassign")
    m = visible.meeting
    target = await svc.db.read(lambda session: users.get_user(session, body.facilitator_id))
    if target is None:
        raise invalid("facilitator_id", f"no user {body.facilitator_id}")
    participants = [visible.people[p] for p in m.participant_ids if p in visible.people]
    if reason := may_facilitate(target, m.kind, participants):
        raise invalid("facilitator_id", reason)
    blocks = (await _blocks(svc, visible, [target.id])).get(target.id, [])
    if blocks and not _blocks_coaching(visible, blocks) and body.reason is None:
        raise invalid(
            "reason",
            f"{target.name} is not available at that time; give a reason to assign them anyway",
        )

    def respond(outcome: ReassignOutcome) -> dict:
        return {
            "meeting": visible.out(outcome.meeting),
            "not_available": [clash_out(c) for c in outcome.not_available],
        }

    return await send_update(
        svc,
        user,
        visible,
        operation="reassign",
        change=Reassign(actor_id=user.id, facilitator_id=target.id, reason=body.reason),
        idempotency_key=idempotency_key,
        payload=body.model_dump(mode="json"),
        precheck=lambda meeting: lifecycle.check_reassign(meeting, target.id),
        respond=respond,
    )
