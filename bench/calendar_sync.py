"""Calendar sync (issue 10): what one pass over a connected CalDAV calendar costs, and what
the worker holds for many connections.

A real ``tandem up`` and a real Radicale on loopback. The calendar holds 2,000 events, one
object each (50 of them weekly 1:1s with 50 agents, imported as series; the rest one-off
events with someone outside Tandem). Passes run in this process through the same use case the
worker's activity calls, against the stack's database and Temporal, so their time, CPU and
bytes are the pass's own:

- unchanged: the calendar is as it was (budget: one request, <= 50 ms);
- one occurrence moved: a RECURRENCE-ID override added to one series' event, applied through
  the normal reschedule (budget: <= 1 s for the pass that sees it).

Then 500 connections of a small calendar: the worker's resident memory before and after their
sync workflows have started and made their first pass.

    .venv/bin/python bench/calendar_sync.py [--events 2000] [--recurring 50] [--runs 15]
        [--connections 500]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness import Tandem, running_tandem

from tandem.calendars.sources import CTAG_QUERY
from tandem.observability.metrics import CALENDAR_BYTES, CALENDAR_REQUESTS
from tandem.settings import Settings
from tandem.store.db import Database
from tandem.usecases.calendar_sync import sync
from tandem.usecases.context import Services
from tandem.usecases.temporal import connect
from tests.calendars.ics import calendar, event, next_monday
from tests.calendars.servers import Radicale, radicale

PASSWORD = "bench-pass"
ALLOWED = "127.0.0.0/8"
LONDON = ZoneInfo("Europe/London")  # the zone tests.calendars.ics writes times in


def _requests() -> float:
    return sum(
        sample.value
        for metric in CALENDAR_REQUESTS.collect()
        for sample in metric.samples
        if sample.name.endswith("_total")
    )


def _bytes() -> float:
    return next(
        s.value for m in CALENDAR_BYTES.collect() for s in m.samples if s.name.endswith("_total")
    )


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def _put_all(url: str, objects: dict[str, str]) -> None:
    async with httpx.AsyncClient(auth=("sam", PASSWORD), timeout=60) as http:
        limit = asyncio.Semaphore(8)

        async def put(uid: str, text: str) -> None:
            async with limit:
                answer = await http.put(
                    f"{url}{uid}.ics",
                    content=text.encode(),
                    headers={"Content-Type": "text/calendar; charset=utf-8"},
                )
                answer.raise_for_status()

        await asyncio.gather(*(put(uid, text) for uid, text in objects.items()))


def _write_collection(folder: Path, objects: dict[str, str]) -> None:
    """The whole calendar written straight into Radicale's folder, one file per object (as
    an edit made outside Radicale: it notices, and rebuilds its item cache at the first read).
    Minutes faster than uploading it, which the bench does not measure."""
    for uid, text in objects.items():
        (folder / f"{uid}.ics").write_bytes(text.encode())


def _propfind(*props: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:" '
        f'xmlns:CS="http://calendarserver.org/ns/"><D:prop>{"".join(props)}</D:prop></D:propfind>'
    ).encode()


async def _alone(url: str, runs: int) -> None:
    """What Radicale takes for the requests an unchanged poll could make, outside Tandem,
    interleaved: the ctag Tandem asks for, and the alternatives (RFC 6578's sync-token, by
    PROPFIND or as a sync-collection REPORT that lists only what changed; the collection's
    getlastmodified; resourcetype, which Radicale answers without reading the items)."""
    async with httpx.AsyncClient(auth=("sam", PASSWORD), timeout=60) as dav:
        answer = await dav.request(
            "PROPFIND", url, headers={"Depth": "0"}, content=_propfind("<D:sync-token/>")
        )
        token = answer.text.split("sync-token>", 1)[1].split("<", 1)[0]
        asks = {
            "ctag PROPFIND (Tandem's)": ("PROPFIND", "0", CTAG_QUERY),
            "sync-token PROPFIND": ("PROPFIND", "0", _propfind("<D:sync-token/>")),
            "sync-collection REPORT": ("REPORT", "1", (
                '<?xml version="1.0" encoding="utf-8"?><D:sync-collection xmlns:D="DAV:">'
                f"<D:sync-token>{token}</D:sync-token><D:sync-level>1</D:sync-level>"
                "<D:prop><D:getetag/></D:prop></D:sync-collection>"
            ).encode()),
            "getlastmodified PROPFIND": ("PROPFIND", "0", _propfind("<D:getlastmodified/>")),
            "resourcetype PROPFIND": ("PROPFIND", "0", _propfind("<D:resourcetype/>")),
        }  # fmt: skip
        took: dict[str, list[float]] = {name: [] for name in asks}
        for _ in range(runs):
            for name, (method, depth, body) in asks.items():
                began = time.perf_counter()
                answer = await dav.request(method, url, headers={"Depth": depth}, content=body)
                took[name].append((time.perf_counter() - began) * 1000)
                answer.raise_for_status()
        for name, times in took.items():
            print(f"  Radicale alone: {name:<26} wall p50 {statistics.median(times):8.1f} ms")


_WAITING = [0.0]
"""Seconds spent awaiting calendar servers' answers (exchanges), summed over the process."""


