"""Booking a 1:1 that someone else facilitates (issue 7, SPEC A2, M1, N2): only admins and
assistants holding one-to-ones.schedule-for-others may, and the invitation names who acted."""

from __future__ import annotations

from tests.support import Stack, at, eventually


def _series_body(participant_id: str, facilitator_id: str) -> dict:
    return {
        "participant_id": participant_id,
        "facilitator_id": facilitator_id,
        "name": "Booked for you",
        "starts_at": at(days=1),
        "duration_minutes": 30,
        "timezone": "Europe/London",
        "recurrence": "weekly",
    }


async def test_a2_a_supervisor_cannot_book_a_1_1_or_series_for_another_supervisor(
    stack: Stack,
) -> None:
    sue, sam = await stack.person("supervisor"), await stack.person("supervisor")
    agent = await stack.person("agent")
    refused = await stack.create_meeting(
        sue,
        kind="one_to_one",
        name="Not mine to book",
        facilitator_id=sam.id,
        participant_ids=[agent.id],
        starts_at=at(days=2),
        duration_minutes=30,
    )
    assert refused.status_code == 403, refused.text
    assert refused.json()["error"]["details"]["field"] == "facilitator_id"
    series = await stack.http.post(
        "/v1/series", json=_series_body(agent.id, sam.id), headers=sue.auth
    )
    assert series.status_code == 403, series.text
    for who in (sam, agent):
        listed = await stack.http.get("/v1/meetings?role=participant", headers=who.auth)
        assert listed.json()["items"] == []
        notes = await stack.http.get("/v1/notifications", headers=who.auth)
        assert notes.json()["items"] == []


async def test_n2_an_assistant_books_for_their_manager_and_the_invitation_says_so(
    stack: Stack,
) -> None:
    admin = await stack.person("admin")
    defined = await stack.http.put(
        "/v1/roles/assistant",
        json={"name": "assistant", "permissions": ["one-to-ones.schedule-for-others"]},
        headers=admin.auth,
    )
    assert defined.status_code == 200, defined.text
    sue = await stack.person("assistant", name="Sue Assistant")
    sam = await stack.person("supervisor", name="Sam Manager")
    agent = await stack.person("agent")
    booked = await stack.create_meeting(
        sue,
        kind="one_to_one",
        name="Booked by Sue",
        facilitator_id=sam.id,
        participant_ids=[agent.id],
        starts_at=at(days=3),
        duration_minutes=30,
    )
    assert booked.status_code == 201, booked.text
    assert booked.json()["facilitator_id"] == sam.id

    notes = await eventually(lambda: stack.notifications(agent, "meeting_created"), within=15)
    assert "Sue Assistant, on behalf of Sam Manager, scheduled" in notes[0]["body"]
    history = await stack.http.get(f"/v1/meetings/{booked.json()['id']}/history", headers=sam.auth)
    assert history.json()["items"][0]["actor_name"] == "Sue Assistant"

    series = await stack.http.post(
        "/v1/series", json=_series_body(agent.id, sam.id), headers=admin.auth
    )
    assert series.status_code == 201, series.text
    notes = await eventually(lambda: stack.notifications(agent, "series_created"), within=15)
    assert f"{admin.name}, on behalf of Sam Manager, set up" in notes[0]["body"]
