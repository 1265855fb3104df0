"""A connected calendar kept in step (SPEC K3, K4): one workflow per connection, a sync pass
on an interval, for as long as the connection exists. A pass that cannot read the calendar is
not a failure here: the activity marks the connection and tells its owner once, and the next
pass tries again, so sync resumes by itself when the calendar is back."""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel
from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from tandem.activities.messages import SYNC_CALENDAR, SyncCalendar


class CalendarSyncInput(BaseModel):
    connection_id: str
    every_seconds: int


# A "read it now" that arrives while a pass runs asks for one more pass after it; before, the
# flag was cleared when the pass ended and the request waited for the next interval. Histories
# recorded before clear it after the pass (their next command is the interval's timer).
KEEP_REQUEST_DURING_PASS = "sync-now-kept-during-a-pass"


def workflow_id(connection_id: str) -> str:
    return f"calendar-{connection_id}"


@workflow.defn(name="CalendarSync")
class CalendarSyncWorkflow:
    def __init__(self) -> None:
        self.stopped = False
        self.due = False

    @workflow.signal
    def stop(self) -> None:
        """The connection was removed."""
        self.stopped = True

    @workflow.signal
    def sync_now(self) -> None:
        """Read the calendar at once (a new connection, an import) instead of at the next pass."""
        self.due = True

    @workflow.run
    async def run(self, start: CalendarSyncInput) -> None:
        while not self.stopped:
            keep_request = workflow.patched(KEEP_REQUEST_DURING_PASS)
            if keep_request:
                self.due = False
            exists = await workflow.execute_activity(
                SYNC_CALENDAR,
                SyncCalendar(connection_id=start.connection_id),
                result_type=bool,
                start_to_close_timeout=timedelta(minutes=5),
                retry_policy=RetryPolicy(maximum_interval=timedelta(minutes=5)),
                summary="read the calendar",
            )
            if not exists:
                return
            if not keep_request:
                self.due = False
            await workflow.wait_condition(
                lambda: self.stopped or self.due,
                timeout=timedelta(seconds=start.every_seconds),
                timeout_summary="next sync",
            )
            if workflow.info().is_continue_as_new_suggested():
                workflow.continue_as_new(start)
