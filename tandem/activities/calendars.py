"""Connected calendars (SPEC K3, K4): one sync pass, through the same use cases as the API."""

from __future__ import annotations

from temporalio import activity

from tandem.activities.messages import SYNC_CALENDAR, SyncCalendar
from tandem.usecases import calendar_sync
from tandem.usecases.context import Services


class CalendarActivities:
    def __init__(self, svc: Services) -> None:
        self.svc = svc

    @activity.defn(name=SYNC_CALENDAR)
    async def sync(self, request: SyncCalendar) -> bool:
        """False once the connection is gone: its workflow then ends."""
        return await calendar_sync.sync(self.svc, request.connection_id)
