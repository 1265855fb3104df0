"""Meeting content over time, under a time-skipping server: rollover (C3), digests (N4)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import text
from temporalio.testing import WorkflowEnvironment

from tests.api.test_series import occurrence_meetings
from tests.support import Person, Stack, eventually, readable_history, skip_to


async def _next_monday_nine(env: WorkflowEnvironment, zone: str) -> datetime:
    """The start of a fresh week, so nothing in a test depends on the day it runs."""
    now = (await env.get_current_time()).astimezone(ZoneInfo(zone))
    monday = (now + timedelta(days=7 - now.weekday())).replace(
        hour=9, minute=0, second=0, microsecond=0
    )
    return monday


async def _items(stack: Stack, person: Person, meeting_id: str, kind: str = "agenda") -> list[dict]:
    response = await stack.http.get(f"/v1/meetings/{meeting_id}/{kind}", headers=person.auth)
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def _add(
    stack: Stack, person: Person, meeting_id: str, kind: str, text: str, **extra
) -> dict:
    response = await stack.http.post(
        f"/v1/meetings/{meeting_id}/{kind}", json={"text": text, **extra}, headers=person.auth
    )
    assert response.status_code == 201, response.text
    return response.json()


async def _complete(stack: Stack, person: Person, meeting_id: str, kind: str, item_id: str) -> None:
    done = await stack.http.patch(
        f"/v1/meetings/{meeting_id}/{kind}/{item_id}", json={"completed": True}, headers=person.auth
    )
    assert done.status_code == 200, done.text


async def _weekly_series(stack: Stack, sup: Person, agent: Person, starts: datetime) -> list[dict]:
    created = await stack.http.post(
        "/v1/series",
        json={
            "participant_id": agent.id,
            "name": "Weekly 1:1",
            "starts_at": starts.isoformat(),
            "duration_minutes": 30,
            "timezone": str(starts.tzinfo),
            "recurrence": "weekly",
        },
        headers=sup.auth,
    )
    assert created.status_code == 201, created.text
    series_id = created.json()["id"]

    async def materialised() -> list[dict] | None:
        found = await occurrence_meetings(stack, agent, series_id)
        return sorted(found, key=lambda m: m["occurrence_index"]) if len(found) >= 2 else None

    return await eventually(materialised)


async def test_c3_open_items_roll_over_three_hours_after_the_end_in_order_exactly_once(
    skipping: Stack, skipping_env: WorkflowEnvironment
) -> None:
    sup, agent = await skipping.person("supervisor"), await skipping.person("agent")
    start = await _next_monday_nine(skipping_env, "Europe/London")
    first, second = (await _weekly_series(skipping, sup, agent, start))[:2]
    already = await _add(skipping, agent, second["id"], "agenda", "Already next week")
    topic_a = await _add(skipping, agent, first["id"], "agenda", "Career goals")
    topic_b = await _add(skipping, sup, first["id"], "agenda", "Holiday plans")
    topic_c = await _add(skipping, sup, first["id"], "agenda", "https://wiki.example/okr")
    action_x = await _add(
        skipping, sup, first["id"], "action-items", "Send the training plan", assignee_id=agent.id
    )
    action_y = await _add(skipping, agent, first["id"], "action-items", "Book the course")
    await _complete(skipping, agent, first["id"], "agenda", topic_b["id"])
    await _complete(skipping, sup, first["id"], "action-items", action_y["id"])

    await skip_to(skipping_env, start + timedelta(minutes=5))
    assert (
        await skipping.http.post(f"/v1/meetings/{first['id']}/start", headers=sup.auth)
    ).status_code == 200
    assert (
        await skipping.http.post(f"/v1/meetings/{first['id']}/complete", headers=sup.auth)
    ).status_code == 200
    ends = datetime.fromisoformat(first["ends_at"])

    await skip_to(skipping_env, ends + timedelta(hours=2, minutes=59))
    assert len(await _items(skipping, agent, first["id"])) == 3  # not yet: 3 h after the end

    await skip_to(skipping_env, ends + timedelta(hours=3, minutes=1))
    moved = await eventually(lambda: _ready(skipping, agent, second["id"], 3))
    assert [i["text"] for i in moved] == [
        "Already next week",
        "Career goals",
        "https://wiki.example/okr",
    ]
    assert [i["rolled_over_from"] for i in moved] == [None, first["id"], first["id"]]
    assert moved[1]["author_id"] == agent.id and moved[2]["author_id"] == sup.id
    assert [i["id"] for i in moved] == [already["id"], topic_a["id"], topic_c["id"]]
    actions = await _items(skipping, agent, second["id"], "action-items")
    assert [(a["id"], a["assignee_id"]) for a in actions] == [(action_x["id"], agent.id)]
    # Completed ones stay where they were done.
    assert [i["id"] for i in await _items(skipping, agent, first["id"])] == [topic_b["id"]]
    assert [i["id"] for i in await _items(skipping, agent, first["id"], "action-items")] == [
        action_y["id"]
    ]
    history = (
        await skipping.http.get(f"/v1/meetings/{first['id']}/history", headers=sup.auth)
    ).json()
    rolled = [e for e in history["items"] if e["action"] == "rolled_over"]
    assert len(rolled) == 1 and rolled[0]["details"]["rollover"] == {
        "to_meeting_id": second["id"],
        "items": 3,
    }


async def _ready(stack: Stack, person: Person, meeting_id: str, count: int) -> list[dict] | None:
    found = await _items(stack, person, meeting_id)
    return found if len(found) >= count else None


async def test_c3_a_one_off_meeting_keeps_its_items(
    skipping: Stack, skipping_env: WorkflowEnvironment
) -> None:
    sup, agent = await skipping.person("supervisor"), await skipping.person("agent")
    start = await _next_monday_nine(skipping_env, "Europe/London")
    meeting = await skipping.one_to_one(sup, agent, starts_at=start.isoformat())
    await _add(skipping, agent, meeting["id"], "agenda", "Stays here")
    await skip_to(skipping_env, start + timedelta(hours=8))
    await eventually(lambda: _status(skipping, sup, meeting["id"], "missed"))
    assert [i["text"] for i in await _items(skipping, agent, meeting["id"])] == ["Stays here"]


async def _status(stack: Stack, person: Person, meeting_id: str, status: str) -> bool:
    return (await stack.http.get(f"/v1/meetings/{meeting_id}", headers=person.auth)).json()[
        "status"
    ] == status


async def _digests(stack: Stack, person: Person) -> list[dict]:
    items = (await stack.http.get("/v1/notifications", headers=person.auth)).json()["items"]
    return [n for n in items if n["kind"] == "weekly_digest"]


async def test_n4_digest_on_sunday_in_each_persons_zone_and_none_without_one_to_ones(
    skipping: Stack, skipping_env: WorkflowEnvironment
) -> None:
    london_sup = await skipping.person("supervisor", tz="Europe/London", name="Lena Lead")
    london_agent = await skipping.person("agent", tz="Europe/London", name="Ana Agent")
    kolkata_sup = await skipping.person("supervisor", tz="Asia/Kolkata", name="Ravi Lead")
    kolkata_agent = await skipping.person("agent", tz="Asia/Kolkata", name="Priya Agent")
    idle = await skipping.person("agent", tz="Europe/Paris")

    monday = await _next_monday_nine(skipping_env, "Europe/London")
    await skip_to(skipping_env, monday)
    london = await skipping.one_to_one(
        london_sup,
        london_agent,
        name="Career 1:1",
        starts_at=(monday + timedelta(hours=1)).isoformat(),
    )
    tuesday_ist = (
        (monday + timedelta(days=1)).astimezone(ZoneInfo("Asia/Kolkata")).replace(hour=10, minute=0)
    )
    await skipping.one_to_one(
        kolkata_sup, kolkata_agent, name="Weekly sync", starts_at=tuesday_ist.isoformat()
    )
    await _add(
        skipping,
        london_sup,
        london["id"],
        "action-items",
        "Draft the development plan",
        due_date="2030-01-31",
    )
    done = await _add(skipping, london_agent, london["id"], "action-items", "Already done")
    await _complete(skipping, london_agent, london["id"], "action-items", done["id"])
    await skipping.http.post(f"/v1/meetings/{london['id']}/start", headers=london_sup.auth)
    await skipping.http.post(f"/v1/meetings/{london['id']}/complete", headers=london_sup.auth)

    sunday = monday + timedelta(days=6)
    kolkata_six = sunday.astimezone(ZoneInfo("Asia/Kolkata")).replace(hour=18, minute=0)
    await skip_to(skipping_env, kolkata_six - timedelta(minutes=1))
    assert await _digests(skipping, kolkata_agent) == []
    await skip_to(skipping_env, kolkata_six + timedelta(minutes=1))
    for person in (kolkata_agent, kolkata_sup):
        [digest] = await eventually(lambda p=person: _digests(skipping, p))
        assert "Weekly sync" in digest["body"]
    assert await _digests(skipping, london_agent) == []  # still Sunday afternoon in London

    london_six = sunday.replace(hour=18, minute=0)
    await skip_to(skipping_env, london_six - timedelta(minutes=1))
    assert await _digests(skipping, london_agent) == []
    await skip_to(skipping_env, london_six + timedelta(minutes=1))
    [digest] = await eventually(lambda: _digests(skipping, london_agent))
    assert "Career 1:1 with Lena Lead: completed" in digest["body"]
    assert "Draft the development plan (due 2030-01-31)" in digest["body"]
    assert "Already done" not in digest["body"]
    await eventually(
        lambda: [
            m
            for m in skipping.mailbox.to(london_agent.email)
            if m["X-Tandem-Kind"] == "weekly_digest"
        ]
    )

    # Later the same evening and a week on: one digest per week, none for the idle person.
    await skip_to(skipping_env, london_six + timedelta(days=1))
    assert len(await _digests(skipping, london_agent)) == 1
    assert await _digests(skipping, idle) == []


SECRET_A = "private-note-of-the-facilitator-7f3a"
SECRET_B = "private-note-of-the-participant-9c2e"


async def _everything_readable(
    stack: Stack, who: Person, series_id: str, meeting_ids: list[str]
) -> str:
    """Every GET response ``who`` can get about these meetings and this series, concatenated."""
    paths = [
        "/v1/users/me",
        "/v1/users",
        "/v1/notifications?limit=200",
        "/v1/meetings?role=facilitator&limit=200",
        "/v1/meetings?role=participant&limit=200",
        "/v1/meetings?archived=true",
        "/v1/series",
        f"/v1/series/{series_id}",
        f"/v1/series/{series_id}/occurrences",
    ]
    for mid in meeting_ids:
        paths += [
            f"/v1/meetings/{mid}",
            f"/v1/meetings/{mid}/history",
            f"/v1/meetings/{mid}/agenda",
            f"/v1/meetings/{mid}/action-items",
            f"/v1/meetings/{mid}/notes",
            f"/v1/meetings/{mid}/reassign-candidates",
        ]
    texts = []
    for path in paths:
        response = await stack.http.get(path, headers=who.auth)
        assert response.status_code < 500, (path, response.text)
        texts.append(response.text)
    return "\n".join(texts)


async def test_c5_private_notes_appear_nowhere_but_to_their_author(
    skipping: Stack, skipping_env: WorkflowEnvironment
) -> None:
    sup, agent = await skipping.person("supervisor"), await skipping.person("agent")
    admin, ops = await skipping.person("admin"), await skipping.person("ops")
    start = await _next_monday_nine(skipping_env, "Europe/London")
    occurrences = await _weekly_series(skipping, sup, agent, start)
    first = occurrences[0]
    series_id = first["series_id"]
    for who, secret in ((sup, SECRET_A), (agent, SECRET_B)):
        note = await skipping.http.post(
            f"/v1/meetings/{first['id']}/notes",
            json={"body": secret, "visibility": "private"},
            headers=who.auth,
        )
        assert note.status_code == 201
    await skipping.http.post(
        f"/v1/meetings/{first['id']}/notes", json={"body": "Shared words"}, headers=sup.auth
    )
    await _add(skipping, agent, first["id"], "action-items", "Open item for the digest")
    await skip_to(skipping_env, start + timedelta(minutes=1))
    await skipping.http.post(f"/v1/meetings/{first['id']}/start", headers=sup.auth)
    await skipping.http.post(f"/v1/meetings/{first['id']}/complete", headers=sup.auth)
    # Past the rollover, the weekly digest and the next occurrence's reminder.
    await skip_to(skipping_env, start + timedelta(days=6, hours=10))
    await eventually(lambda: _digests(skipping, agent))
    meeting_ids = [m["id"] for m in await occurrence_meetings(skipping, agent, series_id)]

    # The author sees their own, so the scan below would find a leak.
    own = await skipping.http.get(f"/v1/meetings/{first['id']}/notes", headers=sup.auth)
    assert SECRET_A in own.text and SECRET_B not in own.text

    for who, hidden in (
        (agent, [SECRET_A]),
        (sup, [SECRET_B]),
        (admin, [SECRET_A, SECRET_B]),
        (ops, [SECRET_A, SECRET_B]),
    ):
        seen = await _everything_readable(skipping, who, series_id, meeting_ids)
        for secret in hidden:
            assert secret not in seen, f"{who.name} can read {secret}"

    rows = await skipping.db.read(
        lambda s: s.execute(text("SELECT subject, body FROM notifications")).all()
    )
    assert rows and not any(
        SECRET_A in r.body or SECRET_B in r.body or SECRET_A in r.subject for r in rows
    )
    assert any(r.subject.startswith("Your 1:1s this week") for r in rows)
    mails = [m.as_string() for m in skipping.mailbox.messages]
    assert mails and not any(SECRET_A in m or SECRET_B in m for m in mails)

    histories = [f"meeting-{mid}" for mid in meeting_ids] + [
        f"series-{series_id}",
        f"digests-{skipping.settings.task_queue}",
    ]
    for workflow_id in histories:
        for history in await _every_run(skipping, workflow_id):
            assert SECRET_A not in history and SECRET_B not in history, workflow_id
    # What the histories do hold is read: the series' name is there.
    assert "Weekly 1:1" in (await _every_run(skipping, f"series-{series_id}"))[-1]


async def _every_run(stack: Stack, workflow_id: str) -> list[str]:
    """Each run's history as its readers see it, latest first, following continue-as-new back to
    the first."""
    runs, run_id = [], None
    while True:
        history = await stack.client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
        runs.append(await readable_history(history))
        started = history.events[0].workflow_execution_started_event_attributes
        if not started.continued_execution_run_id:
            return runs
        run_id = started.continued_execution_run_id
