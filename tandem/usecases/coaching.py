"""Coaching: find the best slots for agents (W2-W4) and plan a whole team (W6)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator
from sqlalchemy.orm import Session

from tandem.domain.access import may_coach, may_facilitate, require
from tandem.domain.cadence import DivisionName
from tandem.domain.errors import Conflict, NotAllowed, invalid, not_found
from tandem.domain.inputs import Choice, Instant
from tandem.domain.meetings import MeetingKind
from tandem.domain.permissions import Permission
from tandem.domain.plans import (
    CommitMode,
    PlanCommit,
    PlannedSession,
    PlanProgress,
    PlanState,
    session_meeting_id,
)
from tandem.domain.users import User
from tandem.solver import (
    PlanRequest,
    PlanResult,
    SlotQuery,
    SlotResult,
    Span,
    find_slots,
    from_minutes,
    plan_team,
    to_minutes,
)
from tandem.store import plans, users
from tandem.usecases import availability
from tandem.usecases.context import Services
from tandem.usecases.meeting_access import load_in, now
from tandem.usecases.schemas import NameIn, Strict, UserId, iso


def check_coaching_duration(minutes: int) -> int:
    if minutes % 15 or not 15 <= minutes <= 60:
        raise ValueError("must be 15, 30, 45 or 60 minutes")
    return minutes


# What check_coaching_duration allows, said in the OpenAPI document.
COACHING_MINUTES: dict[str, Any] = {"enum": [15, 30, 45, 60]}


def distinct_ids(ids: list[str]) -> list[str]:
    if len(set(ids)) != len(ids):
        raise ValueError("lists someone twice")
    return ids


class SlotQueryBody(Strict):
    attendee_ids: list[UserId] = Field(min_length=1, max_length=20)
    facilitator_id: UserId | None = None
    window_start: Instant
    window_end: Instant
    duration_minutes: int = Field(default=30, json_schema_extra=COACHING_MINUTES)
    exclude_meeting_id: str | None = None
    limit: int = Field(default=10, ge=1, le=100)
    include_schedules: bool = True
    respect_floor: bool = False
    """Leave out slots that push predicted SL below the business unit's floor (W4)."""

    _duration = field_validator("duration_minutes")(check_coaching_duration)
    _distinct = field_validator("attendee_ids")(distinct_ids)

    @model_validator(mode="after")
    def _window(self) -> SlotQueryBody:
        if self.window_end <= self.window_start:
            raise ValueError("window_end must be after window_start")
        return self


def people_in(
    session: Session,
    user: User,
    attendee_ids: list[str],
    facilitator_id: str | None,
    *,
    field: str,
) -> tuple[list[User], User]:
    """The agents (in the caller's divisions, A5) and a facilitator able to coach them all."""
    facilitator_id = facilitator_id or user.id
    found = users.get_users(session, [*attendee_ids, facilitator_id])
    attendees = []
    for index, agent_id in enumerate(attendee_ids):
        agent = found.get(agent_id)
        if agent is None:
            raise invalid(f"{field}.{index}", f"no user {agent_id}")
        if not user.is_admin and not may_coach(user, agent):
            raise NotAllowed(
                f"{agent.name} is not in any of your divisions (A5)",
                field=f"{field}.{index}",
                rule="A5",
            )
        if agent_id == facilitator_id:
            raise invalid(f"{field}.{index}", "the facilitator cannot also be an attendee")
        attendees.append(agent)
    facilitator = found.get(facilitator_id)
    if facilitator is None:
        raise invalid("facilitator_id", f"no user {facilitator_id}")
    if reason := may_facilitate(facilitator, MeetingKind.COACHING, attendees):
        raise invalid("facilitator_id", reason)
    return attendees, facilitator


async def coaching_people(
    svc: Services, user: User, attendee_ids: list[str], facilitator_id: str | None, *, field: str
) -> tuple[list[User], User]:
    """:func:`people_in`, in a unit of work of its own."""
    return await svc.db.read(
        lambda session: people_in(session, user, attendee_ids, facilitator_id, field=field)
    )


def check_horizon(start: datetime, end: datetime, moment: datetime) -> None:
    if end <= moment or start >= moment + availability.HORIZON:
        raise invalid("window_start", "the window is outside the next six weeks (W3)")


async def query_slots(svc: Services, user: User, body: SlotQueryBody) -> SlotResult:
    """W2-W4: the best slots for these agents and this facilitator, and everyone's free/busy."""
    require(user, Permission.SLOTS_VIEW)
    moment = now()

    def read(session: Session) -> SlotQuery:
        # One unit of work for the people, the edited meeting and the schedules: each hop to
        # the database threads cost more than the reads themselves (issue 13).
        attendees, facilitator = people_in(
            session, user, body.attendee_ids, body.facilitator_id, field="attendee_ids"
        )
        check_horizon(body.window_start, body.window_end, moment)
        if body.exclude_meeting_id is not None:
            edited = load_in(session, user, body.exclude_meeting_id)
            if edited.meeting.kind is not MeetingKind.COACHING:
                raise invalid("exclude_meeting_id", "not a coaching appointment")
        return availability.slot_query(
            session,
            svc.wfm,
            attendees=attendees,
            facilitator=facilitator,
            window=(body.window_start, body.window_end),
            duration=body.duration_minutes,
            now=moment,
            limit=body.limit,
            excluding_meeting=body.exclude_meeting_id,
            respect_floor=body.respect_floor,
        )

    return find_slots(await svc.db.read(read))


