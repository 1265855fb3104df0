"""Create-meeting latency and sustained throughput through the HTTP API (issue 2 budget).

Runs the real single-machine deployment (``tandem up``: Temporal dev server, one worker process,
the API process, SQLite) in a scratch data folder, then:

* latency: N creates one after another, p50 / p95 as the client sees them;
* throughput: creates with C in flight for a fixed number of requests, meetings per second.

Budget: p50 <= 60 ms, >= 50 meetings/s with one worker. Usage:

    python bench/create_meetings.py [--runs 3] [--sequential 300] [--burst 1500] [--concurrency 32]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from datetime import UTC, datetime, timedelta

import httpx
from harness import Tandem, percentile, running_tandem

PAIRS = 60


def people(tandem: Tandem) -> list[tuple[str, str]]:
    """(facilitator token, participant id) pairs."""
    pairs = []
    for i in range(PAIRS):
        _, token = tandem.add_user(f"Sup {i}", "supervisor")
        agent_id, _ = tandem.add_user(f"Agent {i}", "agent")
        pairs.append((token, agent_id))
    return pairs


class Creator:
    """Hands out non-overlapping (pair, start) combinations so every create should succeed."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self.pairs = pairs
        self.count = 0
        self.base = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(days=1)

    async def create(self, http: httpx.AsyncClient) -> tuple[float, int]:
        i = self.count
        self.count += 1
        token, participant = self.pairs[i % len(self.pairs)]
        body = {
            "kind": "one_to_one",
            "name": f"Bench {i}",
            "participant_ids": [participant],
            "starts_at": (self.base + timedelta(minutes=35 * (i // len(self.pairs)))).isoformat(),
            "duration_minutes": 30,
        }
        began = time.perf_counter()
        response = await http.post(
            "/v1/meetings", json=body, headers={"Authorization": f"Bearer {token}"}
        )
        return (time.perf_counter() - began) * 1000, response.status_code


async def one_run(sequential: int, burst: int, concurrency: int) -> dict[str, float]:
    async with running_tandem() as tandem:
        creator = Creator(people(tandem))
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        async with httpx.AsyncClient(base_url=tandem.url, timeout=60, limits=limits) as http:
            for _ in range(20):  # warm-up: connections, worker caches, SQLite pages
                await creator.create(http)
            latencies, errors = [], 0
            for _ in range(sequential):
                ms, status = await creator.create(http)
                latencies.append(ms)
                errors += status != 201

            queue = asyncio.Semaphore(concurrency)

            async def bounded() -> int:
                async with queue:
                    return (await creator.create(http))[1]

            began = time.perf_counter()
            statuses = await asyncio.gather(*(bounded() for _ in range(burst)))
            elapsed = time.perf_counter() - began
            errors += sum(s != 201 for s in statuses)
    return {
        "p50_ms": statistics.median(latencies),
        "p95_ms": percentile(latencies, 95),
        "per_second": burst / elapsed,
        "errors": errors,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sequential", type=int, default=300)
    parser.add_argument("--burst", type=int, default=1500)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    results = []
    for run in range(1, args.runs + 1):
        result = await one_run(args.sequential, args.burst, args.concurrency)
        results.append(result)
        print(
            f"run {run}: p50 {result['p50_ms']:.1f} ms  p95 {result['p95_ms']:.1f} ms  "
            f"sustained {result['per_second']:.1f} meetings/s  errors {result['errors']:.0f}",
            flush=True,
        )

    def median(key: str) -> float:
        return statistics.median(r[key] for r in results)

    print(
        f"median of {args.runs} runs: create p50 {median('p50_ms'):.1f} ms, "
        f"p95 {median('p95_ms'):.1f} ms over {args.sequential} sequential creates; sustained "
        f"{median('per_second'):.1f} meetings/s with {args.concurrency} in flight and one worker; "
        f"errors {sum(r['errors'] for r in results):.0f}"
    )


if __name__ == "__main__":
    asyncio.run(main())
