"""WFM imports (SPEC W1) and what they did to booked coaching (W7).

An import needs ``wfm.schedule.import``; adapters call :func:`check_import` before reading a
body so that a caller without it is refused whatever they send. An import is all or nothing:
any error leaves the stored data as it was (for CSV the error names the line and column).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from tandem.domain.access import require
from tandem.domain.errors import DomainError
from tandem.domain.permissions import Permission
from tandem.domain.users import User
from tandem.domain.wfm import ScheduleImport, StaffingImport, parse_schedule_csv
from tandem.store import wfm
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
        return {**self.imported.summary(), "coaching_appointments_changed": len(self.appointments)}


async def _after_import(
    svc: Services, user: User, imported: wfm.ScheduleImported
) -> ScheduleImportResult:
    """W7: coaching booked on a schedule that changed is checked against it again."""
    changes = await appointment_changes(
        svc, list(imported.changed_agent_ids), imported.starts_at, imported.ends_at, user.id
    )
    return ScheduleImportResult(imported, changes)


async def import_schedule(svc: Services, user: User, body: ScheduleImport) -> ScheduleImportResult:
    """Replace a business unit's week(s) of shifts and activities (see tandem.domain.wfm)."""
    check_import(user)
    imported = await svc.db.write(
        lambda session: wfm.replace_schedule(session, body, now(), imported_by=user.id)
    )
    return await _after_import(svc, user, imported)


async def import_schedule_csv(svc: Services, user: User, raw: bytes) -> ScheduleImportResult:
    """The same from a CSV file (columns: tandem.domain.wfm.parse_schedule_csv)."""
    check_import(user)
    parsed = parse_schedule_csv(raw)

    def replace(session: Session) -> wfm.ScheduleImported:
        try:
            return wfm.replace_schedule(session, parsed.body, now(), imported_by=user.id)
        except DomainError as error:
            # The store names a field path; the person wrote a line and a column.
            raise parsed.locate(error) from None

    return await _after_import(svc, user, await svc.db.write(replace))


async def import_staffing(svc: Services, user: User, body: StaffingImport) -> wfm.StaffingImported:
    """Replace a business unit's staffing from its first interval to the end of its last."""
    check_import(user)
    return await svc.db.write(lambda session: wfm.replace_staffing(session, body, now()))
