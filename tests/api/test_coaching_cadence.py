"""Coaching cadence through the API (issue 12 item 3): a policy per division, who is due, and
team plans for everyone due (SPEC W6, A3, A5).

SPEC.md has no rule for the cadence yet; these tests cite it as W8 (its text is in
tandem/domain/cadence.py):

    W8. A division may have a cadence policy: every agent coached every ``every_weeks`` weeks, in
    sessions of ``duration_minutes``. Last session = the latest held (started) coaching session;
    due by = last session + every_weeks; never coached = due now. ``ok`` when a session is booked
    before the due date or the due date is more than ``due_soon_days`` away, ``overdue`` once it
    has passed, ``due`` otherwise; overdue first. ``agents: "due"`` plans everyone due or overdue
    by the end of the window with nothing booked, overdue first.

Sessions held before a test begins cannot be made over the API (W3: a new appointment starts in
the future), so ``held_ago`` writes such history as the meeting workflow's projection activity
writes a completed session (tandem.store.meetings.write_projection). Sessions held now, booked
and cancelled ones go through the API and the meeting workflow like any other.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from tandem.domain.meetings import Meeting, MeetingKind, MeetingStatus
from tandem.store import meetings
from tests.api.test_coaching import book_coaching, iso, local, wfm_team
from tests.support import Person, Stack, eventually


async def held_ago(stack: Stack, coach: Person, agent: Person, ago: timedelta) -> datetime:
    """A coaching session with ``agent`` that started ``ago`` (and was completed)."""
    started = (datetime.now(UTC) - ago).replace(microsecond=0)
    session = Meeting(
        id=str(uuid.uuid4()),
        kind=MeetingKind.COACHING,
        name="Earlier coaching",
        facilitator_id=coach.id,
        participant_ids=[agent.id],
        starts_at=started,
        duration_minutes=30,
        timezone="Europe/London",
        status=MeetingStatus.COMPLETED,
        created_by=coach.id,
        created_at=started - timedelta(days=1),
        started_at=started,
        completed_at=started + timedelta(minutes=30),
        version=3,
    )
    await stack.db.write(lambda s: meetings.write_projection(s, session, datetime.now(UTC)))
    return started


async def held_now(stack: Stack, coach: Person, agent: Person, monday: date) -> datetime:
    """A session booked over the API, then started early and completed: held now (M4)."""
    booked = await book_coaching(stack, coach, agent, iso(monday, 9))
    for step in ("start", "complete"):
        done = await stack.http.post(f"/v1/meetings/{booked['id']}/{step}", headers=coach.auth)
        assert done.status_code == 200, done.text
    shown = (await stack.http.get(f"/v1/meetings/{booked['id']}", headers=coach.auth)).json()
    assert shown["status"] == "completed"
    return datetime.fromisoformat(shown["started_at"])


async def division_of(stack: Stack, who: Person) -> str:
    me = (await stack.http.get("/v1/users/me", headers=who.auth)).json()
    (division,) = me["divisions"]
    return division


async def put_policy(stack: Stack, who: Person, division: str, **body) -> dict:
    response = await stack.http.put(
        f"/v1/coaching/cadence-policies/{division}", json=body, headers=who.auth
    )
    assert response.status_code == 200, response.text
    return response.json()


async def cadence(stack: Stack, who: Person, division: str) -> dict:
    response = await stack.http.get(
        "/v1/coaching/cadence", params={"division": division}, headers=who.auth
    )
    assert response.status_code == 200, response.text
    return response.json()


def at_(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


async def test_w8_status_comes_from_held_and_booked_sessions_overdue_first(stack: Stack) -> None:
    sup, team, _, _, monday = await wfm_team(stack, agents=7)
    a, b, c, d, e, f, g = team
    division = await division_of(stack, sup)
    await put_policy(stack, sup, division, every_weeks=2, duration_minutes=30, due_soon_days=10)

    held_a = await held_now(stack, sup, a, monday)  # due in 2 weeks: ok
    held_b = await held_ago(stack, sup, b, timedelta(weeks=3))  # due a week ago: overdue
    await held_ago(stack, sup, b, timedelta(weeks=5))  # an older one does not count
    held_c = await held_ago(stack, sup, c, timedelta(days=10))  # due in 4 days: due
    held_d = await held_ago(stack, sup, d, timedelta(weeks=4))  # overdue, booked late
    booked_d = await book_coaching(stack, sup, d, iso(monday, 14, 30))
    # Due next Monday 16:00, and booked before that: ok.
    due_e = local(monday, 16)
    held_e = await held_ago(stack, sup, e, datetime.now(UTC) - (due_e - timedelta(weeks=2)))
    booked_e = await book_coaching(stack, sup, e, iso(monday, 14))
    # Never coached; a cancelled booking is neither held nor booked: due now.
    cancelled = await book_coaching(stack, sup, f, iso(monday, 15, 30))
    gone = await stack.http.post(
        f"/v1/meetings/{cancelled['id']}/cancel", json={"reason": "sick"}, headers=sup.auth
    )
    assert gone.status_code == 200, gone.text
    # Never coached, first session booked: ok.
    booked_g = await book_coaching(stack, sup, g, iso(monday, 15))

    found = await cadence(stack, sup, division)
    assert found["policy"]["every_weeks"] == 2 and found["policy"]["due_soon_days"] == 10
    rows = {i["agent_id"]: i for i in found["items"]}
    # Only the agents: the supervisor and the quality manager who coach are not on the list.
    assert set(rows) == {p.id for p in team}
    expected = {
        a.id: ("ok", held_a, held_a + timedelta(weeks=2), None),
        b.id: ("overdue", held_b, held_b + timedelta(weeks=2), None),
        c.id: ("due", held_c, held_c + timedelta(weeks=2), None),
        d.id: ("overdue", held_d, held_d + timedelta(weeks=2), booked_d["starts_at"]),
        e.id: ("ok", held_e, held_e + timedelta(weeks=2), booked_e["starts_at"]),
        f.id: ("due", None, None, None),
        g.id: ("ok", None, None, booked_g["starts_at"]),
    }
    for agent_id, (status, last, due_by, upcoming) in expected.items():
        row = rows[agent_id]
        assert (row["status"], at_(row["last_session_at"]), at_(row["due_by"])) == (
            status,
            last,
            due_by,
        ), row
        assert at_(row["next_session_at"]) == at_(upcoming), row
    # Overdue first (longest overdue first), then due (never coached = due now), then ok.
    assert [i["agent_id"] for i in found["items"]] == [d.id, b.id, f.id, c.id, g.id, e.id, a.id]


async def _plan_due(stack: Stack, who: Person, monday: date, **body) -> dict:
    response = await stack.http.post(
        "/v1/coaching/plans",
        json={
            "agents": "due",
            "window_start": iso(monday, 9),
            "window_end": iso(monday, 17),
            **body,
        },
        headers=who.auth,
    )
    assert response.status_code == 201, response.text
    return response.json()


async def _settled(stack: Stack, who: Person, plan_id: str) -> dict | None:
    plan = (await stack.http.get(f"/v1/coaching/plans/{plan_id}", headers=who.auth)).json()
    return plan if plan["state"] not in ("previewed", "committing") else None


async def test_w6_w8_a_plan_for_everyone_due_places_the_overdue_first(stack: Stack) -> None:
    sup, team, _, _, monday = await wfm_team(stack, agents=4)
    late, later, never, fine = team
    division = await division_of(stack, sup)
    coach = await stack.person("supervisor", divisions=[division])
    await put_policy(stack, sup, division, every_weeks=2, duration_minutes=45)
    await held_ago(stack, sup, late, timedelta(weeks=3))
    await held_ago(stack, sup, later, timedelta(weeks=4))
    await held_ago(stack, sup, fine, timedelta(days=1))  # due in 13 days: not in this plan

    # Two facilitators, at most one session each that Monday: room for two of the three due.
    plan = await _plan_due(
        stack, sup, monday, facilitator_ids=[sup.id, coach.id], max_per_facilitator_per_day=1
    )
    assert plan["state"] == "previewed"
    chosen = plan["cadence"]["agents"]
    assert [(x["agent_id"], x["status"]) for x in chosen] == [
        (later.id, "overdue"),
        (late.id, "overdue"),
        (never.id, "due"),
    ]
    assert plan["cadence"]["duration_minutes"] == 45
    placed = plan["assignments"]
    assert {p["agent_id"] for p in placed} == {late.id, later.id}
    assert sorted(p["facilitator_id"] for p in placed) == sorted([sup.id, coach.id])
    for p in placed:  # the policy's session length
        assert at_(p["ends_at"]) - at_(p["starts_at"]) == timedelta(minutes=45)
    assert plan["unplaced"] == [
        {
            "agent_id": never.id,
            "reason": "capacity",
            "message": plan["unplaced"][0]["message"],
            "cadence_status": "due",
        }
    ]

    # The policy decides the length: another one is refused, naming the field.
    refused = await stack.http.post(
        "/v1/coaching/plans",
        json={
            "agents": "due",
            "facilitator_ids": [sup.id],
            "window_start": iso(monday, 9),
            "window_end": iso(monday, 17),
            "duration_minutes": 30,
        },
        headers=sup.auth,
    )
    assert refused.status_code == 422
    assert refused.json()["error"]["details"]["field"] == "duration_minutes"

    # Committed, the overdue have their sessions booked; a second plan leaves them out.
    committed = await stack.http.post(
        f"/v1/coaching/plans/{plan['id']}/commit", json={"name": "Cadence"}, headers=sup.auth
    )
    assert committed.status_code == 202, committed.text
    done = await eventually(lambda: _settled(stack, sup, plan["id"]), within=60)
    assert done["state"] == "committed" and len(done["commit"]["booked"]) == 2
    rows = {i["agent_id"]: i for i in (await cadence(stack, sup, division))["items"]}
    assert {p["agent_id"]: p["starts_at"] for p in placed} == {
        x: rows[x]["next_session_at"] for x in (late.id, later.id)
    }
    # Booked after their due date, they stay overdue on the list, with the booking shown.
    assert rows[late.id]["status"] == rows[later.id]["status"] == "overdue"
    again = await _plan_due(stack, sup, monday, facilitator_ids=[sup.id])
    assert [x["agent_id"] for x in again["cadence"]["agents"]] == [never.id]
    assert [p["agent_id"] for p in again["assignments"]] == [never.id]


async def test_w8_policy_input_and_who_may_set_or_read_it(stack: Stack) -> None:
    sup, (agent,), planner, _, monday = await wfm_team(stack, agents=1)
    division = await division_of(stack, sup)
    path = f"/v1/coaching/cadence-policies/{division}"
    for body, field in (
        ({"every_weeks": 0, "duration_minutes": 30}, "every_weeks"),
        ({"every_weeks": -2, "duration_minutes": 30}, "every_weeks"),
        ({"every_weeks": "2", "duration_minutes": 30}, "every_weeks"),
        ({"every_weeks": 53, "duration_minutes": 30}, "every_weeks"),
        ({"every_weeks": 2, "duration_minutes": 25}, "duration_minutes"),
        ({"every_weeks": 2, "duration_minutes": 90}, "duration_minutes"),
        ({"every_weeks": 2, "duration_minutes": 0}, "duration_minutes"),
        ({"every_weeks": 2}, "duration_minutes"),
        ({"every_weeks": 1, "duration_minutes": 30, "due_soon_days": 8}, "due_soon_days"),
        ({"every_weeks": 1, "duration_minutes": 30, "due_soon_days": -1}, "due_soon_days"),
        ({"every_weeks": 1, "duration_minutes": 30, "often": True}, "often"),
    ):
        response = await stack.http.put(path, json=body, headers=sup.auth)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["error"]["details"]["field"] == field, body

    # No policy yet: 404 for the policy and for the list.
    assert (await stack.http.get(path, headers=sup.auth)).status_code == 404
    listed = await stack.http.get(
        "/v1/coaching/cadence", params={"division": division}, headers=sup.auth
    )
    assert listed.status_code == 404

    # Idempotent PUT: the same body again changes nothing, a new one replaces it.
    first = await put_policy(stack, sup, division, every_weeks=3, duration_minutes=30)
    assert first == await put_policy(stack, sup, division, every_weeks=3, duration_minutes=30)
    assert (first["division"], first["updated_by"], first["due_soon_days"]) == (
        division,
        sup.id,
        7,
    )
    changed = await put_policy(stack, planner, division, every_weeks=4, duration_minutes=60)
    assert (changed["every_weeks"], changed["duration_minutes"]) == (4, 60)
    assert changed["updated_by"] == planner.id
    assert (await stack.http.get(path, headers=sup.auth)).json() == changed

    # A3/A5: an agent of the division may not set or read it (403); a supervisor of another
    # division does not learn it exists (404), nor does anyone of a division nobody has.
    body = {"every_weeks": 1, "duration_minutes": 15}
    assert (await stack.http.put(path, json=body, headers=agent.auth)).status_code == 403
    assert (await stack.http.get(path, headers=agent.auth)).status_code == 403
    agent_list = await stack.http.get(
        "/v1/coaching/cadence", params={"division": division}, headers=agent.auth
    )
    assert agent_list.status_code == 403
    stranger = await stack.person("supervisor", divisions=[f"other-{uuid.uuid4().hex[:6]}"])
    for response in (
        await stack.http.put(path, json=body, headers=stranger.auth),
        await stack.http.get(path, headers=stranger.auth),
        await stack.http.get(
            "/v1/coaching/cadence", params={"division": division}, headers=stranger.auth
        ),
        await stack.http.get("/v1/coaching/cadence-policies/nowhere", headers=sup.auth),
    ):
        assert response.status_code == 404, response.text
    assert (await stack.http.get(path)).status_code == 401
    assert (await stack.http.get(path, headers=sup.auth)).json() == changed
    # Admins may see (and set) any division's; one nobody has a policy for is still 404.
    admin = await stack.person("admin")
    assert (await stack.http.get(path, headers=admin.auth)).json() == changed
    nowhere = await stack.http.get("/v1/coaching/cadence-policies/nowhere", headers=admin.auth)
    assert nowhere.status_code == 404
    unnamed = await stack.http.get("/v1/coaching/cadence", headers=sup.auth)
    assert unnamed.status_code == 422
    assert unnamed.json()["error"]["details"]["field"] == "division"

    # Plans: agents "due" or attendee ids, not both or neither; a division only with "due".
    base = {
        "facilitator_ids": [sup.id],
        "window_start": iso(monday, 9),
        "window_end": iso(monday, 17),
    }
    for extra, field in (
        ({}, "attendee_ids"),
        ({"agents": "due", "attendee_ids": [agent.id]}, "attendee_ids"),
        ({"agents": "all"}, "agents"),
        ({"attendee_ids": [agent.id], "division": division}, "division"),
    ):
        response = await stack.http.post(
            "/v1/coaching/plans", json={**base, **extra}, headers=sup.auth
        )
        assert response.status_code == 422, (extra, response.text)
        assert response.json()["error"]["details"]["field"] == field, extra
    elsewhere = await stack.http.post(
        "/v1/coaching/plans",
        json={**base, "agents": "due", "division": "nowhere"},
        headers=sup.auth,
    )
    assert elsewhere.status_code == 404
