"""Coaching pages in the browser (SPEC W1-W7, A5): the slot finder's Check and Book, a team plan
previewed and committed, a WFM CSV upload flagging booked coaching, and accessibility at desktop
and phone width. WFM data goes in over the real API (tests/api/test_coaching.py's helpers)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from playwright.async_api import Page, expect

from tests.api.test_coaching import LONDON, book_coaching, iso, local, wfm_team
from tests.support import Stack, eventually
from tests.web.conftest import PHONE, OpenPage, accessibility_problems, screenshot

CSV_HEADER = (
    "business_unit,timezone,agent_id,shift_start,shift_end,"
    "activity_start,activity_end,category,paid,interruptible"
)


async def check_slots(
    page: Page, agent_names: list[str], monday: date, *, minutes: int = 30, name: str = ""
) -> None:
    await page.goto("/coaching")
    if name:
        await page.get_by_label("Meeting name").fill(name)
    for name in agent_names:
        await page.get_by_role("checkbox", name=name).check()
    await page.get_by_label("Week of").fill(monday.isoformat())
    await page.get_by_label("Duration").select_option(str(minutes))
    await page.get_by_role("button", name="Check").click()
    await expect(page.locator(".slot").first).to_be_visible()


async def test_w2_w4_check_shows_ranked_slots_and_timelines_then_book(
    stack: Stack, open_page: OpenPage
) -> None:
    sup, [agent], _, _, monday = await wfm_team(stack)
    page = await open_page(sup)
    await check_slots(page, [agent.name], monday)

    slots = page.locator(".slot")
    first = slots.first
    # W4: Monday 14:00-15:00 has the most slack (forecast 6, scheduled 10): best, earliest first.
    await expect(first.locator("time")).to_have_attribute(
        "datetime", local(monday, 14).astimezone(LONDON).isoformat()
    )
    await expect(first.locator(".badge.rating")).to_have_text("good")
    await expect(first.locator(".slot-reasons li").first).not_to_be_empty()
    # Times are in the viewer's zone, zone named.
    await expect(first.locator(".slot-when")).to_contain_text("(Europe/London)")
    await expect(first.locator(".slot-reasons")).to_contain_text("at 14:00 Europe/London")
    await expect(first.locator(".slot-reasons")).not_to_contain_text("UTC")
    for rating in await page.locator(".slot .badge.rating").all_text_contents():
        assert rating in ("good", "neutral", "poor")
    # W3: nothing over the break (10:30) or the meal (12:30-13:30).
    starts = await page.locator(".slot time").evaluate_all(
        "nodes => nodes.map(n => n.getAttribute('datetime'))"
    )
    for text in starts:
        start = datetime.fromisoformat(text)
        assert not (local(monday, 10, 0) < start < local(monday, 10, 45))
        assert not (local(monday, 12, 0) < start < local(monday, 13, 30))

    # W4: per-attendee free/busy drawn as SVG, the break and meal among the bars, with a legend.
    agent_timeline = page.locator("figure.tl", has_text=agent.name)
    await expect(agent_timeline.locator("svg rect[data-kind='break']")).to_have_count(5)
    await expect(agent_timeline.locator("svg rect[data-kind='meal']")).to_have_count(5)
    await expect(page.locator("figure.tl", has_text=sup.name)).to_have_count(1)
    await expect(page.get_by_role("list", name="Legend")).to_contain_text("Break")
    # Check swapped in a fragment and pushed a link that shows the same slots again.
    assert "/coaching?agent=" in page.url

    chosen = await first.locator("time").get_attribute("datetime")
    await first.get_by_role("button", name="Book").click()
    await page.wait_for_url("**/meetings/*")
    meeting_id = page.url.rsplit("/", 1)[1]
    found = await stack.http.get(f"/v1/meetings/{meeting_id}", headers=sup.auth)
    assert found.status_code == 200, found.text
    meeting = found.json()
    assert meeting["kind"] == "coaching"
    assert meeting["participant_ids"] == [agent.id]
    assert meeting["facilitator_id"] == sup.id
    assert datetime.fromisoformat(meeting["starts_at"]) == datetime.fromisoformat(chosen or "")


async def test_w5_a_slot_taken_meanwhile_is_a_readable_409_and_the_form_is_kept(
    stack: Stack, open_page: OpenPage
) -> None:
    sup, [agent], planner, _, monday = await wfm_team(stack)
    page = await open_page(sup)
    await check_slots(page, [agent.name], monday, name="Call review")
    first = page.locator(".slot").first
    taken = await first.locator("time").get_attribute("datetime")
    # Another coach of the division books the same time first (W5).
    await book_coaching(stack, planner, agent, taken or "")
    await first.get_by_role("button", name="Book").click()
    await expect(page.locator(".form-error")).to_contain_text("is busy from")
    await expect(page.get_by_label("Meeting name")).to_have_value("Call review")
    await expect(page.get_by_role("checkbox", name=agent.name)).to_be_checked()
    # The slots were checked again: the taken time is no longer offered.
    await expect(page.locator(".slot").first).to_be_visible()
    await expect(page.locator(f".slot time[datetime='{taken}']")).to_have_count(0)


async def test_w3_rule_errors_show_by_their_field(stack: Stack, open_page: OpenPage) -> None:
    sup, [agent], _, _, _ = await wfm_team(stack)
    page = await open_page(sup)
    await page.goto("/coaching")
    await page.get_by_role("checkbox", name=agent.name).check()
    # W3: a week months ahead is outside the six-week horizon.
    await page.get_by_label("Week of").fill((date.today() + timedelta(weeks=20)).isoformat())
    await page.get_by_role("button", name="Check").click()
    await expect(page.locator("#window_start-error")).to_contain_text("six weeks")
    await expect(page.get_by_label("Week of")).to_have_attribute("aria-invalid", "true")
    await expect(page.get_by_role("checkbox", name=agent.name)).to_be_checked()


async def test_a5_another_divisions_supervisor_cannot_reach_the_agent(
    stack: Stack, open_page: OpenPage
) -> None:
    _, [agent], _, _, monday = await wfm_team(stack)
    outsider = await stack.person("supervisor", divisions=["elsewhere"])
    page = await open_page(outsider)
    response = await page.goto(f"/coaching?agent={agent.id}&week={monday.isoformat()}")
    assert response is not None and response.status == 403
    await expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
    await expect(page.locator("main")).to_contain_text("not in any of your divisions")

    await page.goto("/coaching")
    await expect(page.get_by_role("checkbox", name=agent.name)).to_have_count(0)
    # Booking by hand-made form is refused the same way, and nothing is booked.
    status = await page.evaluate(
        """async ([agentId, startsAt]) => {
            const token = JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRF-Token'];
            const body = new URLSearchParams({attendee_ids: agentId, starts_at: startsAt,
                duration_minutes: '30', name: 'Sneaky', csrf_token: token});
            const answer = await fetch('/coaching/book', {method: 'POST', body});
            return answer.status;
        }""",
        [agent.id, iso(monday, 14)],
    )
    assert status == 403
    mine = await stack.http.get("/v1/meetings?role=participant", headers=agent.auth)
    assert mine.status_code == 200 and not mine.json()["items"], mine.text


async def test_w6_team_plan_preview_lists_unplaced_agents_then_commits(
    stack: Stack, open_page: OpenPage
) -> None:
    sup, team, _, _, monday = await wfm_team(stack, agents=2)
    page = await open_page(sup)
    await page.goto("/coaching/plans")
    for agent in team:
        await page.get_by_role("checkbox", name=agent.name).check()
    await expect(page.get_by_role("checkbox", name=f"{sup.name} (me)")).to_be_checked()
    await page.get_by_label("From (first day)").fill(monday.isoformat())
    await page.get_by_label("To (last day)").fill(monday.isoformat())
    # W6: one session a day for the only facilitator, and one day: one agent cannot be placed.
    await page.get_by_label("At most per facilitator a day").fill("1")
    await page.get_by_role("button", name="Preview the plan").click()
    await page.wait_for_url("**/coaching/plans/*")
    plan_id = page.url.rsplit("/", 1)[1]

    table = page.get_by_role("region", name="Planned sessions")
    await expect(table.locator("tbody tr")).to_have_count(1)
    await expect(table).to_contain_text(sup.name)
    unplaced = page.locator("ul.unplaced li")
    await expect(unplaced).to_have_count(1)
    await expect(unplaced).to_contain_text("capacity")
    await expect(page.locator("figure.tl", has_text=sup.name).locator("rect")).to_have_count(1)
    await expect(page.locator(".plan-state")).to_contain_text("previewed")

    await page.get_by_role("button", name="Book 1 session").click()
    await expect(page.locator(".plan-state")).to_contain_text("committed", timeout=20_000)
    await expect(page.locator(".plan-state")).to_contain_text("1 of 1 session booked")

    async def committed() -> dict | None:
        answer = await stack.http.get(f"/v1/coaching/plans/{plan_id}", headers=sup.auth)
        body = answer.json()
        return body if body["state"] == "committed" else None

    plan = await eventually(committed)
    [booked_id] = plan["commit"]["booked"]
    meeting = (await stack.http.get(f"/v1/meetings/{booked_id}", headers=sup.auth)).json()
    assert meeting["kind"] == "coaching" and meeting["facilitator_id"] == sup.id
    # A second commit is refused readably (409): the plan is committed already.
    await page.goto(f"/coaching/plans/{plan_id}")
    await expect(page.get_by_role("button", name="Book 1 session")).to_have_count(0)


def schedule_csv(unit: str, agent_id: str, monday: date, *, meal_at: tuple[int, int]) -> str:
    """Mon-Fri 09:00-17:00 on queue with a break at 10:30; the meal at ``meal_at``."""
    lines = [CSV_HEADER]
    for offset in range(5):
        day = monday + timedelta(days=offset)
        shift = [unit, "Europe/London", agent_id, iso(day, 9), iso(day, 17)]
        activities = [
            (iso(day, 9), iso(day, 17), "on_queue", "true", "true"),
            (iso(day, 10, 30), iso(day, 10, 45), "break", "true", "false"),
            (iso(day, *meal_at), iso(day, meal_at[0] + 1, meal_at[1]), "meal", "false", "false"),
        ]
        lines += [",".join([*shift, *a]) for a in activities]
    return "\r\n".join(lines) + "\r\n"


async def test_w1_w7_wfm_upload_shows_changes_and_flags_booked_coaching(
    stack: Stack, open_page: OpenPage
) -> None:
    sup, [agent], planner, unit, monday = await wfm_team(stack)
    booked = await book_coaching(stack, sup, agent, iso(monday, 14), name="Flagged review")
    page = await open_page(planner)
    await page.goto("/coaching/wfm")

    # W1: a bad row is refused as a whole, the line named next to the file field.
    broken = schedule_csv(unit, agent.id, monday, meal_at=(14, 0)).replace("meal", "lunch", 1)
    await page.get_by_label("Schedule CSV").set_input_files(
        files=[{"name": "week.csv", "mimeType": "text/csv", "buffer": broken.encode()}]
    )
    await page.get_by_role("button", name="Import").click()
    await expect(page.locator("#file-error")).to_contain_text("line 4")

    # W7: the meal moves onto the booked 14:00 session: it becomes invalid_schedule.
    moved = schedule_csv(unit, agent.id, monday, meal_at=(14, 0))
    await page.get_by_label("Schedule CSV").set_input_files(
        files=[{"name": "week.csv", "mimeType": "text/csv", "buffer": moved.encode()}]
    )
    await page.get_by_role("button", name="Import").click()
    await expect(page.get_by_role("heading", name="Imported")).to_be_visible()
    await expect(page.locator(".changed-agents")).to_contain_text(agent.name)
    row = page.locator("tr", has_text="Flagged review")
    await expect(row.locator(".status-invalid_schedule")).to_have_text("invalid schedule")
    await expect(row).to_contain_text("meal")

    async def flagged() -> bool:
        answer = await stack.http.get(f"/v1/meetings/{booked['id']}", headers=sup.auth)
        return answer.json()["status"] == "invalid_schedule"

    await eventually(flagged)


async def test_wfm_import_page_needs_the_import_permission(
    stack: Stack, open_page: OpenPage
) -> None:
    sup = await stack.person("supervisor", divisions=["north"])
    page = await open_page(sup)
    response = await page.goto("/coaching/wfm")
    assert response is not None and response.status == 403


async def test_coaching_pages_are_accessible_at_desktop_and_phone_width(
    stack: Stack, open_page: OpenPage
) -> None:
    sup, team, _, _, monday = await wfm_team(stack, agents=2)
    for viewport in (None, PHONE):
        page = await (open_page(sup) if viewport is None else open_page(sup, viewport=viewport))
        await check_slots(page, [team[0].name], monday)
        assert await accessibility_problems(page) == []
        await screenshot(page, "coaching")

        await page.goto("/coaching/plans")
        assert await accessibility_problems(page) == []
        for agent in team:
            await page.get_by_role("checkbox", name=agent.name).check()
        await page.get_by_label("From (first day)").fill(monday.isoformat())
        await page.get_by_label("To (last day)").fill((monday + timedelta(days=4)).isoformat())
        await page.get_by_role("button", name="Preview the plan").click()
        await page.wait_for_url("**/coaching/plans/*")
        await expect(page.get_by_role("region", name="Planned sessions")).to_be_visible()
        assert await accessibility_problems(page) == []
        await screenshot(page, "coaching-plan")
