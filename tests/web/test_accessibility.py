"""Accessibility of the foundation pages at desktop and phone widths: axe-core finds nothing
serious, the sign-in form works by keyboard alone, nothing scrolls sideways on a phone. Also
saves the screenshots under docs/screenshots/."""

from __future__ import annotations

import pytest
from playwright.async_api import ViewportSize, expect

from tests.support import Person, Stack, at, eventually
from tests.web.conftest import (
    DESKTOP,
    PHONE,
    OpenPage,
    accessibility_problems,
    screenshot,
    unreachable_by_keyboard,
)

PAGES = {"sign-in": "/sign-in", "notifications": "/notifications", "settings": "/settings"}


async def _with_a_notification(stack: Stack) -> Person:
    supervisor = await stack.person("supervisor", name="Sam Supervisor")
    agent = await stack.person("agent", name="Alex Agent")
    await stack.one_to_one(supervisor, agent, name="Weekly 1:1")

    async def listed() -> list[dict]:
        return (await stack.http.get("/v1/notifications", headers=agent.auth)).json()["items"]

    await eventually(listed)
    return agent


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
async def test_pages_have_no_serious_axe_violations_and_fit_the_screen(
    stack: Stack, open_page: OpenPage, viewport: ViewportSize
) -> None:
    agent = await _with_a_notification(stack)
    anonymous = await open_page(viewport=viewport)
    signed_in = await open_page(agent, viewport=viewport)
    for name, path in PAGES.items():
        page = anonymous if name == "sign-in" else signed_in
        await page.goto(path)
        await expect(page.locator("h1")).to_be_visible()
        assert await accessibility_problems(page) == [], name
        await screenshot(page, name)


async def test_the_sign_in_controls_are_reached_by_tab_and_each_is_labelled(
    open_page: OpenPage,
) -> None:
    page = await open_page()
    await page.goto("/sign-in")
    reached = []
    for _ in range(8):
        await page.keyboard.press("Tab")
        reached.append(
            await page.evaluate(
                """() => {
                    const el = document.activeElement;
                    const label = el.labels && el.labels.length ? el.labels[0].innerText : null;
                    return {tag: el.tagName, name: el.name || el.innerText, label};
                }"""
            )
        )
    assert reached[0] == {"tag": "A", "name": "Skip to content", "label": None}
    controls = [r for r in reached if r["tag"] in ("INPUT", "BUTTON")]
    assert [(r["tag"], r["name"]) for r in controls[:4]] == [
        ("INPUT", "email"),
        ("BUTTON", "E-mail me a link"),
        ("INPUT", "token"),
        ("BUTTON", "Sign in"),
    ]
    assert [r["label"] for r in controls if r["tag"] == "INPUT"][:2] == [
        "Your e-mail address",
        "API token",
    ]

    # Enter on the skip link moves focus past the header.
    await page.goto("/sign-in")
    await page.keyboard.press("Tab")
    await page.keyboard.press("Enter")
    assert await page.evaluate("document.activeElement.id") == "main"


async def test_focus_is_visible(open_page: OpenPage) -> None:
    page = await open_page()
    await page.goto("/sign-in")
    await page.keyboard.press("Tab")
    await page.keyboard.press("Tab")
    await page.keyboard.press("Tab")
    outline = await page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
async def test_lists_series_and_ops_pages_have_no_serious_axe_violations(
    stack: Stack, open_page: OpenPage, viewport: ViewportSize
) -> None:
    coach = await stack.person("supervisor")
    agent = await stack.person("agent")
    ops = await stack.person("ops")
    meeting = await stack.one_to_one(coach, agent, name="Checked by axe")
    series = await stack.series(coach, agent, name="Axe series", starts_at=at(days=3))
    pages = {
        coach: [
            "/meetings",
            "/meetings?tab=participant",
            "/series",
            f"/series/{series['id']}",
        ],
        ops: ["/ops?q=axe", f"/ops/meetings/{meeting['id']}"],
    }
    for person, paths in pages.items():
        page = await open_page(person, viewport=viewport)
        for path in paths:
            await page.goto(path)
            await expect(page.locator("h1")).to_be_visible()
            assert await accessibility_problems(page) == [], path


async def test_every_control_of_the_main_pages_is_reached_by_tab(
    stack: Stack, open_page: OpenPage
) -> None:
    coach = await stack.person("supervisor")
    agent = await stack.person("agent")
    meeting = await stack.one_to_one(coach, agent, name="Keyboard only")
    await stack.http.post(
        f"/v1/meetings/{meeting['id']}/agenda", json={"text": "A topic"}, headers=coach.auth
    )
    series = await stack.series(coach, agent, name="Keyboard series", starts_at=at(days=3))
    page = await open_page(coach)
    for path in (
        "/meetings",
        f"/meetings/{meeting['id']}",
        "/series",
        f"/series/{series['id']}",
        "/coaching",
        "/notifications",
        "/settings",
    ):
        await page.goto(path)
        missed = await unreachable_by_keyboard(page)
        assert missed == [], f"{path}: {missed}"
