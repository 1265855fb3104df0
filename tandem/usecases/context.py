"""What use cases need, built once per process (by the API app, the worker or a CLI command)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from temporalio.client import Client

from tandem.settings import Settings
from tandem.store.db import Database
from tandem.usecases.temporal import (
    UPDATE_TIMEOUT,
    CalendarSyncGateway,
    MeetingGateway,
    PlanGateway,
    ReassignmentGateway,
    SeriesGateway,
)
from tandem.usecases.wfm_cache import WfmCache


@dataclass
class Services:
    settings: Settings
    db: Database
    meetings: MeetingGateway
    series: SeriesGateway
    plans: PlanGateway
    reassignments: ReassignmentGateway
    calendars: CalendarSyncGateway
    wfm: WfmCache = field(default_factory=WfmCache)

    @classmethod
    def connected(
        cls, settings: Settings, db: Database, client: Client, *, wait: timedelta = UPDATE_TIMEOUT
    ) -> Services:
        """``wait``: how long a change may take to be confirmed before the caller hears 503."""
        queue = settings.task_queue
        return cls(
            settings=settings,
            db=db,
            meetings=MeetingGateway(client, queue, wait=wait),
            series=SeriesGateway(client, queue, wait=wait),
            plans=PlanGateway(client, queue),
            reassignments=ReassignmentGateway(client, queue),
            calendars=CalendarSyncGateway(
                client, queue, timedelta(seconds=settings.calendar_sync_seconds)
            ),
        )
