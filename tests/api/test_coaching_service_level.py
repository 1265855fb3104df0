"""Coaching slots ranked by predicted service level through the API (SPEC W1, W4 with volume)."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from typing import Any

from tests.api.test_coaching import iso, local, next_monday, query, week_of_shifts
from tests.support import Person, Stack

GOAL = {"target_percent": 80, "threshold_seconds": 20, "floor_percent": 70}


def volume_staffing(unit: str, monday: date, **extra: Any) -> dict:
    """Monday 09:00-17:00, 14 agents scheduled and 3-minute calls: 50 contacts an interval at
    11:00-12:00 (busy), 30 at 14:00-15:00 (quiet), 40 otherwise; only 12 agents at 11:00-11:15,
    where taking one more off drops SL from 64 % to 39 %, under the 70 % floor."""
    intervals = []
    for quarter in range(8 * 4):
        moment = local(monday, 9) + timedelta(minutes=15 * quarter)
        busy, quiet = time(11) <= moment.time() < time(12), time(14) <= moment.time() < time(15)
        intervals.append(
            {
                "starts_at": moment.isoformat(),
                "forecast": 12,
                "scheduled": 12 if moment.time() == time(11) else 14,
                "contacts": 50 if busy else 30 if quiet else 40,
                "aht_seconds": 180,
            }
        )
    return {
        "business_unit": unit,
        "timezone": "Europe/London",
        "service_level": GOAL,
        "intervals": intervals,
        **extra,
    }


async def sl_team(stack: Stack) -> tuple[Person, Person, Person, str, date]:
    division, unit = f"div-{uuid.uuid4().hex[:6]}", f"bu-{uuid.uuid4().hex[:6]}"
    sup = await stack.person("supervisor", divisions=[division])
    agent = await stack.person("agent", divisions=[division])
    planner = await stack.person("quality_manager", divisions=[division])
    monday = next_monday()
    schedule = {
        "business_unit": unit,
        "timezone": "Europe/London",
        "week_start": monday.isoformat(),
        "agents": [week_of_shifts(agent.id, monday)],
    }
    loaded = await stack.http.put("/v1/wfm/schedules", json=schedule, headers=planner.auth)
    assert loaded.status_code == 200, loaded.text
    staffed = await stack.http.put(
        "/v1/wfm/staffing", json=volume_staffing(unit, monday), headers=planner.auth
    )
    assert staffed.status_code == 200, staffed.text
    return sup, agent, planner, unit, monday


async def test_w1_w4_slots_rank_by_volume_weighted_sl_drop_with_the_worst_interval(
    stack: Stack,
) -> None:
    sup, agent, planner, unit, monday = await sl_team(stack)
    window = {"window_start": iso(monday, 8), "window_end": iso(monday, 18)}
    found = await query(stack, sup, attendee_ids=[agent.id], limit=100, **window)
    slots = found["slots"]
    best = slots[0]
    # The quiet hour costs least; the earliest of its equally cheap starts comes first.
    assert best["starts_at"] == iso(monday, 14)
    assert best["rating"] == "good" and best["sl_drop_points"] > 0
    detail = best["service_level"]
    assert datetime.fromisoformat(detail["interval_start"]) == local(monday, 14)
    assert detail["after_percent"] < detail["before_percent"]
    assert detail["target_percent"] == 80 and detail["contacts"] == 30
    assert best["reasons"][0].startswith("SL ") and "(target 80 %)" in best["reasons"][0]
    drops = [s["sl_drop_points"] for s in slots]
    assert drops == sorted(drops)
    # The headcount detail stays alongside, for the record.
    assert best["staffing"]["taken_off_queue"] == 1
    # 11:00-11:15 goes from 64 % to 39 %: poor, naming the floor.
    floor_breaking = [s for s in slots if s["starts_at"] in (iso(monday, 10, 45), iso(monday, 11))]
    assert floor_breaking and {s["rating"] for s in floor_breaking} == {"poor"}
    assert all(any("70 % floor" in r for r in s["reasons"]) for s in floor_breaking)

    kept = await query(stack, sup, attendee_ids=[agent.id], limit=100, respect_floor=True, **window)
    starts = {s["starts_at"] for s in kept["slots"]}
    assert not starts & {s["starts_at"] for s in floor_breaking}
    assert kept["below_floor_left_out"] == len(floor_breaking)
    assert {s["rating"] for s in kept["slots"]} <= {"good", "neutral"}

    stored = await stack.http.get(
        "/v1/wfm/staffing", params={"business_unit": unit}, headers=planner.auth
    )
    assert stored.status_code == 200, stored.text
    assert stored.json()["service_level"] == {**GOAL, "patience_seconds": None}
    first = stored.json()["intervals"][0]
    assert (first["contacts"], first["aht_seconds"]) == (40, 180)


async def test_w4_volume_with_no_agent_left_is_sl_zero_with_a_reason(stack: Stack) -> None:
    sup, agent, planner, unit, monday = await sl_team(stack)
    lonely = volume_staffing(unit, monday)
    for interval in lonely["intervals"]:
        interval["scheduled"] = 1  # the agent is the only one on queue
    staffed = await stack.http.put("/v1/wfm/staffing", json=lonely, headers=planner.auth)
    assert staffed.status_code == 200, staffed.text
    found = await query(
        stack,
        sup,
        attendee_ids=[agent.id],
        window_start=iso(monday, 14),
        window_end=iso(monday, 15),
        duration_minutes=15,
    )
    slot = found["slots"][0]
    assert slot["service_level"]["after_percent"] == 0
    assert slot["service_level"]["after_asa_seconds"] is None  # infinite: nobody answers
    assert any("No agent left on queue" in r and "SL 0 %" in r for r in slot["reasons"])


async def test_w1_w4_bad_volume_and_goals_are_422_naming_the_field(stack: Stack) -> None:
    _, _, planner, unit, monday = await sl_team(stack)

    async def refused(body: dict, field: str) -> None:
        response = await stack.http.put("/v1/wfm/staffing", json=body, headers=planner.auth)
        assert response.status_code == 422, response.text
        assert response.json()["error"]["details"]["field"] == field, response.text

    def with_interval(**fields: Any) -> dict:
        body = volume_staffing(unit, monday)
        body["intervals"][0].update(fields)
        return body

    def with_goal(**fields: Any) -> dict:
        return volume_staffing(unit, monday, service_level={**GOAL, **fields})

    await refused(with_interval(contacts=-1), "intervals.0.contacts")
    await refused(with_interval(aht_seconds=-30), "intervals.0.aht_seconds")
    await refused(with_interval(aht_seconds=None), "intervals.0.aht_seconds")
    await refused(with_goal(target_percent=0), "service_level.target_percent")
    await refused(with_goal(target_percent=100.5), "service_level.target_percent")
    await refused(with_goal(threshold_seconds=0), "service_level.threshold_seconds")
    await refused(with_goal(floor_percent=90), "service_level.floor_percent")
    await refused(with_goal(patience_seconds=0), "service_level.patience_seconds")
    # A 100 % target is allowed.
    fine = await stack.http.put(
        "/v1/wfm/staffing", json=with_goal(target_percent=100), headers=planner.auth
    )
    assert fine.status_code == 200, fine.text


async def test_w6_a_team_plan_by_sl_avoids_the_floor_and_reports_sl_after(stack: Stack) -> None:
    sup, agent, _, unit, monday = await sl_team(stack)
    body = {
        "attendee_ids": [agent.id],
        "facilitator_ids": [sup.id],
        "window_start": iso(monday, 9),
        "window_end": iso(monday, 17),
        "duration_minutes": 30,
    }
    response = await stack.http.post("/v1/coaching/plans", json=body, headers=sup.auth)
    assert response.status_code == 201, response.text
    plan = response.json()
    assert plan["status"] == "optimal" and len(plan["assignments"]) == 1
    # The quiet hour (30 contacts) costs fewest late contacts.
    assert plan["assignments"][0]["starts_at"] == iso(monday, 14)
    intervals = plan["service_levels"]
    assert [datetime.fromisoformat(s["interval_start"]) for s in intervals] == [
        local(monday, 14),
        local(monday, 14, 15),
    ]
    for interval in intervals:
        assert interval["business_unit"] == unit and interval["contacts"] == 30
        assert interval["agents_off_queue"] == 1 and not interval["below_floor"]
        assert interval["after_percent"] < interval["before_percent"]
