"""Ops find meeting workflows through Temporal's visibility (SPEC O1): by facilitator,
participant, status and days in their own zone, over the API and ``tandem ops find``, with the
query to type into the Temporal UI; only with ``ops.history.view`` (A3)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from tests.support import Person, Stack, api_command, at, eventually


async def _found(stack: Stack, who: Person, **params: str) -> dict:
    got = await stack.http.get("/v1/ops/meetings", params=params, headers=who.auth)
    assert got.status_code == 200, got.text
    return got.json()


async def test_o1_ops_find_meetings_by_person_status_and_days(stack: Stack) -> None:
    ops = await stack.person("ops", tz="America/New_York")
    sam = await stack.person("supervisor", name="Sam Finder")
    ana, ben = await stack.person("agent", name="Ana Found"), await stack.person("agent")
    soon = await stack.one_to_one(sam, ana, name="Soon", starts_at=at(days=2))
    later = await stack.one_to_one(sam, ana, name="Later", starts_at=at(days=9))
    await stack.one_to_one(sam, ben, name="Someone else", starts_at=at(days=2, hours=3))
    cancelled = await stack.http.post(
        f"/v1/meetings/{later['id']}/cancel", json={"reason": "ill"}, headers=sam.auth
    )
    assert cancelled.status_code == 200, cancelled.text

    async def matching(**params: str) -> list[str] | None:
        items = (await _found(stack, ops, **params))["items"]
        return [i["meeting_id"] for i in items] or None

    both = await eventually(lambda: matching(facilitator=sam.id, participant=ana.id))
    assert sorted(both) == sorted([soon["id"], later["id"]])
    assert await eventually(lambda: matching(participant=ana.id, status="cancelled")) == [
        later["id"]
    ]

    # Days are the caller's own: Ops in New York asks for the day "Soon" falls on there.
    day = datetime.fromisoformat(soon["starts_at"]).astimezone(ZoneInfo("America/New_York"))
    page = await _found(
        stack,
        ops,
        participant=ana.id,
        **{"from": day.date().isoformat(), "to": day.date().isoformat()},
    )
    assert [i["meeting_id"] for i in page["items"]] == [soon["id"]]
    item = page["items"][0]
    assert item["name"] == "Soon" and item["status"] == "scheduled"
    assert item["facilitator"] == {"id": sam.id, "name": "Sam Finder"}
    assert item["participants"] == [{"id": ana.id, "name": "Ana Found"}]
    assert item["starts_at"] == day.isoformat()
    assert page["query"].startswith('WorkflowType = "Meeting" AND ParticipantIds = ')
    # The query is what the Temporal UI takes: the same search, straight to visibility.
    listed = {w.id async for w in stack.client.list_workflows(page["query"])}
    assert listed == {f"meeting-{soon['id']}"}

    day_after = (day + timedelta(days=1)).date().isoformat()
    assert (await _found(stack, ops, participant=ana.id, **{"from": day_after}))["items"][0][
        "meeting_id"
    ] == later["id"]


async def test_o1_a3_finding_needs_ops_history_view_and_clean_filters(stack: Stack) -> None:
    sam, ops = await stack.person("supervisor"), await stack.person("ops")
    refused = await stack.http.get("/v1/ops/meetings", headers=sam.auth)
    assert refused.status_code == 403, refused.text
    assert refused.json()["error"]["details"]["permission"] == "ops.history.view"
    for params, field in (
        ({"status": "lost"}, "status"),
        ({"facilitator": 'x" OR WorkflowType = "Series'}, "facilitator"),
        ({"from": "2031-02-30"}, "from"),
        ({"from": "2031-02-10", "to": "2031-02-01"}, "to"),
    ):
        bad = await stack.http.get("/v1/ops/meetings", params=params, headers=ops.auth)
        assert bad.status_code == 422, (params, bad.text)
        assert bad.json()["error"]["details"]["field"] == field


async def test_o1_tandem_ops_find_prints_the_query_and_the_meetings(stack: Stack) -> None:
    ops = await stack.person("ops", tz="UTC")
    sam = await stack.person("supervisor", name="Sam Cli")
    ana = await stack.person("agent", name="Ana Cli")
    meeting = await stack.one_to_one(sam, ana, name="Found by the CLI")

    async def listed() -> str | None:
        code, out, err = await api_command(stack, ops, "ops", "find", "--participant", ana.id)
        assert code == 0, err
        return out if meeting["id"] in out else None

    out = (await eventually(listed)).splitlines()
    assert out[0] == f'query: WorkflowType = "Meeting" AND ParticipantIds = "{ana.id}"'
    assert "scheduled" in out[1] and "Found by the CLI  (Sam Cli with Ana Cli)" in out[1]
    assert out[1].endswith(f"meeting-{meeting['id']}")
    code, _, err = await api_command(stack, sam, "ops", "find", "--participant", ana.id)
    assert code == 2 and "ops.history.view" in err
