"""Who may see and do what with a meeting (SPEC A3-A6, M5, M6, M10): the API's gate.

The facilitator is the owner (M1). Whoever created the meeting has no standing of their own:
once a meeting is reassigned, the old facilitator neither sees nor manages it (A4).

The API answers 404 when ``view_of`` is None (the meeting's existence is not revealed), and 403
when the meeting is visible but the action is not the caller's to take.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from tandem.domain.errors import NotAllowed, NotFound
from tandem.domain.meetings import PLANNED, Meeting, MeetingKind, MeetingStatus
from tandem.domain.permissions import Permission
from tandem.domain.users import User


class View(StrEnum):
    FULL = "full"
    # M5: a participant before the start without participant preview sees time and place only.
    PREVIEW = "preview"
    # A4: ops see the lifecycle (who, when, status, history), never content.
    LIFECYCLE = "lifecycle"


def may_coach(coach: User, agent: User) -> bool:
    """A5: coaching is only for agents in one of the coach's divisions."""
    return coach.can(Permission.COACHING_VIEW) and coach.shares_division(agent)


def may_see_wfm_of(user: User, agent: User) -> bool:
    """WFM data within A5: the schedules a user imports or reads are those of agents in their
    divisions; admins', everyone's."""
    return user.is_admin or user.shares_division(agent)


def wfm_unit_in_scope(user: User, members: Iterable[User]) -> bool:
    """A business unit's WFM data (its weeks, its staffing) is a user's to import or read when
    any of its agents is (:func:`may_see_wfm_of`). A unit with no agents yet (staffing sent
    before the first schedule) belongs to no division: anyone with the permission may set it up.
    """
    members = list(members)
    return user.is_admin or not members or any(may_see_wfm_of(user, m) for m in members)


def cadence_access(user: User, division: str, *, change: bool) -> None:
    """W8 within A3/A5: a division's coaching cadence (its policy and who is due) is for those
    who coach in it: ``coaching.appointment.view`` to read it, ``coaching.appointment.edit`` to
    set the policy; admins, any division. Outside the caller's divisions it is not revealed
    (404); inside them without the permission, 403."""
    if user.is_admin:
        return
    if division not in user.divisions:
        raise NotFound("no such division", field="division")
    require(user, Permission.COACHING_EDIT if change else Permission.COACHING_VIEW)


def _coaches_any(user: User, meeting: Meeting, people: dict[str, User]) -> bool:
    return meeting.kind is MeetingKind.COACHING and any(
        may_coach(user, people[p]) for p in meeting.participant_ids if p in people
    )


def view_of(user: User, meeting: Meeting, people: dict[str, User]) -> View | None:
    """``people`` holds at least the meeting's participants (their divisions decide A5)."""
    ops = user.can(Permission.OPS_HISTORY) or user.is_admin
    if meeting.status is MeetingStatus.DELETED:
        return View.LIFECYCLE if ops else None
    if user.is_admin or user.id == meeting.facilitator_id:
        return View.FULL
    if user.id in meeting.participant_ids:
        opened = meeting.status not in PLANNED or meeting.participant_preview
        return View.FULL if opened else View.PREVIEW
    if _coaches_any(user, meeting, people):
        return View.FULL
    return View.LIFECYCLE if ops else None


def _owner_permission(meeting: Meeting) -> Permission:
    return (
        Permission.COACHING_EDIT if meeting.kind is MeetingKind.COACHING else Permission.FACILITATE
    )


def may_manage(user: User, meeting: Meeting, people: dict[str, User]) -> bool:
    """Edit, start, complete, reschedule, cancel, invite guests (M3, M4, M7-M9)."""
    if user.is_admin:
        return True
    if not user.can(_owner_permission(meeting)):
        return False
    return user.id == meeting.facilitator_id or _coaches_any(user, meeting, people)


def may_delete(user: User, meeting: Meeting, people: dict[str, User]) -> bool:
    """M6: its owner (whoever scheduled it, or was handed it since); holders of
    one-to-ones.delete may also delete meetings they can see. Whether the meeting has started
    is for the workflow to judge."""
    if user.is_admin or user.can(Permission.DELETE_STARTED):
        return True
    if user.id == meeting.facilitator_id:
        return True
    return (
        meeting.kind is MeetingKind.COACHING
        and user.can(Permission.COACHING_DELETE)
        and _coaches_any(user, meeting, people)
    )


def may_reassign(user: User, meeting: Meeting, people: dict[str, User]) -> bool:
    """M10: supervisors reassign the meetings they manage; ops (and admins) any meeting."""
    if may_reassign_for(user, meeting.facilitator_id):
        return True
    return user.can(Permission.REASSIGN) and may_manage(user, meeting, people)


def may_reassign_for(user: User, from_user_id: str) -> bool:
    """M10: whose meetings and series this user may hand on: their own with
    ``meetings.reassign``, anyone's for ops (and admins). The one rule behind single and bulk
    reassignment; a meeting's own managers are checked by ``may_reassign``."""
    if not user.can(Permission.REASSIGN) and not user.is_admin:
        return False
    return user.is_admin or user.can(Permission.OPS_HISTORY) or user.id == from_user_id


def may_view_reassignment(user: User, actor_id: str) -> bool:
    """A bulk reassignment's progress: for whoever started it, and for ops (and admins)."""
    return user.id == actor_id or user.is_admin or user.can(Permission.OPS_HISTORY)


def may_archive(user: User, meeting: Meeting) -> bool:
    return user.is_admin or user.id == meeting.facilitator_id


def may_schedule_for(actor: User, facilitator_id: str) -> bool:
    """Only admins and assistants book a 1:1 (or a series) that someone else facilitates: the
    facilitator owns it (M1), and the invitation says it comes from them."""
    return actor.id == facilitator_id or actor.is_admin or actor.can(Permission.SCHEDULE_FOR_OTHERS)


def refuse_scheduling_for(actor: User, facilitator: User) -> None:
    if not may_schedule_for(actor, facilitator.id):
        raise NotAllowed(
            f"only admins, or assistants with {Permission.SCHEDULE_FOR_OTHERS.value}, may "
            f"book a 1:1 that {facilitator.name} facilitates",
            field="facilitator_id",
            permission=Permission.SCHEDULE_FOR_OTHERS.value,
        )


def may_facilitate(user: User, kind: MeetingKind, participants: Iterable[User]) -> str | None:
    """Why ``user`` cannot facilitate such a meeting, or None when they can."""
    if kind is MeetingKind.ONE_TO_ONE:
        if not user.can(Permission.FACILITATE):
            return f"{user.name} does not have the {Permission.FACILITATE.value} permission"
        return None
    if not user.can(Permission.COACHING_ADD):
        return f"{user.name} does not have the {Permission.COACHING_ADD.value} permission"
    outside = [p.name for p in participants if not may_coach(user, p)]
    if outside:
        return f"{user.name} cannot coach {', '.join(outside)} (not in their divisions, A5)"
    return None


def require(user: User, permission: Permission) -> None:
    """Refuse unless the user holds ``permission`` (admins hold every one)."""
    if not user.can(permission) and not user.is_admin:
        raise NotAllowed(
            f"this needs the {permission.value} permission", permission=permission.value
        )
