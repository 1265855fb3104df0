"""A retry with the same Idempotency-Key gets the first answer, even when that answer was lost
(issue 8 item 2, SPEC M13).

The hard cases are the changes that end a workflow (cancel, delete, end a series): the retry
can no longer reach the update that applied it, and the lifecycle rules would now refuse it
("already cancelled"). The answer comes from the outcome the change's own transaction recorded.
Real processes: a Temporal dev server, the ``tandem api`` process killed with SIGKILL while it
waits for the worker, and a worker that is not polling until the test starts it.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections import Counter
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from tandem.store.schema import IdempotencyRow, NotificationRow
from tests.support import (
    Person,
    Stack,
    at,
    eventually,
    free_port,
    polling,
    running_stack,
    sqlite_target,
    start_tandem,
)

WAIT = 2.0


async def _status_is(stack: Stack, person: Person, meeting_id: str, status: str) -> bool:
    found = await stack.http.get(f"/v1/meetings/{meeting_id}", headers=person.auth)
    return found.json()["status"] == status


async def _claimed(stack: Stack, key: str) -> bool:
    query = select(IdempotencyRow.key).where(IdempotencyRow.key == key)
    return await stack.db.read(lambda session: session.scalar(query)) is not None


async def _told(stack: Stack, person: Person, kind: str) -> int:
    query = select(NotificationRow.kind).where(NotificationRow.user_id == person.id)
    kinds = await stack.db.read(lambda session: Counter(session.scalars(query)))
    return kinds[kind]


async def test_m13_a_cancel_applied_after_the_api_was_killed_answers_200_on_retry(
    dev_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    async with running_stack(
        dev_env.client, sqlite_target(tmp_path), tmp_path, in_process_worker=False
    ) as stack:
        sup, agent = await stack.person("supervisor"), await stack.person("agent")
        async with polling(stack):
            meeting = await stack.one_to_one(sup, agent)
        path = f"/v1/meetings/{meeting['id']}/cancel"
        key = {**sup.auth, "Idempotency-Key": "cancel-while-the-api-dies"}
        body = {"reason": "the team offsite moved"}

        # The real API process takes the cancel, hands it to Temporal and waits for a worker;
        # it is killed while waiting, so its answer is lost.
        port = free_port()
        api = await start_tandem(
            stack,
            "api",
            tmp_path / "api.log",
            TANDEM_API_PORT=str(port),
            TANDEM_UPDATE_WAIT_SECONDS="60",
        )
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=90) as direct:

            async def up() -> bool:
                with contextlib.suppress(httpx.HTTPError):
                    return (await direct.get("/health")).status_code == 200
                return False

            await eventually(up, within=30)
            first = asyncio.create_task(direct.post(path, json=body, headers=key))
            await eventually(lambda: _claimed(stack, key["Idempotency-Key"]))
            await asyncio.sleep(1.0)  # the update is with Temporal now
            api.send_signal(signal.SIGKILL)
            await api.wait()
            with pytest.raises(httpx.HTTPError):
                await first

        async with polling(stack):
            # The received cancel is applied once a worker polls, with nobody asking again.
            await eventually(lambda: _status_is(stack, sup, meeting["id"], "cancelled"), within=30)
            retried = await stack.http.post(path, json=body, headers=key)
            assert retried.status_code == 200, retried.text
            answer = retried.json()
            assert answer["status"] == "cancelled"
            assert answer["version"] == meeting["version"] + 1
            again = await stack.http.post(path, json=body, headers=key)
            assert again.status_code == 200 and again.json() == answer
            assert again.headers["Idempotent-Replayed"] == "true"

        history = await stack.http.get(f"/v1/meetings/{meeting['id']}/history", headers=sup.auth)
        assert Counter(e["action"] for e in history.json()["items"])["cancelled"] == 1
        assert await _told(stack, agent, "cancelled") == 1


@pytest.mark.parametrize("change", ["cancel", "delete", "reassign", "end series"])
async def test_m13_a_change_that_ended_its_workflow_answers_its_retry_with_200(
    dev_env: WorkflowEnvironment, tmp_path: Path, change: str
) -> None:
    """The first attempt is a 503 (no worker polls); the change is applied once one does."""
    async with running_stack(
        dev_env.client,
        sqlite_target(tmp_path),
        tmp_path,
        in_process_worker=False,
        update_wait_seconds=WAIT,
    ) as stack:
        sup, agent = await stack.person("supervisor"), await stack.person("agent")
        other = await stack.person("supervisor")
        async with polling(stack):
            if change == "end series":
                series = await stack.series(sup, agent)
                method, path, body = "POST", f"/v1/series/{series['id']}/end", {"reason": "done"}
            else:
                meeting = await stack.one_to_one(sup, agent, starts_at=at(days=2))
                # The new facilitator is busy then: without a reason the guard would refuse.
                await stack.one_to_one(other, await stack.person("agent"), starts_at=at(days=2))
                method, path, body = {
                    "cancel": ("POST", f"/v1/meetings/{meeting['id']}/cancel", {"reason": "r"}),
                    "delete": ("DELETE", f"/v1/meetings/{meeting['id']}", {"reason": "r"}),
                    "reassign": (
                        "POST",
                        f"/v1/meetings/{meeting['id']}/reassign",
                        {"facilitator_id": other.id, "reason": "Sam moved teams"},
                    ),
                }[change]
        key = {**sup.auth, "Idempotency-Key": f"{change}-1"}

        async def send() -> httpx.Response:
            return await stack.http.request(method, path, json=body, headers=key)

        unconfirmed = await send()
        assert unconfirmed.status_code == 503, unconfirmed.text
        assert unconfirmed.json()["error"]["type"] == "Unconfirmed"

        async with polling(stack):
            # Wait until the worker has applied it (the change's transaction records that).
            recorded = select(IdempotencyRow.applied).where(
                IdempotencyRow.key == key["Idempotency-Key"]
            )

            async def applied() -> bool:
                return await stack.db.read(lambda session: session.scalar(recorded)) is not None

            await eventually(applied, within=30)
            retried = await send()
            assert retried.status_code == 200, retried.text
            answer = retried.json()
            if change == "end series":
                assert answer["status"] == "ended"
            elif change == "reassign":
                assert answer["meeting"]["facilitator_id"] == other.id
                assert [c["kind"] for c in answer["not_available"]] == ["one_to_one"]
            else:
                assert answer["status"] == {"cancel": "cancelled", "delete": "deleted"}[change]
            again = await send()
            assert again.status_code == 200 and again.json() == answer
