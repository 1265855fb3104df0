"""Series workflows that ran before a change still replay after it (issue 7 item 4 moved the
first bookings of a create and an edit before the answer, behind ``workflow.patched``). The
history was recorded before payloads were sealed (issue 8): the sealing converter every process
now uses reads it as it is."""

from __future__ import annotations

import json
from pathlib import Path

from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from tandem.observability.interceptors import RequestIdWorkerInterceptor
from tandem.workflows.series import SeriesWorkflow
from tests.support import DATA_CONVERTER

HISTORIES = Path(__file__).resolve().parents[1] / "histories"


async def test_s3_a_series_created_and_edited_before_the_patch_replays() -> None:
    raw = (HISTORIES / "series_create_and_edit_v1.json").read_text()
    events = json.loads(raw)["events"]
    workflow_id = events[0]["workflowExecutionStartedEventAttributes"]["workflowId"]
    # With the interceptor workers now run with (SPEC O2): a history recorded before it, with
    # no request ids in its headers, still replays.
    replayer = Replayer(
        workflows=[SeriesWorkflow],
        data_converter=DATA_CONVERTER,
        interceptors=[RequestIdWorkerInterceptor()],
    )
    result = await replayer.replay_workflow(WorkflowHistory.from_json(workflow_id, raw))
    assert result.replay_failure is None
