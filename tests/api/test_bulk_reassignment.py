"""Bulk reassignment (SPEC M10): "move all of Sam's meetings to Alex", with progress.

Every move is a single reassignment (guard, notices, history), so what the new facilitator may
not take (a coaching clash, a division they lack) stays with the reason.
"""

from __future__ import annotations

import uuid
from typing import Any

from tests.support import Person, Stack, at, eventually


async def _done(stack: Stack, job: dict[str, Any], who: Person) -> dict[str, Any] | None:
    got = await stack.http.get(f"/v1/reassignments/{job['id']}", headers=who.auth)
    assert got.status_code == 200, got.text
    body = got.json()
    return body if body["state"] == "done" else None


async def test_m10_bulk_moves_future_meetings_and_series_and_reports_what_stayed(
    stack: Stack,
) -> None:
    east, west = f"east-{uuid.uuid4().hex[:6]}", f"west-{uuid.uuid4().hex[:6]}"
    sam = await stack.person("supervisor", name="Sam Leaving", divisions=[east, west])
    alex = await stack.person("supervisor", name="Alex Taking", divisions=[east])
    agents = [await stack.person("agent", divisions=[east]) for _ in range(4)]
    outsider = await stack.person("agent", divisions=[west])

    one = await stack.one_to_one(sam, agents[0], starts_at=at(days=2, hours=1))
    two = await stack.one_to_one(sam, agents[0], starts_at=at(days=2, hours=3))
    series = await stack.series(sam, agents[1])
    clash_time = at(days=3, hours=2)

    async def coaching(by: Person, agent: Person, starts_at: str) -> dict:
        made = await stack.create_meeting(
            by,
            kind="coaching",
            name="Call review",
            participant_ids=[agent.id],
            starts_at=starts_at,
            duration_minutes=30,
        )
        assert made.status_code == 201, made.text
        return made.json()

    clashing = await coaching(sam, agents[2], clash_time)
    await coaching(alex, agents[3], clash_time)  # Alex coaches someone else then (W3)
    other_division = await coaching(sam, outsider, at(days=4))

    key = {"Idempotency-Key": f"sam-leaves-{uuid.uuid4()}"}
    body = {
        "from_user_id": sam.id,
        "to_user_id": alex.id,
        "reason": "Sam is leaving the team",
        "scope": "both",
    }
    started = await stack.http.post("/v1/reassignments", json=body, headers={**sam.auth, **key})
    assert started.status_code == 202, started.text
    job = started.json()
    assert job["state"] in ("queued", "running", "done") and job["from_user_id"] == sam.id

    done = await eventually(lambda: _done(stack, job, sam), within=60, every=0.3)
    # The series counts once: its occurrences move with it, not again as meetings.
    assert done["total"] == 5 and done["done"] == 5
    assert {t["id"] for t in done["moved"]} == {one["id"], two["id"], series["id"]}
    stayed = {t["id"]: t["reason"] for t in done["not_moved"]}
    assert set(stayed) == {clashing["id"], other_division["id"]}
    assert stayed[clashing["id"]].startswith("Alex Taking is busy from")
    assert "division" in stayed[other_division["id"]]

    # Each move was a real reassignment: Alex facilitates, the history says who and why.
    moved = (await stack.http.get(f"/v1/meetings/{one['id']}", headers=alex.auth)).json()
    assert moved["facilitator_id"] == alex.id
    history = (await stack.http.get(f"/v1/meetings/{one['id']}/history", headers=alex.auth)).json()
    entry = next(e for e in history["items"] if e["action"] == "reassigned")
    assert entry["reason"] == "Sam is leaving the team" and entry["actor_id"] == sam.id
    assert await eventually(lambda: stack.notifications(alex, "reassigned"))

    # The series and its occurrences ahead are Alex's; occurrences not made yet will be too.
    again = (await stack.http.get(f"/v1/series/{series['id']}", headers=alex.auth)).json()
    assert again["facilitator_id"] == alex.id
    listed = (
        await stack.http.get("/v1/meetings?role=facilitator&limit=100", headers=alex.auth)
    ).json()["items"]
    occurrences = [m for m in listed if m.get("series_id") == series["id"]]
    assert occurrences and all(m["facilitator_id"] == alex.id for m in occurrences)
    # What stayed is still Sam's.
    kept = (await stack.http.get(f"/v1/meetings/{clashing['id']}", headers=sam.auth)).json()
    assert kept["facilitator_id"] == sam.id

    # The same key again: the same job, not a second one.
    repeat = await stack.http.post("/v1/reassignments", json=body, headers={**sam.auth, **key})
    assert repeat.status_code == 202 and repeat.json()["id"] == job["id"]
    assert repeat.headers["Idempotent-Replayed"] == "true"


