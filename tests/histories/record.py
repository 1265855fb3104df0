"""Record the workflow histories that tests/workflows/test_replay.py replays.

Each recorder runs the real workflows through the real API (worker, use cases, database, a
real Temporal server: time-skipping where timers matter, the dev server otherwise), then saves
one workflow's history with its payloads opened (``opened_history``), so a fixture holds no key
and reads in a review. Run it when a workflow change needs a new fixture, never in CI:

    .venv/bin/python -m tests.histories.record meeting_lifecycle  # -> meeting_lifecycle_v1.json
    .venv/bin/python -m tests.histories.record --all

An existing file is not overwritten: the next free version (``_v2``, …) is written, because
old fixtures are what prove that histories of the code before a change still replay
(docs/workflow-changes.md); ``--replace`` re-records the newest version in place, for a fixture
that no released code has written yet. A new fixture needs a recorder in RECORDERS and a
check in test_replay.CLAIMS.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from temporalio.client import WorkflowExecutionStatus, WorkflowHistory
from temporalio.testing import WorkflowEnvironment

from tandem.domain.digest import floor_tick, next_tick
from tandem.workflows.bulk_reassign import workflow_id as reassignment_workflow_id
from tandem.workflows.digest import workflow_id as digest_workflow_id
from tandem.workflows.meeting import workflow_id as meeting_workflow_id
from tandem.workflows.plan_commit import workflow_id as plan_workflow_id
from tandem.workflows.search_attributes import ALL_KEYS, register
from tandem.workflows.series import workflow_id as series_workflow_id
from tests.api.test_coaching import iso, week_of_shifts, wfm_team
from tests.api.test_series import occurrence_meetings
from tests.calendars.servers import file_server
from tests.conftest import DEV_SERVER_ARGS, SERVER_STARTUP
from tests.support import (
    DATA_CONVERTER,
    TEMPORAL,
    TEMPORAL_TEST_SERVER,
    Person,
    Stack,
    at,
    eventually,
    opened_history,
    running_stack,
    skip_to,
    sqlite_target,
)

HISTORIES = Path(__file__).resolve().parent


@contextlib.asynccontextmanager
async def _stack(skipping: bool) -> AsyncIterator[tuple[Stack, WorkflowEnvironment]]:
    """The servers conftest.py gives the tests (same flags), with the whole system on them."""
    if skipping:
        env = await WorkflowEnvironment.start_time_skipping(
            data_converter=DATA_CONVERTER,
            test_server_existing_path=TEMPORAL_TEST_SERVER,
            test_server_startup_timeout=SERVER_STARTUP,
        )
    else:
        env = await WorkflowEnvironment.start_local(
            data_converter=DATA_CONVERTER,
            dev_server_existing_path=TEMPORAL,
            search_attributes=ALL_KEYS,
            dev_server_extra_args=DEV_SERVER_ARGS,
            dev_server_startup_timeout=SERVER_STARTUP,
        )
    with tempfile.TemporaryDirectory(prefix="tandem-record-") as folder:
        async with env:
            if skipping:
                await register(env.client)
            data = Path(folder)
            async with running_stack(env.client, sqlite_target(data), data) as stack:
                yield stack, env


async def _ok(call: Awaitable, status: int = 200) -> dict:
    response = await call
    assert response.status_code == status, response.text
    return response.json()


# -- the recorders: each returns the history to keep ----------------------------------------


async def meeting_lifecycle() -> WorkflowHistory:
    """A series occurrence (so it rolls over, C3): created, rescheduled (M7), reminded (N3),
    started (M4), completed (M2), rolled over three hours after its end; the workflow ends."""
    async with _stack(skipping=True) as (stack, env):
        sup, agent = await stack.person("supervisor"), await stack.person("agent")
        now = await env.get_current_time()
        series = await stack.series(sup, agent, starts_at=at(days=1, hours=2, base=now))
        made = await eventually(lambda: occurrence_meetings(stack, agent, series["id"]))
        first = min(made, key=lambda m: m["occurrence_index"])
        new_start = datetime.fromisoformat(first["starts_at"]) + timedelta(hours=3)
        await _ok(
            stack.http.post(
                f"/v1/meetings/{first['id']}/reschedule",
                json={"starts_at": new_start.isoformat(), "reason": "Recorded reschedule"},
                headers=sup.auth,
            )
        )
        await stack.http.post(
            f"/v1/meetings/{first['id']}/agenda", json={"text": "Rolls on"}, headers=agent.auth
        )

        async def acted(action: str) -> bool:
            history = await _ok(
                stack.http.get(f"/v1/meetings/{first['id']}/history", headers=sup.auth)
            )
            return any(e["action"] == action for e in history["items"])

        await skip_to(env, new_start - timedelta(minutes=59))
        await eventually(lambda: acted("reminder_sent"))
        await skip_to(env, new_start + timedelta(minutes=5))
        await _ok(stack.http.post(f"/v1/meetings/{first['id']}/start", headers=sup.auth))
        await _ok(stack.http.post(f"/v1/meetings/{first['id']}/complete", headers=sup.auth))
        ends = new_start + timedelta(minutes=first["duration_minutes"])
        await skip_to(env, ends + timedelta(hours=3, minutes=1))
        await eventually(lambda: acted("rolled_over"))
        handle = stack.client.get_workflow_handle(meeting_workflow_id(first["id"]))
        await handle.result()
        return await handle.fetch_history()


async def meeting_changes() -> WorkflowHistory:
    """A one-off 1:1 through the other lifecycle updates: edited (M3), a guest invited (M9),
    reassigned with a reason (M10), cancelled with a reason (M8); the workflow ends."""
    async with _stack(skipping=False) as (stack, _):
        sup, agent = await stack.person("supervisor"), await stack.person("agent")
        alex = await stack.person("supervisor")
        meeting = await stack.one_to_one(sup, agent)
        base = f"/v1/meetings/{meeting['id']}"
        http = stack.http
        await _ok(http.patch(base, json={"location": "Room 4"}, headers=sup.auth))
        await _ok(
            http.post(f"{base}/guests", json={"email": "guest@example.com"}, headers=sup.auth)
        )
        moved = {"facilitator_id": alex.id, "reason": "Sam is away"}
        await _ok(http.post(f"{base}/reassign", json=moved, headers=sup.auth))
        await _ok(http.post(f"{base}/cancel", json={"reason": "Agent on leave"}, headers=alex.auth))
        handle = stack.client.get_workflow_handle(meeting_workflow_id(meeting["id"]))
        await handle.result()
        return await handle.fetch_history()


async def meeting_healed() -> WorkflowHistory:
    """W7+ (issue 12): a coaching appointment a WFM import breaks, in a division that
    auto-rebooks: flagged with its replacement slots (schedule_check), moved by Tandem to the
    best one (an automatic reschedule, behind ``heal-invalid-schedule``), then cancelled."""
    async with _stack(skipping=False) as (stack, _):
        sup, (agent,), planner, unit, monday = await wfm_team(stack)
        me = await _ok(stack.http.get("/v1/users/me", headers=planner.auth))
        await _ok(
            stack.http.put(
                f"/v1/coaching/division-settings/{me['divisions'][0]}",
                json={"auto_rebook": True},
                headers=planner.auth,
            )
        )
        body = {
            "kind": "coaching",
            "name": "Recorded review",
            "participant_ids": [agent.id],
            "starts_at": iso(monday, 14),
            "duration_minutes": 30,
        }
        meeting = await _ok(stack.http.post("/v1/meetings", json=body, headers=sup.auth), 201)
        week = week_of_shifts(agent.id, monday)
        week["shifts"][0]["activities"][2] |= {
            "starts_at": iso(monday, 14),
            "ends_at": iso(monday, 15),
        }
        schedule = {
            "business_unit": unit,
            "timezone": "Europe/London",
            "week_start": monday.isoformat(),
            "agents": [week],
        }
        await _ok(stack.http.put("/v1/wfm/schedules", json=schedule, headers=planner.auth))
        base = f"/v1/meetings/{meeting['id']}"
        moved = await _ok(stack.http.get(base, headers=sup.auth))
        assert moved["status"] == "scheduled" and moved["starts_at"] != meeting["starts_at"]
        await _ok(stack.http.post(f"{base}/cancel", json={"reason": "Recorded"}, headers=sup.auth))
        handle = stack.client.get_workflow_handle(meeting_workflow_id(meeting["id"]))
        await handle.result()
        return await handle.fetch_history()


async def _hopped_series(stack: Stack) -> tuple[Person, dict, str]:
    """A weekly series whose first run continued as new (S3): the dev server suggests it after
    60 events (tests/conftest.py); edits and a deleted occurrence fill the run. Returns the
    facilitator, the series and the first run's id."""
    sup, agent = await stack.person("supervisor"), await stack.person("agent")
    series = await stack.series(sup, agent)
    made = await eventually(lambda: _at_least(occurrence_meetings(stack, agent, series["id"]), 4))
    fourth = sorted(made, key=lambda m: m["occurrence_index"])[3]
    await stack.http.delete(
        f"/v1/series/{series['id']}/occurrences/{fourth['id']}", headers=sup.auth
    )
    wid = series_workflow_id(series["id"])
    for round_ in range(12):
        await _ok(
            stack.http.patch(
                f"/v1/series/{series['id']}",
                json={"duration_minutes": 30 + 15 * (round_ % 2), "name": f"Sync {round_}"},
                headers=sup.auth,
            )
        )
        if hopped := await _continued(stack, wid):
            return sup, series, hopped
    return sup, series, await eventually(lambda: _continued(stack, wid))


