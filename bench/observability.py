"""What observability (SPEC O2) costs: CPU per created meeting in the API and the worker, with
metrics and INFO logs (a JSON line per request and per activity, Temporal's metrics forwarded
from the SDK's buffer, a worker metrics endpoint scraped every second) against none of it (no
worker metrics port, warnings only; the API's /metrics counters cannot be switched off, so
"off" still counts requests), in the same run on the same machine; and what one scrape of each
endpoint takes.

    python bench/observability.py [--runs 2] [--creates 400] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

import httpx
from create_meetings import Creator, people
from harness import cpu_seconds, running_tandem


async def one_run(observed: bool, creates: int, concurrency: int) -> dict[str, float]:
    extra = () if observed else ("--worker-metrics-port", "0")
    env = {"TANDEM_LOG_LEVEL": "info" if observed else "warning"}
    async with running_tandem(*extra, env=env) as tandem:
        creator = Creator(people(tandem))
        children = tandem.children()
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        async with httpx.AsyncClient(base_url=tandem.url, timeout=60, limits=limits) as http:
            for _ in range(20):
                await creator.create(http)
            cpu = {role: cpu_seconds(children[role]) for role in ("api", "worker")}
            stop = asyncio.Event()
            scrapes: list[float] = []

            async def scraping() -> None:
                url = f"http://127.0.0.1:{tandem.worker_metrics_port}/metrics"
                while observed and not stop.is_set():
                    began = time.perf_counter()
                    (await http.get(url)).raise_for_status()
                    scrapes.append((time.perf_counter() - began) * 1000)
                    await asyncio.sleep(1)

            scraper = asyncio.create_task(scraping())
            queue = asyncio.Semaphore(concurrency)

            async def bounded() -> int:
                async with queue:
                    return (await creator.create(http))[1]

            statuses = await asyncio.gather(*(bounded() for _ in range(creates)))
            stop.set()
            await scraper
            used = {role: cpu_seconds(children[role]) - cpu[role] for role in cpu}
            began = time.perf_counter()
            (await http.get("/metrics")).raise_for_status()
            api_scrape = (time.perf_counter() - began) * 1000
    return {
        "api_ms": used["api"] / creates * 1000,
        "worker_ms": used["worker"] / creates * 1000,
        "errors": sum(s != 201 for s in statuses),
        "worker_scrape_ms": statistics.median(scrapes) if scrapes else 0.0,
        "api_scrape_ms": api_scrape,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--creates", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    results: dict[bool, list[dict[str, float]]] = {True: [], False: []}
    for run in range(1, args.runs + 1):
        for observed in (False, True):  # interleaved: drift on a shared machine hits both
            result = await one_run(observed, args.creates, args.concurrency)
            results[observed].append(result)
            print(
                f"run {run} {'on ' if observed else 'off'}: CPU per create: "
                f"API {result['api_ms']:.2f} ms, worker {result['worker_ms']:.2f} ms; "
                f"scrape: worker {result['worker_scrape_ms']:.1f} ms, "
                f"API {result['api_scrape_ms']:.1f} ms; errors {result['errors']:.0f}",
                flush=True,
            )

    def median(observed: bool, key: str) -> float:
        return statistics.median(r[key] for r in results[observed])

    for role in ("api", "worker"):
        off, on = median(False, f"{role}_ms"), median(True, f"{role}_ms")
        print(
            f"{role}: {off:.2f} ms CPU per create without, {on:.2f} ms with metrics and logs "
            f"({on / off:.2f}x)"
        )


if __name__ == "__main__":
    asyncio.run(main())
