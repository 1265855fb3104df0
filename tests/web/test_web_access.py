"""Every web page needs a signed-in session (SPEC A3 for browsers), apart from signing in
itself; a new page without one fails here."""

from __future__ import annotations

import re
import uuid

import httpx

from tandem.api.app import create_app
from tandem.web.errors import is_web_path
from tests.api.test_access import _walk
from tests.support import Stack

SIGN_IN = {
    ("GET", "/"),
    ("GET", "/sign-in"),
    ("POST", "/sign-in/token"),
    ("POST", "/sign-in/link"),
    ("GET", "/sign-in/link/{token}"),
    ("POST", "/sign-in/link/{token}"),
    ("POST", "/sign-out"),
}


def _web_routes(stack: Stack) -> list[tuple[str, str]]:
    return sorted(r for r in _walk(create_app(stack.settings).routes) if is_web_path(r[1]))


def _concrete(path: str) -> str:
    return re.sub(r"\{[a-z_]+\}", lambda _: str(uuid.uuid4()), path)


async def test_a3_every_page_without_a_session_goes_to_sign_in(stack: Stack) -> None:
    routes = [r for r in _web_routes(stack) if r not in SIGN_IN]
    assert ("GET", "/notifications") in routes and ("POST", "/settings") in routes
    stale = {"tandem_session": "no-longer-a-session"}
    async with httpx.AsyncClient(base_url=stack.base_url, cookies=stale) as browser:
        for method, path in routes:
            concrete = _concrete(path)
            answer = await browser.request(method, concrete, data={"csrf_token": "x"})
            assert answer.status_code == 303, (method, path, answer.status_code)
            location = answer.headers["location"]
            assert location.startswith("/sign-in"), (method, path, location)
            if method == "GET":
                assert location == f"/sign-in?next={concrete}"


async def test_a3_a_form_posted_from_another_site_is_refused(stack: Stack) -> None:
    """No session cookie and no token, as a cross-site form would arrive: every POST is 403."""
    posts = [path for method, path in _web_routes(stack) if method == "POST"]
    async with httpx.AsyncClient(base_url=stack.base_url) as outsider:
        for path in posts:
            answer = await outsider.post(_concrete(path), data={"x": "1"})
            assert answer.status_code == 403, (path, answer.status_code)