async def series_continued_as_new() -> WorkflowHistory:
    """The first run of a series, up to its continue-as-new."""
    async with _stack(skipping=False) as (stack, _):
        _, series, first = await _hopped_series(stack)
        wid = series_workflow_id(series["id"])
        return await stack.client.get_workflow_handle(wid, run_id=first).fetch_history()


async def series_resumed() -> WorkflowHistory:
    """The run after a continue-as-new, started from the carried state (no create), then
    edited once; the run is still open (a history that stops mid-run replays as well)."""
    async with _stack(skipping=False) as (stack, _):
        sup, series, first = await _hopped_series(stack)
        await _ok(
            stack.http.patch(
                f"/v1/series/{series['id']}", json={"name": "After the hop"}, headers=sup.auth
            )
        )
        handle = stack.client.get_workflow_handle(series_workflow_id(series["id"]))
        history = await handle.fetch_history()
        assert history.run_id != first, "the edit went to the first run"
        return history


async def _at_least(found: Awaitable[list], count: int) -> list | None:
    items = await found
    return items if len(items) >= count else None


async def _continued(stack: Stack, wid: str) -> str | None:
    """The run id of the first run of ``wid`` (the one with the create) once it continued as
    new."""
    runs = [run async for run in stack.client.list_workflows(f'WorkflowId = "{wid}"')]
    first = min(runs, key=lambda run: run.start_time, default=None)
    hopped = first is not None and first.status is WorkflowExecutionStatus.CONTINUED_AS_NEW
    return first.run_id if hopped else None


