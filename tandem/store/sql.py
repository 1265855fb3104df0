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
    postgres = session.get_bind().dialect.name == "postgresql"
    statement = (postgresql if postgres else sqlite).insert(table)
    statement = statement.on_conflict_do_nothing(index_elements=unique)
    # Rows as parameters, not in ``.values()``: a multi-VALUES insert is compiled afresh on every
    # call (SQLAlchemy does not cache it), half of what writing one outbox row or history line
    # cost (issue 13). psycopg reports no row count for executemany, so several rows on
    # PostgreSQL still go as one multi-VALUES statement.
    if len(rows) == 1:
        result = session.execute(statement, dict(rows[0]))
    elif not postgres:
        result = session.execute(statement, [dict(r) for r in rows])
    else:
        result = session.execute(statement.values(list(rows)))
    return result.rowcount or 0
