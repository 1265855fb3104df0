"""Coaching cadence (issue 12 item 3; rule W8 in tandem.domain.cadence): a policy per division,
who is due, and team plans for everyone due."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import Field, ValidationInfo, field_validator

from tandem.domain.access import cadence_access
from tandem.domain.cadence import (
    DEFAULT_DUE_SOON_DAYS,
    CadencePolicy,
    Standing,
    standing,
    to_plan,
    urgency,
)
from tandem.domain.errors import invalid, not_found
from tandem.domain.permissions import Permission
from tandem.domain.users import User
from tandem.store import cadence as store
from tandem.store import users
from tandem.usecases.coaching import (
    COACHING_MINUTES,
    Plan,
    PlanBody,
    check_coaching_duration,
    preview_plan,
)
from tandem.usecases.context import Services
from tandem.usecases.meeting_access import now
from tandem.usecases.schemas import Strict, iso

MAX_EVERY_WEEKS = 52


class CadencePolicyBody(Strict):
    every_weeks: int = Field(ge=1, le=MAX_EVERY_WEEKS, description="coach every agent this often")
    duration_minutes: int = Field(
        json_schema_extra=COACHING_MINUTES, description="session length, as slots allow"
    )
    due_soon_days: int = Field(
        default=DEFAULT_DUE_SOON_DAYS,
        ge=0,
        le=7 * MAX_EVERY_WEEKS,
        description="an agent is due this many days before the due date (at most the period)",
    )

    _duration = field_validator("duration_minutes")(check_coaching_duration)

    @field_validator("due_soon_days")
    @classmethod
    def _within_the_period(cls, days: int, info: ValidationInfo) -> int:
        weeks = info.data.get("every_weeks")
        if weeks is not None and days > 7 * weeks:
            raise ValueError(f"must be at most the period, {7 * weeks} days")
        return days


@dataclass(frozen=True)
class CadenceEntry:
    agent: User
    standing: Standing


@dataclass(frozen=True)
class Cadence:
    policy: CadencePolicy
    entries: list[CadenceEntry]


def division_agents(everyone: list[User], division: str) -> list[User]:
    """The agents a division's cadence covers: its members who attend coaching and do not
    coach (supervisors and quality managers are not on their own division's list)."""
    return [
        person
        for person in everyone
        if division in person.divisions
        and person.can(Permission.COACHING_PARTICIPATE)
        and not person.can(Permission.COACHING_ADD)
        and not person.is_admin
    ]


async def set_policy(
    svc: Services, user: User, division: str, body: CadencePolicyBody
) -> CadencePolicy:
    cadence_access(user, division, change=True)
    return await svc.db.write(
        lambda session: store.put_policy(
            session,
            division,
            every_weeks=body.every_weeks,
            duration_minutes=body.duration_minutes,
            due_soon_days=body.due_soon_days,
            actor_id=user.id,
            now=now(),
        )
    )


async def get_policy(svc: Services, user: User, division: str) -> CadencePolicy:
    cadence_access(user, division, change=False)
    policy = await svc.db.read(lambda session: store.get_policy(session, division))
    if policy is None:
        raise not_found("cadence policy")
    return policy


async def cadence(svc: Services, user: User, division: str) -> Cadence:
    """W8: every agent of the division with their last and next session, due date and status,
    overdue first."""
    policy = await get_policy(svc, user, division)
    moment = now()

    def read(session: Any) -> tuple[list[User], dict]:
        agents = division_agents(users.all_users(session), division)
        return agents, store.sessions_of(session, [a.id for a in agents], moment)

    agents, sessions = await svc.db.read(read)
    entries = [
        CadenceEntry(agent, standing(policy, *sessions[agent.id], moment)) for agent in agents
    ]
    entries.sort(key=lambda e: (*urgency(e.standing, moment), e.agent.name, e.agent.id))
    return Cadence(policy, entries)


def policy_out(policy: CadencePolicy) -> dict[str, Any]:
    return {
        "division": policy.division,
        "every_weeks": policy.every_weeks,
        "duration_minutes": policy.duration_minutes,
        "due_soon_days": policy.due_soon_days,
        "updated_by": policy.updated_by,
        "updated_at": iso(policy.updated_at),
    }


def entry_out(entry: CadenceEntry) -> dict[str, Any]:
    s = entry.standing
    return {
        "agent_id": entry.agent.id,
        "agent_name": entry.agent.name,
        "last_session_at": iso(s.last_session_at),
        "next_session_at": iso(s.next_session_at),
        "due_by": iso(s.due_by),
        "status": s.status.value,
    }


def _division_of(user: User, body: PlanBody) -> str:
    if body.division is not None:
        return body.division
    if len(user.divisions) == 1:
        return user.divisions[0]
    raise invalid("division", 'required with agents: "due" unless you belong to one division')


async def preview_due_plan(svc: Services, user: User, body: PlanBody) -> Plan:
    """W6 + W8: a team plan for everyone of the division due or overdue by the end of the
    window with nothing booked, overdue first (they weigh more in the planner's objective when
    not everyone fits), in sessions of the policy's length."""
    division = _division_of(user, body)
    found = await cadence(svc, user, division)
    policy = found.policy
    if (
        "duration_minutes" in body.model_fields_set
        and body.duration_minutes != policy.duration_minutes
    ):
        raise invalid(
            "duration_minutes",
            f"{division}'s cadence policy sets {policy.duration_minutes}-minute sessions "
            "(leave it out)",
        )
    chosen = [e for e in found.entries if to_plan(e.standing, body.window_end)]
    if not chosen:
        raise invalid("agents", f"nobody in {division} is due by the end of the window")
    resolved = body.model_copy(
        update={
            "attendee_ids": [e.agent.id for e in chosen],
            "division": division,
            "duration_minutes": policy.duration_minutes,
        }
    )
    statuses = {e.agent.id: e for e in chosen}

    def annotate(result: dict[str, Any]) -> None:
        for unplaced in result["unplaced"]:
            unplaced["cadence_status"] = statuses[unplaced["agent_id"]].standing.status.value
        result["cadence"] = {
            "division": division,
            "every_weeks": policy.every_weeks,
            "duration_minutes": policy.duration_minutes,
            "agents": [entry_out(e) for e in chosen],
        }

    return await preview_plan(
        svc, user, resolved, priorities=[e.standing.priority for e in chosen], annotate=annotate
    )