async def digest() -> WorkflowHistory:
    """The digest workflow (N4) through its first three Sunday ticks, with a digest due at the
    first one (Sunday 18:00 in UTC+14 is the first moment of the window). The run goes on (it
    continues as new on Monday morning); a history that stops mid-run replays as well."""
    async with _stack(skipping=True) as (stack, env):
        now = await env.get_current_time()
        sup = await stack.person("supervisor", tz="Pacific/Kiritimati")
        agent = await stack.person("agent", tz="Pacific/Kiritimati")
        await stack.one_to_one(sup, agent, starts_at=at(hours=3, base=now))
        ticks = [next_tick(floor_tick(now))]
        for _ in range(2):
            ticks.append(next_tick(ticks[-1]))
        await skip_to(env, ticks[-1] + timedelta(minutes=1))
        handle = stack.client.get_workflow_handle(digest_workflow_id(stack.settings.task_queue))

        async def ticked() -> WorkflowHistory | None:
            history = await handle.fetch_history()
            done = [
                e for e in history.events if e.HasField("activity_task_completed_event_attributes")
            ]
            return history if len(done) >= 3 else None

        return await eventually(ticked, within=60)


async def plan_commit() -> WorkflowHistory:
    """A team coaching plan previewed, then committed as a whole (W6): sessions booked in a
    batch through the create update and booking guard."""
    async with _stack(skipping=False) as (stack, _):
        sup, team, _planner, _unit, monday = await wfm_team(stack, agents=3)
        plan = await _ok(
            stack.http.post(
                "/v1/coaching/plans",
                json={
                    "attendee_ids": [a.id for a in team],
                    "facilitator_ids": [sup.id],
                    "window_start": iso(monday, 9),
                    "window_end": iso(monday, 17),
                    "duration_minutes": 30,
                },
                headers=sup.auth,
            ),
            201,
        )
        await _ok(
            stack.http.post(
                f"/v1/coaching/plans/{plan['id']}/commit",
                json={"name": "Recorded team coaching"},
                headers=sup.auth,
            ),
            202,
        )
        handle = stack.client.get_workflow_handle(plan_workflow_id(plan["id"]))
        await handle.result()
        return await handle.fetch_history()


