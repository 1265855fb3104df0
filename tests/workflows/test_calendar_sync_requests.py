"""A connected calendar's workflow (SPEC K3): "read it now" asked while a pass is running is
not lost, the next pass follows at once instead of at the next interval."""

from __future__ import annotations

import asyncio
import uuid

from temporalio import activity
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from tandem.activities.messages import SYNC_CALENDAR, SyncCalendar
from tandem.workflows.calendar_sync import CalendarSyncInput, CalendarSyncWorkflow
from tests.support import Stack, eventually


async def test_k3_read_now_during_a_pass_gets_one_more_pass_at_once(stack: Stack) -> None:
    first_running, first_may_end = asyncio.Event(), asyncio.Event()
    passes: list[str] = []

    @activity.defn(name=SYNC_CALENDAR)
    async def sync_calendar(request: SyncCalendar) -> bool:
        passes.append(request.connection_id)
        if len(passes) == 1:
            first_running.set()
            await first_may_end.wait()
        return True

    queue = f"calendar-sync-{uuid.uuid4().hex[:8]}"
    async with Worker(
        stack.client,
        task_queue=queue,
        workflows=[CalendarSyncWorkflow],
        activities=[sync_calendar],
        workflow_runner=UnsandboxedWorkflowRunner(),
    ):
        handle = await stack.client.start_workflow(
            CalendarSyncWorkflow.run,
            CalendarSyncInput(connection_id="c-1", every_seconds=3600),
            id=f"calendar-test-{uuid.uuid4()}",
            task_queue=queue,
        )
        await first_running.wait()
        await handle.signal(CalendarSyncWorkflow.sync_now)  # recorded once this returns
        first_may_end.set()
        # The interval is an hour: only the request can bring the second pass this soon.
        await eventually(lambda: len(passes) >= 2)
        await asyncio.sleep(0.5)
        assert passes == ["c-1", "c-1"]  # one more pass, not one per request
        await handle.terminate()
