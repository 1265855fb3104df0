"""Statements whose spelling differs between SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

_INSERTS: dict[tuple[str, str, tuple[str, ...]], Any] = {}


def _insert_ignoring(dialect: str, table: Table, unique: Sequence[str]) -> Any:
    """The statement, built once per table (building it cost as much as running it)."""
    key = (dialect, table.fullname, tuple(unique))
    statement = _INSERTS.get(key)
    if statement is None:
        module = postgresql if dialect == "postgresql" else sqlite
        statement = module.insert(table).on_conflict_do_nothing(index_elements=list(unique))
        _INSERTS[key] = statement
    return statement


def insert_ignoring_duplicates(
    session: Session, table: Table, rows: Sequence[dict[str, Any]], unique: Sequence[str]
) -> int:
    """Insert rows, skipping any whose ``unique`` columns already exist; returns rows inserted."""
    if not rows:
        return 0
    connection = session.connection()
    postgres = connection.dialect.name == "postgresql"
    statement = _insert_ignoring(connection.dialect.name, table, unique)
    # Rows as parameters, not in ``.values()``: a multi-VALUES insert is compiled afresh on every
    # call (SQLAlchemy does not cache it), half of what writing one outbox row or history line
    # cost (issue 13). psycopg reports no row count for executemany, so several rows on
    # PostgreSQL still go as one multi-VALUES statement.
    if len(rows) == 1:
        result = connection.execute(statement, dict(rows[0]))
    elif not postgres:
        result = connection.execute(statement, [dict(r) for r in rows])
    else:
        result = connection.execute(statement.values(list(rows)))
    return result.rowcount or 0
