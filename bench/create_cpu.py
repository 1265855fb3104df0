"""Server CPU per create, per process, paired against the bare-stack floor (issue 13 item 1).

Starts ``tandem up`` (Temporal dev server, one worker, the API, SQLite; ``--database URL`` puts the
worker and API on PostgreSQL instead, in a new schema) and, on the same dev server, a floor worker
(bench/floor_worker.py: update-with-start, one local activity, a timer). Then, on the fresh stack
and again once it holds ``--prefill`` meeting workflows, it runs bursts in turn (floor, Tandem,
Tandem, floor, ... ``--rounds`` pairs), each ``--burst`` creates with ``--concurrency`` in flight,
reading every process's CPU time (utime + stime from /proc) around the burst and for ``SETTLE``
seconds after it, so work a burst leaves behind (mail) is counted. The floor's client is this
process (its own CPU time during the floor burst); Tandem's is the API process.
Prints CPU-ms per create per process, the total, creates/s, and Tandem's ratios to the floor
(medians over the rounds). Usage:

    python bench/create_cpu.py [--prefill 5000] [--rounds 3] [--burst 600] [--concurrency 32]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

import httpx
from create_meetings import Creator, people
from floor_worker import FloorInput, FloorWorkflow
from harness import running_tandem
from payload_codec import _cpu_seconds, processes
from temporalio.client import Client, WithStartWorkflowOperation
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.contrib.pydantic import pydantic_data_converter

SETTLE = 2.0
FLOOR_QUEUE = "bench-floor"


def cpu_of(pids: dict[str, int]) -> dict[str, float]:
    return {role: _cpu_seconds(pid) for role, pid in pids.items()}


async def burst(make, n: int, concurrency: int, pids: dict[str, int], *, client: bool) -> dict:
    queue = asyncio.Semaphore(concurrency)

    async def bounded() -> bool:
        async with queue:
            return await make()

    before, own = cpu_of(pids), time.process_time()
    began = time.perf_counter()
    results = await asyncio.gather(*(bounded() for _ in range(n)))
    elapsed = time.perf_counter() - began
    own_spent = time.process_time() - own
    await asyncio.sleep(SETTLE)
    after = cpu_of(pids)
    figures = {role: (after[role] - before[role]) * 1000 / n for role in pids}
    if client:
        figures["client"] = own_spent * 1000 / n
    figures["total"] = sum(figures.values())
    figures["per_s"] = n / elapsed
    figures["errors"] = n - sum(results)
    return figures


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--prefill", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--burst", type=int, default=600)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--database", help="TANDEM_DATABASE_URL for the worker and API")
    args = parser.parse_args()
    env = None
    if args.database:  # in a schema of its own, dropped by hand afterwards if wanted
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        env = {"TANDEM_DATABASE_URL": args.database, "TANDEM_DATABASE_SCHEMA": schema}
        print(f"PostgreSQL schema {schema}", flush=True)
    async with running_tandem(env=env) as tandem:
        pids = processes(tandem)
        floor_proc = await asyncio.create_subprocess_exec(
            sys.executable, str(Path(__file__).with_name("floor_worker.py")),
            tandem.temporal, FLOOR_QUEUE, stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        await floor_proc.stdout.readline()
        client = await Client.connect(tandem.temporal, data_converter=pydantic_data_converter)
        creator = Creator(people(tandem))
        failures: Counter[int] = Counter()
        limits = httpx.Limits(
            max_connections=args.concurrency, max_keepalive_connections=args.concurrency
        )
        try:
            async with httpx.AsyncClient(base_url=tandem.url, timeout=60, limits=limits) as http:

                async def tandem_create() -> bool:
                    status = (await creator.create(http))[1]
                    if status != 201:
                        failures[status] += 1
                    return status == 201

                async def floor_create() -> bool:
                    name = uuid.uuid4().hex
                    await client.execute_update_with_start_workflow(
                        FloorWorkflow.create,
                        FloorInput(name=name),
                        start_workflow_operation=WithStartWorkflowOperation(
                            FloorWorkflow.run,
                            FloorInput(),
                            id=f"floor-{name}",
                            task_queue=FLOOR_QUEUE,
                            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                        ),
                        id="create",
                    )
                    return True

                floor_pids = {"temporal": pids["temporal"], "worker": floor_proc.pid}
                for _ in range(30):  # warm-up: connections, caches, SQLite pages
                    await tandem_create()
                    await floor_create()

                async def stage(label: str) -> None:
                    rows: dict[str, list[dict]] = {"floor": [], "tandem": []}
                    for r in range(args.rounds):
                        order = ("floor", "tandem") if r % 2 == 0 else ("tandem", "floor")
                        for which in order:
                            if which == "floor":
                                row = await burst(
                                    floor_create, args.burst, args.concurrency, floor_pids,
                                    client=True,
                                )  # fmt: skip
                            else:
                                row = await burst(
                                    tandem_create, args.burst, args.concurrency, pids,
                                    client=False,
                                )  # fmt: skip
                            rows[which].append(row)
                            print(f"  {label} {which:6} " + "  ".join(
                                f"{k} {v:.1f}" for k, v in row.items()), flush=True)  # fmt: skip
                    report(label, rows, args)

                await stage("fresh")
                if args.prefill:
                    began = time.perf_counter()
                    filled = creator.count
                    queue = asyncio.Semaphore(args.concurrency)

                    async def one() -> bool:
                        async with queue:
                            return await tandem_create()

                    results = await asyncio.gather(
                        *(one() for _ in range(max(0, args.prefill - filled)))
                    )
                    print(
                        f"prefilled to {creator.count} meeting workflows in "
                        f"{time.perf_counter() - began:.0f} s "
                        f"({len(results) - sum(results)} errors)",
                        flush=True,
                    )
                    await stage(f"{creator.count}-workflow")
                if failures:
                    print(f"non-201 answers (whole run, prefill included): {dict(failures)}")
        finally:
            floor_proc.terminate()
            await floor_proc.wait()


def report(label: str, rows: dict[str, list[dict]], args: argparse.Namespace) -> None:
    def med(which: str, key: str) -> float:
        return statistics.median(r[key] for r in rows[which] if key in r)

    f, t = "floor", "tandem"
    print(f"{label} stack, medians of {args.rounds} bursts of {args.burst} "
          f"({args.concurrency} in flight), CPU-ms per create:")  # fmt: skip
    print(
        f"  {'':10}{'Temporal':>10}{'worker':>10}{'API/client':>12}{'total':>10}{'creates/s':>11}"
    )
    for which, client_key in ((f, "client"), (t, "api")):
        print(
            f"  {which:10}{med(which, 'temporal'):10.1f}{med(which, 'worker'):10.1f}"
            f"{med(which, client_key):12.1f}{med(which, 'total'):10.1f}{med(which, 'per_s'):11.1f}"
        )
    ratio = {
        k: statistics.median(b[k] / a[k] for a, b in zip(rows[f], rows[t], strict=True))
        for k in ("temporal", "worker", "total")
    }
    ratio["api"] = statistics.median(
        b["api"] / a["client"] for a, b in zip(rows[f], rows[t], strict=True)
    )
    errors = sum(r["errors"] for r in rows[t])
    print(
        f"  tandem/floor: Temporal {ratio['temporal']:.2f}x  worker {ratio['worker']:.2f}x  "
        f"API/client {ratio['api']:.2f}x  total {ratio['total']:.2f}x;  tandem errors {errors:.0f}",
        flush=True,
    )


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    asyncio.run(main())
