"""Meeting timers under a time-skipping server (SPEC N3, M2, M7): exactly when things happen."""

from __future__ import annotations

from datetime import datetime, timedelta

from temporalio.client import WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment

from tandem.workflows.meeting import workflow_id
from tests.support import Person, Stack, at, eventually, skip_to

# A timer's workflow task runs a few milliseconds after the instant it fired for.
PUNCTUAL = timedelta(seconds=2)


def _fired_at(events: list[dict], action: str) -> list[datetime]:
    return [datetime.fromisoformat(e["at"]) for e in events if e["action"] == action]


def _on_time(fired: list[datetime], due: datetime) -> bool:
    return len(fired) == 1 and due <= fired[0] < due + PUNCTUAL


async def _reminders(stack: Stack, person: Person) -> list[dict]:
    items = (await stack.http.get("/v1/notifications", headers=person.auth)).json()["items"]
    return [n for n in items if n["kind"] == "reminder"]


async def _history(stack: Stack, meeting_id: str, person: Person) -> list[dict]:
    return (await stack.http.get(f"/v1/meetings/{meeting_id}/history", headers=person.auth)).json()[
        "items"
    ]


async def _status(stack: Stack, meeting_id: str, person: Person) -> str:
    return (await stack.http.get(f"/v1/meetings/{meeting_id}", headers=person.auth)).json()[
        "status"
    ]


async def test_n3_reminder_fires_one_hour_before_to_everyone_attending(
    skipping: Stack, skipping_env: WorkflowEnvironment
) -> None:
    sup, agent = await skipping.person("supervisor"), await skipping.person("agent")
    now = await skipping_env.get_current_time()
    meeting = await skipping.one_to_one(sup, agent, starts_at=at(days=2, base=now))
    starts = datetime.fromisoformat(meeting["starts_at"])

    await skip_to(skipping_env, starts - timedelta(hours=1, minutes=2))
    assert await _reminders(skipping, agent) == []

    await skip_to(skipping_env, starts - timedelta(minutes=58))
    for person in (agent, sup):
        reminder = (await eventually(lambda p=person: _reminders(skipping, p)))[0]
        assert "starts in one hour" in reminder["subject"]
    sent = _fired_at(await _history(skipping, meeting["id"], sup), "reminder_sent")
    assert _on_time(sent, starts - timedelta(hours=1)), sent
    await eventually(
        lambda: [
            m
            for m in skipping.mailbox.about(meeting["id"], agent.email)
            if "Reminder" in m["Subject"]
        ]
    )


async def test_n3_reschedule_rearms_the_reminder_for_the_new_time_only(
    skipping: Stack, skipping_env: WorkflowEnvironment
) -> None:
    sup, agent = await skipping.person("supervisor"), await skipping.person("agent")
    now = await skipping_env.get_current_time()
    meeting = await skipping.one_to_one(sup, agent, starts_at=at(days=2, base=now))
    old_start = datetime.fromisoformat(meeting["starts_at"])
    new_start = old_start + timedelta(days=3, hours=2)

    await skipping_env.sleep(timedelta(hours=20))
    moved = await skipping.http.post(
        f"/v1/meetings/{meeting['id']}/reschedule",
        json={"starts_at": new_start.isoformat(), "reason": "Coach is travelling"},
        headers=sup.auth,
    )
    assert moved.status_code == 200, moved.text

    # Well past the old start: no reminder was ever sent for it.
    await skip_to(skipping_env, old_start + timedelta(hours=2))
    await skipping_env.sleep(timedelta(seconds=1))
    assert await _reminders(skipping, agent) == []

    await skip_to(skipping_env, new_start - timedelta(hours=1, minutes=1))
    assert await _reminders(skipping, agent) == []
    await skip_to(skipping_env, new_start - timedelta(minutes=59))
    await eventually(lambda: _reminders(skipping, agent))
    sent = _fired_at(await _history(skipping, meeting["id"], sup), "reminder_sent")
    assert _on_time(sent, new_start - timedelta(hours=1)), sent
    assert len(await _reminders(skipping, agent)) == 1


async def test_n3_a_user_can_turn_reminders_off_but_not_other_notifications(
    skipping: Stack, skipping_env: WorkflowEnvironment
) -> None:
    sup, agent = await skipping.person("supervisor"), await skipping.person("agent")
    off = await skipping.http.patch(
        "/v1/users/me/settings", json={"meeting_reminders": False}, headers=agent.auth
    )
    assert off.status_code == 200 and off.json()["settings"]["meeting_reminders"] is False
    now = await skipping_env.get_current_time()
    meeting = await skipping.one_to_one(sup, agent, starts_at=at(days=1, base=now))
    starts = datetime.fromisoformat(meeting["starts_at"])

    await skip_to(skipping_env, starts - timedelta(minutes=30))
    await eventually(lambda: _reminders(skipping, sup))  # the facilitator still gets theirs
    assert await _reminders(skipping, agent) == []
    kinds = [
        n["kind"]
        for n in (await skipping.http.get("/v1/notifications", headers=agent.auth)).json()["items"]
    ]
    assert "reminder" not in kinds and "meeting_created" in kinds


async def test_m2_a_meeting_never_started_becomes_missed_and_its_workflow_ends(
    skipping: Stack, skipping_env: WorkflowEnvironment
) -> None:
    sup, agent = await skipping.person("supervisor"), await skipping.person("agent")
    now = await skipping_env.get_current_time()
    meeting = await skipping.one_to_one(sup, agent, starts_at=at(hours=5, base=now))
    ends = datetime.fromisoformat(meeting["ends_at"])

    await skip_to(skipping_env, ends - timedelta(minutes=1))
    assert await _status(skipping, meeting["id"], sup) == "scheduled"
    await skip_to(skipping_env, ends + timedelta(minutes=1))
    await eventually(lambda: _status_is(skipping, meeting["id"], sup, "missed"))
    handle = skipping.client.get_workflow_handle(workflow_id(meeting["id"]))
    await eventually(lambda: _closed(handle))
    missed = _fired_at(await _history(skipping, meeting["id"], sup), "missed")
    assert _on_time(missed, ends), missed


async def test_m2_a_live_meeting_completes_by_itself_three_hours_after_its_end(
    skipping: Stack, skipping_env: WorkflowEnvironment
) -> None:
    sup, agent = await skipping.person("supervisor"), await skipping.person("agent")
    now = await skipping_env.get_current_time()
    meeting = await skipping.one_to_one(
        sup, agent, starts_at=at(hours=2, base=now), duration_minutes=60
    )
    await skipping.http.post(f"/v1/meetings/{meeting['id']}/start", headers=sup.auth)
    ends = datetime.fromisoformat(meeting["ends_at"])

    await skip_to(skipping_env, ends + timedelta(hours=2, minutes=59))
    assert await _status(skipping, meeting["id"], sup) == "in_progress"
    await skip_to(skipping_env, ends + timedelta(hours=3, minutes=1))
    await eventually(lambda: _status_is(skipping, meeting["id"], sup, "completed"))
    done = _fired_at(await _history(skipping, meeting["id"], sup), "completed_automatically")
    assert _on_time(done, ends + timedelta(hours=3)), done


async def _status_is(stack: Stack, meeting_id: str, person: Person, status: str) -> bool:
    return await _status(stack, meeting_id, person) == status


async def _closed(handle) -> bool:
    return (await handle.describe()).status == WorkflowExecutionStatus.COMPLETED
