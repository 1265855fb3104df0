"""Telling the truth when the backend cannot confirm a change (issue 8 item 1, SPEC M13, O2):
503 in the usual error shape with Retry-After, at the configured deadline, saying whether the
change may still happen; /ready names what is missing."""

from __future__ import annotations

import time
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from tandem.workflows.search_attributes import ALL_KEYS
from tests.conftest import SERVER_STARTUP
from tests.support import DATA_CONVERTER, TEMPORAL, at, polling, running_stack, sqlite_target

WAIT = 2.0


async def test_with_no_worker_a_create_is_503_received_and_applied_once_one_polls(
    dev_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    async with running_stack(
        dev_env.client,
        sqlite_target(tmp_path),
        tmp_path,
        in_process_worker=False,
        update_wait_seconds=WAIT,
    ) as stack:
        ready = await stack.http.get("/ready")
        assert ready.status_code == 503
        assert stack.settings.task_queue in ready.json()["checks"]["worker"]

        sup, agent = await stack.person("supervisor"), await stack.person("agent")
        body = {
            "kind": "one_to_one",
            "name": "Sent while no worker runs",
            "participant_ids": [agent.id],
            "starts_at": at(days=3),
            "duration_minutes": 30,
        }
        key = {**sup.auth, "Idempotency-Key": "no-worker-1"}
        began = time.monotonic()
        refused = await stack.http.post("/v1/meetings", json=body, headers=key)
        took = time.monotonic() - began
        assert refused.status_code == 503, refused.text
        assert WAIT <= took < WAIT + 5, took
        assert refused.headers["Retry-After"] == "5"
        error = refused.json()["error"]
        assert error["type"] == "Unconfirmed"
        assert "will be applied when processing resumes" in error["message"]

        async with polling(stack):
            retried = await stack.http.post("/v1/meetings", json=body, headers=key)
            assert retried.status_code == 201, retried.text
            listed = await stack.http.get("/v1/meetings?role=participant", headers=agent.auth)
            assert [m["id"] for m in listed.json()["items"]] == [retried.json()["id"]]
            assert (await stack.http.get("/ready")).status_code == 200


async def test_with_temporal_unreachable_a_change_is_503_and_nothing_is_applied(
    tmp_path: Path,
) -> None:
    env = await WorkflowEnvironment.start_local(
        data_converter=DATA_CONVERTER,
        dev_server_existing_path=TEMPORAL,
        search_attributes=ALL_KEYS,
        dev_server_startup_timeout=SERVER_STARTUP,
    )
    async with running_stack(
        env.client,
        sqlite_target(tmp_path),
        tmp_path,
        in_process_worker=False,
        update_wait_seconds=WAIT,
    ) as stack:
        sup, agent = await stack.person("supervisor"), await stack.person("agent")
        await env.shutdown()
        refused = await stack.create_meeting(
            sup,
            kind="one_to_one",
            name="Never applied",
            participant_ids=[agent.id],
            starts_at=at(days=3),
            duration_minutes=30,
        )
        assert refused.status_code == 503, refused.text
        assert refused.json()["error"]["type"] == "Unavailable"
        assert "nothing was applied" in refused.json()["error"]["message"]
        assert refused.headers["Retry-After"] == "5"
        ready = await stack.http.get("/ready")
        assert ready.status_code == 503 and ready.json()["checks"]["temporal"] != "ok"
        listed = await stack.http.get("/v1/meetings?role=participant", headers=agent.auth)
        assert listed.json()["items"] == []
