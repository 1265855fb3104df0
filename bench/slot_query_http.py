"""Slot query through the HTTP API against an authenticated ``GET /v1/users/me`` (issue 13).

Loads six weeks of dense WFM data (the same generator as bench/solver_slots.py: ~20 busy blocks
per working day, on-queue work between them, a two-peak staffing curve) for a business unit
through the real import API of a scratch ``tandem up``, books the generator's appointments as
real meetings, gives the facilitator weekday working hours and a full diary, then prints, all
from the same run:

* p50 over HTTP of the slot query (1 and 5 attendees + facilitator, six weeks, top 10, warm
  cache) and of ``GET /v1/users/me``, interleaved in blocks, and their ratios;
* the API process's CPU per request (all its threads, from /proc), per kind;
* the solver alone (``find_slots`` on the query the use case builds, warm cache), p50 and CPU;
* the cold cache: a query right after a staffing import (which moves the business unit's WFM
  version on), over HTTP, and reading the schedules into an empty cache in process.

    python bench/slot_query_http.py [--rounds 12] [--block 25] [--agents 20]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from harness import percentile, running_tandem
from solver_slots import DAY, NOW, agent, facilitator, staffing_curve

from tandem.solver import ActivityCategory, SlotQuery, find_slots, from_minutes
from tandem.solver.minutes import HORIZON_MINUTES
from tandem.store import users
from tandem.store.db import Database
from tandem.usecases import availability
from tandem.usecases.wfm_cache import WfmCache

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
    http: httpx.AsyncClient, tandem, rng: random.Random, unit_size: int = 5
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
    agents = [agent(f"agent-{i}", UNIT, days, rng) for i in range(unit_size)]
    ids = [tandem.add_user(f"Agent {i}", "agent", divisions=["bench"])[0] for i in range(unit_size)]
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
    shifts = len(agents[0].shifts)
    print(f"loaded: {unit_size} agents x {shifts} shifts, agent-0 with {blocks} busy blocks")
    return coach, ids, staffing


def _ok(response: httpx.Response) -> None:
    if response.is_error:
        raise SystemExit(f"{response.request.url.path}: {response.status_code} {response.text}")


def _cpu_ns(pid: int) -> int:
    """CPU time of all of a process's threads in nanoseconds (Linux schedstat): /proc/PID/stat
    counts in 10 ms ticks, too coarse for requests of a few milliseconds."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(FileNotFoundError):
            total += int((task / "schedstat").read_text().split()[0])
    return total


@dataclass
class Kind:
    """One kind of request: its latencies and, per block, the API's CPU per request."""

    name: str
    send: Callable[[], Awaitable[httpx.Response]]
    wall_ms: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)

    async def block(self, api_pid: int, size: int) -> None:
        cpu = _cpu_ns(api_pid)
        for _ in range(size):
            began = time.perf_counter()
            response = await self.send()
            self.wall_ms.append((time.perf_counter() - began) * 1000)
            _ok(response)
        self.cpu_ms.append((_cpu_ns(api_pid) - cpu) / 1e6 / size)


def _solver_only(tandem, ids: list[str], coach_id: str, now: datetime, runs: int) -> None:
    """find_slots on the query the use case builds, as the API calls it (cache warm), and the
    cold read: the same schedules into an empty cache."""
    db = Database(tandem.database)
    window = (now, now + timedelta(minutes=HORIZON_MINUTES))
    try:
        with db.reading() as session:
            people = users.get_users(session, [*ids, coach_id])
            cache = WfmCache()

            def build(count: int, kept: WfmCache) -> SlotQuery:
                return availability.slot_query(
                    session,
                    kept,
                    attendees=[people[i] for i in ids[:count]],
                    facilitator=people[coach_id],
                    window=window,
                    duration=30,
                    now=now,
                )

            for count in (1, 5):
                query = build(count, cache)
                wall, cpu = [], []
                for _ in range(runs):
                    began, began_cpu = time.perf_counter(), time.process_time()
                    find_slots(query)
                    wall.append((time.perf_counter() - began) * 1000)
                    cpu.append((time.process_time() - began_cpu) * 1000)
                print(
                    f"solver only, {count} attendee(s): p50 {statistics.median(wall):.2f} ms, "
                    f"CPU {statistics.median(cpu):.2f} ms"
                )
            cold, warm = [], []
            for _ in range(20):
                began = time.perf_counter()
                build(1, WfmCache())
                cold.append((time.perf_counter() - began) * 1000)
                began = time.perf_counter()
                build(1, cache)
                warm.append((time.perf_counter() - began) * 1000)
            print(
                f"schedules read for 1 attendee + facilitator, in process: cold cache p50 "
                f"{statistics.median(cold):.1f} ms, warm {statistics.median(warm):.2f} ms"
            )
    finally:
        db.dispose()


