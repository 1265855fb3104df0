"""What a person may do to a meeting right now: the access rule (who) and the lifecycle rule
(whether the status allows it), asked of the same functions the use cases enforce, so a page
never offers a button that the action would refuse."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from enum import StrEnum

from tandem.domain import lifecycle
from tandem.domain.access import may_archive, may_delete, may_manage, may_reassign
from tandem.domain.errors import DomainError
from tandem.domain.meetings import Meeting
from tandem.domain.users import User
from tandem.usecases.lifecycle import may_delete_started


class Action(StrEnum):
    EDIT = "edit"
    START = "start"
    COMPLETE = "complete"
    RESCHEDULE = "reschedule"
    CANCEL = "cancel"
    DELETE = "delete"
    INVITE_GUEST = "invite_guest"
    REASSIGN = "reassign"
    ARCHIVE = "archive"
    UNARCHIVE = "unarchive"


def _passes(check: Callable[[], None]) -> bool:
    try:
        check()
    except DomainError:
        return False
    return True


def allowed_actions(
    user: User, meeting: Meeting, people: dict[str, User], archived: bool, now: datetime
) -> frozenset[Action]:
    allowed: set[Action] = set()
    if may_manage(user, meeting, people):
        for action, check in (
            (Action.EDIT, lifecycle.check_edit),
            (Action.START, lifecycle.check_start),
            (Action.COMPLETE, lifecycle.check_complete),
            (Action.RESCHEDULE, lifecycle.check_reschedule),
            (Action.CANCEL, lifecycle.check_cancel),
        ):
            if _passes(lambda check=check: check(meeting)):
                allowed.add(action)
        if _passes(lambda: lifecycle.check_invite_guest(meeting, "", None)):
            allowed.add(Action.INVITE_GUEST)
    if may_delete(user, meeting, people) and _passes(
        lambda: lifecycle.check_delete(meeting, may_delete_started(user), now)
    ):
        allowed.add(Action.DELETE)
    if may_reassign(user, meeting, people) and _passes(
        lambda: lifecycle.check_reassign(meeting, "")
    ):
        allowed.add(Action.REASSIGN)
    if may_archive(user, meeting):
        if archived:
            allowed.add(Action.UNARCHIVE)
        elif _passes(lambda: lifecycle.check_archive(meeting, now)):
            allowed.add(Action.ARCHIVE)
    return frozenset(allowed)
