"""Connected calendars in the browser (SPEC K1, K2, K4): connect an ICS feed, see its 1:1s
and why the rest are not, import them; a calendar that cannot be read says why; someone
else's calendar is the not-found page (A3)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.async_api import expect

from tests.calendars.servers import file_server
from tests.support import Stack
from tests.web.conftest import PHONE, OpenPage, accessibility_problems, screenshot


@pytest.fixture(scope="module")
def feeds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    folder = tmp_path_factory.mktemp("web-feeds")
    with file_server(folder) as url:
        yield folder, url


def _feed(*events: tuple[str, str, datetime, str, str]) -> str:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//web test//EN"]
    for uid, summary, start, rule, attendee in events:
        lines += [
            "BEGIN:VEVENT", f"UID:{uid}", f"SUMMARY:{summary}",
            f"DTSTART:{start:%Y%m%dT%H%M%SZ}", "DURATION:PT30M",
            *([rule] if rule else []),
            *([f"ATTENDEE:mailto:{attendee}"] if attendee else []),
            "END:VEVENT",
        ]  # fmt: skip
    return "\r\n".join([*lines, "END:VCALENDAR"]) + "\r\n"


async def test_k1_k2_connect_a_feed_and_import_its_1_1s_in_the_browser(
    stack: Stack, open_page: OpenPage, feeds: tuple[Path, str]
) -> None:
    folder, base = feeds
    sam = await stack.person("supervisor", name="Sam Web")
    ana = await stack.person("agent", name="Ana Web")
    start = datetime.now(UTC).replace(hour=9, minute=0, second=0, microsecond=0) + timedelta(days=3)
    (folder / f"{sam.id}.ics").write_text(
        _feed(
            ("w", "Sam / Ana weekly", start, "RRULE:FREQ=WEEKLY", ana.email),
            ("d", "Stand-up", start, "RRULE:FREQ=DAILY", ""),
        )
    )
    page = await open_page(sam)
    await page.goto("/settings")
    await page.get_by_role("link", name="connected calendars").click()
    await page.get_by_label("Address", exact=True).fill(f"{base}/{sam.id}.ics")
    await page.get_by_label("Name (optional)").fill("Work calendar")
    await page.get_by_role("button", name="Connect").click()

    await expect(page.get_by_role("heading", name="Work calendar")).to_be_visible()
    await expect(page.locator("main")).to_contain_text("Working")
    await expect(page.locator("main")).to_contain_text(
        "Stand-up: it repeats daily, and Tandem 1:1s are weekly, every two or three weeks, or "
        "monthly"
    )
    await page.get_by_label("Sam / Ana weekly", exact=False).check()
    assert await accessibility_problems(page) == []
    await screenshot(page, "calendar")
    await page.get_by_role("button", name="Import").click()
    await expect(page.get_by_role("status")).to_contain_text("1 imported")
    mine = (await stack.http.get("/v1/series", headers=ana.auth)).json()["items"]
    assert [s["name"] for s in mine] == ["Sam / Ana weekly"]
    await expect(page.locator("main")).to_contain_text("Sam / Ana weekly: already imported")

    phone = await open_page(sam, viewport=PHONE)
    await phone.goto("/calendars")
    await expect(phone.get_by_role("link", name="Work calendar", exact=True)).to_be_visible()
    assert await accessibility_problems(phone) == []
    await screenshot(phone, "calendars")

    other = await open_page(await stack.person("supervisor"))
    calendar_id = page.url.rstrip("/").split("/")[-1].split("?")[0]
    answer = await other.goto(f"/calendars/{calendar_id}")
    assert answer is not None and answer.status == 404


async def test_k1_k4_a_refused_address_and_an_unreadable_calendar_say_why(
    stack: Stack, open_page: OpenPage, feeds: tuple[Path, str]
) -> None:
    _, base = feeds
    sam = await stack.person("supervisor")
    page = await open_page(sam)
    await page.goto("/calendars")
    await page.get_by_label("Address", exact=True).fill("http://169.254.169.254/latest/meta-data")
    await page.get_by_role("button", name="Connect").click()
    await expect(page.locator(".field-error").first).to_contain_text("private network")
    await expect(page.get_by_label("Address", exact=True)).to_have_value(
        "http://169.254.169.254/latest/meta-data"
    )

    await page.get_by_label("Address", exact=True).fill(f"{base}/missing.ics")
    await page.get_by_role("button", name="Connect").click()
    await expect(page.get_by_role("alert")).to_contain_text("there is no calendar at this address")
    await page.goto("/calendars")
    await expect(page.locator("main")).to_contain_text("cannot be read")
