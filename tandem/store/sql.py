"""Statements whose spelling differs between SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_ignoring_duplicates(
    session: Session, table: Table, rows: Sequence[dict[str, Any]], unique: Sequence[str]
) -> int:
    """Insert rows, skipping any whose ``unique`` columns already exist; returns rows inserted."""
    if not rows:
        return 0
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(table).values(list(rows)).on_conflict_do_nothing(index_elements=unique)
    )
    result = session.execute(statement)
    return result.rowcount or 0
