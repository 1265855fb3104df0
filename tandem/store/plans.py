"""Team coaching plans (SPEC W6): the previewed plan and how its commit went."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from tandem.domain.plans import PlanProgress, PlanState
from tandem.store.schema import PlanRow


@dataclass(frozen=True)
class PlanRecord:
    id: str
    created_by: str
    state: PlanState
    request: dict[str, Any]
    result: dict[str, Any]
    progress: PlanProgress | None
    created_at: datetime


def save_preview(
    session: Session,
    *,
    plan_id: str,
    created_by: str,
    request: dict[str, Any],
    result: dict[str, Any],
    now: datetime,
) -> None:
    session.add(
        PlanRow(
            id=plan_id,
            created_by=created_by,
            state=PlanState.PREVIEWED.value,
            request=request,
            result=result,
            progress=None,
            created_at=now,
            updated_at=now,
        )
    )


def get_plan(session: Session, plan_id: str) -> PlanRecord | None:
    row = session.get(PlanRow, plan_id)
    if row is None:
        return None
    return PlanRecord(
        id=row.id,
        created_by=row.created_by,
        state=PlanState(row.state),
        request=row.request,
        result=row.result,
        progress=PlanProgress.model_validate(row.progress) if row.progress else None,
        created_at=row.created_at,
    )


def start_commit(session: Session, plan_id: str, now: datetime) -> bool:
    """Claim a previewed plan for committing; False if it was committed (or is) already."""
    claimed = session.execute(
        update(PlanRow)
        .where(PlanRow.id == plan_id, PlanRow.state == PlanState.PREVIEWED.value)
        .values(state=PlanState.COMMITTING.value, updated_at=now)
    )
    return claimed.rowcount == 1


def record_progress(session: Session, progress: PlanProgress, now: datetime) -> None:
    session.execute(
        update(PlanRow)
        .where(PlanRow.id == progress.plan_id)
        .values(
            state=progress.state.value, progress=progress.model_dump(mode="json"), updated_at=now
        )
    )
