"""WFM imports and views (SPEC W1) and what imports did to booked coaching (W7).

An import needs ``wfm.schedule.import``; adapters call :func:`check_import` before reading a
body so that a caller without it is refused whatever they send. An import is all or nothing:
any error leaves the stored data as it was (for CSV the error names the line and column).

Divisions (A5) bound both: a non-admin imports and reads only business units with an agent in
their divisions, and only the schedules of those agents (tandem.domain.access.may_see_wfm_of).
An import naming an agent outside them, or changing one's shifts (by leaving them out of a
re-imported week), is refused with 403 naming the agent; a business unit outside them is
neither written nor shown (404, as for one that does not exist).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from tandem.domain.access import may_see_wfm_of, require, wfm_unit_in_scope
from tandem.domain.errors import DomainError, NotAllowed, not_found
from tandem.domain.permissions import Permission
from tandem.domain.users import User
from tandem.domain.wfm import (
    ScheduleImport,
    ServiceLevelIn,
    StaffingImport,
    StaffingInterval,
    parse_schedule_csv,
)
from tandem.store import users, wfm
from tandem.usecases.context import Services
from tandem.usecases.meeting_access import now
from tandem.usecases.schedule_changes import AppointmentChange, appointment_changes


def check_import(user: User) -> None:
    require(user, Permission.WFM_IMPORT)


@dataclass(frozen=True)
class ScheduleImportResult:
    imported: wfm.ScheduleImported
    """What the import replaced: weeks, agents whose availability changed, counts."""
    appointments: list[AppointmentChange]
    """Coaching whose status the import flipped (to ``invalid_schedule`` or back)."""

    def summary(self) -> dict[str, Any]:
        return {
            **self.imported.summary(),
            "coaching_appointments_changed": len(self.appointments),
            "coaching_appointments_rebooked": sum(
                a.rebooked_to is not None for a in self.appointments
            ),
        }


async def _after_import(
    svc: Services, user: User, imported: wfm.ScheduleImported
) -> ScheduleImportResult:
    """W7: coaching booked on a schedule that changed is checked against it again."""
    changes = await appointment_changes(
        svc, list(imported.changed_agent_ids), imported.starts_at, imported.ends_at, user.id
    )
    return ScheduleImportResult(imported, changes)


def _outside(user: User, agent: User, path: str, what: str) -> NotAllowed:
    return NotAllowed(
        f"{path}: {what} {agent.name} ({agent.id}), who is not in your divisions "
        f"({', '.join(user.divisions) or 'none'}; A5)",
        field=path,
        agent_id=agent.id,
        rule="A5",
    )


def _unit_members_in_scope(session: Session, user: User, business_unit: str) -> list[User]:
    """The unit's members; NotFound unless the unit is the user's (a unit outside their
    divisions is not revealed, A3)."""
    members = users.business_unit_members(session, business_unit)
    if not wfm_unit_in_scope(user, members):
        raise not_found("business unit")
    return members


def _scoped_replace(session: Session, user: User, body: ScheduleImport) -> wfm.ScheduleImported:
    """replace_schedule within the user's divisions, in the import's transaction: any refusal
    leaves everything as it was."""
    listed = users.get_users(session, [a.agent_id for a in body.agents])
    for index, agent in enumerate(body.agents):
        person = listed.get(agent.agent_id)  # an unknown id is the store's to name
        if person is not None and not may_see_wfm_of(user, person):
            raise _outside(user, person, f"agents.{index}.agent_id", "a schedule for")
    members = users.business_unit_members(session, body.business_unit)
    if not wfm_unit_in_scope(user, [*members, *listed.values()]):
        raise not_found("business unit")
    imported = wfm.replace_schedule(session, body, now(), imported_by=user.id)
    # Re-importing a week drops the shifts of members it leaves out: not those of others' agents.
    everyone = {m.id: m for m in members}
    for agent_id in imported.changed_agent_ids:
        person = everyone.get(agent_id)
        if person is not None and not may_see_wfm_of(user, person):
            raise _outside(user, person, "agents", "this import would change the schedule of")
    return imported


async def import_schedule(svc: Services, user: User, body: ScheduleImport) -> ScheduleImportResult:
    """Replace a business unit's week(s) of shifts and activities (see tandem.domain.wfm)."""
    check_import(user)
    imported = await svc.db.write(lambda session: _scoped_replace(session, user, body))
    return await _after_import(svc, user, imported)


async def import_schedule_csv(svc: Services, user: User, raw: bytes) -> ScheduleImportResult:
    """The same from a CSV file (columns: tandem.domain.wfm.parse_schedule_csv)."""
    check_import(user)
    parsed = parse_schedule_csv(raw)

    def replace(session: Session) -> wfm.ScheduleImported:
        try:
            return _scoped_replace(session, user, parsed.body)
        except DomainError as error:
            # The store names a field path; the person wrote a line and a column.
            raise parsed.locate(error) from None

    return await _after_import(svc, user, await svc.db.write(replace))


async def import_staffing(svc: Services, user: User, body: StaffingImport) -> wfm.StaffingImported:
    """Replace a business unit's staffing from its first interval to the end of its last."""
    check_import(user)

    def replace(session: Session) -> wfm.StaffingImported:
        _unit_members_in_scope(session, user, body.business_unit)
        return wfm.replace_staffing(session, body, now())

    return await svc.db.write(replace)


async def view_schedule(
    svc: Services, user: User, business_unit: str, start: datetime | None, end: datetime | None
) -> wfm.UnitSchedule:
    """What is stored for a business unit, showing only the agents the user may see."""
    require(user, Permission.WFM_VIEW)

    def read(session: Session) -> wfm.UnitSchedule:
        members = {m.id: m for m in _unit_members_in_scope(session, user, business_unit)}
        stored = wfm.unit_schedule(session, business_unit, start, end)
        if stored is None:
            raise not_found("business unit")
        agents = {
            agent_id: shifts
            for agent_id, shifts in stored.agents.items()
            if agent_id in members and may_see_wfm_of(user, members[agent_id])
        }
        return dataclasses.replace(stored, agents=agents)

    return await svc.db.read(read)


@dataclass(frozen=True)
class StaffingView:
    timezone: str
    service_level: ServiceLevelIn | None
    intervals: list[StaffingInterval]


async def view_staffing(
    svc: Services, user: User, business_unit: str, start: datetime | None, end: datetime | None
) -> StaffingView:
    """A business unit's zone, service-level goal and stored intervals starting in [start, end)."""
    require(user, Permission.WFM_VIEW)

    def read(session: Session) -> StaffingView:
        _unit_members_in_scope(session, user, business_unit)
        timezone = wfm.business_unit_zone(session, business_unit)
        if timezone is None:
            raise not_found("business unit")
        rows = wfm.staffing_for(
            session, [business_unit], start or wfm.BEGINNING, end or wfm.END_OF_TIME
        )
        goal = wfm.service_goals(session, [business_unit]).get(business_unit)
        return StaffingView(timezone, goal, rows.get(business_unit, []))

    return await svc.db.read(read)
