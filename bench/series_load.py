"""One worker holding many active weekly series (issue 3 budget: RSS <= 1.5 GB, reminders <= 2 s
late with 10,000 series).

Runs a scratch ``tandem up`` (one worker process), creates N weekly 1:1 series through the API
(each materialising its next four weeks as meeting workflows), then, with all of them alive:

* the worker's resident memory (peak and settled) and CPU time (while creating, and per minute
  once everything is idle);
* how late reminders fire: probe meetings whose reminders fall due one after another over a few
  minutes, each reminder's lateness measured against the moment it was due.

    python bench/series_load.py [--series 10000] [--concurrency 24] [--probes 40]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from harness import percentile, running_tandem
from sqlalchemy import select

from tandem.store import users
from tandem.store.db import Database
from tandem.store.schema import MeetingRow, NotificationRow

COACHES = 200


def worker_pid(up_pid: int) -> int:
    """The worker child of a ``tandem up`` process."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if int(stat[1]) == up_pid and "tandem.cli.main worker" in cmdline:
            return int(entry.name)
    raise SystemExit("no worker process found")


def rss_mb(pid: int) -> float:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0  # the worker has exited
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _person(handle: str, role: str) -> dict:
    return {
        "name": handle.title(),
        "email": f"{handle}@load.example",
        "timezone": "Europe/London",
        "roles": [role],
    }


def people(database: str, series: int) -> list[tuple[str, str]]:
    """(coach token, agent id) pairs, one pair per series (S2), written in one transaction."""
    db = Database(database)
    pairs, now = [], datetime.now(UTC)
    try:
        with db.writing() as session:
            coaches = [
                users.create_user(session, **_person(f"coach{c}", "supervisor"), now=now)[1]
                for c in range(COACHES)
            ]
            for i in range(series):
                agent, _ = users.create_user(session, **_person(f"agent{i}", "agent"), now=now)
                pairs.append((coaches[i % COACHES], agent.id))
    finally:
        db.dispose()
    return pairs


