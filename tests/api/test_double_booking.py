"""SPEC W5: the booking guard holds under concurrency, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.support import Stack, at


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> Stack:
    return request.getfixturevalue("stack" if request.param == "sqlite" else "pg_stack")


async def test_w5_a3_twenty_concurrent_creates_one_wins_the_rest_are_told_only_what_they_see(
    backend: Stack,
) -> None:
    """The losers learn who is busy and when; the winning meeting's id and name only if they
    may see it (a coaching appointment of their division's agent, A5), never otherwise (A3)."""
    agent = await backend.person("agent", divisions=["d1"])
    supervisors = [await backend.person("supervisor", divisions=["d1"]) for _ in range(20)]
    base = datetime.fromisoformat(at(days=5, hours=3))

    async def create(i: int, sup) -> object:
        # Different facilitators, overlapping (not identical) times, the same attendee.
        kind = "coaching" if i % 2 else "one_to_one"
        return await backend.create_meeting(
            sup,
            kind=kind,
            name=f"Race {i}",
            participant_ids=[agent.id],
            starts_at=at(minutes=5 * (i % 4), base=base),
            duration_minutes=30,
        )

    responses = await asyncio.gather(*(create(i, s) for i, s in enumerate(supervisors)))
    codes = sorted(r.status_code for r in responses)
    assert codes == [201] + [409] * 19, [
        r.text for r in responses if r.status_code not in (201, 409)
    ]
    won = next(r for r in responses if r.status_code == 201).json()
    winner = won["id"]
    for refused in (r for r in responses if r.status_code == 409):
        error = refused.json()["error"]
        assert error["type"] == "Conflict"
        assert error["message"].startswith(f"{agent.name} is busy from ")
        [conflict] = error["details"]["conflicts"]
        assert conflict["user_id"] == agent.id
        if won["kind"] == "coaching":
            assert winner in error["message"] and won["name"] in error["message"]
            assert conflict["meeting_id"] == winner
        else:
            assert winner not in refused.text and won["name"] not in refused.text
            assert "meeting_id" not in conflict

    listed = (await backend.http.get("/v1/meetings?role=participant", headers=agent.auth)).json()[
        "items"
    ]
    assert [m["id"] for m in listed] == [winner]


async def test_w5_reschedule_goes_through_the_same_guard(backend: Stack) -> None:
    sup, agent = await backend.person("supervisor"), await backend.person("agent")
    first = await backend.one_to_one(sup, agent, starts_at=at(days=6, hours=1))
    second = await backend.one_to_one(sup, agent, starts_at=at(days=6, hours=3))
    clash = await backend.http.post(
        f"/v1/meetings/{second['id']}/reschedule",
        json={"starts_at": at(days=6, hours=1, minutes=10), "reason": "earlier"},
        headers=sup.auth,
    )
    assert clash.status_code == 409 and first["id"] in clash.json()["error"]["message"]
    kept = (await backend.http.get(f"/v1/meetings/{second['id']}", headers=sup.auth)).json()
    assert kept["starts_at"] == second["starts_at"] and kept["version"] == second["version"]
    # Back-to-back is not an overlap.
    ok = await backend.http.post(
        f"/v1/meetings/{second['id']}/reschedule",
        json={"starts_at": first["ends_at"], "reason": "right after"},
        headers=sup.auth,
    )
    assert ok.status_code == 200, ok.text


async def test_a3_a_clash_with_a_meeting_the_caller_cannot_see_names_neither_it_nor_its_id(
    backend: Stack,
) -> None:
    agent = await backend.person("agent", tz="America/New_York")
    mine, theirs = await backend.person("supervisor"), await backend.person("supervisor")
    starts = at(days=8, hours=2)
    hidden = await backend.one_to_one(theirs, agent, name="Confidential review", starts_at=starts)
    clash = await backend.create_meeting(
        mine,
        kind="one_to_one",
        name="Mine",
        participant_ids=[agent.id],
        starts_at=starts,
        duration_minutes=30,
    )
    assert clash.status_code == 409, clash.text
    assert hidden["id"] not in clash.text and "Confidential review" not in clash.text
    error = clash.json()["error"]
    local = datetime.fromisoformat(starts).astimezone(ZoneInfo(mine.timezone))
    assert error["message"] == (
        f"{agent.name} is busy from {local:%a %d %b %Y, %H:%M} to "
        f"{local + timedelta(minutes=30):%H:%M} ({mine.timezone})"
    )

    # The owner of the hidden meeting, clashing with it, is told which meeting it is.
    again = await backend.create_meeting(
        theirs,
        kind="one_to_one",
        name="Double",
        participant_ids=[agent.id],
        starts_at=starts,
        duration_minutes=30,
    )
    assert again.status_code == 409
    assert "Confidential review" in again.json()["error"]["message"]
    assert again.json()["error"]["details"]["conflicts"][0]["meeting_id"] == hidden["id"]


async def test_m10_w5_a_reassign_without_reason_racing_a_create_never_double_books(
    backend: Stack,
) -> None:
    """Issue 8 item 3: the overlap decision is the guard's, inside the booking transaction.
    Twenty times: a 1:1 is reassigned (no reason) to a supervisor while a create books that
    supervisor at the same time. At most one of the two may win; the loser is a 409 naming who
    is busy, and the new facilitator never ends up with two overlapping bookings."""
    sup = await backend.person("supervisor")
    for run in range(20):
        target = await backend.person("supervisor")
        agent, other_agent = await backend.person("agent"), await backend.person("agent")
        starts = at(days=3, hours=run)
        meeting = await backend.one_to_one(sup, agent, starts_at=starts)
        reassign, create = await asyncio.gather(
            backend.http.post(
                f"/v1/meetings/{meeting['id']}/reassign",
                json={"facilitator_id": target.id},
                headers=sup.auth,
            ),
            backend.create_meeting(
                target,
                kind="one_to_one",
                name=f"Booked in the race {run}",
                participant_ids=[other_agent.id],
                starts_at=at(minutes=10, base=datetime.fromisoformat(starts)),
                duration_minutes=30,
            ),
        )
        codes = sorted([reassign.status_code, create.status_code])
        assert codes in ([200, 409], [201, 409]), (reassign.text, create.text)
        loser = reassign if reassign.status_code == 409 else create
        assert loser.json()["error"]["details"]["conflicts"][0]["user_id"] == target.id
        mine = await backend.http.get("/v1/meetings?role=facilitator", headers=target.auth)
        assert len(mine.json()["items"]) == 1, mine.json()
