"""Reassigning a meeting to another facilitator (SPEC M10), with the candidates' availability."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from tandem.domain import lifecycle
from tandem.domain.access import may_facilitate, may_reassign
from tandem.domain.errors import invalid
from tandem.domain.meetings import Clash, MeetingKind, Reassign, ReassignOutcome
from tandem.domain.users import User
from tandem.store import bookings, users
from tandem.usecases.context import Services
from tandem.usecases.idempotency import Reply
from tandem.usecases.meeting_access import Visible, gate, load, send_update
from tandem.usecases.schemas import ReassignBody, clash_out


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


@dataclass(frozen=True)
class Candidate:
    user: User
    blocks: list[Clash]
    # M10: someone with a block can still be chosen (with a reason), except over coaching.
    selectable: bool

    @property
    def available(self) -> bool:
        return not self.blocks


async def reassign_candidates(svc: Services, user: User, meeting_id: str) -> list[Candidate]:
    """Everyone who could facilitate this meeting, the available ones first."""
    visible = await load(svc, user, meeting_id)
    gate(may_reassign(user, visible.meeting, visible.people), "reassign")
    m = visible.meeting
    everyone = await svc.db.read(users.all_users)
    candidates = [
        u
        for u in everyone
        if u.id != m.facilitator_id
        and u.id not in m.participant_ids
        and may_facilitate(u, m.kind, visible.participants) is None
    ]
    blocks = await _blocks(svc, visible, [c.id for c in candidates])
    found = [
        Candidate(c, blocks.get(c.id, []), not _blocks_coaching(visible, blocks.get(c.id, [])))
        for c in candidates
    ]
    found.sort(key=lambda c: (not c.available, c.user.name))
    return found


async def reassign_meeting(
    svc: Services,
    user: User,
    meeting_id: str,
    body: ReassignBody,
    *,
    idempotency_key: str | None = None,
) -> Reply:
    async def checks(visible: Visible) -> None:
        target = await svc.db.read(lambda session: users.get_user(session, body.facilitator_id))
        if target is None:
            raise invalid("facilitator_id", f"no user {body.facilitator_id}")
        if reason := may_facilitate(target, visible.meeting.kind, visible.participants):
            raise invalid("facilitator_id", reason)
        # Whether the new facilitator's other bookings allow it is decided by the booking
        # guard, inside the transaction that books them (M10: overlaps only with a reason,
        # never coaching on coaching), so a booking racing this one cannot slip in between.

    def respond(visible: Visible, outcome: ReassignOutcome) -> dict:
        return {
            "meeting": visible.out(outcome.meeting),
            "not_available": [clash_out(c) for c in outcome.not_available],
        }

    return await send_update(
        svc,
        user,
        meeting_id,
        operation="reassign",
        change=Reassign(actor_id=user.id, facilitator_id=body.facilitator_id, reason=body.reason),
        idempotency_key=idempotency_key,
        payload=body.model_dump(mode="json"),
        authorise=lambda v: gate(may_reassign(user, v.meeting, v.people), "reassign"),
        precheck=lambda meeting: lifecycle.check_reassign(meeting, body.facilitator_id),
        checks=checks,
        respond=respond,
    )