async def test_m10_only_ops_move_someone_elses_meetings_and_jobs_are_private(
    stack: Stack,
) -> None:
    sam, chris = await stack.person("supervisor"), await stack.person("supervisor")
    ops, agent = await stack.person("ops"), await stack.person("agent")
    meeting = await stack.one_to_one(chris, agent)
    body = {"from_user_id": chris.id, "to_user_id": sam.id, "reason": "cover"}

    refused = await stack.http.post("/v1/reassignments", json=body, headers=sam.auth)
    assert refused.status_code == 403, refused.text
    assert refused.json()["error"]["details"]["field"] == "from_user_id"
    refused = await stack.http.post("/v1/reassignments", json=body, headers=agent.auth)
    assert refused.status_code == 403

    started = await stack.http.post("/v1/reassignments", json=body, headers=ops.auth)
    assert started.status_code == 202, started.text
    done = await eventually(lambda: _done(stack, started.json(), ops), within=60, every=0.3)
    assert [t["id"] for t in done["moved"]] == [meeting["id"]]
    # A3: someone else's job is not there for a supervisor; its author and ops see it.
    hidden = await stack.http.get(f"/v1/reassignments/{done['id']}", headers=sam.auth)
    assert hidden.status_code == 404
    missing = await stack.http.get(f"/v1/reassignments/{uuid.uuid4()}", headers=ops.auth)
    assert missing.status_code == 404


async def test_m10_bulk_refuses_bad_input_naming_the_field(stack: Stack) -> None:
    sam = await stack.person("supervisor")
    for body, field in (
        ({"from_user_id": sam.id, "to_user_id": sam.id, "reason": "x"}, "to_user_id"),
        ({"from_user_id": sam.id, "to_user_id": "nobody", "reason": "x"}, "to_user_id"),
        ({"from_user_id": sam.id, "to_user_id": "nobody", "reason": "x", "scope": "all"}, "scope"),
        ({"from_user_id": sam.id, "to_user_id": "nobody"}, "reason"),
    ):
        refused = await stack.http.post("/v1/reassignments", json=body, headers=sam.auth)
        assert refused.status_code == 422, refused.text
        assert field in refused.text, (field, refused.text)


async def test_m10_series_reassign_moves_its_occurrences_and_keeps_s2(stack: Stack) -> None:
    sam, alex, agent = (
        await stack.person("supervisor"),
        await stack.person("supervisor"),
        await stack.person("agent"),
    )
    series = await stack.series(sam, agent)
    moved = await stack.http.post(
        f"/v1/series/{series['id']}/reassign",
        json={"facilitator_id": alex.id, "reason": "new team"},
        headers=sam.auth,
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["facilitator_id"] == alex.id and moved.json()["not_moved"] == []
    first = series["occurrences"][0]["meeting_id"]
    occurrence = (await stack.http.get(f"/v1/meetings/{first}", headers=alex.auth)).json()
    assert occurrence["facilitator_id"] == alex.id

    # S2: a pair that already has a series cannot get a second one by reassignment.
    other = await stack.series(await stack.person("supervisor"), agent)
    refused = await stack.http.post(
        f"/v1/series/{other['id']}/reassign",
        json={"facilitator_id": alex.id, "reason": "merge"},
        headers={"Authorization": f"Bearer {(await stack.person('admin')).token}"},
    )
    assert refused.status_code == 409, refused.text
    assert series["id"] in refused.json()["error"]["message"]
    unchanged = await stack.http.get(f"/v1/series/{other['id']}", headers=alex.auth)
    assert unchanged.status_code == 404  # still not Alex's