class PlanBody(Strict):
    # Before attendee_ids, whose validator reads it.
    agents: Literal["due"] | None = Field(
        default=None,
        description='W8: "due" instead of attendee_ids: everyone of the division due or overdue '
        "by the end of the window with nothing booked, overdue first, in sessions of the "
        "division's cadence policy (tandem.usecases.cadence)",
    )
    attendee_ids: list[UserId] | None = Field(
        default=None, min_length=1, max_length=500, validate_default=True
    )
    facilitator_ids: list[UserId] = Field(min_length=1, max_length=50)
    window_start: Instant
    window_end: Instant
    duration_minutes: int = Field(default=30, json_schema_extra=COACHING_MINUTES)
    transition_minutes: int = Field(default=0, ge=0, le=120)
    max_per_facilitator_per_day: int | None = Field(default=None, ge=1, le=50)
    time_limit_seconds: float = Field(default=10.0, gt=0, le=60)
    name: NameIn = "Coaching session"
    division: DivisionName | None = Field(
        default=None, description='with agents: "due" (default: your only division)'
    )

    _duration = field_validator("duration_minutes")(check_coaching_duration)
    _distinct = field_validator("facilitator_ids")(distinct_ids)

    @field_validator("attendee_ids")
    @classmethod
    def _attendees(cls, ids: list[str] | None, info: ValidationInfo) -> list[str] | None:
        due = info.data.get("agents") == "due"
        if ids is None and not due and "agents" in info.data:
            raise ValueError('required, unless agents is "due"')
        if ids is not None and due:
            raise ValueError('give attendee_ids or agents: "due", not both')
        return distinct_ids(ids) if ids is not None else None

    @field_validator("division")
    @classmethod
    def _division(cls, division: str | None, info: ValidationInfo) -> str | None:
        if division is not None and info.data.get("agents") != "due":
            raise ValueError('only with agents: "due"')
        return division

    @model_validator(mode="after")
    def _window(self) -> PlanBody:
        if self.window_end <= self.window_start:
            raise ValueError("window_end must be after window_start")
        if set(self.attendee_ids or ()) & set(self.facilitator_ids):
            raise ValueError("someone is both an attendee and a facilitator")
        return self


class CommitBody(Strict):
    mode: Choice[CommitMode] = CommitMode.BOOK_REST
    name: NameIn | None = None


def result_out(result: PlanResult) -> dict[str, Any]:
    return {
        "status": result.status.value,
        "engine": result.engine.value,
        "objective": result.objective,
        "impact": result.impact,
        "lower_bound": result.lower_bound,
        "gap": result.gap,
        "greedy_objective": result.greedy_objective,
        "timings": result.timings,
        "assignments": [
            {
                "agent_id": a.agent_id,
                "facilitator_id": a.facilitator_id,
                "starts_at": iso(from_minutes(a.start)),
                "ends_at": iso(from_minutes(a.end)),
                "cost": a.cost,
            }
            for a in result.assignments
        ],
        "unplaced": [
            {"agent_id": u.agent_id, "reason": u.reason.value, "message": u.message}
            for u in result.unplaced
        ],
        # W6+: predicted SL after the plan where it takes agents off queue (empty without volume).
        "service_levels": [
            {
                "business_unit": s.business_unit,
                "interval_start": iso(from_minutes(s.interval_start)),
                "contacts": s.contacts,
                "agents_off_queue": s.heads_off,
                "before_percent": s.before_percent,
                "after_percent": s.after_percent,
                "below_floor": s.below_floor,
            }
            for s in result.service_levels
        ],
    }


@dataclass(frozen=True)
class Plan:
    id: str
    state: PlanState
    # The solver's answer as stored (plain JSON types): status, assignments, unplaced, ...
    result: dict[str, Any]
    commit: PlanProgress | None = None


