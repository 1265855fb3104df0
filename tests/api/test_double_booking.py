"""SPEC W5: the booking guard holds under concurrency, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import datetime

import pytest

from tests.support import Stack, at


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> Stack:
    return request.getfixturevalue("stack" if request.param == "sqlite" else "pg_stack")


async def test_w5_twenty_concurrent_creates_one_wins_the_rest_name_the_winner(
    backend: Stack,
) -> None:
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
    winner = next(r for r in responses if r.status_code == 201).json()["id"]
    for refused in (r for r in responses if r.status_code == 409):
        error = refused.json()["error"]
        assert error["type"] == "Conflict"
        assert winner in error["message"]
        assert {c["meeting_id"] for c in error["details"]["conflicts"]} == {winner}

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
