"""A meeting's history (SPEC O1): the audit lines merged with what Temporal saw, in the
viewer's zone, with the workflow's Temporal UI link; readable by the meeting's people and ops
(A3: 404 to anyone else), never with note contents (C5)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from tests.support import Person, Stack, api_command, at, eventually


async def _history(stack: Stack, meeting_id: str, who: Person) -> dict:
    got = await stack.http.get(f"/v1/meetings/{meeting_id}/history", headers=who.auth)
    assert got.status_code == 200, got.text
    return got.json()


def _offset(zone: str) -> str:
    return datetime.now(ZoneInfo(zone)).isoformat()[-6:]


async def test_o1_history_merges_audit_lines_with_refusals_in_the_viewers_zone(
    stack: Stack,
) -> None:
    sam = await stack.person("supervisor", name="Sam Paris", tz="Europe/Paris")
    ben = await stack.person("agent", tz="America/New_York")
    busy = await stack.person("supervisor", name="Busy Boss")
    meeting = await stack.one_to_one(sam, ben, starts_at=at(days=3, hours=2))
    await stack.one_to_one(busy, await stack.person("agent"), starts_at=at(days=4, hours=2))
    moved = await stack.http.post(
        f"/v1/meetings/{meeting['id']}/reschedule",
        json={"starts_at": at(days=4, hours=2), "reason": "Team training"},
        headers=sam.auth,
    )
    assert moved.status_code == 200, moved.text
    note = await stack.http.post(
        f"/v1/meetings/{meeting['id']}/notes",
        json={"body": "Ben wants the night shift", "visibility": "private"},
        headers=sam.auth,
    )
    assert note.status_code == 201, note.text
    # Accepted by the workflow, then refused inside the booking transaction: only Temporal's
    # history keeps it.
    refused = await stack.http.post(
        f"/v1/meetings/{meeting['id']}/reassign", json={"facilitator_id": busy.id}, headers=sam.auth
    )
    assert refused.status_code == 409, refused.text

    history = await _history(stack, meeting["id"], sam)
    workflow = f"meeting-{meeting['id']}"
    assert history["workflow_id"] == workflow and history["complete"] is True
    assert history["workflow_url"] == (
        f"{stack.settings.temporal_ui_url}/namespaces/{stack.settings.temporal_namespace}"
        f"/workflows/{workflow}"
    )
    assert history["timezone"] == "Europe/Paris"
    items = history["items"]
    assert [i["action"] for i in items] == ["created", "rescheduled", "change_refused"]
    assert all(i["at"].endswith(_offset("Europe/Paris")) for i in items)
    assert [i["at"] for i in items] == sorted(i["at"] for i in items)
    rescheduled, refusal = items[1], items[2]
    assert rescheduled["source"] == "audit" and rescheduled["reason"] == "Team training"
    assert rescheduled["details"]["from"]["starts_at"] != rescheduled["details"]["to"]["starts_at"]
    assert refusal["source"] == "workflow" and refusal["details"] == {"change": "reassign"}
    assert refusal["actor_name"] == "Sam Paris"
    assert "give a reason to assign them anyway" in refusal["error"]
    assert "night shift" not in str(history)  # C5

    # The participant reads the same timeline in their own zone; ops may read it too.
    theirs = await _history(stack, meeting["id"], ben)
    assert [i["action"] for i in theirs["items"]] == [i["action"] for i in items]
    assert all(i["at"].endswith(_offset("America/New_York")) for i in theirs["items"])
    ops = await stack.person("ops", tz="UTC")
    assert len((await _history(stack, meeting["id"], ops))["items"]) == 3
    outsider = await stack.person("agent")
    hidden = await stack.http.get(f"/v1/meetings/{meeting['id']}/history", headers=outsider.auth)
    assert hidden.status_code == 404


async def test_o1_an_occurrence_shows_the_series_changes_that_reached_it(stack: Stack) -> None:
    sam = await stack.person("supervisor", name="Sam Series")
    ana = await stack.person("agent")
    series = await stack.series(sam, ana)

    async def occurrences() -> list[dict] | None:
        items = (
            await stack.http.get("/v1/meetings?role=participant&limit=50", headers=ana.auth)
        ).json()["items"]
        mine = [m for m in items if m["series_id"] == series["id"]]
        return mine if len(mine) >= 2 else None

    first = (await eventually(occurrences))[0]
    edited = await stack.http.patch(
        f"/v1/series/{series['id']}", json={"name": "Weekly sync"}, headers=sam.auth
    )
    assert edited.status_code == 200, edited.text

    history = await _history(stack, first["id"], ana)
    assert history["series_workflow_id"] == f"series-{series['id']}"
    change = next(i for i in history["items"] if i["action"] == "series_edited")
    assert change["source"] == "workflow" and change["details"] == {"changed": ["name"]}
    assert change["actor_name"] == "Sam Series"
    # The occurrence's own line for the same change follows it.
    actions = [i["action"] for i in history["items"]]
    assert actions.index("series_edited") < actions.index("edited")


async def test_o1_tandem_history_prints_the_timeline_through_the_api(stack: Stack) -> None:
    sam = await stack.person("supervisor", tz="Europe/Paris")
    meeting = await stack.one_to_one(sam, await stack.person("agent"))
    code, out, err = await api_command(stack, sam, "history", meeting["id"])
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == f"meeting {meeting['id']}  (times in Europe/Paris)"
    assert lines[1].startswith(f"workflow meeting-{meeting['id']}: http")
    assert "created" in lines[2] and _offset("Europe/Paris").replace(":", "") in lines[2]

    stranger = await stack.person("agent")
    code, out, err = await api_command(stack, stranger, "history", meeting["id"])
    assert (code, err) == (2, "error: no such meeting [HTTP 404]\n")
