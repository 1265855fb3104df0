"""The settings page: the one-hour reminder (SPEC N3) and the time zone times are shown in (A1)."""

from __future__ import annotations

import httpx
from playwright.async_api import expect

from tests.support import Stack
from tests.web.conftest import OpenPage


async def test_n3_turning_the_reminder_off_and_changing_zone_persists(
    stack: Stack, open_page: OpenPage
) -> None:
    agent = await stack.person("agent")
    page = await open_page(agent)
    await page.goto("/settings")
    reminder = page.get_by_label("Remind me one hour before each meeting")
    await expect(reminder).to_be_checked()
    await reminder.uncheck()
    await page.get_by_label("Show times in").select_option("America/New_York")
    await page.get_by_role("button", name="Save settings").click()

    await expect(page.get_by_role("status")).to_have_text("Your settings are saved.")
    await expect(page.locator("header")).to_contain_text("(America/New_York)")
    await expect(reminder).not_to_be_checked()
    me = (await stack.http.get("/v1/users/me", headers=agent.auth)).json()
    assert me["settings"]["meeting_reminders"] is False
    assert me["timezone"] == "America/New_York"

    await reminder.check()
    await page.get_by_role("button", name="Save settings").click()
    await expect(page.get_by_role("status")).to_be_visible()
    me = (await stack.http.get("/v1/users/me", headers=agent.auth)).json()
    assert me["settings"]["meeting_reminders"] is True


async def test_a1_an_unknown_zone_is_refused_next_to_the_field_keeping_the_rest(
    stack: Stack, open_page: OpenPage
) -> None:
    agent = await stack.person("agent")
    page = await open_page(agent)
    await page.goto("/settings")
    # A stale or tampered form: the select offers a zone the server does not know.
    await page.eval_on_selector(
        "#timezone", "s => s.add(new Option('Mars/Olympus', 'Mars/Olympus', true, true))"
    )
    await page.get_by_label("Remind me one hour before each meeting").uncheck()
    await page.get_by_role("button", name="Save settings").click()

    await expect(page.locator("#timezone-error")).to_contain_text("unknown IANA time zone")
    await expect(page.get_by_label("Show times in")).to_have_attribute("aria-invalid", "true")
    await expect(page.get_by_label("Remind me one hour before each meeting")).not_to_be_checked()
    me = (await stack.http.get("/v1/users/me", headers=agent.auth)).json()
    assert me["timezone"] == "Europe/London"
    assert me["settings"]["meeting_reminders"] is True


async def test_k_the_calendar_feed_link_is_shown_and_a_new_one_retires_it(
    stack: Stack, open_page: OpenPage
) -> None:
    agent = await stack.person("agent")
    page = await open_page(agent)
    await page.goto("/settings")
    link = page.get_by_label("Subscribe to this link in your calendar app")
    old = await link.input_value()
    async with httpx.AsyncClient() as calendar_app:
        assert (await calendar_app.get(old)).status_code == 200
        await page.get_by_role("button", name="Make a new link").click()
        await expect(page.get_by_role("status")).to_be_visible()
        new = await link.input_value()
        assert new != old and (await calendar_app.get(new)).status_code == 200
        assert (await calendar_app.get(old)).status_code == 404
