"""What observability (SPEC O2) costs: CPU per created meeting in the API and the worker, with
metrics and INFO logs (a JSON line per request and per activity, Temporal's metrics forwarded
from the SDK's buffer, a worker metrics endpoint scraped every second) against none of it (no
worker metrics port, warnings only; the API's /metrics counters cannot be switched off, so
"off" still counts requests), in the same run on the same machine; and what one scrape of each
endpoint takes.

    python bench/observability.py [--runs 2] [--creates 400] [--concurrency 16]
        [--modes off,metrics,logs,on]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

import httpx
from create_meetings import Creator, people
from harness import cpu_seconds, running_tandem

# What each mode switches on: (worker metrics endpoint scraped every second, INFO logs).
MODES = {"off": (False, False), "metrics": (True, False), "logs": (False, True), "on": (True, True)}


async def one_run(mode: str, creates: int, concurrency: int) -> dict[str, float]:
    observed, logs = MODES[mode]
    extra = () if observed else ("--worker-metrics-port", "0")
    env = {"TANDEM_LOG_LEVEL": "info" if logs else "warning"}
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
    parser.add_argument(
        "--modes", default="off,on", help=f"comma-separated, from {', '.join(MODES)}"
    )
    args = parser.parse_args()
    modes = args.modes.split(",")
    results: dict[str, list[dict[str, float]]] = {mode: [] for mode in modes}
    for run in range(1, args.runs + 1):
        for mode in modes:  # interleaved: drift on a shared machine hits every mode
            result = await one_run(mode, args.creates, args.concurrency)
            results[mode].append(result)
            print(
                f"run {run} {mode}: CPU per create: "
                f"API {result['api_ms']:.2f} ms, worker {result['worker_ms']:.2f} ms; "
                f"scrape: worker {result['worker_scrape_ms']:.1f} ms, "
                f"API {result['api_scrape_ms']:.1f} ms; errors {result['errors']:.0f}",
                flush=True,
            )

    def median(mode: str, key: str) -> float:
        return statistics.median(r[key] for r in results[mode])

    base = modes[0]
    for role in ("api", "worker"):
        print(
            f"{role}, CPU per create (median of {args.runs}): "
            + ", ".join(
                f"{mode} {median(mode, f'{role}_ms'):.2f} ms "
                f"({median(mode, f'{role}_ms') / median(base, f'{role}_ms'):.2f}x)"
                for mode in modes
            )
        )


if __name__ == "__main__":
    asyncio.run(main())
