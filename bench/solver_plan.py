"""Team planner benchmark (DESIGN.md performance budget): prints figures, not a test.

    python bench/solver_plan.py [--runs N] [--volume]
    python bench/solver_plan.py --scale [--agents 1000 --facilitators 20 --weeks 2 --units 4]

200 agents in 4 business units (weekday shifts, ~10 busy blocks a day) and 5 facilitators
(08:00-18:00 UTC, 6 appointments a day, at most 10 sessions a day, five time zones), one week,
30-minute sessions. Per instance (seed) it runs plan_team four times: the greedy engine alone,
HiGHS with a 2-second limit, HiGHS asked for a plan proven within 1 % of the bound, and HiGHS
asked for the optimum (gap 1e-4); medians over ``--runs`` instances. ``--volume`` adds contacts,
handle times and an 80/20 goal with a 70 % floor to every unit (``bench/solver_sl.py``), so the
plan minimises predicted SL loss (contacts answered late) instead of headcount prices.

``--scale`` solves one large team (default 1,000 agents in 4 business units x 20 facilitators x
2 weeks, the same generators, each unit's staffing scaled to its head count) asking for a plan
within ``--gap`` percent of its proven bound in ``--limit`` seconds, and prints when the first
feasible plan was there, the gap reached, where the bound comes from, wall and CPU time per
phase, and the process's peak memory.
"""

import argparse
import random
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from solver_sl import with_volume
from solver_slots import DAY, NOW, agent, facilitator, staffing_curve

from tandem.solver import ActivityCategory, PlanEngine, PlanRequest, PlanResult, Span, plan_team

LIGHT_DAY = (
    [(ActivityCategory.BREAK, 15, 15, False)] * 2
    + [(ActivityCategory.MEAL, 30, 45, False)]
    + [(ActivityCategory.MEETING, 15, 30, False)]
    + [(ActivityCategory.TRAINING, 30, 60, False)]
    + [(ActivityCategory.OFF_QUEUE, 10, 20, False)] * 3
)
UNITS = ("billing", "sales", "support", "retention")
ZONES = ("Europe/London", "Europe/Paris", "UTC", "America/New_York", "Asia/Kolkata")


def team_request(
    seed: int,
    volume: bool = False,
    agents: int = 200,
    facilitators: int = 5,
    weeks: int = 1,
    units: int = 4,
    **options,
) -> PlanRequest:
    rng = random.Random(seed)
    days = 7 * weeks + 1
    names = UNITS if units == len(UNITS) else tuple(f"unit-{i:02d}" for i in range(units))
    people = [
        agent(f"agent-{i:04d}", names[i % units], days, rng, tuple(LIGHT_DAY), 1)
        for i in range(agents)
    ]
    coaches = [
        facilitator(f"coach-{i:02d}", days, rng, 6, ZONES[i % len(ZONES)])
        for i in range(facilitators)
    ]
    monday = NOW - NOW % DAY
    return PlanRequest(
        agents=people,
        facilitators=coaches,
        window=Span(monday, monday + 7 * weeks * DAY),
        now=monday,
        duration=30,
        staffing={
            unit: with_volume(curve) if volume else curve
            for unit in names
            for curve in [staffing_curve(days, rng, base=14.0 * agents / units / 50)]
        },
        max_per_facilitator_per_day=10,
        **options,
    )


def scale(args: argparse.Namespace) -> None:
    """One plan asked to be within ``--gap`` of its bound in ``--limit`` seconds; the greedy
    plan (always there) is the first feasible one."""
    shape = {
        "agents": args.agents,
        "facilitators": args.facilitators,
        "weeks": args.weeks,
        "units": args.units,
        "volume": args.volume,
        "transition_minutes": args.transition,
    }
    print(f"scale: {shape}")
    for seed in range(args.runs):
        request = team_request(
            seed, time_limit_seconds=args.limit, relative_gap=args.gap / 100, **shape
        )
        cpu = time.process_time()
        result = plan_team(request)
        cpu = time.process_time() - cpu
        t = result.timings
        gap = 100 * (result.objective - result.lower_bound) / abs(result.objective)
        print(
            f"seed {seed}: feasible (greedy, {result.greedy_objective:.2f}) at "
            f"{t['options'] + t['greedy']:.2f}s | {result.status}/{result.engine} "
            f"{result.objective:.2f}, bound {result.lower_bound:.2f} ({bound_source(result)}), "
            f"gap {gap:.3f} % at {t['total']:.2f}s wall, {cpu:.2f}s CPU (options "
            f"{t['options']:.2f}, greedy {t['greedy']:.2f}, build {t.get('build', 0):.2f}, "
            f"LP {t.get('relaxation', 0):.2f}, MIP {t.get('mip', 0):.2f}) | "
            f"{len(result.assignments)} placed, {len(result.unplaced)} unplaced, "
            f"greedy {100 * (result.greedy_objective / result.objective - 1):.2f} % above"
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (max RSS of this process): {peak:.0f} MiB")


def bound_source(result: PlanResult) -> str:
    if "relaxation" not in result.timings:
        return "each agent alone at its cheapest"
    if "mip" in result.timings:
        return "LP relaxation, raised by the MIP where it proved more"
    return "LP relaxation"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="instances (seeds) to solve")
    parser.add_argument("--transition", type=int, default=0, help="transition minutes")
    parser.add_argument("--volume", action="store_true", help="price by predicted SL (W6+)")
    parser.add_argument("--scale", action="store_true", help="one large plan (the options below)")
    parser.add_argument("--agents", type=int, default=1000)
    parser.add_argument("--facilitators", type=int, default=20)
    parser.add_argument("--weeks", type=int, default=2)
    parser.add_argument("--units", type=int, default=4, help="business units the agents are in")
    parser.add_argument("--gap", type=float, default=2.0, help="percent from the bound")
    parser.add_argument("--limit", type=float, default=60.0, help="time limit in seconds")
    args = parser.parse_args()
    if args.scale:
        scale(args)
        return
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
