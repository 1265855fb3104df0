"""Coaching through the API (SPEC W2-W7, A5, C6, C7): find slots, book, plan a team."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from tests.support import Person, Stack, at, eventually

LONDON = ZoneInfo("Europe/London")


def next_monday() -> date:
    today = datetime.now(LONDON).date()
    return today + timedelta(days=7 - today.weekday())


def local(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), tzinfo=LONDON)


def iso(day: date, hh: int, mm: int = 0) -> str:
    return local(day, hh, mm).isoformat()


def week_of_shifts(agent_id: str, monday: date) -> dict:
    """Mon-Fri 09:00-17:00 on queue, a break at 10:30, a meal at 12:30, team meeting Wednesday."""
    shifts = []
    for offset in range(5):
        day = monday + timedelta(days=offset)
        activities = [
            {
                "starts_at": iso(day, 9),
                "ends_at": iso(day, 17),
                "category": "on_queue",
                "interruptible": True,
            },
            {"starts_at": iso(day, 10, 30), "ends_at": iso(day, 10, 45), "category": "break"},
            {"starts_at": iso(day, 12, 30), "ends_at": iso(day, 13, 30), "category": "meal"},
        ]
        if offset == 2:
            activities.append(
                {"starts_at": iso(day, 15), "ends_at": iso(day, 16), "category": "meeting"}
            )
        shifts.append({"starts_at": iso(day, 9), "ends_at": iso(day, 17), "activities": activities})
    return {"agent_id": agent_id, "shifts": shifts}


def monday_staffing(unit: str, monday: date) -> dict:
    """Scheduled 10 all day; forecast 11 at 11:00-12:00 (tight), 6 at 14:00-15:00 (slack)."""
    intervals = []
    for quarter in range(8 * 4):
        moment = local(monday, 9) + timedelta(minutes=15 * quarter)
        forecast = (
            11
            if time(11) <= moment.time() < time(12)
            else 6
            if time(14) <= moment.time() < time(15)
            else 9
        )
        intervals.append({"starts_at": moment.isoformat(), "forecast": forecast, "scheduled": 10})
    return {"business_unit": unit, "timezone": "Europe/London", "intervals": intervals}


async def wfm_team(stack: Stack, agents: int = 1) -> tuple[Person, list[Person], Person, str, date]:
    """A supervisor and agents in one division, their week of shifts and staffing loaded."""
    division, unit = f"div-{uuid.uuid4().hex[:6]}", f"bu-{uuid.uuid4().hex[:6]}"
    sup = await stack.person("supervisor", divisions=[division])
    team = [await stack.person("agent", divisions=[division]) for _ in range(agents)]
    planner = await stack.person("quality_manager", divisions=[division])
    monday = next_monday()
    schedule = {
        "business_unit": unit,
        "timezone": "Europe/London",
        "week_start": monday.isoformat(),
        "agents": [week_of_shifts(a.id, monday) for a in team],
    }
    loaded = await stack.http.put("/v1/wfm/schedules", json=schedule, headers=planner.auth)
    assert loaded.status_code in (200, 201), loaded.text
    staffed = await stack.http.put(
        "/v1/wfm/staffing", json=monday_staffing(unit, monday), headers=planner.auth
    )
    assert staffed.status_code in (200, 201), staffed.text
    return sup, team, planner, unit, monday


async def query(stack: Stack, who: Person, **body) -> dict:
    response = await stack.http.post("/v1/coaching/slots/query", json=body, headers=who.auth)
    assert response.status_code == 200, response.text
    return response.json()


async def book_coaching(
    stack: Stack,
    sup: Person,
    agent: Person,
    starts_at: str,
    *,
    minutes: int = 30,
    name: str = "Review",
) -> dict:
    body = {
        "kind": "coaching",
        "name": name,
        "participant_ids": [agent.id],
        "starts_at": starts_at,
        "duration_minutes": minutes,
    }
    response = await stack.http.post("/v1/meetings", json=body, headers=sup.auth)
    assert response.status_code == 201, response.text
    return response.json()


def overlaps(slot: dict, start: datetime, end: datetime) -> bool:
    return datetime.fromisoformat(slot["starts_at"]) < end and start < datetime.fromisoformat(
        slot["ends_at"]
    )


async def test_w2_w3_without_wfm_only_appointments_count(stack: Stack) -> None:
    division = f"div-{uuid.uuid4().hex[:6]}"
    sup = await stack.person("supervisor", divisions=[division])
    agent = await stack.person("agent", divisions=[division])
    start = datetime.fromisoformat(at(days=3)).replace(minute=0)
    other = await stack.person("supervisor")
    busy = await stack.one_to_one(
        other, agent, starts_at=(start + timedelta(hours=1)).isoformat(), duration_minutes=60
    )
    found = await query(
        stack,
        sup,
        attendee_ids=[agent.id],
        window_start=start.isoformat(),
        window_end=(start + timedelta(hours=4)).isoformat(),
        duration_minutes=30,
        limit=50,
    )
    blocked = (datetime.fromisoformat(busy["starts_at"]), datetime.fromisoformat(busy["ends_at"]))
    assert found["slots"] and not any(overlaps(s, *blocked) for s in found["slots"])
    # 15 quarter-hour starts fit a 30-minute session in 4 hours; the hour-long 1:1 rules out the
    # 5 that would overlap it (from a quarter before it starts to its last quarter).
    assert len(found["slots"]) == found["feasible"] == 15 - 5
    # No staffing forecast: every slot is neutral, earliest first.
    assert {s["rating"] for s in found["slots"]} == {"neutral"}
    starts = [s["starts_at"] for s in found["slots"]]
    assert starts == sorted(starts)
    busy_agent = [seg for seg in found["schedules"][agent.id] if seg["status"] == "busy"]
    assert [(seg["reason"], seg["starts_at"]) for seg in busy_agent] == [
        ("appointment", busy["starts_at"])
    ]


async def test_w3_w4_slots_avoid_breaks_meals_and_rank_by_staffing(stack: Stack) -> None:
    sup, (agent,), _, _, monday = await wfm_team(stack)
    found = await query(
        stack,
        sup,
        attendee_ids=[agent.id],
        window_start=iso(monday, 8),
        window_end=iso(monday, 18),
        duration_minutes=30,
        limit=100,
    )
    for start, end in ((10, 30), (12, 30)):
        blocked = (
            local(monday, start, end),
            local(monday, start, end) + timedelta(minutes=15 if start == 10 else 60),
        )
        assert not any(overlaps(s, *blocked) for s in found["slots"])
    assert all(local(monday, 9) <= datetime.fromisoformat(s["starts_at"]) for s in found["slots"])
    assert all(datetime.fromisoformat(s["ends_at"]) <= local(monday, 17) for s in found["slots"])
    best = found["slots"][0]
    assert best["starts_at"] == iso(monday, 14) and best["rating"] == "good"
    assert best["staffing"]["difference"] == 3 and best["staffing"]["taken_off_queue"] == 1
    assert best["reasons"]
    tight = [s for s in found["slots"] if overlaps(s, local(monday, 11), local(monday, 12))]
    assert tight and {s["rating"] for s in tight} == {"poor"}
    reasons = {seg["reason"] for seg in found["schedules"][agent.id] if seg["status"] == "busy"}
    assert {"break", "meal", "off_shift"} <= reasons


async def test_w5_booking_a_returned_slot_rechecks_the_rules(stack: Stack) -> None:
    sup, (agent,), _, _, monday = await wfm_team(stack)
    other = await stack.person("supervisor", divisions=[*(await _divisions(stack, sup))])
    found = await query(
        stack, sup, attendee_ids=[agent.id], window_start=iso(monday, 9), window_end=iso(monday, 17)
    )
    slot = found["slots"][0]
    body = {
        "kind": "coaching",
        "name": "Call review",
        "participant_ids": [agent.id],
        "starts_at": slot["starts_at"],
        "duration_minutes": 30,
    }
    booked = await stack.http.post("/v1/meetings", json=body, headers=sup.auth)
    assert booked.status_code == 201, booked.text
    taken = await stack.http.post("/v1/meetings", json=body, headers=other.auth)
    assert taken.status_code == 409 and booked.json()["id"] in taken.json()["error"]["message"]

    on_break = {**body, "starts_at": iso(monday, 10, 30)}
    refused = await stack.http.post("/v1/meetings", json=on_break, headers=other.auth)
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"]["details"]["violations"][0]["rule"] == "blocked_activity"
    off_shift = await stack.http.post(
        "/v1/meetings", json={**body, "starts_at": iso(monday, 18)}, headers=other.auth
    )
    assert off_shift.status_code == 409 and "off_shift" in off_shift.text
    too_far = await stack.http.post(
        "/v1/meetings", json={**body, "starts_at": at(days=50)}, headers=other.auth
    )
    assert too_far.status_code == 422 and too_far.json()["error"]["details"]["field"] == "starts_at"


async def _divisions(stack: Stack, person: Person) -> list[str]:
    return (await stack.http.get("/v1/users/me", headers=person.auth)).json()["divisions"]


async def test_w2_rescheduling_uses_the_finder_without_the_appointment_itself(stack: Stack) -> None:
    sup, (agent,), _, _, monday = await wfm_team(stack)
    booked = await book_coaching(stack, sup, agent, iso(monday, 14), minutes=60)
    blind = await query(
        stack,
        sup,
        attendee_ids=[agent.id],
        window_start=iso(monday, 14),
        window_end=iso(monday, 15),
        duration_minutes=60,
    )
    assert blind["slots"] == []
    seeing = await query(
        stack,
        sup,
        attendee_ids=[agent.id],
        window_start=iso(monday, 14),
        window_end=iso(monday, 15),
        duration_minutes=60,
        exclude_meeting_id=booked["id"],
    )
    assert [s["starts_at"] for s in seeing["slots"]] == [iso(monday, 14)]
    moved = await stack.http.post(
        f"/v1/meetings/{booked['id']}/reschedule",
        json={"starts_at": iso(monday, 14, 15), "reason": "later"},
        headers=sup.auth,
    )
    assert moved.status_code == 200, moved.text
    into_meal = await stack.http.post(
        f"/v1/meetings/{booked['id']}/reschedule",
        json={"starts_at": iso(monday, 12), "reason": "x"},
        headers=sup.auth,
    )
    assert into_meal.status_code == 409 and "meal" in into_meal.text


async def test_w3_the_facilitators_working_hours_bound_the_slots(stack: Stack) -> None:
    sup, (agent,), _, _, monday = await wfm_team(stack)
    hours = [{"weekday": 0, "start": "15:00", "end": "16:30"}]
    assert (
        await stack.http.patch(
            "/v1/users/me/settings", json={"working_hours": hours}, headers=sup.auth
        )
    ).status_code == 200
    found = await query(
        stack,
        sup,
        attendee_ids=[agent.id],
        window_start=iso(monday, 9),
        window_end=iso(monday, 17),
        limit=50,
    )
    assert {s["starts_at"] for s in found["slots"]} == {
        iso(monday, 15),
        iso(monday, 15, 15),
        iso(monday, 15, 30),
        iso(monday, 15, 45),
        iso(monday, 16),
    }
    busy = {seg["reason"] for seg in found["schedules"][sup.id] if seg["status"] == "busy"}
    assert busy == {"outside_working_hours"}


async def test_a5_w2_bad_slot_queries_are_refused(stack: Stack) -> None:
    sup, (agent,), _, _, monday = await wfm_team(stack)
    outsider = await stack.person("agent", divisions=["elsewhere"])
    base = {
        "attendee_ids": [agent.id],
        "window_start": iso(monday, 9),
        "window_end": iso(monday, 17),
    }
    cases = [
        ({**base, "duration_minutes": 20}, 422, "duration_minutes"),
        ({**base, "duration_minutes": 90}, 422, "duration_minutes"),
        ({**base, "window_end": iso(monday, 8)}, 422, "body"),
        ({**base, "window_start": at(days=50), "window_end": at(days=51)}, 422, "window_start"),
        ({**base, "attendee_ids": [str(uuid.uuid4())]}, 422, "attendee_ids.0"),
        ({**base, "attendee_ids": [outsider.id]}, 403, "attendee_ids.0"),
        ({**base, "facilitator_id": agent.id}, 422, "attendee_ids.0"),
    ]
    for body, status, field in cases:
        response = await stack.http.post("/v1/coaching/slots/query", json=body, headers=sup.auth)
        assert response.status_code == status, (body, response.text)
        assert response.json()["error"]["details"]["field"] == field, body
    assert (
        await stack.http.post("/v1/coaching/slots/query", json=base, headers=agent.auth)
    ).status_code == 403


async def _notes_of(stack: Stack, person: Person, kind: str) -> list[dict]:
    items = (await stack.http.get("/v1/notifications", headers=person.auth)).json()["items"]
    return [n for n in items if n["kind"] == kind]


async def test_w7_a_schedule_change_flags_the_appointment_and_tells_the_facilitator(
    stack: Stack,
) -> None:
    sup, (agent,), planner, unit, monday = await wfm_team(stack)
    booked = await book_coaching(stack, sup, agent, iso(monday, 14), name="Quality review")
    moved_meal = week_of_shifts(agent.id, monday)
    moved_meal["shifts"][0]["activities"][2] |= {
        "starts_at": iso(monday, 14),
        "ends_at": iso(monday, 15),
    }
    schedule = {
        "business_unit": unit,
        "timezone": "Europe/London",
        "week_start": monday.isoformat(),
        "agents": [moved_meal],
    }
    imported = await stack.http.put("/v1/wfm/schedules", json=schedule, headers=planner.auth)
    assert imported.status_code == 200 and imported.json()["coaching_appointments_changed"] == 1

    flagged = (await stack.http.get(f"/v1/meetings/{booked['id']}", headers=sup.auth)).json()
    assert flagged["status"] == "invalid_schedule"
    told = await eventually(lambda: _notes_of(stack, sup, "invalid_schedule"))
    assert "meal" in told[0]["body"]
    history = (
        await stack.http.get(f"/v1/meetings/{booked['id']}/history", headers=sup.auth)
    ).json()
    assert history["items"][-1]["action"] == "schedule_invalid"

    # Moving it to a time that fits again makes it scheduled again (M7 with the finder).
    moved = await stack.http.post(
        f"/v1/meetings/{booked['id']}/reschedule",
        json={"starts_at": iso(monday, 15), "reason": "meal moved"},
        headers=sup.auth,
    )
    assert moved.status_code == 200 and moved.json()["status"] == "scheduled"

    # And a re-import that fixes the schedule restores an appointment it had broken.
    other = await book_coaching(stack, sup, agent, iso(monday, 16), name="Quality review")
    late_meal = week_of_shifts(agent.id, monday)
    late_meal["shifts"][0]["activities"][2] |= {
        "starts_at": iso(monday, 16),
        "ends_at": iso(monday, 16, 45),
    }
    await stack.http.put(
        "/v1/wfm/schedules", json={**schedule, "agents": [late_meal]}, headers=planner.auth
    )
    assert (await stack.http.get(f"/v1/meetings/{other['id']}", headers=sup.auth)).json()[
        "status"
    ] == "invalid_schedule"
    await stack.http.put(
        "/v1/wfm/schedules",
        json={**schedule, "agents": [week_of_shifts(agent.id, monday)]},
        headers=planner.auth,
    )
    assert (await stack.http.get(f"/v1/meetings/{other['id']}", headers=sup.auth)).json()[
        "status"
    ] == "scheduled"


async def _plan(
    stack: Stack, who: Person, agents: list[Person], coaches: list[Person], monday: date, **extra
) -> dict:
    body = {
        "attendee_ids": [a.id for a in agents],
        "facilitator_ids": [c.id for c in coaches],
        "window_start": iso(monday, 9),
        "window_end": iso(monday, 17),
        "duration_minutes": 30,
        **extra,
    }
    response = await stack.http.post("/v1/coaching/plans", json=body, headers=who.auth)
    assert response.status_code == 201, response.text
    return response.json()


async def _settled(stack: Stack, who: Person, plan_id: str) -> dict | None:
    plan = (await stack.http.get(f"/v1/coaching/plans/{plan_id}", headers=who.auth)).json()
    return plan if plan["state"] not in ("previewed", "committing") else None


async def test_w6_a_team_plan_is_previewed_then_committed_as_a_whole(stack: Stack) -> None:
    sup, team, _, _, monday = await wfm_team(stack, agents=5)
    coach = await stack.person("supervisor", divisions=await _divisions(stack, sup))
    plan = await _plan(
        stack, sup, team, [sup, coach], monday, max_per_facilitator_per_day=2, transition_minutes=15
    )
    assert plan["state"] == "previewed" and plan["status"] in ("optimal", "feasible")
    assert plan["engine"] in ("highs", "greedy") and plan["lower_bound"] <= plan["objective"] + 1e-6
    placed = plan["assignments"]
    assert len(placed) == 4  # two facilitators, two sessions a day each
    assert [u["reason"] for u in plan["unplaced"]] == ["capacity"]
    for coach_id in (sup.id, coach.id):
        theirs = sorted(
            (a["starts_at"], a["ends_at"]) for a in placed if a["facilitator_id"] == coach_id
        )
        for (_, end), (start, _) in pairwise(theirs):
            assert datetime.fromisoformat(start) >= datetime.fromisoformat(end) + timedelta(
                minutes=15
            )
    for a in placed:  # never over a break or the meal
        start = datetime.fromisoformat(a["starts_at"])
        assert not (
            start < local(monday, 10, 45) and local(monday, 10, 30) < start + timedelta(minutes=30)
        )
        assert not (
            start < local(monday, 13, 30) and local(monday, 12, 30) < start + timedelta(minutes=30)
        )

    committed = await stack.http.post(
        f"/v1/coaching/plans/{plan['id']}/commit", json={"name": "Team coaching"}, headers=sup.auth
    )
    assert committed.status_code == 202
    done = await eventually(lambda: _settled(stack, sup, plan["id"]), within=60)
    assert done["state"] == "committed" and len(done["commit"]["booked"]) == 4
    # Ops find the commit through visibility, with everyone it booked (O1).
    query = (
        f'PlanId = "{plan["id"]}" AND PlanStatus = "committed" AND ParticipantIds = "{coach.id}"'
    )
    found = await eventually(lambda: _workflows(stack, query))
    assert found == {f"plan-{plan['id']}"}
    for a in placed:
        mine = (
            await stack.http.get(
                "/v1/meetings?role=participant", headers=_who(team, a["agent_id"]).auth
            )
        ).json()["items"]
        assert [(m["kind"], m["starts_at"], m["facilitator_id"]) for m in mine] == [
            ("coaching", a["starts_at"], a["facilitator_id"])
        ]
    again = await stack.http.post(f"/v1/coaching/plans/{plan['id']}/commit", headers=sup.auth)
    assert again.status_code == 409


async def _workflows(stack: Stack, query: str) -> set[str] | None:
    return {w.id async for w in stack.client.list_workflows(query)} or None


def _who(people: list[Person], person_id: str) -> Person:
    return next(p for p in people if p.id == person_id)


async def test_w6_a_clash_at_commit_is_reported_or_aborts_as_the_caller_chose(stack: Stack) -> None:
    sup, team, _, _, monday = await wfm_team(stack, agents=3)
    for mode, expected in (("abort", "aborted"), ("book_rest", "partially_committed")):
        plan = await _plan(stack, sup, team, [sup], monday)
        victim = plan["assignments"][0]
        other = await stack.person("supervisor", divisions=await _divisions(stack, sup))
        clash = await stack.create_meeting(
            other,
            kind="coaching",
            name="Meanwhile",
            participant_ids=[victim["agent_id"]],
            starts_at=victim["starts_at"],
            duration_minutes=30,
        )
        assert clash.status_code == 201, clash.text
        await stack.http.post(
            f"/v1/coaching/plans/{plan['id']}/commit", json={"mode": mode}, headers=sup.auth
        )
        done = await eventually(lambda p=plan: _settled(stack, sup, p["id"]), within=60)
        assert done["state"] == expected
        assert [c["agent_id"] for c in done["commit"]["clashes"]] == [victim["agent_id"]]
        booked = done["commit"]["booked"]
        assert booked == [] if mode == "abort" else len(booked) == len(plan["assignments"]) - 1
        await stack.http.post(
            f"/v1/meetings/{clash.json()['id']}/cancel", json={"reason": "test"}, headers=other.auth
        )
        for meeting_id in booked:
            await stack.http.post(
                f"/v1/meetings/{meeting_id}/cancel", json={"reason": "test"}, headers=sup.auth
            )


async def test_w6_bad_plans_are_refused(stack: Stack) -> None:
    sup, team, _, _, monday = await wfm_team(stack, agents=1)
    outsider = await stack.person("agent", divisions=["elsewhere"])
    base = {
        "attendee_ids": [team[0].id],
        "facilitator_ids": [sup.id],
        "window_start": iso(monday, 9),
        "window_end": iso(monday, 17),
    }
    for body, status, field in (
        ({**base, "duration_minutes": 25}, 422, "duration_minutes"),
        ({**base, "attendee_ids": [outsider.id]}, 403, "attendee_ids.0"),
        ({**base, "facilitator_ids": [sup.id, team[0].id]}, 422, "body"),
        ({**base, "window_start": at(days=60), "window_end": at(days=61)}, 422, "window_start"),
    ):
        response = await stack.http.post("/v1/coaching/plans", json=body, headers=sup.auth)
        assert response.status_code == status, (body, response.text)
        assert response.json()["error"]["details"]["field"] == field
    stranger = await stack.person("supervisor")
    plan = await _plan(stack, sup, team, [sup], monday)
    assert (
        await stack.http.get(f"/v1/coaching/plans/{plan['id']}", headers=stranger.auth)
    ).status_code == 404


async def test_c6_coaching_notes_belong_to_the_organiser_and_facilitator(stack: Stack) -> None:
    sup, (agent,), _, _, monday = await wfm_team(stack)
    meeting = await book_coaching(stack, sup, agent, iso(monday, 14))
    base = f"/v1/meetings/{meeting['id']}/notes"
    shared = await stack.http.post(base, json={"body": "Great empathy on call 3"}, headers=sup.auth)
    hidden = await stack.http.post(
        base, json={"body": "Watch hold times", "visibility": "facilitators"}, headers=sup.auth
    )
    assert shared.status_code == hidden.status_code == 201
    assert (
        await stack.http.post(base, json={"body": "mine"}, headers=agent.auth)
    ).status_code == 403
    seen = [n["body"] for n in (await stack.http.get(base, headers=agent.auth)).json()["items"]]
    assert seen == ["Great empathy on call 3"]
    private = await stack.http.post(
        base, json={"body": "x", "visibility": "private"}, headers=sup.auth
    )
    assert private.status_code == 422  # coaching notes are shared or for facilitators only


async def test_c7_attachments_interactions_links_and_documents(stack: Stack) -> None:
    sup, (agent,), _, _, monday = await wfm_team(stack)
    meeting = await book_coaching(stack, sup, agent, iso(monday, 14))
    base = f"/v1/meetings/{meeting['id']}/attachments"
    by_url = await stack.http.post(
        base,
        json={"kind": "interaction", "url": "https://cc.example/interactions/9f2"},
        headers=sup.auth,
    )
    by_id = await stack.http.post(
        base, json={"kind": "interaction", "ref": "9f2-7781"}, headers=agent.auth
    )
    link = await stack.http.post(
        base,
        json={"kind": "link", "url": "https://kb.example/holds", "title": "Hold policy"},
        headers=sup.auth,
    )
    assert by_url.status_code == by_id.status_code == link.status_code == 201, (
        by_url.text,
        by_id.text,
    )
    document = await stack.http.post(
        f"{base}/documents",
        files={"file": ("scorecard.pdf", b"%PDF-1.4 scorecard", "application/pdf")},
        headers=sup.auth,
    )
    assert document.status_code == 201, document.text
    listed = (await stack.http.get(base, headers=agent.auth)).json()["items"]
    assert [a["kind"] for a in listed] == ["interaction", "interaction", "link", "document"]
    download = await stack.http.get(listed[3]["download"], headers=agent.auth)
    assert (
        download.content == b"%PDF-1.4 scorecard"
        and download.headers["content-type"] == "application/pdf"
    )

    too_big = await stack.http.post(
        f"{base}/documents",
        files={"file": ("big.pdf", b"0" * (10 * 1024 * 1024 + 1), "application/pdf")},
        headers=sup.auth,
    )
    assert too_big.status_code == 413
    wrong_type = await stack.http.post(
        f"{base}/documents",
        files={"file": ("run.exe", b"MZ", "application/octet-stream")},
        headers=sup.auth,
    )
    assert (
        wrong_type.status_code == 422 and wrong_type.json()["error"]["details"]["field"] == "file"
    )
    for bad in (
        {"kind": "link"},
        {"kind": "interaction"},
        {"kind": "link", "url": "ftp://x.example"},
        {"kind": "document"},
    ):
        assert (await stack.http.post(base, json=bad, headers=sup.auth)).status_code == 422, bad
    assert (
        await stack.http.delete(f"{base}/{by_url.json()['id']}", headers=agent.auth)
    ).status_code == 403
    assert (
        await stack.http.delete(f"{base}/{by_id.json()['id']}", headers=agent.auth)
    ).status_code == 200
    assert len((await stack.http.get(base, headers=sup.auth)).json()["items"]) == 3


async def test_w1_w3_a_new_import_is_seen_by_the_next_slot_query(stack: Stack) -> None:
    """The finder keeps WFM data between requests; an import must show at once."""
    sup, (agent,), planner, unit, monday = await wfm_team(stack)
    window = {
        "attendee_ids": [agent.id],
        "window_start": iso(monday, 14),
        "window_end": iso(monday, 15),
    }
    before = await query(stack, sup, **window)
    assert iso(monday, 14) in [s["starts_at"] for s in before["slots"]]
    training = week_of_shifts(agent.id, monday)
    training["shifts"][0]["activities"].append(
        {"starts_at": iso(monday, 14), "ends_at": iso(monday, 15), "category": "training"}
    )
    schedule = {
        "business_unit": unit,
        "timezone": "Europe/London",
        "week_start": monday.isoformat(),
        "agents": [training],
    }
    assert (
        await stack.http.put("/v1/wfm/schedules", json=schedule, headers=planner.auth)
    ).status_code == 200
    after = await query(stack, sup, **window)
    assert after["slots"] == []
    busy = {seg["reason"] for seg in after["schedules"][agent.id] if seg["status"] == "busy"}
    assert busy == {"training"}