async def preview_plan(
    svc: Services,
    user: User,
    body: PlanBody,
    *,
    priorities: list[float] | None = None,
    annotate: Callable[[dict[str, Any]], None] | None = None,
) -> Plan:
    """W6: one session per agent with a pool of facilitators; previewed, not yet booked.
    ``agents: "due"`` goes through tandem.usecases.cadence (W8), which comes back here with the
    agents resolved, their ``priorities`` and an ``annotate`` for the stored result."""
    require(user, Permission.COACHING_ADD)
    require(user, Permission.SLOTS_VIEW)
    if body.attendee_ids is None:
        from tandem.usecases import cadence  # it builds on this module

        return await cadence.preview_due_plan(svc, user, body)
    first_coach, *other_coaches = body.facilitator_ids
    agents, lead = await coaching_people(
        svc, user, body.attendee_ids, first_coach, field="attendee_ids"
    )
    facilitators = [lead]
    for index, coach_id in enumerate(other_coaches, start=1):
        coach = await svc.db.read(lambda session, cid=coach_id: users.get_user(session, cid))
        if coach is None:
            raise invalid(f"facilitator_ids.{index}", f"no user {coach_id}")
        if reason := may_facilitate(coach, MeetingKind.COACHING, agents):
            raise invalid(f"facilitator_ids.{index}", reason)
        facilitators.append(coach)
    moment = now()
    check_horizon(body.window_start, body.window_end, moment)
    found = await svc.db.read(
        lambda session: availability.schedules(
            session,
            svc.wfm,
            agents=agents,
            facilitators=facilitators,
            window=(body.window_start, body.window_end),
        )
    )
    request = PlanRequest(
        agents=[found.people[a.id] for a in agents],
        facilitators=[found.people[f.id] for f in facilitators],
        window=Span(to_minutes(body.window_start), to_minutes(body.window_end)),
        now=to_minutes(moment),
        duration=body.duration_minutes,
        staffing=found.staffing,
        transition_minutes=body.transition_minutes,
        max_per_facilitator_per_day=body.max_per_facilitator_per_day,
        time_limit_seconds=body.time_limit_seconds,
        priorities=priorities,
    )
    # HiGHS releases the GIL while it solves: a thread keeps the API answering meanwhile.
    result = result_out(await asyncio.to_thread(plan_team, request))
    if annotate is not None:
        annotate(result)
    plan_id = str(uuid.uuid4())
    await svc.db.write(
        lambda session: plans.save_preview(
            session,
            plan_id=plan_id,
            created_by=user.id,
            request=body.model_dump(mode="json"),
            result=result,
            now=moment,
        )
    )
    return Plan(plan_id, PlanState.PREVIEWED, result)


async def _own_plan(svc: Services, user: User, plan_id: str) -> plans.PlanRecord:
    record = await svc.db.read(lambda session: plans.get_plan(session, plan_id))
    if record is None or not (user.is_admin or record.created_by == user.id):
        raise not_found("plan")
    return record


async def get_plan(svc: Services, user: User, plan_id: str) -> Plan:
    record = await _own_plan(svc, user, plan_id)
    progress = record.progress
    if record.state is PlanState.COMMITTING:
        progress = await svc.plans.progress(plan_id)
    state = progress.state if progress else record.state
    return Plan(record.id, state, record.result, progress)


async def commit_plan(
    svc: Services, user: User, plan_id: str, body: CommitBody | None = None
) -> int:
    """Book the previewed plan as a whole, durably; the number of sessions being booked."""
    record = await _own_plan(svc, user, plan_id)
    body = body or CommitBody()
    if not await svc.db.write(lambda session: plans.start_commit(session, plan_id, now())):
        raise Conflict(f"the plan is already {record.state.value}", state=record.state.value)
    sessions = [
        PlannedSession(
            agent_id=a["agent_id"],
            facilitator_id=a["facilitator_id"],
            starts_at=a["starts_at"],
            duration_minutes=record.request["duration_minutes"],
            meeting_id=session_meeting_id(plan_id, a["agent_id"]),
        )
        for a in record.result["assignments"]
    ]
    commit = PlanCommit(
        plan_id=plan_id,
        actor_id=user.id,
        name=body.name or record.request["name"],
        mode=body.mode,
        sessions=sessions,
    )
    await svc.plans.commit(commit)
    return len(sessions)


async def coachable_agents(svc: Services, user: User) -> list[User]:
    """Whom ``user`` may pick as attendees: agents able to attend coaching in one of the
    user's divisions (A5; admins coach anyone), by name. Picking them is finding slots."""
    require(user, Permission.SLOTS_VIEW)
    everyone = await svc.db.read(users.all_users)
    return [
        agent
        for agent in everyone
        if agent.id != user.id
        and agent.can(Permission.COACHING_PARTICIPATE)
        and (user.is_admin or may_coach(user, agent))
    ]


async def facilitator_choices(svc: Services, user: User, agents: list[User]) -> list[User]:
    """Who may facilitate coaching for ``agents`` (all of them), the user first; with no agents
    picked yet, whoever could facilitate for at least one of the user's coachable agents."""
    everyone = await svc.db.read(users.all_users)
    pool = agents or await coachable_agents(svc, user)

    def fits(person: User) -> bool:
        if agents:
            return may_facilitate(person, MeetingKind.COACHING, agents) is None
        return any(may_facilitate(person, MeetingKind.COACHING, [a]) is None for a in pool)

    found = [p for p in everyone if p.id not in {a.id for a in agents} and fits(p)]
    return sorted(found, key=lambda p: p.id != user.id)
