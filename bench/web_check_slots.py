"""Click on *Check* to slots drawn, in Chromium (web coaching budget: p50 <= 300 ms, one agent
over a week).

Starts a scratch ``tandem up``, makes a supervisor and an agent in one division, loads next
week's demo WFM schedule and staffing (tandem.cli.demo_wfm) through the real import API, signs in
the supervisor in headless Chromium (/usr/bin/chromium), opens /coaching, picks the agent and the
week, then times click on Check -> the htmx answer swapped in and the next frame painted, inside
the page (performance.now()), over ``--runs`` clicks after 3 warm-up ones. Also prints how much of
that was the POST /coaching/check request itself (Resource Timing).

    python bench/web_check_slots.py [--runs 20]
    python bench/web_check_slots.py --url http://127.0.0.1:8000 --token <supervisor token> \\
        --agent "Agent name"        # against a running ``tandem up --demo``
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
from harness import percentile, running_tandem
from playwright.async_api import Page, async_playwright

from tandem.cli.demo_wfm import demo_schedule, demo_staffing, monday

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
UNIT, ZONE = "bench-web", "Europe/London"

# Clears the results, clicks Check, and resolves once the new slots (or "no time fits") are in
# the DOM and a frame has been painted: what a person sees.
MEASURE = """async () => {
    const results = document.querySelector('#results');
    results.innerHTML = '';
    performance.clearResourceTimings();
    const began = performance.now();
    const drawn = new Promise(resolve => {
        const watch = new MutationObserver(() => {
            if (results.querySelector('.slot, .empty')) {
                watch.disconnect();
                requestAnimationFrame(() => setTimeout(() => resolve(performance.now()), 0));
            }
        });
        watch.observe(results, {childList: true, subtree: true});
    });
    document.querySelector('#check').click();
    const ended = await drawn;
    const request = performance.getEntriesByType('resource')
        .find(entry => entry.name.endsWith('/coaching/check'));
    return [ended - began, request ? request.responseEnd - request.startTime : -1,
            results.querySelectorAll('.slot').length, results.querySelectorAll('rect').length];
}"""


@contextlib.asynccontextmanager
async def scratch() -> AsyncIterator[tuple[str, str, str, str]]:
    """(url, supervisor token, agent name, week) on a fresh ``tandem up`` with WFM data."""
    async with running_tandem() as tandem, httpx.AsyncClient(base_url=tandem.url) as http:
        _, token = tandem.add_user("Coach", "supervisor", divisions=["bench"], timezone=ZONE)
        agent_id, _ = tandem.add_user("Agent Ada", "agent", divisions=["bench"], timezone=ZONE)
        _, planner = tandem.add_user("Planner", "quality_manager", divisions=["bench"])
        headers = {"Authorization": f"Bearer {planner}"}
        week = monday(datetime.now(UTC).date()) + timedelta(days=7)
        for path, body in (
            ("/v1/wfm/schedules", demo_schedule([agent_id], UNIT, ZONE, week)),
            ("/v1/wfm/staffing", demo_staffing(UNIT, ZONE, week)),
        ):
            answer = await http.put(path, json=body, headers=headers, timeout=60)
            if answer.is_error:
                raise SystemExit(f"{path}: {answer.status_code} {answer.text}")
        yield tandem.url, token, "Agent Ada", week.isoformat()


async def prepare(page: Page, token: str, agent: str, week: str) -> None:
    await page.goto("/sign-in")
    await page.get_by_label("API token", exact=True).fill(token)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url("**/meetings")
    await page.goto("/coaching")
    await page.get_by_role("checkbox", name=agent).check()
    await page.get_by_label("Week of").fill(week)


async def measure(url: str, token: str, agent: str, week: str, runs: int) -> None:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = await browser.new_context(base_url=url, viewport={"width": 1280, "height": 800})
        page = await context.new_page()
        await prepare(page, token, agent, week)
        samples = []
        for run in range(runs + 3):
            sample = await page.evaluate(MEASURE)
            if run >= 3:
                samples.append(sample)
        await browser.close()
    total = [s[0] for s in samples]
    request = [s[1] for s in samples if s[1] >= 0]
    print(
        f"click on Check -> slots drawn, 1 agent + facilitator, one week, {runs} runs: "
        f"p50 {statistics.median(total):.0f} ms  p95 {percentile(total, 95):.0f} ms  "
        f"(POST /coaching/check p50 {statistics.median(request):.0f} ms; "
        f"{samples[-1][2]} slots, {samples[-1][3]} SVG bars)  budget 300 ms"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--url", help="a running Tandem (default: start a scratch one)")
    parser.add_argument("--token", help="with --url: a supervisor's API token")
    parser.add_argument("--agent", help="with --url: the agent's name as listed on /coaching")
    parser.add_argument("--week", help="with --url: any day of the week (default: next week)")
    args = parser.parse_args()
    if args.url:
        if not (args.token and args.agent):
            parser.error("--url needs --token and --agent")
        week = args.week or (monday(datetime.now(UTC).date()) + timedelta(days=7)).isoformat()
        await measure(args.url, args.token, args.agent, week, args.runs)
        return
    async with scratch() as (url, token, agent, week):
        await measure(url, token, agent, week, args.runs)


if __name__ == "__main__":
    asyncio.run(main())
