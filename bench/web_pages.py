"""Web pages' server time (issue 9 budget: p50 <= 50 ms for each page).

A scratch ``tandem up`` gets a facilitator with 200 upcoming 1:1s and one meeting with 50 agenda
topics, all made through the public API; a browser-like client signs in with the API token form
(cookie + CSRF, as a person does) and times, over loopback, GET of *My 1:1s* (the first page of
the facilitator's list over those 200 meetings), the meeting page with 50 agenda items, and the
authenticated ``GET /v1/users/me`` as a baseline measured in the same run.

    python bench/web_pages.py [--runs 100]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import time
from datetime import UTC, datetime, timedelta

import httpx
from harness import percentile, running_tandem

MEETINGS = 200
AGENDA_ITEMS = 50


async def _sign_in(url: str, token: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=url, timeout=30)
    form = (await client.get("/sign-in")).text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert csrf, "no CSRF field on the sign-in page"
    signed = await client.post("/sign-in/token", data={"token": token, "csrf_token": csrf[1]})
    assert signed.status_code in (200, 303), signed.text
    return client


async def _time(client: httpx.AsyncClient, path: str, runs: int) -> list[float]:
    for _ in range(5):  # warm caches and connections
        assert (await client.get(path)).status_code == 200, path
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        response = await client.get(path)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, path
    return samples


def _report(name: str, samples: list[float], baseline: list[float]) -> None:
    p50 = statistics.median(samples)
    print(
        f"{name:<34} p50 {p50:6.1f} ms  p95 {percentile(samples, 95):6.1f} ms  "
        f"{p50 / statistics.median(baseline):4.1f}x GET /v1/users/me"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100)
    args = parser.parse_args()
    async with running_tandem() as tandem:
        _, coach_token = tandem.add_user("Coach", "supervisor")
        report_id, _ = tandem.add_user("Report", "agent")
        auth = {"Authorization": f"Bearer {coach_token}"}
        start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
        async with httpx.AsyncClient(base_url=tandem.url, headers=auth, timeout=60) as api:
            ids = []
            for i in range(MEETINGS):
                created = await api.post(
                    "/v1/meetings",
                    json={
                        "kind": "one_to_one",
                        "name": f"1:1 number {i}",
                        "participant_ids": [report_id],
                        "starts_at": (start + timedelta(hours=i)).isoformat(),
                        "duration_minutes": 30,
                    },
                )
                assert created.status_code == 201, created.text
                ids.append(created.json()["id"])
            for i in range(AGENDA_ITEMS):
                added = await api.post(
                    f"/v1/meetings/{ids[0]}/agenda", json={"text": f"Topic {i}: how it went"}
                )
                assert added.status_code == 201, added.text
            baseline = await _time(api, "/v1/users/me", args.runs)
        browser = await _sign_in(tandem.url, coach_token)
        try:
            my_list = await _time(browser, "/meetings?tab=facilitator", args.runs)
            meeting = await _time(browser, f"/meetings/{ids[0]}", args.runs)
        finally:
            await browser.aclose()
    print(f"{args.runs} runs each; {MEETINGS} meetings, {AGENDA_ITEMS} agenda items")
    print(f"{'GET /v1/users/me (baseline)':<34} p50 {statistics.median(baseline):6.1f} ms")
    _report("My 1:1s (200 meetings)", my_list, baseline)
    _report("Meeting page (50 agenda items)", meeting, baseline)


if __name__ == "__main__":
    asyncio.run(main())
