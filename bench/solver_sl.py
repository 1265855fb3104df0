"""Service-level slot ranking (issue 12 item 1) next to the headcount method on the same inputs.

    python bench/solver_sl.py [--runs N] [--http-runs N] [--no-http]

Solver: the inputs of ``bench/solver_slots.py`` (1 agent + facilitator, 6 weeks, 30 min, top 10,
~20 busy blocks a day, a two-peak staffing curve), once as they are (headcount method) and once
with contacts and handle times per interval and an 80/20 goal with a 70 % floor (Erlang C; and
once more with 90 s of patience, Erlang A). The
two are timed alternately so that noise from other jobs hits both alike; the ratio is the figure
to read (budget: SL <= 2x headcount and <= 5 ms). HTTP: the same through a scratch ``tandem up``
(``bench/slot_query_http.py`` loads it), the staffing re-imported with and without volume in
alternating rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx
import numpy as np
from harness import running_tandem
from slot_query_http import _load, _ok
from solver_slots import DAY, NOW, agent, facilitator, staffing_curve

from tandem.solver import ServiceGoal, SlotQuery, Span, StaffingCurve, find_slots
from tandem.solver.minutes import HORIZON_MINUTES

AHT_SECONDS = 300.0
OCCUPANCY = 0.85
"""Contacts per interval are what the forecast heads handle at this occupancy."""
ROUNDS = 4
GOAL = {"target_percent": 80.0, "threshold_seconds": 20.0, "floor_percent": 70.0}


def contacts_for(forecast: np.ndarray) -> np.ndarray:
    return np.round(forecast * OCCUPANCY * 900 / AHT_SECONDS)


def with_volume(curve: StaffingCurve, patience: float | None = None) -> StaffingCurve:
    forecast = np.asarray(curve.forecast, dtype=float)
    return replace(
        curve,
        contacts=contacts_for(forecast),
        aht_seconds=np.full(forecast.size, AHT_SECONDS),
        goal=ServiceGoal(**GOAL, patience_seconds=patience),
    )


def _p50_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1e3


def bench_solver(runs: int) -> None:
    rng = random.Random(7)
    days = HORIZON_MINUTES // DAY + 1
    heads = staffing_curve(days, rng)
    coach = facilitator("coach", days, rng)
    agents = [agent(f"agent-{i}", "sales", days, rng) for i in range(5)]
    window = Span(NOW, NOW + HORIZON_MINUTES)
    by_heads = SlotQuery(agents[:1], coach, window, NOW, 30, 10, {"sales": heads})
    by_sl = replace(by_heads, staffing={"sales": with_volume(heads)})
    floor = replace(by_sl, respect_floor=True)
    patient = replace(by_heads, staffing={"sales": with_volume(heads, patience=90.0)})
    cases = {
        "headcount": by_heads,
        "service level": by_sl,
        "SL + respect_floor": floor,
        "SL, Erlang A (90 s)": patient,
    }
    samples: dict[str, list[float]] = {name: [] for name in cases}
    cpu: dict[str, float] = dict.fromkeys(cases, 0.0)
    for query in cases.values():
        find_slots(query)  # warm up
    for _ in range(runs):
        for name, query in cases.items():
            c0, t0 = time.process_time(), time.perf_counter()
            find_slots(query)
            samples[name].append(time.perf_counter() - t0)
            cpu[name] += time.process_time() - c0
    base = _p50_ms(samples["headcount"])
    print("solver: 1 agent + facilitator, 6 weeks, 30 min, top 10 (ratios: wall p50 / CPU)")
    for name in cases:
        p50 = _p50_ms(samples[name])
        print(
            f"  {name:20s} p50 {p50:6.2f} ms   CPU {cpu[name] / runs * 1e3:6.2f} ms/query"
            f"   x{p50 / base:4.2f} / x{cpu[name] / cpu['headcount']:4.2f} of headcount"
        )
    best = find_slots(by_sl).slots[0]
    print(f"  best SL slot: {best.rating.value}, {best.reasons[0]}")


async def _time(http: httpx.AsyncClient, headers: dict, body: dict, runs: int) -> list[float]:
    samples = []
    for _ in range(runs + 10):
        began = time.perf_counter()
        response = await http.post("/v1/coaching/slots/query", json=body, headers=headers)
        samples.append(time.perf_counter() - began)
        _ok(response)
    return samples[10:]


async def bench_http(runs: int) -> None:
    async with (
        running_tandem() as tandem,
        httpx.AsyncClient(base_url=tandem.url, timeout=60) as http,
    ):
        coach, ids, staffing = await _load(http, tandem, random.Random(7))
        _, token = tandem.add_user("SL planner", "quality_manager", divisions=["bench"])
        planner = {"Authorization": f"Bearer {token}"}
        now = datetime.now(UTC)
        body = {
            "attendee_ids": ids[:1],
            "window_start": now.isoformat(),
            "window_end": (now + timedelta(minutes=HORIZON_MINUTES)).isoformat(),
            "duration_minutes": 30,
            "limit": 10,
            "include_schedules": False,
        }
        plain = {**staffing, "intervals": [dict(i) for i in staffing["intervals"]]}
        forecast = np.array([i["forecast"] for i in staffing["intervals"]])
        for interval, contacts in zip(staffing["intervals"], contacts_for(forecast), strict=True):
            interval.update(contacts=float(contacts), aht_seconds=AHT_SECONDS)
        with_sl = {**staffing, "service_level": GOAL}
        # Rounds alternate the two imports (intervals without volume rank by headcount even
        # though the goal stays stored), so load from other jobs hits both methods alike.
        heads: list[float] = []
        sl: list[float] = []
        for _ in range(ROUNDS):
            _ok(await http.put("/v1/wfm/staffing", json=plain, headers=planner))
            heads += await _time(http, coach, body, runs // ROUNDS)
            _ok(await http.put("/v1/wfm/staffing", json=with_sl, headers=planner))
            sl += await _time(http, coach, body, runs // ROUNDS)
        response = await http.post("/v1/coaching/slots/query", json=body, headers=coach)
        best = response.json()["slots"][0]
        base = _p50_ms(heads)
        print("HTTP: POST /v1/coaching/slots/query, 1 agent + facilitator, 6 weeks, top 10")
        print(f"  headcount            p50 {base:6.1f} ms")
        print(f"  service level        p50 {_p50_ms(sl):6.1f} ms   x{_p50_ms(sl) / base:4.2f}")
        print(f"  best SL slot: {best['rating']}, {best['reasons'][0]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300, help="timed solver queries per case")
    parser.add_argument("--http-runs", type=int, default=100, help="timed HTTP queries per case")
    parser.add_argument("--no-http", action="store_true", help="the solver part only")
    args = parser.parse_args()
    bench_solver(args.runs)
    if not args.no_http:
        asyncio.run(bench_http(args.http_runs))


if __name__ == "__main__":
    main()
