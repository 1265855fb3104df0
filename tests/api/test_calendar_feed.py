"""A personal calendar feed (issue 10 item 2): a secret, rotatable link any calendar app polls,
listing one's meetings without their private content."""

from __future__ import annotations

from datetime import datetime

import httpx
from icalendar import Calendar

from tests.support import Stack, at


def _events(feed: str) -> dict[str, Calendar]:
    return {str(e["UID"]): e for e in Calendar.from_ical(feed).walk("VEVENT")}


async def _feed(url: str) -> httpx.Response:
    async with httpx.AsyncClient() as browserless:  # no bearer header, as a calendar app
        return await browserless.get(url)


async def test_k_the_feed_lists_ones_meetings_cancelled_ones_marked_and_nothing_private(
    stack: Stack,
) -> None:
    sup, agent, other = (
        await stack.person("supervisor"),
        await stack.person("agent"),
        await stack.person("agent"),
    )
    kept = await stack.one_to_one(
        sup, agent, name="Career chat", description="Talk about the raise", starts_at=at(days=2)
    )
    dropped = await stack.one_to_one(sup, agent, name="Dropped", starts_at=at(days=3))
    elsewhere = await stack.one_to_one(sup, other, name="Not Ana's", starts_at=at(days=4))
    note = await stack.http.post(
        f"/v1/meetings/{kept['id']}/notes",
        json={"body": "private-thought-3b1f", "visibility": "private"},
        headers=agent.auth,
    )
    assert note.status_code == 201, note.text
    cancel = await stack.http.post(
        f"/v1/meetings/{dropped['id']}/cancel",
        json={"reason": "No longer needed"},
        headers=sup.auth,
    )
    assert cancel.status_code == 200, cancel.text

    me = (await stack.http.get("/v1/users/me", headers=agent.auth)).json()
    url = me["calendar_feed_url"]
    assert url.startswith(f"{stack.base_url}/v1/users/{agent.id}/calendar.ics?token=")
    answer = await _feed(url)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/calendar")
    events = _events(answer.text)
    assert set(events) == {f"meeting-{kept['id']}@tandem", f"meeting-{dropped['id']}@tandem"}
    chat = events[f"meeting-{kept['id']}@tandem"]
    assert chat["STATUS"] == "CONFIRMED" and str(chat["SUMMARY"]) == "Career chat"
    assert (
        chat.start.astimezone().timestamp() == datetime.fromisoformat(kept["starts_at"]).timestamp()
    )
    assert events[f"meeting-{dropped['id']}@tandem"]["STATUS"] == "CANCELLED"
    for private in ("private-thought-3b1f", "Talk about the raise", "Not Ana's", elsewhere["id"]):
        assert private not in answer.text

    # The facilitator's own feed has all three.
    sup_url = (await stack.http.get("/v1/users/me", headers=sup.auth)).json()["calendar_feed_url"]
    assert len(_events((await _feed(sup_url)).text)) == 3


async def test_k_rotating_the_feed_link_retires_the_old_one(stack: Stack) -> None:
    agent, other = await stack.person("agent"), await stack.person("agent")
    old = (await stack.http.get("/v1/users/me", headers=agent.auth)).json()["calendar_feed_url"]
    assert (await _feed(old)).status_code == 200
    rotated = await stack.http.post("/v1/users/me/calendar-token", headers=agent.auth)
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()["calendar_feed_url"]
    assert new != old and (await _feed(new)).status_code == 200
    assert (await _feed(old)).status_code == 404
    me = (await stack.http.get("/v1/users/me", headers=agent.auth)).json()
    assert me["calendar_feed_url"] == new

    token = new.split("token=")[1]
    for wrong in (
        f"{stack.base_url}/v1/users/{other.id}/calendar.ics?token={token}",  # someone else's
        f"{stack.base_url}/v1/users/{agent.id}/calendar.ics?token={token}x",
        f"{stack.base_url}/v1/users/{agent.id}/calendar.ics",
    ):
        refused = await _feed(wrong)
        assert refused.status_code == 404 and refused.json()["error"]["type"] == "NotFound"
