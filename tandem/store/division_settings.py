"""Division settings (W7+): a division's policy for coaching that a WFM change broke."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tandem.domain.replacements import DEFAULTS, DivisionSettings
from tandem.store.schema import DivisionSettingsRow


def settings_of(session: Session, divisions: Iterable[str]) -> dict[str, DivisionSettings]:
    """Each division's settings; the defaults for one without stored ones."""
    wanted = sorted(set(divisions))
    rows = session.scalars(
        select(DivisionSettingsRow).where(DivisionSettingsRow.division.in_(wanted))
    ).all()
    stored = {
        row.division: DivisionSettings(
            auto_rebook=row.auto_rebook, replacement_days=row.replacement_days
        )
        for row in rows
    }
    return {d: stored.get(d, DEFAULTS) for d in wanted}


def put_settings(
    session: Session, division: str, settings: DivisionSettings, at: datetime, by: str
) -> None:
    row = session.get(DivisionSettingsRow, division)
    if row is None:
        row = DivisionSettingsRow(division=division)
        session.add(row)
    row.auto_rebook = settings.auto_rebook
    row.replacement_days = settings.replacement_days
    row.updated_at = at
    row.updated_by = by
