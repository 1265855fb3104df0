"""The notifications page (SPEC N1): newest first, unread marked, mark read with or without
JavaScript, the bell's count following along, times in the viewer's zone (A1)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from playwright.async_api import expect

from tandem.store import outbox
from tandem.store.outbox import OutboxMessage
from tests.support import Person, Stack, eventually
from tests.web.conftest import OpenPage


async def _booked_for(stack: Stack, agent: Person) -> dict:
    supervisor = await stack.person("supervisor")
    await stack.one_to_one(supervisor, agent, name="Quarterly check-in")

    async def listed() -> list[dict]:
        answer = await stack.http.get("/v1/notifications", headers=agent.auth)
        return answer.json()["items"]

    [note] = await eventually(listed)
    return note


async def test_n1_a_new_notification_is_listed_unread_and_mark_read_updates_the_bell(
    stack: Stack, open_page: OpenPage
) -> None:
    agent = await stack.person("agent", tz="America/New_York")
    note = await _booked_for(stack, agent)
    page = await open_page(agent)
    await page.goto("/notifications")

    item = page.locator(f"#notification-{note['id']}")
    await expect(item.get_by_role("heading")).to_have_text(note["subject"])
    await expect(item.get_by_text("Unread", exact=True)).to_be_visible()
    await expect(item.locator("time")).to_contain_text("(America/New_York)")
    bell = page.get_by_role("link", name="Notifications, 1 unread")
    await expect(bell).to_contain_text("1")

    # htmx is loaded, and swaps refused forms (409/422) so their messages show.
    swapped = "htmx.config.responseHandling.filter(r => r.swap).map(r => r.code)"
    assert {"409", "422"} <= set(await page.evaluate(swapped))
    await item.get_by_role("button", name="Mark read").click()
    await expect(page.get_by_role("link", name="Notifications, 0 unread")).to_contain_text("0")
    await expect(item.get_by_text("Unread", exact=True)).to_have_count(0)
    await expect(item.get_by_role("button", name="Mark read")).to_have_count(0)
    unread = await stack.http.get("/v1/notifications?unread=true", headers=agent.auth)
    assert unread.json()["items"] == []


async def test_n1_mark_read_works_without_javascript(stack: Stack, open_page: OpenPage) -> None:
    agent = await stack.person("agent")
    note = await _booked_for(stack, agent)
    page = await open_page(agent, java_script_enabled=False)
    await page.goto("/notifications")
    item = page.locator(f"#notification-{note['id']}")
    await item.get_by_role("button", name="Mark read").click()
    await page.wait_for_url("**/notifications")
    await expect(page.get_by_role("link", name="Notifications, 0 unread")).to_be_visible()
    await expect(item.get_by_text("Unread", exact=True)).to_have_count(0)


async def test_n1_the_list_is_newest_first_in_pages_of_twenty(
    stack: Stack, open_page: OpenPage
) -> None:
    agent = await stack.person("agent")
    start = datetime.now(UTC) - timedelta(days=1)
    messages = [
        OutboxMessage(
            dedupe_key=f"test/{uuid.uuid4()}",
            kind="meeting_created",
            subject=f"Notice {n:02d}",
            body="Body",
            user_id=agent.id,
            email=None,
            meeting_id=None,
        )
        for n in range(25)
    ]
    for n, message in enumerate(messages):
        moment = start + timedelta(minutes=n)
        await stack.db.write(lambda s, m=message, t=moment: outbox.enqueue(s, [m], t))

    page = await open_page(agent)
    await page.goto("/notifications")
    subjects = page.locator(".notification-subject")
    await expect(subjects).to_have_count(20)
    await expect(subjects.first).to_have_text("Notice 24")
    await expect(subjects.last).to_have_text("Notice 05")
    await page.get_by_role("link", name="Older").click()
    await expect(subjects).to_have_count(5)
    await expect(subjects.first).to_have_text("Notice 04")
    await expect(page.get_by_role("link", name="Older")).to_have_count(0)
    await page.get_by_role("link", name="Newest").click()
    await expect(subjects.first).to_have_text("Notice 24")


async def test_n1_someone_elses_notification_cannot_be_marked_read(
    stack: Stack, open_page: OpenPage
) -> None:
    agent, nosy = await stack.person("agent"), await stack.person("agent")
    note = await _booked_for(stack, agent)
    page = await open_page(nosy)
    await page.goto("/notifications")
    token = await page.locator("input[name=csrf_token]").first.get_attribute("value")
    answer = await page.request.post(
        f"/notifications/{note['id']}/read", form={"csrf_token": token or ""}
    )
    assert answer.status == 404 and "Not found" in await answer.text()
    unread = await stack.http.get("/v1/notifications?unread=true", headers=agent.auth)
    assert [n["id"] for n in unread.json()["items"]] == [note["id"]]
