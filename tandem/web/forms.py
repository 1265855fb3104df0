"""Reading HTML form values into the use cases' request models.

Browsers send ``datetime-local`` values without an offset: they mean the viewer's own wall
clock, so they are read in the viewer's zone.
"""

from __future__ import annotations

from datetime import datetime

from tandem.domain.times import zone


def local_datetime(value: str | None, timezone: str) -> datetime | None:
    """``2026-12-08T09:30`` in ``timezone`` as an aware datetime (None when empty or malformed:
    the request model then names the field)."""
    if not value:
        return None
    try:
        naive = datetime.fromisoformat(value)
    except ValueError:
        return None
    return naive if naive.tzinfo else naive.replace(tzinfo=zone(timezone))
