"""A real browser for web tests: the system's Chromium driven by Playwright, against the real
stack (tests/conftest.py). Nothing is downloaded: Playwright uses /usr/bin/chromium.

Use in a test::

    from tests.web.conftest import screenshot

    async def test_something(stack: Stack, open_page: OpenPage) -> None:
        agent = await stack.person("agent")
        page = await open_page(agent)             # a signed-in page at 1280x800
        await page.goto("/notifications")
        await expect(page.get_by_role("heading", name="Notifications")).to_be_visible()
        await screenshot(page, "notifications")   # docs/screenshots/notifications-desktop.png
        phone = await open_page(agent, viewport=PHONE)
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, BrowserContext, Page, ViewportSize, async_playwright

from tests.support import Person, Stack

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = ViewportSize(width=1280, height=800)
PHONE = ViewportSize(width=375, height=812)
AXE = Axe()
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

OpenPage = Callable[..., Awaitable[Page]]


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        await launched.close()


async def sign_in(
    page: Page, person: Person, *, start: str = "/sign-in", lands_on: str = "**/meetings"
) -> None:
    """Signs in the way a person does: pastes their API token into the sign-in form at
    ``start``, and waits to arrive at ``lands_on`` (a URL glob)."""
    await page.goto(start)
    await page.get_by_label("API token", exact=True).fill(person.token)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(lands_on)


@pytest.fixture
async def open_page(browser: Browser, stack: Stack) -> AsyncIterator[OpenPage]:
    """``await open_page(person=None, viewport=DESKTOP, **context_options)``: a page in a fresh
    browser context (its own cookies) on the stack, signed in as ``person`` if given."""
    contexts: list[BrowserContext] = []

    async def open_(
        person: Person | None = None, *, viewport: ViewportSize = DESKTOP, **options: Any
    ) -> Page:
        context = await browser.new_context(base_url=stack.base_url, viewport=viewport, **options)
        contexts.append(context)
        page = await context.new_page()
        if person is not None:
            await sign_in(page, person)
        return page

    yield open_
    for context in contexts:
        await context.close()


async def screenshot(page: Page, name: str) -> Path:
    """Saves the whole page as docs/screenshots/<name>-desktop.png (or -phone.png when the
    viewport is phone-sized), for the docs and for reviewers."""
    size = page.viewport_size or DESKTOP
    path = SCREENSHOTS / f"{name}-{'phone' if size['width'] < 600 else 'desktop'}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(path), full_page=True)
    return path


async def accessibility_problems(page: Page) -> list[str]:
    """What keeps a person from using the page: axe-core's serious and critical findings
    (unlabelled controls, contrast, landmarks, …), and content wider than the screen."""
    results = await AXE.run(page)
    problems = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    width = (page.viewport_size or DESKTOP)["width"]
    if await page.evaluate("document.documentElement.scrollWidth") > width:
        problems.append(f"the page scrolls sideways at {width} px")
    return problems


async def unreachable_by_keyboard(page: Page) -> list[str]:
    """The visible controls that Tab never reaches, each as ``tag "text"``. A radio group is
    one Tab stop (arrows move inside it), so only its first or checked radio counts."""
    count = await page.evaluate(
        """() => {
            const seenGroups = new Set();
            const controls = [...document.querySelectorAll(
                'a[href], button, input, select, textarea, summary, [tabindex]')]
              .filter(el => el.checkVisibility() && !el.disabled
                            && el.getAttribute('tabindex') !== '-1' && el.type !== 'hidden')
              .filter(el => {
                  if (el.type !== 'radio') return true;
                  const group = el.form ? el.form.elements[el.name] : null;
                  const key = (el.form ? [...document.forms].indexOf(el.form) : -1) + el.name;
                  if (seenGroups.has(key)) return false;
                  seenGroups.add(key);
                  const checked = group && [...group].find(r => r.checked);
                  if (checked && checked !== el) { checked.dataset.kb = 'pending'; return false; }
                  return true;
              });
            controls.forEach((el, i) => { el.dataset.kb = String(i); });
            document.querySelectorAll('[data-kb="pending"]').forEach((el, i) => {
                el.dataset.kb = String(controls.length + i); });
            return document.querySelectorAll('[data-kb]').length;
        }"""
    )
    await page.locator("body").focus()
    reached: set[str] = set()
    # Date and time inputs take one Tab per part (day, month, hour, ...): allow for them.
    for _ in range(count * 6):
        await page.keyboard.press("Tab")
        mark = await page.evaluate("() => document.activeElement.dataset.kb || null")
        if mark is not None:
            reached.add(mark)
        if len(reached) == count:
            break
    return await page.evaluate(
        """(reached) => [...document.querySelectorAll('[data-kb]')]
            .filter(el => !reached.includes(el.dataset.kb))
            .map(el => el.tagName.toLowerCase() + ' "' + (el.innerText || el.name).trim() + '"')""",
        sorted(reached),
    )