async def bulk_reassignment() -> WorkflowHistory:
    """Everything of a leaving supervisor moved to another (M10 bulk): two 1:1s and a series,
    each through its own reassign, progress recorded after each."""
    async with _stack(skipping=False) as (stack, _):
        division = f"div-{uuid.uuid4().hex[:6]}"
        sam = await stack.person("supervisor", name="Sam Leaving", divisions=[division])
        alex = await stack.person("supervisor", name="Alex Taking", divisions=[division])
        agents = [await stack.person("agent", divisions=[division]) for _ in range(2)]
        await stack.one_to_one(sam, agents[0], starts_at=at(days=2, hours=1))
        await stack.one_to_one(sam, agents[0], starts_at=at(days=2, hours=3))
        await stack.series(sam, agents[1])
        job = await _ok(
            stack.http.post(
                "/v1/reassignments",
                json={
                    "from_user_id": sam.id,
                    "to_user_id": alex.id,
                    "reason": "Sam is leaving the team",
                    "scope": "both",
                },
                headers={**sam.auth, "Idempotency-Key": f"record-{uuid.uuid4()}"},
            ),
            202,
        )
        handle = stack.client.get_workflow_handle(reassignment_workflow_id(job["id"]))
        await handle.result()
        return await handle.fetch_history()


async def _reassigned_then_ended(stack: Stack) -> tuple[str, str, str]:
    """A series handed to another facilitator (M10), then ended by them: the dev server's low
    continue-as-new threshold puts the end in the next run. The workflow id and the two runs'
    ids, oldest first."""
    sam = await stack.person("supervisor", name="Sam Leaving")
    alex = await stack.person("supervisor", name="Alex Taking")
    series = await stack.series(sam, await stack.person("agent"))
    await _ok(
        stack.http.post(
            f"/v1/series/{series['id']}/reassign",
            json={"facilitator_id": alex.id, "reason": "Sam leaves"},
            headers=sam.auth,
        )
    )
    await _ok(stack.http.post(f"/v1/series/{series['id']}/end", headers=alex.auth))
    handle = stack.client.get_workflow_handle(series_workflow_id(series["id"]))
    last = await handle.fetch_history()
    started = last.events[0].workflow_execution_started_event_attributes
    assert started.continued_execution_run_id, "the end went to the first run"
    return handle.id, started.continued_execution_run_id, last.run_id


async def series_reassigned() -> WorkflowHistory:
    """The first run of a series: created, reassigned (M10), continued as new."""
    async with _stack(skipping=False) as (stack, _):
        wid, first, _ = await _reassigned_then_ended(stack)
        return await stack.client.get_workflow_handle(wid, run_id=first).fetch_history()


async def series_ended() -> WorkflowHistory:
    """The run after that hop: the new facilitator ends the series."""
    async with _stack(skipping=False) as (stack, _):
        wid, _, last = await _reassigned_then_ended(stack)
        return await stack.client.get_workflow_handle(wid, run_id=last).fetch_history()


