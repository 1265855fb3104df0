"""A meeting's history through the HTTP API (issue 11 budget: p50 <= 100 ms with 50 changes).

Runs ``tandem up`` in a scratch folder, makes one 1:1 and changes it 50 times (reschedules and
edits, each a workflow update and an audit line), then times GET /v1/meetings/{id}/history, which
merges the audit lines with the workflow's Temporal history (one fetch, failures decoded), against
GET /v1/meetings/{id} in the same run as the baseline. CPU-seconds are the API, worker and
Temporal processes' together, per request.

    python bench/history.py [--runs 200] [--changes 50]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from datetime import UTC, datetime, timedelta

import httpx
from harness import percentile, running_tandem, tree_cpu_seconds


async def _timed(http: httpx.AsyncClient, path: str, runs: int, root: int) -> tuple[list, float]:
    took = []
    cpu = tree_cpu_seconds(root)
    for _ in range(runs):
        started = time.perf_counter()
        answer = await http.get(path)
        took.append((time.perf_counter() - started) * 1000)
        answer.raise_for_status()
    return took, (tree_cpu_seconds(root) - cpu) / runs


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--changes", type=int, default=50)
    args = parser.parse_args()
    async with running_tandem() as tandem:
        _, token = tandem.add_user("Sam Bench", "supervisor")
        ben, _ = tandem.add_user("Ben Bench", "agent")
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(base_url=tandem.url, headers=headers, timeout=60) as http:
            first = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(days=2)
            made = await http.post(
                "/v1/meetings",
                json={
                    "kind": "one_to_one",
                    "name": "Bench 1:1",
                    "participant_ids": [ben],
                    "starts_at": first.isoformat(),
                    "duration_minutes": 30,
                },
            )
            made.raise_for_status()
            meeting = made.json()["id"]
            for n in range(args.changes):
                if n % 2:
                    change = http.patch(f"/v1/meetings/{meeting}", json={"location": f"Room {n}"})
                else:
                    starts = first + timedelta(hours=n + 1)
                    change = http.post(
                        f"/v1/meetings/{meeting}/reschedule",
                        json={"starts_at": starts.isoformat(), "reason": f"change {n}"},
                    )
                (await change).raise_for_status()
            lines = (await http.get(f"/v1/meetings/{meeting}/history")).json()["items"]
            root = tandem.process.pid
            view, view_cpu = await _timed(http, f"/v1/meetings/{meeting}", args.runs, root)
            history, history_cpu = await _timed(
                http, f"/v1/meetings/{meeting}/history", args.runs, root
            )
    p50, view_p50 = statistics.median(history), statistics.median(view)
    print(
        f"history of a meeting with {args.changes} changes ({len(lines)} lines), {args.runs} "
        f"requests one after another: p50 {p50:.1f} ms, p90 {percentile(history, 90):.1f} ms, "
        f"{history_cpu * 1000:.1f} CPU-ms per request (API + worker + Temporal)\n"
        f"baseline GET /v1/meetings/{{id}} in the same run: p50 {view_p50:.1f} ms, "
        f"{view_cpu * 1000:.1f} CPU-ms; history / view = {p50 / view_p50:.2f}"
    )


if __name__ == "__main__":
    asyncio.run(main())
