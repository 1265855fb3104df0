"""Permissions and the built-in roles of SPEC A2."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum


class Permission(StrEnum):
    FACILITATE = "one-to-ones.facilitate"
    # For assistants: book 1:1s and series with someone else as the facilitator.
    SCHEDULE_FOR_OTHERS = "one-to-ones.schedule-for-others"
    DELETE_STARTED = "one-to-ones.delete"
    COACHING_ADD = "coaching.appointment.add"
    COACHING_VIEW = "coaching.appointment.view"
    COACHING_EDIT = "coaching.appointment.edit"
    COACHING_DELETE = "coaching.appointment.delete"
    COACHING_PARTICIPATE = "coaching.appointment.participate"
    COACHING_STATUS_VIEW = "coaching.appointment-status.view"
    COACHING_STATUS_EDIT = "coaching.appointment-status.edit"
    SLOTS_VIEW = "coaching.schedule-slot.view"
    CONTENT_MANAGE = "content.manage"
    REASSIGN = "meetings.reassign"
    WFM_VIEW = "wfm.schedule.view"
    WFM_IMPORT = "wfm.schedule.import"
    OPS_HISTORY = "ops.history.view"
    ADMIN = "admin"


_AGENT = frozenset({Permission.COACHING_PARTICIPATE})
_SUPERVISOR = _AGENT | {
    Permission.FACILITATE,
    Permission.COACHING_ADD,
    Permission.COACHING_VIEW,
    Permission.COACHING_EDIT,
    Permission.COACHING_DELETE,
    Permission.COACHING_STATUS_VIEW,
    Permission.COACHING_STATUS_EDIT,
    Permission.SLOTS_VIEW,
    Permission.CONTENT_MANAGE,
    Permission.REASSIGN,
    Permission.WFM_VIEW,
}
_QUALITY_MANAGER = _SUPERVISOR | {Permission.DELETE_STARTED, Permission.WFM_IMPORT}
_OPS = frozenset({Permission.OPS_HISTORY, Permission.REASSIGN})

BUILT_IN_ROLES: Mapping[str, frozenset[Permission]] = {
    "agent": _AGENT,
    "supervisor": frozenset(_SUPERVISOR),
    "quality_manager": frozenset(_QUALITY_MANAGER),
    "ops": _OPS,
    "admin": frozenset(Permission),
}


def permissions_of(roles: Iterable[str], role_table: Mapping[str, Iterable[str]]) -> frozenset[str]:
    """Union of the permissions granted by ``roles``; unknown roles grant nothing."""
    granted: set[str] = set()
    for role in roles:
        granted.update(role_table.get(role, ()))
    return frozenset(granted)
