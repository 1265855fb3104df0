"""What sealing Temporal payloads costs a create (issue 8 item 7; budget: at most 10 % on create
latency and on worker CPU).

Pairs, in turn, a ``tandem up`` stack with payload encryption off and one with it on (each in a
scratch folder), and on each: a warm-up, then N sequential creates (latency as the client sees
it) and a burst with C in flight, reading each process's CPU time from /proc around the burst.
Prints per pair the ratio on/off, then the medians. Usage:

    python bench/payload_codec.py [--pairs 3] [--sequential 200] [--burst 600] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
from pathlib import Path

import httpx
from create_meetings import Creator, people
from harness import Tandem, running_tandem

TICKS = os.sysconf("SC_CLK_TCK")
ROLES = {"temporal": "Temporal", "worker": "worker", "api": "API"}


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def _role(pid: int) -> str | None:
    words = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    if any(w.endswith(b"temporal") for w in words[:1]):
        return "temporal"
    for role in ("worker", "api"):
        if role.encode() in words:
            return role
    return None


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def processes(tandem: Tandem) -> dict[str, int]:
    return {role: pid for pid in _children(tandem.process.pid) if (role := _role(pid))}


async def one_stack(encrypted: bool, sequential: int, burst: int, concurrency: int) -> dict:
    env = {"TANDEM_PAYLOAD_ENCRYPTION": "true" if encrypted else "false"}
    async with running_tandem(env=env) as tandem:
        pids = processes(tandem)
        creator = Creator(people(tandem))
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        async with httpx.AsyncClient(base_url=tandem.url, timeout=60, limits=limits) as http:
            for _ in range(20):
                await creator.create(http)
            latencies = [(await creator.create(http))[0] for _ in range(sequential)]
            queue = asyncio.Semaphore(concurrency)

            async def bounded() -> int:
                async with queue:
                    return (await creator.create(http))[1]

            before = {role: _cpu_seconds(pid) for role, pid in pids.items()}
            statuses = await asyncio.gather(*(bounded() for _ in range(burst)))
            after = {role: _cpu_seconds(pid) for role, pid in pids.items()}
    assert all(s == 201 for s in statuses), "a create failed"
    cpu = {role: (after[role] - before[role]) * 1000 / burst for role in pids}
    return {"p50_ms": statistics.median(latencies), **{f"{r}_cpu_ms": v for r, v in cpu.items()}}


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--sequential", type=int, default=200)
    parser.add_argument("--burst", type=int, default=600)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    shape = (args.sequential, args.burst, args.concurrency)
    ratios: dict[str, list[float]] = {}
    figures: dict[str, dict[str, list[float]]] = {"off": {}, "on": {}}
    for n in range(1, args.pairs + 1):
        off = await one_stack(False, *shape)
        on = await one_stack(True, *shape)
        for name in off:
            ratios.setdefault(name, []).append(on[name] / off[name])
            figures["off"].setdefault(name, []).append(off[name])
            figures["on"].setdefault(name, []).append(on[name])
        row = "  ".join(f"{k} {off[k]:.2f} -> {on[k]:.2f} ({on[k] / off[k]:.3f})" for k in off)
        print(f"pair {n}: {row}", flush=True)
    print(f"medians over {args.pairs} pairs (off -> on, median ratio on/off):")
    for name, values in ratios.items():
        off, on = (statistics.median(figures[s][name]) for s in ("off", "on"))
        print(f"  {name:16} {off:7.2f} -> {on:7.2f}   ratio {statistics.median(values):.3f}")


if __name__ == "__main__":
    asyncio.run(main())
