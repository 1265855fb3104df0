"""What a meeting's timeline reads off a Temporal history (SPEC O1): activity failures and
retries with their error, through the sealing converter (failure messages are encoded), and a
business refusal raised through an activity left to the refused change, not shown as a failure.

A small workflow of its own makes the failures happen on a real Temporal server, because
Tandem's activities fail only when something real breaks."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from temporalio import activity, workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

with workflow.unsafe.imports_passed_through():  # the sandbox re-imports this module
    from tandem.cli.worker import sandboxed_runner
    from tandem.usecases.workflow_history import facts, fetch

QUICK = RetryPolicy(initial_interval=timedelta(milliseconds=10), maximum_attempts=5)


@activity.defn
async def flaky(meeting_id: str) -> None:
    if activity.info().attempt < 3:
        raise RuntimeError(f"SMTP refused, attempt {activity.info().attempt}")


@activity.defn
async def broken(meeting_id: str) -> None:
    raise ApplicationError("calendar server gone", non_retryable=True)


@activity.defn
async def refusing(meeting_id: str) -> None:
    raise ApplicationError("Sam is busy then", type="Conflict", non_retryable=True)


@workflow.defn(sandboxed=True)
class Troubled:
    @workflow.run
    async def run(self, meeting_id: str) -> None:
        options = {"start_to_close_timeout": timedelta(seconds=10), "retry_policy": QUICK}
        await workflow.execute_activity(flaky, meeting_id, **options)
        await workflow.execute_local_activity(flaky, meeting_id, **options)
        for failing in (broken, refusing):
            try:
                await workflow.execute_activity(failing, meeting_id, **options)
            except ActivityError:
                pass


async def test_o1_activity_failures_and_retries_are_read_with_their_error(
    dev_env: WorkflowEnvironment,
) -> None:
    client, queue = dev_env.client, f"history-facts-{uuid.uuid4()}"
    async with Worker(
        client,
        task_queue=queue,
        workflows=[Troubled],
        activities=[flaky, broken, refusing],
        workflow_runner=sandboxed_runner(),
    ):
        handle = await client.start_workflow(
            Troubled.run, "m-1", id=f"troubled-{uuid.uuid4()}", task_queue=queue
        )
        await handle.result()
    [history] = await fetch(client, handle.id, since=(await handle.describe()).start_time)
    found = await facts(client, history)
    assert [(f.action, f.details, f.error) for f in found] == [
        (
            "activity_retried",
            {"activity": "flaky", "attempt": 3},
            "RuntimeError: SMTP refused, attempt 2",
        ),
        # A local activity's earlier attempts leave only their count in the history.
        ("activity_retried", {"activity": "flaky", "attempt": 3}, None),
        ("activity_failed", {"activity": "broken"}, "calendar server gone"),
    ]
    assert await fetch(client, f"never-{uuid.uuid4()}", since=datetime.now(UTC)) == []