async def calendar_sync() -> WorkflowHistory:
    """A connected ICS calendar (K3): the pass at its start, then one asked for over the API
    after its event was renamed; the run goes on (it waits for the next pass)."""
    async with _stack(skipping=False) as (stack, _):
        sam = await stack.person("supervisor")
        ana = await stack.person("agent")
        with tempfile.TemporaryDirectory() as folder, file_server(Path(folder)) as base:
            feed = Path(folder) / "work.ics"
            start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)

            def publish(name: str) -> None:
                feed.write_text(
                    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//record//EN\r\n"
                    f"BEGIN:VEVENT\r\nUID:weekly\r\nSUMMARY:{name}\r\n"
                    f"DTSTART:{start:%Y%m%dT%H%M%SZ}\r\nDURATION:PT30M\r\n"
                    f"RRULE:FREQ=WEEKLY\r\nATTENDEE:mailto:{ana.email}\r\n"
                    "END:VEVENT\r\nEND:VCALENDAR\r\n"
                )

            publish("Weekly 1:1")
            connection = await _ok(
                stack.http.post(
                    "/v1/calendars",
                    json={"kind": "ics", "url": f"{base}/work.ics"},
                    headers=sam.auth,
                ),
                201,
            )
            path = f"/v1/calendars/{connection['id']}"
            found = await _ok(stack.http.get(f"{path}/candidates", headers=sam.auth))
            ids = [c["id"] for c in found["items"]]
            await _ok(
                stack.http.post(f"{path}/import", json={"candidate_ids": ids}, headers=sam.auth)
            )
            publish("Weekly sync")
            asked = await stack.http.post(f"{path}/sync", headers=sam.auth)
            assert asked.status_code == 202, asked.text
            handle = stack.client.get_workflow_handle(f"calendar-{connection['id']}")

            async def two_passes() -> WorkflowHistory | None:
                history = await handle.fetch_history()
                done = sum(
                    e.HasField("activity_task_completed_event_attributes") for e in history.events
                )
                return history if done >= 2 else None

            return await eventually(two_passes, within=60)


RECORDERS: dict[str, Callable[[], Awaitable[WorkflowHistory]]] = {
    "meeting_lifecycle": meeting_lifecycle,
    "meeting_changes": meeting_changes,
    "meeting_healed": meeting_healed,
    "series_continued_as_new": series_continued_as_new,
    "series_resumed": series_resumed,
    "digest": digest,
    "plan_commit": plan_commit,
    "bulk_reassignment": bulk_reassignment,
    "series_reassigned": series_reassigned,
    "series_ended": series_ended,
    "calendar_sync": calendar_sync,
}


def next_version(name: str, *, replace: bool = False) -> Path:
    """The first free ``<name>_v<N>.json``; with ``replace``, the newest existing one."""
    version = 1
    while (path := HISTORIES / f"{name}_v{version}.json").exists():
        version += 1
    return HISTORIES / f"{name}_v{version - 1}.json" if replace and version > 1 else path


async def record(name: str, *, replace: bool = False) -> Path:
    history = await RECORDERS[name]()
    path = next_version(name, replace=replace)
    path.write_text(json.dumps(await opened_history(history), indent=2) + "\n")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", metavar="NAME", help=", ".join(RECORDERS))
    parser.add_argument("--all", action="store_true", help="record every fixture")
    parser.add_argument(
        "--replace",
        action="store_true",
        help="overwrite the newest version instead of adding one (only for a fixture that no "
        "released code has written yet)",
    )
    args = parser.parse_args()
    names = list(RECORDERS) if args.all else args.names
    if not names or set(names) - set(RECORDERS):
        parser.error(f"name some of {', '.join(RECORDERS)}, or pass --all")
    for name in names:
        started = datetime.now(UTC)
        path = asyncio.run(record(name, replace=args.replace))
        seconds = (datetime.now(UTC) - started).total_seconds()
        print(f"{name}: {path.relative_to(HISTORIES.parents[1])} ({seconds:.0f} s)")


if __name__ == "__main__":
    main()
