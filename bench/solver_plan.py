"""Team planner benchmark (DESIGN.md performance budget): prints figures, not a test.

    python bench/solver_plan.py [--runs N] [--volume]

200 agents in 4 business units (weekday shifts, ~10 busy blocks a day) and 5 facilitators
(08:00-18:00 UTC, 6 appointments a day, at most 10 sessions a day, five time zones), one week,
30-minute sessions. Per instance (seed) it runs plan_team four times: the greedy engine alone,
HiGHS with a 2-second limit, HiGHS asked for a plan proven within 1 % of the bound, and HiGHS
asked for the optimum (gap 1e-4); medians over ``--runs`` instances. ``--volume`` adds contacts,
handle times and an 80/20 goal with a 70 % floor to every unit (``bench/solver_sl.py``), so the
plan minimises predicted SL loss (contacts answered late) instead of headcount prices.
"""

import argparse
import random
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from solver_sl import with_volume
from solver_slots import DAY, NOW, agent, facilitator, staffing_curve

from tandem.solver import ActivityCategory, PlanEngine, PlanRequest, Span, plan_team

LIGHT_DAY = (
    [(ActivityCategory.BREAK, 15, 15, False)] * 2
    + [(ActivityCategory.MEAL, 30, 45, False)]
    + [(ActivityCategory.MEETING, 15, 30, False)]
    + [(ActivityCategory.TRAINING, 30, 60, False)]
    + [(ActivityCategory.OFF_QUEUE, 10, 20, False)] * 3
)
UNITS = ("billing", "sales", "support", "retention")


def team_request(seed: int, volume: bool = False, **options) -> PlanRequest:
    rng = random.Random(seed)
    days = 8
    agents = [
        agent(f"agent-{i:03d}", UNITS[i % 4], days, rng, tuple(LIGHT_DAY), 1) for i in range(200)
    ]
    zones = ("Europe/London", "Europe/Paris", "UTC", "America/New_York", "Asia/Kolkata")
    facilitators = [facilitator(f"coach-{i}", days, rng, 6, zones[i]) for i in range(5)]
    monday = NOW - NOW % DAY
    return PlanRequest(
        agents=agents,
        facilitators=facilitators,
        window=Span(monday, monday + 7 * DAY),
        now=monday,
        duration=30,
        staffing={
            unit: with_volume(curve) if volume else curve
            for unit in UNITS
            for curve in [staffing_curve(days, rng, base=14.0)]
        },
        max_per_facilitator_per_day=10,
        **options,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="instances (seeds) to solve")
    parser.add_argument("--transition", type=int, default=0, help="transition minutes")
    parser.add_argument("--volume", action="store_true", help="price by predicted SL (W6+)")
    args = parser.parse_args()
    rows: dict[str, list[float]] = {}

    def keep(name: str, value: float) -> None:
        rows.setdefault(name, []).append(value)

    for seed in range(args.runs):
        extra = {"transition_minutes": args.transition, "volume": args.volume}
        greedy = plan_team(team_request(seed, engine=PlanEngine.GREEDY, **extra))
        quick = plan_team(team_request(seed, time_limit_seconds=2.0, **extra))
        close = plan_team(team_request(seed, time_limit_seconds=60.0, relative_gap=0.01, **extra))
        best = plan_team(team_request(seed, time_limit_seconds=60.0, **extra))
        print(
            f"seed {seed}: options {best.timings['options']:.2f}s  greedy {greedy.objective:.2f} "
            f"in {greedy.timings['total']:.3f}s | 2 s limit: {quick.status}/{quick.engine} "
            f"{quick.objective:.2f} (bound {quick.lower_bound:.2f}) | 1 %: {close.status}/"
            f"{close.engine} {close.objective:.2f} in {close.timings['total']:.2f}s | best: "
            f"{best.status}/{best.engine} {best.objective:.2f} bound {best.lower_bound:.2f} in "
            f"{best.timings['total']:.2f}s (build {best.timings['build']:.2f}s, solve "
            f"{best.timings['solve']:.2f}s), unplaced {len(best.unplaced)}"
        )
        if args.volume:
            breached = sum(s.below_floor for s in best.service_levels)
            print(f"  {len(best.service_levels)} intervals touched, {breached} below the floor")
        keep("greedy time", greedy.timings["total"])
        keep("greedy objective", greedy.objective)
        keep("2 s plan objective", quick.objective)
        keep("1 % plan time", close.timings["total"])
        keep("optimal plan time", best.timings["total"])
        keep("optimal objective", best.objective)
        keep("2 s plan over optimum %", 100 * (quick.objective / best.objective - 1))
        keep("greedy over optimum %", 100 * (greedy.objective / best.objective - 1))
    print(f"median of {args.runs} run(s):")
    for name, values in rows.items():
        print(f"  {name:24s} {statistics.median(values):10.3f}")


if __name__ == "__main__":
    main()