async def create_series(http: httpx.AsyncClient, pairs, concurrency: int, watch) -> float:
    gate = asyncio.Semaphore(concurrency)
    base = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
    done = 0

    async def one(i: int, token: str, agent_id: str) -> None:
        nonlocal done
        # Each coach's 1:1s take distinct half-hours of the working week, so every occurrence is
        # booked (none refused as a clash) and reminders are spread over the week too.
        coach, k = i % COACHES, i // COACHES
        starts = base + timedelta(days=k % 5, hours=8 + coach % 4, minutes=30 * (k // 5))
        body = {
            "participant_id": agent_id,
            "name": f"Weekly 1:1 #{i}",
            "starts_at": starts.isoformat(),
            "duration_minutes": 30,
            "timezone": "Europe/London",
            "recurrence": "weekly",
        }
        async with gate:
            for _ in range(5):
                response = await http.post(
                    "/v1/series", json=body, headers={"Authorization": f"Bearer {token}"}
                )
                if response.status_code == 201:
                    break
                await asyncio.sleep(1)
            else:
                raise SystemExit(f"series {i}: {response.status_code} {response.text}")
        done += 1
        if done % 500 == 0:
            watch(f"{done} series created")

    began = time.perf_counter()
    await asyncio.gather(*(one(i, t, a) for i, (t, a) in enumerate(pairs)))
    return time.perf_counter() - began


async def wait_materialised(database: str, expected: int, watch) -> int:
    db = Database(database)
    try:
        last = -1
        while True:
            count, clashes = await db.read(
                lambda s: (
                    s.query(MeetingRow).filter(MeetingRow.series_id.isnot(None)).count(),
                    s.query(NotificationRow).filter_by(kind="occurrence_clash").count(),
                )
            )
            if clashes:
                raise SystemExit(f"{clashes} occurrences clashed: the load is not what it claims")
            if count == last and count >= expected:
                return count
            if count != last:
                watch(f"{count} occurrences materialised")
            last = count
            await asyncio.sleep(10)
    finally:
        db.dispose()


async def reminder_lateness(http, database: str, probes: int) -> list[float]:
    """Probe 1:1s whose reminders fall due 20 s apart; lateness = written - due, in seconds."""
    db = Database(database)
    now = datetime.now(UTC)
    due = [now + timedelta(seconds=60 + 20 * k) for k in range(probes)]
    with db.writing() as session:
        # One facilitator per probe: the probes overlap, and nobody can be booked twice.
        probers = [
            users.create_user(session, **_person(f"prober{k}", "supervisor"), now=now)[1]
            for k in range(probes)
        ]
        agents = [
            users.create_user(session, **_person(f"probe{k}", "agent"), now=now)[0].id
            for k in range(probes)
        ]
    ids = []
    for prober, agent_id, reminder_at in zip(probers, agents, due, strict=True):
        response = await http.post(
            "/v1/meetings",
            json={
                "kind": "one_to_one",
                "name": "Probe",
                "participant_ids": [agent_id],
                "starts_at": (reminder_at + timedelta(hours=1)).isoformat(),
                "duration_minutes": 30,
            },
            headers={"Authorization": f"Bearer {prober}"},
        )
        response.raise_for_status()
        ids.append(response.json()["id"])
    await asyncio.sleep((due[-1] - datetime.now(UTC)).total_seconds() + 15)
    rows = await db.read(
        lambda s: s.execute(
            select(NotificationRow.meeting_id, NotificationRow.created_at).where(
                NotificationRow.meeting_id.in_(ids),
                NotificationRow.kind == "reminder",
                NotificationRow.user_id.in_(agents),
            )
        ).all()
    )
    db.dispose()
    written = dict(rows)
    missing = [mid for mid in ids if mid not in written]
    if missing:
        raise SystemExit(f"{len(missing)} reminders never fired")
    return [
        (written[mid] - reminder_at).total_seconds()
        for mid, reminder_at in zip(ids, due, strict=True)
    ]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=24)
    parser.add_argument("--probes", type=int, default=40)
    args = parser.parse_args()
    started = time.perf_counter()

    def watch(message: str) -> None:
        print(f"[{time.perf_counter() - started:7.0f} s] {message}", flush=True)

    async with running_tandem() as tandem:
        worker = worker_pid(tandem.process.pid)
        pairs = people(tandem.database, args.series)
        watch(f"{len(pairs)} pairs of people; worker pid {worker}, RSS {rss_mb(worker):.0f} MB")
        peak = 0.0

        async def sample() -> None:
            nonlocal peak
            while True:
                peak = max(peak, rss_mb(worker))
                await asyncio.sleep(1)

        sampler = asyncio.create_task(sample())
        cpu_before = cpu_seconds(worker)
        limits = httpx.Limits(max_connections=args.concurrency)
        async with httpx.AsyncClient(base_url=tandem.url, timeout=120, limits=limits) as http:
            took = await create_series(http, pairs, args.concurrency, watch)
            watch(f"all {args.series} series created in {took:.0f} s ({args.series / took:.1f}/s)")
            occurrences = await wait_materialised(tandem.database, 4 * args.series, watch)
            cpu_creating = cpu_seconds(worker) - cpu_before
            watch(f"{occurrences} occurrences; worker CPU while creating: {cpu_creating:.0f} s")

            idle_from = cpu_seconds(worker)
            await asyncio.sleep(60)
            idle_cpu = cpu_seconds(worker) - idle_from
            settled = rss_mb(worker)
            lateness = await reminder_lateness(http, tandem.database, args.probes)
        sampler.cancel()
        late = (statistics.median(lateness), percentile(lateness, 95), max(lateness))
        print(
            f"\n{args.series} active weekly series ({occurrences} occurrences), one worker:\n"
            f"  worker RSS: peak {peak:.0f} MB, settled {settled:.0f} MB (budget 1,536 MB)\n"
            f"  worker CPU: {cpu_creating:.0f} s while creating; {idle_cpu:.1f} s per idle minute\n"
            f"  reminders ({len(lateness)} probes): late by p50 {late[0]:.2f} s, "
            f"p95 {late[1]:.2f} s, max {late[2]:.2f} s (budget 2 s)"
        )


if __name__ == "__main__":
    asyncio.run(main())
