"""A meeting's history (SPEC O1): its audit lines merged with what Temporal saw.

One timeline, oldest first, in the viewer's zone: every change that was applied (from the
database: who, what, why, old and new time, reassignment, reminders, rollover), and from the
workflow histories what only they hold: activity failures and retries with their error, changes
refused after they were accepted, and for a series occurrence the series' changes that reached
it. When Temporal cannot be read in time, the audit lines still come back, marked incomplete.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session
from temporalio.client import Client
from temporalio.service import RPCError

from tandem.activities.messages import CHANGE_OCCURRENCE, MATERIALISE_OCCURRENCE
from tandem.domain.meetings import Meeting
from tandem.domain.users import User
from tandem.settings import Settings
from tandem.store import meetings, users
from tandem.usecases.clashes import explained
from tandem.usecases.context import Services
from tandem.usecases.meeting_access import load
from tandem.usecases.timeline import TimelineEntry, people_named, timeline_entry
from tandem.usecases.workflow_history import Touches, Update, WorkflowFact, facts, fetch
from tandem.workflows.meeting import workflow_id as meeting_workflow_id
from tandem.workflows.series import workflow_id as series_workflow_id

# A history is for people waiting on a page: past this, the audit lines come alone.
TEMPORAL_READ_TIMEOUT = 5.0

# The series changes an occurrence shows, by the update that made them.
SERIES_CHANGES = {
    "edit": "series_edited",
    "end": "series_ended",
    "reassign": "series_reassigned",
    "delete_occurrence": "deleted_from_series",
}


@dataclass(frozen=True)
class History:
    entries: list[TimelineEntry]
    timezone: str
    workflow_id: str
    workflow_url: str
    series_workflow_id: str | None
    # False when Temporal did not answer: ``entries`` are the audit lines alone.
    complete: bool


def temporal_ui_url(settings: Settings, workflow_id: str) -> str:
    return (
        f"{settings.temporal_ui_url.rstrip('/')}/namespaces/{settings.temporal_namespace}"
        f"/workflows/{workflow_id}"
    )


async def meeting_history(
    svc: Services, user: User, meeting_id: str, *, workflow: bool = True
) -> History:
    """O1: the merged timeline, with the actors' names, as the caller's view allows.
    ``workflow=False``: the audit lines alone (the meeting page, where the operational detail
    would be noise and the Temporal round trips cost every page view)."""
    visible = await load(svc, user, meeting_id)
    m = visible.meeting
    own = meeting_workflow_id(m.id)
    series = series_workflow_id(m.series_id) if m.series_id else None
    events, (found, complete) = await asyncio.gather(
        svc.db.read(lambda session: meetings.history(session, m.id)),
        _workflow_facts(svc.meetings.client, m, own, series) if workflow else _nothing(),
    )
    ids = {p for e in events for p in people_named(e)} | {f.actor_id for f in found if f.actor_id}

    def read(session: Session) -> dict[str, User]:
        return users.get_users(session, ids)

    names = {uid: u.name for uid, u in (await svc.db.read(read)).items()}
    zone = ZoneInfo(user.timezone)
    entries = [timeline_entry(e, names, visible.view) for e in events]
    for fact in found:
        if fact.refusal is not None:
            fact = replace(fact, error=(await explained(svc, user, fact.refusal)).message)
        entries.append(_entry(fact, names))
    entries.sort(key=lambda e: e.at)
    return History(
        entries=[_in_zone(e, zone) for e in entries],
        timezone=user.timezone,
        workflow_id=own,
        workflow_url=temporal_ui_url(svc.settings, own),
        series_workflow_id=series,
        complete=complete,
    )


async def _nothing() -> tuple[list[WorkflowFact], bool]:
    return [], True


async def _workflow_facts(
    client: Client, m: Meeting, own: str, series: str | None
) -> tuple[list[WorkflowFact], bool]:
    async def read() -> list[WorkflowFact]:
        found = []
        for history in await fetch(client, own, m.created_at):
            found += await facts(client, history)
        if series:
            for history in await fetch(client, series, m.created_at):
                found += await facts(
                    client, history, updates=_series_change, touches=_occurrence_of(m)
                )
        return found

    try:
        return await asyncio.wait_for(read(), TEMPORAL_READ_TIMEOUT), True
    except (RPCError, TimeoutError):
        return [], False


def _occurrence_of(m: Meeting) -> Touches:
    """In the series' history: the activities that made or changed this occurrence, and the
    updates that reached it (a change of the series, once the occurrence exists, reaches it
    while it is still ahead)."""

    def touches(name: str, args: dict[str, Any], at: datetime) -> bool:
        if name == CHANGE_OCCURRENCE:
            return args.get("meeting_id") == m.id
        if name == MATERIALISE_OCCURRENCE:
            return (args.get("occurrence") or {}).get("index") == m.occurrence_index
        if name == "delete_occurrence":
            return args.get("index") == m.occurrence_index
        return name in SERIES_CHANGES and m.created_at <= at < m.starts_at

    return touches


def _series_change(update: Update) -> WorkflowFact:
    """What the series did, not how the occurrence changed: that is in its own audit lines."""
    changes = update.args.get("changes") or {}
    changed = sorted(k for k, v in changes.items() if v is not None)
    return WorkflowFact(
        update.at,
        SERIES_CHANGES[update.name],
        actor_id=update.args.get("actor_id"),
        reason=update.args.get("reason"),
        details={"changed": changed} if changed else {},
    )


def _entry(fact: WorkflowFact, names: dict[str, str]) -> TimelineEntry:
    actor = names.get(fact.actor_id or "", "Tandem" if fact.actor_id is None else None)
    return TimelineEntry(
        fact.at,
        fact.action,
        fact.actor_id,
        actor,
        fact.reason,
        fact.details,
        error=fact.error,
        source="workflow",
    )


def _in_zone(entry: TimelineEntry, zone: ZoneInfo) -> TimelineEntry:
    moved = entry.moved and (entry.moved[0].astimezone(zone), entry.moved[1].astimezone(zone))
    return replace(entry, at=entry.at.astimezone(zone), moved=moved or None)
