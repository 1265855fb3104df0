"""The meeting page in a real browser against the real stack: running a 1:1 (C1, C2, C4, C5),
the lifecycle actions (M2, M4, M5, M7, M10), what a stranger sees (A3, A4), refused forms, escaping
and accessibility."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.async_api import Page, expect

from tests.support import Stack, at, eventually
from tests.web.conftest import PHONE, OpenPage, accessibility_problems, screenshot


def _section(page: Page, name: str):
    return page.get_by_role("region", name=name)


async def _add(page: Page, section: str, label: str, text: str, button: str) -> None:
    region = _section(page, section)
    await region.get_by_label(label).fill(text)
    await region.get_by_role("button", name=button).click()
    # htmx swaps the section in place: the page itself does not reload.
    await expect(region.locator(".item-text", has_text=text)).to_be_visible()


async def test_c1_c2_c4_c5_running_a_one_to_one(stack: Stack, open_page: OpenPage) -> None:
    coach = await stack.person("supervisor")
    report = await stack.person("agent")
    meeting = await stack.one_to_one(
        coach, report, name="Weekly catch-up", participant_preview=True
    )
    url = f"/meetings/{meeting['id']}"
    page = await open_page(coach)
    await page.goto(url)
    before = page.url

    await _add(page, "Agenda", "New topic", "Holiday plans", "Add topic")
    await _add(page, "Agenda", "New topic", "Career goals", "Add topic")
    await _add(page, "Action items", "New action item", "Book the course", "Add action item")
    agenda = _section(page, "Agenda")
    # C1: moved up by either participant.
    await agenda.get_by_role("button", name="Move up: Career goals").click()
    await expect(agenda.locator(".item-text")).to_have_text(["Career goals", "Holiday plans"])
    # C1: marked complete.
    await agenda.get_by_role("button", name="Complete: Holiday plans").click()
    await expect(agenda.locator(".item.completed")).to_have_text(re.compile("Holiday plans"))
    assert page.url == before  # all of it without a reload (htmx fragments)

    notes = _section(page, "Notes")
    await notes.get_by_label("New note").fill("Secret: thinking of promoting them")
    await notes.get_by_label("Private (only you)").check()
    await notes.get_by_role("button", name="Add note").click()
    await expect(
        notes.locator(".message", has_text="Secret: thinking of promoting them")
    ).to_be_visible()
    await notes.get_by_label("New note").fill("We agreed on two goals")
    await notes.get_by_role("button", name="Add note").click()
    await expect(notes.locator(".message", has_text="We agreed on two goals")).to_be_visible()

    # C5: the author hides their private notes (e.g. to share the screen) and shows them again.
    await notes.get_by_role("button", name="Hide my private notes").click()
    await expect(notes.get_by_role("button", name="Show my private notes")).to_be_visible()
    assert "Secret: thinking of promoting them" not in await page.content()
    await page.reload()  # the choice holds across a reload
    assert "Secret: thinking of promoting them" not in await page.content()
    await notes.get_by_role("button", name="Show my private notes").click()
    await expect(
        notes.locator(".message", has_text="Secret: thinking of promoting them")
    ).to_be_visible()

    # The participant, in their own browser: agenda, action items, shared note (C1, C2, C4) ...
    theirs = await open_page(report)
    await theirs.goto(url)
    their_agenda = _section(theirs, "Agenda")
    await expect(their_agenda.locator(".item-text")).to_have_text(["Career goals", "Holiday plans"])
    await expect(_section(theirs, "Action items")).to_contain_text("Book the course")
    await expect(_section(theirs, "Notes")).to_contain_text("We agreed on two goals")
    # ... and never the private note, not even hidden in the HTML (C5).
    assert "Secret: thinking of promoting them" not in await theirs.content()
    # C1: a topic is deleted only by its author; C2: an action item by either participant.
    await expect(their_agenda.get_by_role("button", name="Delete: Career goals")).to_have_count(0)
    actions = _section(theirs, "Action items")
    await actions.get_by_role("button", name="Delete: Book the course").click()
    await expect(actions.locator(".item-text")).to_have_count(0)


async def test_c7_links_interactions_and_documents(stack: Stack, open_page: OpenPage) -> None:
    coach = await stack.person("supervisor")
    report = await stack.person("agent")
    meeting = await stack.one_to_one(coach, report, participant_preview=True)
    page = await open_page(coach)
    await page.goto(f"/meetings/{meeting['id']}")
    files = _section(page, "Attachments")
    await files.get_by_label("URL", exact=True).fill("https://kb.example/holds")
    await files.get_by_label("Title (optional)").first.fill("Hold policy")
    await files.get_by_role("button", name="Add link").click()
    await expect(files.get_by_role("link", name="Hold policy")).to_be_visible()
    await files.get_by_label("Interaction URL or id").fill("9f2-7781")
    await files.get_by_role("button", name="Add interaction").click()
    await expect(files).to_contain_text("Interaction 9f2-7781")
    await files.get_by_label("Document", exact=True).set_input_files(
        files=[{"name": "run.exe", "mimeType": "application/octet-stream", "buffer": b"MZ"}]
    )
    await files.get_by_role("button", name="Upload").click()
    await expect(files.locator(".field-error")).to_contain_text("not a document type")
    await files.get_by_label("Document", exact=True).set_input_files(
        files=[{"name": "scorecard.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 x"}]
    )
    await files.get_by_role("button", name="Upload").click()
    await expect(files.get_by_role("link", name="scorecard.pdf")).to_be_visible()

    theirs = await open_page(report)
    await theirs.goto(f"/meetings/{meeting['id']}")
    link = _section(theirs, "Attachments").get_by_role("link", name="scorecard.pdf")
    download = await theirs.request.get(await link.get_attribute("href") or "")
    assert download.status == 200 and await download.body() == b"%PDF-1.4 x"


async def test_m7_n5_reschedule_with_a_reason_reaches_the_participant(
    stack: Stack, open_page: OpenPage
) -> None:
    coach = await stack.person("supervisor")
    report = await stack.person("agent")
    meeting = await stack.one_to_one(coach, report)
    page = await open_page(coach)
    await page.goto(f"/meetings/{meeting['id']}")
    new_start = (datetime.now(ZoneInfo("Europe/London")) + timedelta(days=5)).replace(
        hour=10, minute=30, second=0, microsecond=0
    )
    manage = _section(page, "Manage this meeting")
    await manage.locator("summary", has_text="Reschedule").click()
    await manage.get_by_label("New start").fill(new_start.strftime("%Y-%m-%dT%H:%M"))
    await manage.get_by_label("Reason").first.fill("I am at the dentist")
    await manage.get_by_role("button", name="Reschedule meeting").click()
    await expect(page.get_by_role("status")).to_contain_text("Rescheduled")
    # Times are in the viewer's zone, with the zone named.
    when = new_start.strftime("%a %d %b %Y, %H:%M") + " (Europe/London)"
    await expect(page.locator(".facts")).to_contain_text(when)
    await expect(_section(page, "History")).to_contain_text("I am at the dentist")

    async def told() -> bool:
        found = await stack.http.get("/v1/notifications", headers=report.auth)
        return "I am at the dentist" in found.text

    await eventually(told)
    theirs = await open_page(report)
    await theirs.goto("/notifications")
    await expect(theirs.get_by_role("heading", name="Rescheduled: Weekly 1:1")).to_be_visible()
    assert "I am at the dentist" in await theirs.content()


async def test_failed_reschedule_shows_the_message_by_the_field_and_keeps_the_input(
    stack: Stack, open_page: OpenPage
) -> None:
    coach = await stack.person("supervisor")
    report = await stack.person("agent")
    meeting = await stack.one_to_one(coach, report)
    page = await open_page(coach)
    await page.goto(f"/meetings/{meeting['id']}")
    manage = _section(page, "Manage this meeting")
    await manage.locator("summary", has_text="Reschedule").click()
    past = (datetime.now(ZoneInfo("Europe/London")) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    await manage.get_by_label("New start").fill(past)
    await manage.get_by_label("Reason").first.fill("Typed with care")
    await manage.get_by_role("button", name="Reschedule meeting").click()
    field = manage.get_by_label("New start")
    await expect(field).to_have_attribute("aria-invalid", "true")
    await expect(page.locator("#starts_at-error")).to_contain_text("in the past")
    await expect(field).to_have_value(past)
    await expect(manage.get_by_label("Reason").first).to_have_value("Typed with care")


async def test_m10_reassign_from_the_candidates_marks_who_is_not_available(
    stack: Stack, open_page: OpenPage
) -> None:
    coach = await stack.person("supervisor")
    report = await stack.person("agent")
    starts = at(days=4)
    meeting = await stack.one_to_one(coach, report, starts_at=starts)
    busy = await stack.person("supervisor", name=f"Busy Bea {uuid.uuid4().hex[:4]}")
    free = await stack.person("supervisor", name=f"Free Fran {uuid.uuid4().hex[:4]}")
    await stack.one_to_one(busy, await stack.person("agent"), starts_at=starts)

    page = await open_page(coach)
    await page.goto(f"/meetings/{meeting['id']}")
    manage = _section(page, "Manage this meeting")
    await manage.get_by_text("Assign to someone else").click()
    await expect(manage.locator(".candidate", has_text=busy.name)).to_contain_text("not available")
    await expect(manage.locator(".candidate", has_text=free.name)).to_contain_text("available")
    # Someone with a block can still be chosen, with a reason (M10).
    await manage.get_by_label(busy.name).check()
    await manage.get_by_role("button", name="Update facilitator").click()
    await expect(page.locator("#reason-error")).to_contain_text("give a reason")
    await expect(manage.get_by_label(busy.name)).to_be_checked()
    await manage.get_by_label("Reason (needed when they are not available)").fill("Bea knows them")
    await manage.get_by_role("button", name="Update facilitator").click()
    # A4: the old facilitator no longer sees it and lands on their list.
    await page.wait_for_url("**/meetings")
    state = await stack.http.get(f"/v1/meetings/{meeting['id']}", headers=busy.auth)
    assert state.json()["facilitator_id"] == busy.id


async def test_m4_m2_m5_start_and_complete_and_the_participant_preview(
    stack: Stack, open_page: OpenPage
) -> None:
    coach = await stack.person("supervisor")
    report = await stack.person("agent")
    meeting = await stack.one_to_one(
        coach, report, description="Your last three evaluations", location="Room 7"
    )
    url = f"/meetings/{meeting['id']}"
    theirs = await open_page(report)
    await theirs.goto(url)
    # M5: without preview, time and place but not the summary before the start; the agenda
    # is there to prepare (C1: added by either participant).
    await expect(theirs.locator(".facts")).to_contain_text("Room 7")
    await expect(theirs.locator("#preview-note")).to_be_visible()
    assert "Your last three evaluations" not in await theirs.content()
    await expect(_section(theirs, "Agenda")).to_have_count(1)

    page = await open_page(coach)
    await page.goto(url)
    await page.get_by_role("button", name="Start meeting").click()
    await expect(page.locator("#meeting-status")).to_have_text("In progress")
    await page.get_by_role("button", name="Complete meeting").click()
    await expect(page.locator("#meeting-status")).to_have_text("Completed")
    await expect(page.get_by_role("button", name="Start meeting")).to_have_count(0)

    await theirs.reload()
    await expect(theirs.get_by_text("Your last three evaluations")).to_be_visible()


async def test_a_meeting_name_is_text_never_markup(stack: Stack, open_page: OpenPage) -> None:
    coach = await stack.person("supervisor")
    report = await stack.person("agent")
    meeting = await stack.one_to_one(coach, report, name="<script>alert(1)</script>")
    page = await open_page(coach)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: dialogs.append(dialog.message))
    await page.goto(f"/meetings/{meeting['id']}")
    await expect(page.get_by_role("heading", level=1)).to_have_text("<script>alert(1)</script>")
    await _add(page, "Agenda", "New topic", "<img src=x onerror=alert(2)>", "Add topic")
    assert dialogs == []


async def test_a3_a4_a_hidden_meeting_is_the_same_404_as_a_missing_one(
    stack: Stack, open_page: OpenPage
) -> None:
    coach = await stack.person("supervisor")
    report = await stack.person("agent")
    meeting = await stack.one_to_one(coach, report, name="Not yours")
    stranger = await stack.person("supervisor")
    page = await open_page(stranger)
    hidden = await page.goto(f"/meetings/{meeting['id']}")
    hidden_body = await page.locator("main").inner_text()
    missing = await page.goto(f"/meetings/{uuid.uuid4()}")
    assert hidden is not None and missing is not None
    assert hidden.status == missing.status == 404
    assert hidden_body == await page.locator("main").inner_text()
    assert "Not yours" not in hidden_body
    # The fragments and forms are gated the same way.
    token = await page.locator("input[name=csrf_token]").first.get_attribute("value")
    posted = await page.request.post(
        f"/meetings/{meeting['id']}/agenda", form={"text": "sneaky", "csrf_token": token or ""}
    )
    assert posted.status == 404


async def test_the_meeting_page_passes_axe_on_desktop_and_phone(
    stack: Stack, open_page: OpenPage
) -> None:
    coach = await stack.person("supervisor", name="Casey Coach")
    report = await stack.person("agent", name="Riley Report")
    meeting = await stack.one_to_one(
        coach,
        report,
        name="Weekly 1:1 with Riley",
        description="Goals for the quarter",
        location="https://meet.example/riley",
        focus=[{"kind": "evaluation", "ref": "https://qa.example/evaluations/42"}],
    )
    base = f"/v1/meetings/{meeting['id']}"
    for text in ("Quarter goals", "Training budget"):
        await stack.http.post(f"{base}/agenda", json={"text": text}, headers=coach.auth)
    await stack.http.post(
        f"{base}/action-items",
        json={"text": "Send the course link", "assignee_id": coach.id},
        headers=coach.auth,
    )
    await stack.http.post(
        f"{base}/notes", json={"body": "Riley wants to mentor new starters"}, headers=coach.auth
    )
    for viewport in (None, PHONE):
        page = await open_page(coach, **({"viewport": viewport} if viewport else {}))
        await page.goto(f"/meetings/{meeting['id']}")
        assert await accessibility_problems(page) == []
        await screenshot(page, "meeting")


async def test_m7_w3_a_coaching_appointment_is_rescheduled_to_a_slot_finder_time(
    stack: Stack, open_page: OpenPage
) -> None:
    division = f"div-{uuid.uuid4().hex[:6]}"
    coach = await stack.person("supervisor", divisions=[division])
    agent = await stack.person("agent", divisions=[division])
    soon = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=2)
    booked = await stack.create_meeting(
        coach,
        kind="coaching",
        name="Call review",
        participant_ids=[agent.id],
        starts_at=soon.isoformat(),
        duration_minutes=30,
    )
    assert booked.status_code == 201, booked.text
    meeting = booked.json()
    page = await open_page(coach)
    await page.goto(f"/meetings/{meeting['id']}")
    manage = _section(page, "Manage this meeting")
    await manage.locator("summary", has_text="Reschedule").click()
    slots = manage.get_by_role("group", name="New time (free for everyone, from the slot finder)")
    # Not the earliest: it may start in a minute, and be past by the time the form is sent.
    slot = slots.get_by_role("radio").nth(4)
    await expect(slot).to_be_visible()
    chosen = await slot.get_attribute("value") or ""
    await slot.check()
    await manage.get_by_label("Reason").first.fill("The agent is on a course")
    await manage.get_by_role("button", name="Reschedule meeting").click()
    await expect(page.get_by_role("status")).to_contain_text("Rescheduled")
    state = await stack.http.get(f"/v1/meetings/{meeting['id']}", headers=coach.auth)
    assert datetime.fromisoformat(state.json()["starts_at"]) == datetime.fromisoformat(chosen)
    # The week picker moves the finder's window on.
    await page.goto(f"/meetings/{meeting['id']}")
    await manage.locator("summary", has_text="Reschedule").click()
    await manage.get_by_role("link", name="Next week").click()
    await expect(slots.get_by_role("radio").first).to_be_visible()


async def test_c1_a_refused_topic_keeps_its_text_and_says_why_by_the_field(
    stack: Stack, open_page: OpenPage
) -> None:
    coach = await stack.person("supervisor")
    meeting = await stack.one_to_one(coach, await stack.person("agent"))
    page = await open_page(coach)
    await page.goto(f"/meetings/{meeting['id']}")
    agenda = _section(page, "Agenda")
    await agenda.get_by_label("New topic").fill("Read the policy")
    await agenda.get_by_label("Link (optional)").fill("ftp://files.example/policy")
    await agenda.get_by_role("button", name="Add topic").click()
    await expect(agenda.locator("#url-error")).to_contain_text("http(s) URL")
    await expect(agenda.get_by_label("New topic")).to_have_value("Read the policy")
    await expect(agenda.get_by_label("Link (optional)")).to_have_attribute("aria-invalid", "true")