def _count_waiting() -> None:
    """Time every calendar exchange, so a pass's own wall time can be told from the server's."""
    from tandem.calendars import sources

    plain = sources.exchange

    async def exchange(guard, method, url, **kwargs):
        began = time.perf_counter()
        try:
            return await plain(guard, method, url, **kwargs)
        finally:
            _WAITING[0] += time.perf_counter() - began

    sources.exchange = exchange


async def _pass(svc: Services, connection_id: str) -> tuple[float, ...]:
    """(wall ms, CPU ms of this process, requests, bytes, wall ms not spent awaiting the
    calendar server) of one sync pass."""
    requests, read, waited = _requests(), _bytes(), _WAITING[0]
    wall, cpu = time.perf_counter(), time.process_time()
    await sync(svc, connection_id)
    wall = time.perf_counter() - wall
    return (
        wall * 1000,
        (time.process_time() - cpu) * 1000,
        _requests() - requests,
        _bytes() - read,
        (wall - (_WAITING[0] - waited)) * 1000,
    )


async def _booked_second(
    http: httpx.AsyncClient, series_id: str, planned: datetime | None = None
) -> datetime:
    """Without ``planned``: the planned start of the series' second occurrence, once its
    meeting is booked (an override of one not booked yet waits for it). With it: where the
    meeting planned then starts now."""
    for _ in range(600):
        items = (await http.get(f"/v1/series/{series_id}/occurrences")).json()["items"]
        if planned is not None:
            return next(
                datetime.fromisoformat(o["starts_at"])
                for o in items
                if datetime.fromisoformat(o["planned_starts_at"]) == planned
            )
        if items[1]["materialised"]:
            return datetime.fromisoformat(items[1]["planned_starts_at"])
        await asyncio.sleep(0.1)
    raise AssertionError(f"the second occurrence of {series_id} was never booked")


def _report(name: str, runs: list[tuple[float, ...]]) -> None:
    wall, cpu, requests, read, own = (statistics.median(r[i] for r in runs) for i in range(5))
    print(
        f"{name:<28} wall p50 {wall:8.1f} ms (without the server's answers {own:6.1f} ms)   "
        f"CPU p50 {cpu:8.1f} ms   requests {requests:4.0f}   bytes {read:10,.0f}   "
        f"(n={len(runs)})"
    )


def _traced() -> None:
    """Each calendar request's method, wall time and size, printed as it ends."""
    from tandem.calendars import sources
    from tandem.usecases import lifecycle

    plain = sources.exchange

    async def exchange(guard, method, url, **kwargs):
        began = time.perf_counter()
        answer = await plain(guard, method, url, **kwargs)
        took = (time.perf_counter() - began) * 1000
        print(f"  {method:<9} {took:7.1f} ms  {len(answer.body):9,} B  {answer.status}")
        return answer

    sources.exchange = exchange
    moving = lifecycle.reschedule_meeting

    async def reschedule(*args, **kwargs):
        began = time.perf_counter()
        reply = await moving(*args, **kwargs)
        print(f"  reschedule {(time.perf_counter() - began) * 1000:6.1f} ms  {reply.status}")
        return reply

    lifecycle.reschedule_meeting = reschedule


async def main(args: argparse.Namespace) -> None:
    _count_waiting()
    if args.trace:
        _traced()
    env = {"TANDEM_CALENDAR_ALLOWED_NETWORKS": ALLOWED, "TANDEM_CALENDAR_SYNC_SECONDS": "86400"}
    with (
        tempfile.TemporaryDirectory() as folder,
        radicale(Path(folder), {"sam": PASSWORD}) as server,
    ):
        async with running_tandem(env=env) as tandem:
            await _bench(args, tandem, server, Path(folder))


