"""Slot query through the HTTP API (issue 4 budget: p50 <= 25 ms for 1 agent + facilitator).

Loads six weeks of dense WFM data (the same generator as bench/solver_slots.py: ~20 busy blocks
per working day, on-queue work between them, a two-peak staffing curve) through the real import
API of a scratch ``tandem up``, books the generator's appointments as real meetings, gives the
facilitator weekday working hours and a full diary, then times POST /v1/coaching/slots/query
over the whole six-week horizon for 1 and 5 attendees, with and without the free/busy lists.

    python bench/slot_query_http.py [--runs 200]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
from datetime import UTC, datetime, timedelta

import httpx
from harness import percentile, running_tandem
from solver_slots import DAY, NOW, agent, facilitator, staffing_curve

from tandem.solver import ActivityCategory, from_minutes
from tandem.solver.minutes import HORIZON_MINUTES

UNIT = "bench-unit"


def _shift() -> int:
    """Whole weeks that move the generator's Monday to the first Monday at or after today."""
    weeks = ((datetime.now(UTC) - from_minutes(NOW)).days + 6) // 7
    return weeks * 7 * DAY


def _at(minutes: int, shift: int) -> str:
    return from_minutes(minutes + shift).isoformat()


def _schedule(person_id: str, schedule, shift: int) -> dict:
    shifts = []
    for span in schedule.shifts:
        inside = [a for a in schedule.activities if span.start <= a.start < span.end]
        shifts.append(
            {
                "starts_at": _at(span.start, shift),
                "ends_at": _at(span.end, shift),
                "activities": [
                    {
                        "starts_at": _at(a.start, shift),
                        "ends_at": _at(a.end, shift),
                        "category": a.category.value,
                        "paid": a.paid,
                        "interruptible": a.interruptible,
                    }
                    for a in inside
                ],
            }
        )
    return {"agent_id": person_id, "shifts": shifts}


async def _load(
    http: httpx.AsyncClient, tandem, rng: random.Random
) -> tuple[dict, list[str], dict]:
    """Coach's auth header, the agents' ids and the staffing body imported (for re-imports)."""
    days = HORIZON_MINUTES // DAY + 8
    shift = _shift()
    coach_id, coach_token = tandem.add_user("Coach", "supervisor", divisions=["bench"])
    # The planner imports for the bench division's agents (A5 scopes imports to divisions).
    _, planner_token = tandem.add_user("Planner", "quality_manager", divisions=["bench"])
    planner = {"Authorization": f"Bearer {planner_token}"}
    booker = {"Authorization": f"Bearer {tandem.add_user('Booker', 'supervisor')[1]}"}
    coach = {"Authorization": f"Bearer {coach_token}"}
    agents = [agent(f"agent-{i}", UNIT, days, rng) for i in range(5)]
    ids = [tandem.add_user(f"Agent {i}", "agent", divisions=["bench"])[0] for i in range(5)]
    monday = from_minutes(NOW - NOW % DAY + shift).date()
    weeks = -(-days // 7)
    body = {
        "business_unit": UNIT,
        "timezone": "UTC",
        "week_start": monday.isoformat(),
        "weeks": weeks,
        "agents": [_schedule(i, a, shift) for i, a in zip(ids, agents, strict=True)],
    }
    _ok(await http.put("/v1/wfm/schedules", json=body, headers=planner))
    curve = staffing_curve(days, rng)
    intervals = [
        {"starts_at": _at(curve.start + 15 * i, shift), "forecast": float(f), "scheduled": float(s)}
        for i, (f, s) in enumerate(zip(curve.forecast, curve.scheduled, strict=True))
    ]
    staffing = {"business_unit": UNIT, "timezone": "UTC", "intervals": intervals}
    _ok(await http.put("/v1/wfm/staffing", json=staffing, headers=planner))

    hours = [{"weekday": d, "start": "08:00", "end": "18:00"} for d in range(5)]
    await http.patch("/v1/users/me/settings", json={"working_hours": hours}, headers=coach)
    diary = facilitator("coach", days, rng).appointments
    now = datetime.now(UTC)
    for person, token, spans in (
        (ids[0], booker, agents[0].appointments),
        (coach_id, booker, diary),
    ):
        for span in spans:
            start = from_minutes(span.start + shift)
            if now < start < now + timedelta(minutes=HORIZON_MINUTES):
                await http.post(
                    "/v1/meetings",
                    json={
                        "kind": "one_to_one",
                        "name": "Busy",
                        "participant_ids": [person],
                        "starts_at": start.isoformat(),
                        "duration_minutes": span.end - span.start,
                    },
                    headers=token,
                )
    blocks = sum(1 for a in agents[0].activities if a.category != ActivityCategory.ON_QUEUE)
    print(f"loaded: 5 agents x {len(agents[0].shifts)} shifts, agent-0 with {blocks} busy blocks")
    return coach, ids, staffing


def _ok(response: httpx.Response) -> None:
    if response.is_error:
        raise SystemExit(f"{response.request.url.path}: {response.status_code} {response.text}")


async def _time(http, headers, body, runs: int) -> tuple[float, float, dict]:
    samples = []
    for _ in range(runs + 10):
        began = time.perf_counter()
        response = await http.post("/v1/coaching/slots/query", json=body, headers=headers)
        samples.append((time.perf_counter() - began) * 1000)
        response.raise_for_status()
    samples = samples[10:]
    return statistics.median(samples), percentile(samples, 95), response.json()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    async with (
        running_tandem() as tandem,
        httpx.AsyncClient(base_url=tandem.url, timeout=60) as http,
    ):
        coach, ids, _ = await _load(http, tandem, random.Random(7))
        now = datetime.now(UTC)
        window = {
            "window_start": now.isoformat(),
            "window_end": (now + timedelta(minutes=HORIZON_MINUTES)).isoformat(),
            "duration_minutes": 30,
            "limit": 10,
        }
        for count in (1, 5):
            for schedules in (False, True):
                body = {**window, "attendee_ids": ids[:count], "include_schedules": schedules}
                p50, p95, found = await _time(http, coach, body, args.runs)
                best = found["slots"][0]["rating"] if found["slots"] else "-"
                extra = " + free/busy lists" if schedules else ""
                print(
                    f"{count} attendee(s) + facilitator, 6 weeks, top 10{extra}: "
                    f"p50 {p50:.1f} ms  p95 {p95:.1f} ms  "
                    f"({found['feasible']} feasible starts, best {best})"
                )


if __name__ == "__main__":
    asyncio.run(main())
