"""Idempotency-Key bookkeeping (SPEC M13): the first request's outcome answers every retry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tandem.store.schema import IdempotencyRow
from tandem.store.sql import insert_ignoring_duplicates


@dataclass(frozen=True)
class KeyRecord:
    operation: str
    request_hash: str
    resource_id: str | None
    status_code: int | None
    response: dict[str, Any] | None
    # What the change's own transaction recorded (see ``record_applied``), if it got that far.
    applied: dict[str, Any] | None
    view: str | None


def claim(
    session: Session,
    *,
    user_id: str,
    key: str,
    operation: str,
    request_hash: str,
    resource_id: str | None,
    update_id: str | None,
    view: str | None,
    now: datetime,
) -> KeyRecord:
    """Record the key if new; either way return what is stored under it (the first claim wins)."""
    insert_ignoring_duplicates(
        session,
        IdempotencyRow.__table__,
        [
            {
                "user_id": user_id,
                "key": key,
                "operation": operation,
                "request_hash": request_hash,
                "resource_id": resource_id,
                "status_code": None,
                "response": None,
                "created_at": now,
                "update_id": update_id,
                "applied": None,
                "view": view,
            }
        ],
        ["user_id", "key"],
    )
    row = session.scalar(
        select(IdempotencyRow).where(IdempotencyRow.user_id == user_id, IdempotencyRow.key == key)
    )
    assert row is not None
    return KeyRecord(
        row.operation,
        row.request_hash,
        row.resource_id,
        row.status_code,
        row.response,
        row.applied,
        row.view,
    )


def remember_response(
    session: Session, *, user_id: str, key: str, status_code: int, response: dict[str, Any]
) -> None:
    session.execute(
        update(IdempotencyRow)
        .where(IdempotencyRow.user_id == user_id, IdempotencyRow.key == key)
        .values(status_code=status_code, response=response)
    )


def record_applied(session: Session, update_id: str, outcome: dict[str, Any]) -> None:
    """Written by a workflow's activity in the transaction that applies the change, so the change
    and the evidence that it happened commit together."""
    session.execute(
        update(IdempotencyRow).where(IdempotencyRow.update_id == update_id).values(applied=outcome)
    )


def applied(session: Session, *, user_id: str, key: str) -> dict[str, Any] | None:
    return session.scalar(
        select(IdempotencyRow.applied).where(
            IdempotencyRow.user_id == user_id, IdempotencyRow.key == key
        )
    )
