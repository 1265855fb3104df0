"""The coaching cadence page (issue 12 item 3, W8 as cited in tests/api/test_coaching_cadence.py;
A3): a division's policy set in the browser, its agents overdue first, and one team plan for
everyone due, previewed on the team plan page; accessibility at desktop and phone width."""

from __future__ import annotations

from datetime import timedelta

from playwright.async_api import expect

from tests.api.test_coaching import wfm_team
from tests.api.test_coaching_cadence import division_of, held_ago
from tests.support import Stack
from tests.web.conftest import PHONE, OpenPage, accessibility_problems, screenshot


async def test_w8_cadence_page_sets_the_policy_lists_who_is_due_and_plans_them(
    stack: Stack, open_page: OpenPage
) -> None:
    sup, [late, fine, new], _, _, monday = await wfm_team(stack, agents=3)
    division = await division_of(stack, sup)
    await held_ago(stack, sup, late, timedelta(weeks=6))  # every 4 weeks: overdue
    await held_ago(stack, sup, fine, timedelta(days=3))  # due in ~4 weeks: ok
    # ``new`` was never coached: due now.

    page = await open_page(sup)
    await page.goto("/coaching")
    tabs = page.get_by_role("navigation", name="Coaching")
    await tabs.get_by_role("link", name="Cadence").click()
    await page.wait_for_url("**/coaching/cadence")
    await expect(page.get_by_role("heading", name=f"Cadence: {division}")).to_be_visible()
    await expect(page.get_by_text(f"{division} has no cadence policy yet.")).to_be_visible()

    await page.get_by_label("Coach every (weeks)").fill("4")
    await page.get_by_label("Session length").select_option("30")
    await page.get_by_role("button", name="Set the policy").click()
    await page.wait_for_url(f"**/coaching/cadence?division={division}")
    await expect(page.locator("section.card").first).to_contain_text("Every 4 weeks")
    stored = await stack.http.get(f"/v1/coaching/cadence-policies/{division}", headers=sup.auth)
    assert stored.status_code == 200 and stored.json()["every_weeks"] == 4, stored.text

    rows = page.get_by_role("region", name="Agents and their coaching").locator("tbody tr")
    await expect(rows).to_have_count(3)
    # Overdue first, then due, then fine; never coached reads "never" and is due now.
    await expect(rows.nth(0)).to_contain_text(late.name)
    await expect(rows.nth(0).locator(".badge")).to_have_text("overdue")
    await expect(rows.nth(1)).to_contain_text(new.name)
    await expect(rows.nth(1).locator(".badge")).to_have_text("due")
    await expect(rows.nth(1)).to_contain_text("never")
    await expect(rows.nth(2)).to_contain_text(fine.name)
    await expect(rows.nth(2).locator(".badge")).to_have_text("ok")
    await expect(page.get_by_role("heading", name="Agents (2 of 3 due or overdue)")).to_be_visible()

    for width, viewer in (("desktop", page), ("phone", await open_page(sup, viewport=PHONE))):
        await viewer.goto(f"/coaching/cadence?division={division}")
        assert await accessibility_problems(viewer) == [], width
        await screenshot(viewer, "cadence")

    # One plan for everyone due by the last day: the overdue and the never coached, not the
    # agent coached three days ago.
    await page.get_by_label("From (first day)").fill(monday.isoformat())
    await page.get_by_label("To (last day)").fill((monday + timedelta(days=4)).isoformat())
    await page.get_by_role("button", name="Preview the plan").click()
    await page.wait_for_url("**/coaching/plans/*")
    sessions = page.get_by_role("region", name="Planned sessions")
    await expect(sessions.locator("tbody tr")).to_have_count(2)
    await expect(sessions).to_contain_text(late.name)
    await expect(sessions).to_contain_text(new.name)
    await expect(sessions).not_to_contain_text(fine.name)


async def test_a3_another_divisions_cadence_is_not_found(stack: Stack, open_page: OpenPage) -> None:
    sup, _, _, _, _ = await wfm_team(stack)
    page = await open_page(sup)
    answer = await page.goto("/coaching/cadence?division=someone-elses")
    assert answer is not None and answer.status == 404
