"""Series workflows that ran before a change still replay after it.

``series_create_and_edit_v1``: issue 7 item 4 moved the first bookings of a create and an edit
before the answer, behind ``workflow.patched``; recorded before payloads were sealed (issue 8),
which the sealing converter every process now uses reads as it is. ``series_reassigned_v1`` and
``series_ended_v1`` (a reassign, then an end in the run it continued as): recorded before series
workflows kept their search attributes current (issue 11 item 2, behind its own patch)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from tandem.workflows.series import SeriesWorkflow
from tests.support import DATA_CONVERTER

HISTORIES = Path(__file__).resolve().parents[1] / "histories"


@pytest.mark.parametrize(
    "fixture", ["series_create_and_edit_v1", "series_reassigned_v1", "series_ended_v1"]
)
async def test_s3_m10_series_histories_recorded_before_a_patch_replay(fixture: str) -> None:
    raw = (HISTORIES / f"{fixture}.json").read_text()
    events = json.loads(raw)["events"]
    workflow_id = events[0]["workflowExecutionStartedEventAttributes"]["workflowId"]
    replayer = Replayer(workflows=[SeriesWorkflow], data_converter=DATA_CONVERTER)
    result = await replayer.replay_workflow(WorkflowHistory.from_json(workflow_id, raw))
    assert result.replay_failure is None
