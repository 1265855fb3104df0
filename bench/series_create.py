"""Creating a recurring 1:1 through the HTTP API: p50 and p95 of POST /v1/series.

Since issue 7 the answer comes after the occurrences of the next four weeks are booked (so an
immediate GET lists them); this measures what that costs. Each create is a new pair of people
(one active series per pair, S2), weekly from tomorrow in Europe/London.

    python bench/series_create.py [--runs 40]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from datetime import UTC, datetime, timedelta

import httpx
from harness import percentile, running_tandem


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    start = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(days=1)
    async with running_tandem() as tandem:
        pairs = [
            (
                tandem.add_user(f"Lead {i}", "supervisor")[1],
                tandem.add_user(f"Report {i}", "agent")[0],
            )
            for i in range(args.runs + 3)
        ]
        samples = []
        async with httpx.AsyncClient(base_url=tandem.url, timeout=60) as http:
            for i, (token, report_id) in enumerate(pairs):
                began = time.perf_counter()
                created = await http.post(
                    "/v1/series",
                    headers={"Authorization": f"Bearer {token}"},
                    json={
                        "participant_id": report_id,
                        "name": f"Series {i}",
                        "starts_at": (start + timedelta(minutes=30 * i)).isoformat(),
                        "duration_minutes": 30,
                        "timezone": "Europe/London",
                        "recurrence": "weekly",
                    },
                )
                elapsed = (time.perf_counter() - began) * 1000
                assert created.status_code == 201, created.text
                if i >= 3:  # the first few warm the worker and the caches
                    samples.append(elapsed)
    print(
        f"POST /v1/series, {len(samples)} runs: p50 {statistics.median(samples):.1f} ms, "
        f"p95 {percentile(samples, 95):.1f} ms"
    )


if __name__ == "__main__":
    asyncio.run(main())