def _summary(kind: Kind, baseline: Kind) -> str:
    p50, cpu = statistics.median(kind.wall_ms), statistics.median(kind.cpu_ms)
    ratio = ""
    if kind is not baseline:
        ratio = (
            f"  = {p50 / statistics.median(baseline.wall_ms):.2f}x wall, "
            f"{cpu / statistics.median(baseline.cpu_ms):.2f}x CPU of /v1/users/me"
        )
    return (
        f"{kind.name:<44} p50 {p50:5.1f} ms  p95 {percentile(kind.wall_ms, 95):5.1f} ms  "
        f"API CPU {cpu:5.2f} ms/request{ratio}"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=12, help="blocks of each kind, interleaved")
    parser.add_argument("--block", type=int, default=25, help="requests per block")
    parser.add_argument("--agents", type=int, default=20, help="agents in the business unit")
    parser.add_argument("--solver-runs", type=int, default=300)
    args = parser.parse_args()
    async with (
        running_tandem() as tandem,
        httpx.AsyncClient(base_url=tandem.url, timeout=60) as http,
    ):
        coach, ids, staffing = await _load(http, tandem, random.Random(7), args.agents)
        _, planner_token = tandem.add_user("Planner 2", "quality_manager", divisions=["bench"])
        planner = {"Authorization": f"Bearer {planner_token}"}
        coach_id = (await http.get("/v1/users/me", headers=coach)).json()["id"]
        api_pid = tandem.children()["api"]
        now = datetime.now(UTC)
        window = {
            "window_start": now.isoformat(),
            "window_end": (now + timedelta(minutes=HORIZON_MINUTES)).isoformat(),
            "duration_minutes": 30,
            "limit": 10,
        }

        def slot_query(count: int, schedules: bool) -> Callable[[], Awaitable[httpx.Response]]:
            body = {**window, "attendee_ids": ids[:count], "include_schedules": schedules}
            return lambda: http.post("/v1/coaching/slots/query", json=body, headers=coach)

        me = Kind("GET /v1/users/me", lambda: http.get("/v1/users/me", headers=coach))
        kinds = [me] + [
            Kind(
                f"slot query, {count} attendee(s){' + free/busy' if schedules else ''}",
                slot_query(count, schedules),
            )
            for count in (1, 5)
            for schedules in (False, True)
        ]
        for kind in kinds:  # warm-up: imports, caches, connections
            await kind.block(api_pid, 10)
            kind.wall_ms.clear(), kind.cpu_ms.clear()
        for round_ in range(args.rounds):
            # Rotate the order so that no kind always follows the same neighbour.
            for kind in kinds[round_ % len(kinds) :] + kinds[: round_ % len(kinds)]:
                await kind.block(api_pid, args.block)
        for kind in kinds:
            print(_summary(kind, me))
        found = (await slot_query(1, False)()).json()
        print(f"  (1 attendee: {found['feasible']} feasible starts over the six weeks)")

        # Cold: every import moves the business unit's version on, so the next query reads
        # the attendee's schedule and the unit's staffing again.
        cold = Kind("slot query, 1 attendee, right after an import", slot_query(1, False))
        for _ in range(args.rounds):
            _ok(await http.put("/v1/wfm/staffing", json=staffing, headers=planner))
            await cold.block(api_pid, 1)
        print(
            f"{cold.name:<44} p50 {statistics.median(cold.wall_ms):5.1f} ms  "
            f"API CPU {statistics.median(cold.cpu_ms):5.2f} ms/request"
        )
        _solver_only(tandem, ids, coach_id, now, args.solver_runs)


if __name__ == "__main__":
    asyncio.run(main())
