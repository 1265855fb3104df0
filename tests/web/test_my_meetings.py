"""My 1:1s in the browser (SPEC A6, M4, M6, M11): the tabs each person has, the actions each
row offers, pagination, and scheduling a 1:1 from the page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.async_api import expect

from tests.support import Stack, at
from tests.web.conftest import PHONE, OpenPage, screenshot


async def test_a6_facilitators_have_both_lists_agents_only_the_participant_one(
    stack: Stack, open_page: OpenPage
) -> None:
    coach = await stack.person("supervisor")
    agent = await stack.person("agent")
    meeting = await stack.one_to_one(coach, agent, name="Quarterly goals")

    page = await open_page(coach)
    tabs = page.get_by_role("navigation", name="Meeting lists")
    await expect(tabs.get_by_role("link", name="I'm the facilitator")).to_have_attribute(
        "aria-current", "page"
    )
    row = page.locator(".meeting-row", has_text="Quarterly goals")
    await expect(row).to_contain_text(f"with {agent.name}")
    await expect(row.get_by_role("link", name="View Quarterly goals")).to_have_attribute(
        "href", f"/meetings/{meeting['id']}"
    )

    mine = await open_page(agent)
    tabs = mine.get_by_role("navigation", name="Meeting lists")
    await expect(tabs.get_by_role("link", name="I'm the facilitator")).to_have_count(0)
    row = mine.locator(".meeting-row", has_text="Quarterly goals")
    await expect(row).to_contain_text(f"facilitated by {coach.name}")
    # M4/M6: the participant may neither start nor delete the facilitator's meeting.
    await expect(row.get_by_role("button")).to_have_count(0)


async def test_m4_m6_each_row_offers_what_its_status_allows(
    stack: Stack, open_page: OpenPage
) -> None:
    coach = await stack.person("supervisor")
    agent = await stack.person("agent")
    await stack.one_to_one(coach, agent, name="Starts from the list")
    await stack.one_to_one(coach, agent, name="Deleted from the list", starts_at=at(days=3))
    page = await open_page(coach)

    started = page.locator(".meeting-row", has_text="Starts from the list")
    await started.get_by_role("button", name="Start Starts from the list").click()
    await page.wait_for_url("**/meetings/*")
    await page.goto("/meetings")
    started = page.locator(".meeting-row", has_text="Starts from the list")
    await expect(started).to_contain_text("in progress")
    await expect(started.get_by_role("button", name="Start Starts from the list")).to_have_count(0)

    doomed = page.locator(".meeting-row", has_text="Deleted from the list")
    await doomed.get_by_role("button", name="Delete Deleted from the list").click()
    await page.wait_for_url("**/meetings")
    await expect(page.locator(".meeting-row", has_text="Deleted from the list")).to_have_count(0)
    # M6: the participant is told it was cancelled.
    listed = await stack.http.get("/v1/notifications", headers=agent.auth)
    assert any(n["kind"] == "deleted" for n in listed.json()["items"]), listed.json()


async def test_m11_a_past_meeting_is_archived_and_unarchived_from_its_row(
    stack: Stack, open_page: OpenPage
) -> None:
    coach = await stack.person("supervisor")
    agent = await stack.person("agent")
    meeting = await stack.one_to_one(coach, agent, name="Over and done")
    for step in ("start", "complete"):
        answer = await stack.http.post(f"/v1/meetings/{meeting['id']}/{step}", headers=coach.auth)
        assert answer.status_code == 200, answer.text
    page = await open_page(coach)
    row = page.locator(".meeting-row", has_text="Over and done")
    await row.get_by_role("button", name="Archive Over and done").click()
    await page.wait_for_url("**/meetings")
    await expect(page.locator(".meeting-row", has_text="Over and done")).to_have_count(0)

    await page.get_by_role("link", name="Archived").click()
    row = page.locator(".meeting-row", has_text="Over and done")
    await row.get_by_role("button", name="Unarchive Over and done").click()
    await page.wait_for_url("**/meetings?tab=archived")
    await expect(page.locator(".meeting-row", has_text="Over and done")).to_have_count(0)


async def test_a6_the_list_is_paginated(stack: Stack, open_page: OpenPage) -> None:
    coach = await stack.person("supervisor")
    agent = await stack.person("agent")
    base = datetime.now(UTC) + timedelta(days=1)
    for i in range(27):
        await stack.one_to_one(
            coach, agent, name=f"Numbered {i:02d}", starts_at=at(hours=i, base=base)
        )
    page = await open_page(coach)
    await expect(page.locator(".meeting-row")).to_have_count(25)
    await expect(page.locator(".meeting-row").first).to_contain_text("Numbered 00")
    await page.get_by_role("link", name="Next page").click()
    await expect(page.locator(".meeting-row")).to_have_count(2)
    await expect(page.locator(".meeting-row").last).to_contain_text("Numbered 26")


async def test_scheduling_a_1_1_reads_the_time_in_the_viewers_zone(
    stack: Stack, open_page: OpenPage
) -> None:
    coach = await stack.person("supervisor", tz="America/New_York")
    agent = await stack.person("agent", name="Pat Participant-Zone")
    page = await open_page(coach)
    when = (datetime.now(ZoneInfo("America/New_York")) + timedelta(days=5)).replace(
        hour=9, minute=30, second=0, microsecond=0
    )
    form = page.locator("form[action='/meetings']")
    await form.get_by_label("Name").fill("Career chat")
    await form.get_by_label("With").select_option(label=agent.name)
    await form.get_by_label("Starts (America/New_York)").fill(when.strftime("%Y-%m-%dT%H:%M"))
    await form.get_by_role("button", name="Schedule").click()
    await page.wait_for_url("**/meetings/*")

    meeting_id = page.url.rsplit("/", 1)[1]
    stored = (await stack.http.get(f"/v1/meetings/{meeting_id}", headers=coach.auth)).json()
    assert datetime.fromisoformat(stored["starts_at"]) == when
    assert stored["participant_ids"] == [agent.id]


async def test_a_refused_schedule_keeps_what_was_typed_and_says_why(
    stack: Stack, open_page: OpenPage
) -> None:
    coach = await stack.person("supervisor")
    agent = await stack.person("agent")
    page = await open_page(coach)
    form = page.locator("form[action='/meetings']")
    await form.get_by_label("Name").fill("Yesterday's chat")
    await form.get_by_label("With").select_option(label=agent.name)
    yesterday = datetime.now(ZoneInfo(coach.timezone)) - timedelta(days=1)
    await form.get_by_label(f"Starts ({coach.timezone})").fill(yesterday.strftime("%Y-%m-%dT%H:%M"))
    await form.get_by_role("button", name="Schedule").click()

    form = page.locator("form[action='/meetings']")
    await expect(form.locator(".field-error")).to_contain_text("in the past")
    await expect(form.get_by_label("Name")).to_have_value("Yesterday's chat")
    await expect(form.get_by_label("With")).to_have_value(agent.id)


async def test_screenshots_of_my_meetings(stack: Stack, open_page: OpenPage) -> None:
    coach = await stack.person("supervisor", name="Sam Supervisor")
    for day, name in enumerate(("Ana Agent", "Ben Agent"), start=1):
        agent = await stack.person("agent", name=name)
        await stack.one_to_one(
            coach, agent, name=f"Sam / {name.split()[0]} weekly 1:1", starts_at=at(days=day)
        )
    for viewport in (None, PHONE):
        page = await open_page(coach, **({"viewport": viewport} if viewport else {}))
        await expect(page.get_by_role("heading", name="My 1:1s")).to_be_visible()
        await screenshot(page, "my-meetings")
