"""Series (SPEC S1-S4) and ops (O1, A4) pages in the browser."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.async_api import expect

from tests.support import Stack, at, eventually
from tests.web.conftest import PHONE, OpenPage, screenshot


async def _upcoming(stack: Stack, series_id: str, token_of) -> list[dict]:
    answer = await stack.http.get(f"/v1/series/{series_id}/occurrences", headers=token_of.auth)
    return answer.json()["items"]


async def test_s1_s3_s4_create_a_series_see_it_delete_one_instance_and_end_it(
    stack: Stack, open_page: OpenPage
) -> None:
    manager = await stack.person("supervisor", tz="Europe/Paris")
    report = await stack.person("agent", name="Robin Report")
    page = await open_page(manager)
    await page.goto("/series")
    first = (datetime.now(ZoneInfo("Europe/Paris")) + timedelta(days=2)).replace(
        hour=9, minute=0, second=0, microsecond=0
    )
    form = page.locator("form[action='/series']")
    await form.get_by_label("Name").fill("Robin and me")
    await form.get_by_label("With").select_option(label=report.name)
    await form.get_by_label("First meeting (Europe/Paris)").fill(first.strftime("%Y-%m-%dT%H:%M"))
    await form.get_by_label("Repeats").select_option("biweekly")
    await form.get_by_role("button", name="Create series").click()
    await page.wait_for_url("**/series/*")
    series_id = page.url.rsplit("/", 1)[1]

    await expect(page.get_by_role("heading", name="Robin and me")).to_be_visible()
    rows = page.locator(".meeting-row")
    await expect(rows.first).to_contain_text(f"{first:%a %d %b %Y}, 09:00 (Europe/Paris)")
    second = first + timedelta(weeks=2)
    await expect(rows.nth(1)).to_contain_text(f"{second:%a %d %b %Y}, 09:00 (Europe/Paris)")
    await screenshot(page, "series")

    # S3: delete only the second occurrence; the others stay.
    await rows.nth(1).get_by_role("button", name="Delete this one").click()
    await page.wait_for_url(f"**/series/{series_id}")
    await expect(page.locator(".meeting-row").nth(1)).to_contain_text("deleted")
    statuses = [o["status"] for o in await _upcoming(stack, series_id, manager)]
    assert statuses[1] == "deleted" and statuses[0] != "deleted" and statuses[2] != "deleted"

    # S4: end it; no new occurrences are offered and the form to change it is gone.
    await page.get_by_label("Reason (optional)").fill("Robin moved teams")
    await page.get_by_role("button", name="End series").click()
    await page.wait_for_url(f"**/series/{series_id}")
    await expect(page.locator("h1 + p .badge")).to_have_text("ended")
    await expect(page.get_by_role("button", name="Save changes")).to_have_count(0)


async def test_s3_editing_from_the_next_occurrence_moves_the_later_ones(
    stack: Stack, open_page: OpenPage
) -> None:
    manager = await stack.person("supervisor")
    report = await stack.person("agent")
    series_id = (await stack.series(manager, report, name="Weekly catch-up"))["id"]
    page = await open_page(manager)
    await page.goto(f"/series/{series_id}")
    form = page.locator(f"form[action='/series/{series_id}/edit']")
    await form.get_by_label("Duration (minutes)").fill("45")
    await form.get_by_role("button", name="Save changes").click()
    await page.wait_for_url(f"**/series/{series_id}")
    await expect(page.locator("h1 + p")).to_contain_text("45 min")
    got = (await stack.http.get(f"/v1/series/{series_id}", headers=manager.auth)).json()
    assert got["duration_minutes"] == 45


async def test_s_a_series_of_someone_else_is_the_not_found_page(
    stack: Stack, open_page: OpenPage
) -> None:
    manager = await stack.person("supervisor")
    report = await stack.person("agent")
    outsider = await stack.person("supervisor")
    created = await stack.series(manager, report, name="Private pair")
    page = await open_page(outsider)
    hidden = await page.goto(f"/series/{created['id']}")
    missing_page = await open_page(outsider)
    missing = await missing_page.goto("/series/no-such-series")
    assert hidden is not None and missing is not None
    assert hidden.status == missing.status == 404
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        await missing_page.get_by_role("heading", level=1).inner_text()
    )
    await expect(page.locator("main")).not_to_contain_text("Private pair")


async def test_o1_a4_ops_find_a_meeting_and_read_its_history_without_content(
    stack: Stack, open_page: OpenPage
) -> None:
    coach = await stack.person("supervisor")
    agent = await stack.person("agent")
    ops = await stack.person("ops")
    meeting = await stack.one_to_one(coach, agent, name="Ops can find me", location="Room 7")
    moved = await stack.http.post(
        f"/v1/meetings/{meeting['id']}/reschedule",
        headers=coach.auth,
        json={"starts_at": at(days=4), "reason": "Clash with training"},
    )
    assert moved.status_code == 200, moved.text
    added = await stack.http.post(
        f"/v1/meetings/{meeting['id']}/agenda", headers=coach.auth, json={"text": "Secret topic"}
    )
    assert added.status_code == 201
    busy = await stack.person("supervisor", name="Busy Boss")
    await stack.one_to_one(busy, await stack.person("agent"), starts_at=at(days=4))
    refused = await stack.http.post(
        f"/v1/meetings/{meeting['id']}/reassign",
        headers=coach.auth,
        json={"facilitator_id": busy.id},
    )
    assert refused.status_code == 409, refused.text

    page = await open_page(ops)
    await page.get_by_role("link", name="Ops").click()
    await page.get_by_label("Meeting id or name").fill("can find")
    await page.get_by_role("button", name="Find").click()
    await page.get_by_role("link", name="History of Ops can find me").click()
    timeline = page.locator(".timeline")
    await expect(timeline).to_contain_text("Created")
    await expect(timeline).to_contain_text(f"by {coach.name}")
    await expect(timeline).to_contain_text("Reason: Clash with training")
    await expect(timeline).to_contain_text("Rescheduled")
    # From the workflow's Temporal history: the refused reassignment and why, in ops' terms.
    await expect(timeline).to_contain_text("Change refused")
    await expect(timeline).to_contain_text("Error: Busy Boss is busy")
    workflow = page.get_by_role("link", name=f"meeting-{meeting['id']}")
    await expect(workflow).to_have_attribute(
        "href",
        f"{stack.settings.temporal_ui_url}/namespaces/default/workflows/meeting-{meeting['id']}",
    )
    await expect(page.locator("main")).not_to_contain_text("Secret topic")
    await expect(page.locator("main")).not_to_contain_text("Room 7")
    await screenshot(page, "ops-history")


async def test_o1_people_without_ops_history_view_cannot_open_ops(
    stack: Stack, open_page: OpenPage
) -> None:
    coach = await stack.person("supervisor")
    page = await open_page(coach)
    await expect(page.get_by_role("link", name="Ops")).to_have_count(0)
    answer = await page.goto("/ops?q=anything")
    assert answer is not None and answer.status == 403


async def test_series_page_at_phone_width(stack: Stack, open_page: OpenPage) -> None:
    manager = await stack.person("supervisor")
    report = await stack.person("agent")
    await stack.series(manager, report, name="Phone-sized series", recurrence="monthly")
    page = await open_page(manager, viewport=PHONE)
    await page.goto("/series")
    await page.get_by_role("link", name="View Phone-sized series").click()
    await eventually(lambda: page.url.count("/series/") == 1)
    await screenshot(page, "series")
