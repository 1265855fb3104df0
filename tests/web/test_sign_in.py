"""Signing in and out of the web app (SPEC A3 for browsers): API token or e-mailed link,
session cookies, and the CSRF gate on every form."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
from playwright.async_api import Page, expect
from sqlalchemy import func, select, update

from tandem.store.schema import MagicLinkRow, WebSessionRow
from tests.support import Person, Stack, eventually
from tests.web.conftest import OpenPage, sign_in

LINK = re.compile(r"https?://\S+/sign-in/link/\S+")
LINK_SENT = "If that address belongs to a Tandem user, a sign-in link is on its way."


async def _session_cookie(page: Page) -> dict:
    [cookie] = [c for c in await page.context.cookies() if c["name"] == "tandem_session"]
    return cookie


async def _ask_for_link(page: Page, email: str) -> None:
    await page.goto("/sign-in")
    await page.get_by_label("Your e-mail address").fill(email)
    await page.get_by_role("button", name="E-mail me a link").click()
    await expect(page.get_by_role("status")).to_have_text(LINK_SENT)


async def _emailed_link(stack: Stack, person: Person, already: int = 0) -> str:
    assert stack.mailbox is not None
    messages = await eventually(lambda: stack.mailbox.to(person.email)[already:])
    body = messages[0].get_body(("plain",)).get_content()
    assert messages[0]["X-Tandem-Kind"] == "sign_in_link"
    return LINK.search(body).group(0)


async def test_a3_sign_in_with_an_api_token_lands_on_my_meetings(
    stack: Stack, open_page: OpenPage
) -> None:
    agent = await stack.person("agent")
    page = await open_page(agent)
    assert page.url.endswith("/meetings")
    await page.goto("/settings")
    await expect(page.locator("header")).to_contain_text(agent.name)
    await expect(page.locator("header")).to_contain_text("(Europe/London)")


async def test_a3_a_wrong_token_is_refused_next_to_the_field(
    stack: Stack, open_page: OpenPage
) -> None:
    page = await open_page()
    await page.goto("/sign-in")
    await page.get_by_label("API token", exact=True).fill("tdm_not-a-real-token")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.locator("#token-error")).to_contain_text("That token is not valid")
    await expect(page.get_by_label("API token", exact=True)).to_have_attribute(
        "aria-invalid", "true"
    )
    # The secret is never echoed back into the page.
    assert "tdm_not-a-real-token" not in await page.content()
    assert not [c for c in await page.context.cookies() if c["name"] == "tandem_session"]


async def test_a3_sign_in_with_an_emailed_link_works_once(
    stack: Stack, open_page: OpenPage
) -> None:
    agent = await stack.person("agent")
    page = await open_page()
    await _ask_for_link(page, agent.email)
    link = await _emailed_link(stack, agent)
    assert link.startswith(stack.settings.base_url)

    # Opening the link (as a mail scanner would) uses nothing up; the button does.
    await page.goto(link)
    await page.goto(link)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url("**/meetings")
    await page.goto("/settings")
    await expect(page.locator("header")).to_contain_text(agent.name)

    again = await open_page()
    await again.goto(link)
    await expect(again.get_by_role("alert")).to_contain_text("already been used")
    assert not await again.get_by_role("button", name="Sign in").count()

    # The link is a credential for one inbox, not an in-app notification.
    notes = await stack.http.get("/v1/notifications", headers=agent.auth)
    assert [n for n in notes.json()["items"] if n["kind"] == "sign_in_link"] == []


async def test_a3_an_expired_link_is_refused(stack: Stack, open_page: OpenPage) -> None:
    agent = await stack.person("agent")
    page = await open_page()
    await _ask_for_link(page, agent.email)
    link = await _emailed_link(stack, agent)
    await stack.db.write(
        lambda s: s.execute(
            update(MagicLinkRow)
            .where(MagicLinkRow.user_id == agent.id)
            .values(expires_at=datetime.now(UTC) - timedelta(minutes=1))
        )
    )
    await page.goto(link)
    await expect(page.get_by_role("alert")).to_contain_text("expired")
    # Even a button kept from before the expiry does not sign in.
    [token] = [c["value"] for c in await page.context.cookies() if c["name"] == "tandem_csrf"]
    response = await page.request.post(link, form={"next": "/meetings", "csrf_token": token})
    assert response.status == 422 and "expired" in await response.text()
    assert not [c for c in await page.context.cookies() if c["name"] == "tandem_session"]


async def test_a3_asking_for_a_link_never_reveals_whether_the_address_is_known(
    stack: Stack, open_page: OpenPage
) -> None:
    agent = await stack.person("agent")
    page = await open_page()
    await _ask_for_link(page, agent.email)
    known = await page.locator("main").inner_text()
    await _ask_for_link(page, "nobody-at-all@example.com")
    unknown = await page.locator("main").inner_text()
    assert known.replace(agent.email, "") == unknown.replace("nobody-at-all@example.com", "")
    await _emailed_link(stack, agent)


async def test_a3_after_sign_out_the_old_cookie_is_refused(
    stack: Stack, open_page: OpenPage
) -> None:
    agent = await stack.person("agent")
    page = await open_page(agent)
    old = await _session_cookie(page)
    await page.get_by_role("button", name="Sign out").click()
    await page.wait_for_url("**/sign-in")
    rows = await stack.db.read(
        lambda s: s.scalar(
            select(func.count()).select_from(WebSessionRow).where(WebSessionRow.user_id == agent.id)
        )
    )
    assert rows == 0

    replay = await open_page()
    await replay.context.add_cookies([old])
    await replay.goto("/notifications")
    assert replay.url.endswith("/sign-in?next=/notifications")
    await expect(replay.get_by_role("heading", name="Sign in to Tandem")).to_be_visible()


async def test_a3_an_expired_session_is_sent_to_sign_in_and_back(
    stack: Stack, open_page: OpenPage
) -> None:
    agent = await stack.person("agent")
    page = await open_page(agent)
    await stack.db.write(
        lambda s: s.execute(
            update(WebSessionRow)
            .where(WebSessionRow.user_id == agent.id)
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    )
    await page.goto("/settings")
    assert page.url.endswith("/sign-in?next=/settings")
    await page.get_by_label("API token", exact=True).fill(agent.token)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url("**/settings")


async def test_a3_session_cookie_is_http_only_and_same_site_lax(
    stack: Stack, open_page: OpenPage
) -> None:
    agent = await stack.person("agent")
    page = await open_page(agent)
    cookie = await _session_cookie(page)
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Lax"
    assert cookie["path"] == "/"
    assert cookie["secure"] is False  # plain http on loopback; https sets Secure
    assert await page.evaluate("document.cookie") == ""


async def test_a3_a_form_post_without_the_csrf_token_is_refused_and_changes_nothing(
    stack: Stack, open_page: OpenPage
) -> None:
    agent = await stack.person("agent")
    page = await open_page(agent)
    await page.goto("/settings")
    token = await page.locator("input[name=csrf_token]").first.get_attribute("value")
    cookie = await _session_cookie(page)
    jar = {"tandem_session": cookie["value"]}
    change = {"timezone": "Asia/Tokyo", "meeting_reminders": "on"}
    async with httpx.AsyncClient(base_url=stack.base_url, cookies=jar) as browserless:
        missing = await browserless.post("/settings", data=change)
        wrong = await browserless.post("/settings", data={**change, "csrf_token": "guess"})
        for refused in (missing, wrong):
            assert refused.status_code == 403
            assert "text/html" in refused.headers["content-type"]
            assert "not sent from a Tandem page" in refused.text
        me = await stack.http.get("/v1/users/me", headers=agent.auth)
        assert me.json()["timezone"] == "Europe/London"

        # The same request with the session's token (as htmx sends it) goes through.
        allowed = await browserless.post("/settings", data=change, headers={"X-CSRF-Token": token})
        assert allowed.status_code == 303
    me = await stack.http.get("/v1/users/me", headers=agent.auth)
    assert me.json()["timezone"] == "Asia/Tokyo"


async def test_a3_the_sign_in_forms_need_their_double_submit_token(stack: Stack) -> None:
    agent = await stack.person("agent")
    async with httpx.AsyncClient(base_url=stack.base_url) as browserless:
        refused = await browserless.post("/sign-in/token", data={"token": agent.token})
        assert refused.status_code == 403
        assert "tandem_session" not in refused.cookies
        await browserless.get("/sign-in")  # sets the double-submit cookie
        token = browserless.cookies["tandem_csrf"]
        accepted = await browserless.post(
            "/sign-in/token", data={"token": agent.token, "csrf_token": token}
        )
        assert accepted.status_code == 303
        assert "tandem_session" in accepted.cookies


async def test_a3_sign_in_only_returns_to_paths_on_this_site(
    stack: Stack, open_page: OpenPage
) -> None:
    agent = await stack.person("agent")
    page = await open_page()
    await sign_in(page, agent, start="/sign-in?next=//evil.example.com/x")
    assert page.url == f"{stack.base_url}/meetings"

    again = await open_page()
    await sign_in(again, agent, start="/sign-in?next=/settings", lands_on="**/settings")


async def test_a3_htmx_requests_without_a_session_are_told_where_to_sign_in(
    stack: Stack,
) -> None:
    async with httpx.AsyncClient(base_url=stack.base_url) as browserless:
        answer = await browserless.get(
            "/notifications",
            headers={"HX-Request": "true", "HX-Current-URL": f"{stack.base_url}/settings"},
        )
        assert answer.status_code == 401
        assert answer.headers["HX-Redirect"] == "/sign-in?next=/settings"
        page = await browserless.get("/notifications")
        assert page.status_code == 303
        assert page.headers["location"] == "/sign-in?next=/notifications"
        home = await browserless.get("/")
        assert home.headers["location"] == "/sign-in"


async def test_a3_unknown_pages_are_an_html_not_found_and_the_api_stays_json(
    stack: Stack, open_page: OpenPage
) -> None:
    agent = await stack.person("agent")
    page = await open_page(agent)
    response = await page.goto("/no-such-page")
    assert response is not None and response.status == 404
    await expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    api = await stack.http.get("/v1/no-such-thing", headers=agent.auth)
    assert api.status_code == 404 and api.json()["error"]["type"] == "NotFound"
