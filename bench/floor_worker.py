"""The bare-stack floor for a create (run by bench/create_cpu.py as its own process): a workflow
whose update-with-start runs one local activity and whose run waits on a timer, the least a
Temporal create can be. Usage: python bench/floor_worker.py TEMPORAL_ADDRESS TASK_QUEUE"""

from __future__ import annotations

import asyncio
import sys
from datetime import timedelta

from pydantic import BaseModel
from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import UnsandboxedWorkflowRunner, Worker


class FloorInput(BaseModel):
    name: str = ""


@activity.defn
async def floor_activity(request: FloorInput) -> str:
    return request.name


@workflow.defn
class FloorWorkflow:
    def __init__(self) -> None:
        self.done = False

    @workflow.run
    async def run(self, _: FloorInput) -> None:
        await workflow.wait_condition(lambda: self.done, timeout=timedelta(days=7))

    @workflow.update
    async def create(self, request: FloorInput) -> str:
        return await workflow.execute_local_activity(
            floor_activity, request, start_to_close_timeout=timedelta(seconds=30)
        )


async def main(address: str, task_queue: str) -> None:
    client = await Client.connect(address, data_converter=pydantic_data_converter)
    worker = Worker(
        client,
        task_queue=task_queue,
        workflows=[FloorWorkflow],
        activities=[floor_activity],
        workflow_runner=UnsandboxedWorkflowRunner(),
    )
    print("ready", flush=True)
    await worker.run()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