async def _bench(args: argparse.Namespace, tandem: Tandem, server: Radicale, folder: Path) -> None:
    _, sam = tandem.add_user("Sam Bench", "supervisor")
    sam_email = "sam.bench@bench.example"
    agents = [tandem.add_user(f"Agent {n}", "agent")[0] for n in range(args.recurring)]
    monday = next_monday().replace(hour=8)
    url = server.calendar("sam", PASSWORD, "work")
    objects: dict[str, str] = {}
    for n in range(args.recurring):
        start = monday + timedelta(days=n % 5, minutes=30 * (n // 5))
        objects[f"weekly-{n}"] = calendar(
            event(
                f"weekly-{n}", f"1:1 {n}", start, "RRULE:FREQ=WEEKLY",
                f"ORGANIZER:mailto:{sam_email}", f"ATTENDEE:mailto:agent.{n}@bench.example",
            )
        )  # fmt: skip
    for n in range(args.events - args.recurring):
        start = monday + timedelta(days=(n % 120) - 60, hours=n % 9)
        objects[f"once-{n}"] = calendar(
            event(f"once-{n}", f"Meeting {n}", start, "ATTENDEE:mailto:x@elsewhere.example")
        )
    began = time.perf_counter()
    here = folder / "collections" / "collection-root" / "sam" / "work"
    kept = (
        Path(args.cache) / f"{monday:%Y%m%d}-{args.events}-{args.recurring}" if args.cache else None
    )
    if kept is not None and kept.is_dir():
        shutil.copytree(kept, here, dirs_exist_ok=True)
    else:
        _write_collection(here, objects)
    async with httpx.AsyncClient(auth=("sam", PASSWORD), timeout=1800) as dav:
        # Radicale parses every object into its cache at the first read after the edit.
        warm = await dav.request("PROPFIND", url, headers={"Depth": "0"}, content=CTAG_QUERY)
        warm.raise_for_status()
    if kept is not None and not kept.is_dir():
        shutil.copytree(here, kept)
    print(f"calendar: {args.events} objects ({args.recurring} weekly 1:1s) ready in "
          f"{time.perf_counter() - began:.1f} s")  # fmt: skip

    headers = {"Authorization": f"Bearer {sam}"}
    async with httpx.AsyncClient(base_url=tandem.url, headers=headers, timeout=120) as http:
        made = await http.post(
            "/v1/calendars",
            json={"kind": "caldav", "url": url, "username": "sam", "password": PASSWORD},
        )
        made.raise_for_status()
        cid = made.json()["id"]
        answer = await http.get(f"/v1/calendars/{cid}/candidates")
        answer.raise_for_status()
        found = answer.json()["items"]
        imported = await http.post(
            f"/v1/calendars/{cid}/import", json={"candidate_ids": [c["id"] for c in found]}
        )
        imported.raise_for_status()
        series = {
            c["uid"]: i["series_id"] for c, i in zip(found, imported.json()["items"], strict=True)
        }
        print(f"imported {len(series)} series for {len(agents)} agents")

        settings = Settings(
            data_dir=tandem.data_dir,
            temporal_address=tandem.temporal,
            calendar_allowed_networks=ALLOWED,
        )
        db = Database(settings.database)
        client = await connect(settings)
        svc = Services.connected(settings, db, client)
        try:
            await sync(svc, cid)  # agree on everything imported
            await _alone(url, args.runs)
            _report("unchanged calendar", [await _pass(svc, cid) for _ in range(args.runs)])
            moved = []
            profile = cProfile.Profile() if args.profile else None
            for n, uid in enumerate(sorted(series)[: args.moves]):
                second = await _booked_second(http, series[uid])
                # To a free afternoon slot: Sam's 1:1s fill the mornings, and a move onto one of
                # them would be refused as a clash (and tried again at every pass).
                wall = second.astimezone(LONDON).replace(tzinfo=None, hour=15, minute=0)
                wall += timedelta(minutes=40 * n)
                override = event(
                    uid, f"1:1 {uid}", wall,
                    f"RECURRENCE-ID:{second.astimezone(UTC):%Y%m%dT%H%M%SZ}",
                    f"ORGANIZER:mailto:{sam_email}",
                )  # fmt: skip
                body = objects[uid].replace(
                    "END:VCALENDAR", override.replace("\n", "\r\n") + "\r\nEND:VCALENDAR"
                )
                await _put_all(url, {uid: body})
                if profile is not None:
                    profile.enable()
                moved.append(await _pass(svc, cid))
                if profile is not None:
                    profile.disable()
                now = await _booked_second(http, series[uid], planned=second)
                expected = wall.replace(tzinfo=LONDON)
                assert now == expected, f"{uid}: the move was not applied ({now} != {expected})"
            _report("one occurrence moved", moved)
            if profile is not None:
                profile.dump_stats(args.profile)
        finally:
            db.dispose()

        if not args.connections:
            return
        worker = tandem.children()["worker"]
        small = server.calendar("sam", PASSWORD, "small")
        await _put_all(small, {"e": calendar(event("e", "E", monday))})
        before = _rss_mib(worker)
        for n in range(args.connections):
            answer = await http.post(
                "/v1/calendars",
                json={"kind": "caldav", "url": small, "username": "sam", "password": PASSWORD,
                      "name": f"c{n}"},
            )  # fmt: skip
            answer.raise_for_status()
        await asyncio.sleep(10)  # their first passes
        after = _rss_mib(worker)
        print(
            f"worker RSS: {before:.0f} MiB before, {after:.0f} MiB with {args.connections} more "
            f"connections ({(after - before) * 1024 / args.connections:.0f} KiB each)"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--recurring", type=int, default=50)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--moves", type=int, default=7)
    parser.add_argument("--connections", type=int, default=500)
    parser.add_argument(
        "--cache", help="keep the calendar's Radicale folder here for later runs (same week)"
    )
    parser.add_argument("--profile", help="cProfile the moved passes into this file")
    parser.add_argument("--trace", action="store_true", help="print each calendar request's time")
    asyncio.run(main(parser.parse_args()))
