"""Recurring 1:1s through the API (SPEC S1-S4, N2): materialised ahead, edited, ended."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from tests.support import Person, Stack, at, eventually


async def create_series(stack: Stack, sup: Person, agent: Person, **overrides) -> dict:
    return await stack.series(sup, agent, **overrides)


async def occurrence_meetings(stack: Stack, person: Person, series_id: str) -> list[dict]:
    items = (
        await stack.http.get("/v1/meetings?role=participant&limit=200", headers=person.auth)
    ).json()["items"]
    return [m for m in items if m["series_id"] == series_id]


async def test_s3_n2_series_materialises_four_weeks_and_announces_once(stack: Stack) -> None:
    sup, agent = await stack.person("supervisor"), await stack.person("agent")
    series = await create_series(stack, sup, agent)
    made = await eventually(lambda: _at_least(stack, agent, series["id"], 4))
    assert [m["occurrence_index"] for m in made] == list(range(len(made)))
    assert len(made) in (4, 5)
    first = datetime.fromisoformat(series["starts_at"])
    assert all(
        datetime.fromisoformat(m["starts_at"]) < first + timedelta(weeks=4, minutes=1) for m in made
    )
    notes = (await stack.http.get("/v1/notifications", headers=agent.auth)).json()["items"]
    assert [n["kind"] for n in notes] == ["series_created"]


async def _at_least(stack, person, series_id, n):
    found = await occurrence_meetings(stack, person, series_id)
    return found if len(found) >= n else None


async def test_s2_one_active_series_per_pair_whoever_facilitates(stack: Stack) -> None:
    sup, agent = await stack.person("supervisor"), await stack.person("supervisor")
    first = await create_series(stack, sup, agent)
    for who, other in ((sup, agent), (agent, sup)):
        again = await stack.http.post(
            "/v1/series",
            json={
                "participant_id": other.id,
                "name": "Second",
                "starts_at": at(days=3),
                "duration_minutes": 30,
                "timezone": "UTC",
                "recurrence": "biweekly",
            },
            headers=who.auth,
        )
        assert again.status_code == 409, again.text
        assert again.json()["error"]["details"]["series_id"] == first["id"]
    ended = await stack.http.post(
        f"/v1/series/{first['id']}/end", json={"reason": "new cadence"}, headers=sup.auth
    )
    assert ended.status_code == 200 and ended.json()["status"] == "ended"
    assert (await create_series(stack, agent, sup, starts_at=at(days=9)))["status"] == "active"


async def test_s1_occurrences_are_listed_months_ahead_with_utc_and_local_times(
    stack: Stack,
) -> None:
    sup, agent = await stack.person("supervisor"), await stack.person("agent")
    series = await create_series(stack, sup, agent, recurrence="triweekly")
    start = datetime.now(UTC) + timedelta(days=150)
    listed = await stack.http.get(
        f"/v1/series/{series['id']}/occurrences",
        params={"from": start.isoformat(), "to": (start + timedelta(days=63)).isoformat()},
        headers=agent.auth,
    )
    assert listed.status_code == 200, listed.text
    items = listed.json()["items"]
    assert len(items) == 3
    assert all(i["status"] == "planned" and not i["materialised"] for i in items)
    gaps = {
        datetime.fromisoformat(b["starts_at_local"]) - datetime.fromisoformat(a["starts_at_local"])
        for a, b in pairwise(items)
    }
    assert {g.days for g in gaps} == {21}
    first_local = datetime.fromisoformat(series["starts_at"]).astimezone(ZoneInfo("Europe/London"))
    assert {i["starts_at_local"][11:16] for i in items} == {first_local.strftime("%H:%M")}


DST_ZONES = ["Europe/London", "America/New_York", "Australia/Sydney", "Asia/Kolkata"]


async def test_s1_a_0900_weekly_series_stays_0900_local_across_dst_in_four_zones(
    stack: Stack,
) -> None:
    sup = await stack.person("supervisor")
    for zone in DST_ZONES:
        agent = await stack.person("agent", tz=zone)
        tomorrow = datetime.now(ZoneInfo(zone)) + timedelta(days=1)
        nine = tomorrow.replace(hour=9, minute=0, second=0, microsecond=0)
        series = await create_series(stack, sup, agent, timezone=zone, starts_at=nine.isoformat())
        listed = await stack.http.get(
            f"/v1/series/{series['id']}/occurrences",
            params={
                "to": (nine + timedelta(days=371)).isoformat(),
                "from": nine.isoformat(),
                "limit": 60,
            },
            headers=sup.auth,
        )
        items = listed.json()["items"]
        assert len(items) == 53
        assert {i["starts_at_local"][11:16] for i in items} == {"09:00"}, zone
        offsets = {datetime.fromisoformat(i["starts_at_local"]).utcoffset() for i in items}
        utc_times = {i["starts_at"][11:16] for i in items}
        if zone == "Asia/Kolkata":
            assert utc_times == {"03:30"}
        else:
            assert len(offsets) == 2 and len(utc_times) == 2, (zone, utc_times)
        await stack.http.post(f"/v1/series/{series['id']}/end", headers=sup.auth)


async def test_s3_editing_moves_future_occurrences_and_keeps_their_index(stack: Stack) -> None:
    sup, agent = await stack.person("supervisor"), await stack.person("agent")
    series = await create_series(stack, sup, agent)
    before = await eventually(lambda: _at_least(stack, agent, series["id"], 4))
    agenda = await stack.http.post(
        f"/v1/meetings/{before[1]['id']}/agenda", json={"text": "Goals for Q3"}, headers=agent.auth
    )
    assert agenda.status_code == 201

    edited = await stack.http.patch(
        f"/v1/series/{series['id']}",
        json={"duration_minutes": 45, "name": "Weekly sync"},
        headers=sup.auth,
    )
    assert edited.status_code == 200, edited.text
    # Nothing has happened yet, so the new plan replaces the old one from occurrence 0.
    assert len(edited.json()["segments"]) == 1 and edited.json()["duration_minutes"] == 45

    after = await occurrence_meetings(stack, agent, series["id"])
    by_index = {m["occurrence_index"]: m for m in after}
    # The first occurrence has not started yet, so it changes too; ids and content stay.
    assert all(m["duration_minutes"] == 45 and m["name"] == "Weekly sync" for m in after)
    assert by_index[1]["id"] == before[1]["id"]
    items = (
        await stack.http.get(f"/v1/meetings/{before[1]['id']}/agenda", headers=agent.auth)
    ).json()["items"]
    assert [i["text"] for i in items] == ["Goals for Q3"]


async def test_s3_deleting_one_instance_removes_only_that_occurrence(stack: Stack) -> None:
    sup, agent = await stack.person("supervisor"), await stack.person("agent")
    series = await create_series(stack, sup, agent)
    made = await eventually(lambda: _at_least(stack, agent, series["id"], 4))
    gone = made[2]
    deleted = await stack.http.request(
        "DELETE",
        f"/v1/series/{series['id']}/occurrences/{gone['id']}",
        json={"reason": "Holiday"},
        headers=sup.auth,
    )
    assert deleted.status_code == 200, deleted.text
    assert deleted.json()["skipped"] == [2]
    assert (
        await stack.http.get(f"/v1/meetings/{gone['id']}", headers=agent.auth)
    ).status_code == 404
    remaining = {
        m["occurrence_index"] for m in await occurrence_meetings(stack, agent, series["id"])
    }
    assert 2 not in remaining and {0, 1, 3} <= remaining

    # A planned occurrence months ahead can be deleted before it is even materialised.
    far = await stack.http.get(
        f"/v1/series/{series['id']}/occurrences",
        params={"from": (datetime.now(UTC) + timedelta(weeks=20)).isoformat()},
        headers=sup.auth,
    )
    target = far.json()["items"][0]
    assert target["materialised"] is False
    skip = await stack.http.delete(
        f"/v1/series/{series['id']}/occurrences/{target['meeting_id']}", headers=sup.auth
    )
    assert skip.status_code == 200 and target["index"] in skip.json()["skipped"]
    listed = await stack.http.get(
        f"/v1/series/{series['id']}/occurrences",
        params={"from": target["starts_at"]},
        headers=sup.auth,
    )
    assert listed.json()["items"][0]["status"] == "deleted"
    again = await stack.http.delete(
        f"/v1/series/{series['id']}/occurrences/{gone['id']}", headers=sup.auth
    )
    assert again.status_code == 409


async def test_s4_ending_cancels_what_is_ahead_and_then_it_can_be_archived(stack: Stack) -> None:
    sup, agent = await stack.person("supervisor"), await stack.person("agent")
    series = await create_series(stack, sup, agent)
    made = await eventually(lambda: _at_least(stack, agent, series["id"], 4))
    refused = await stack.http.post(f"/v1/series/{series['id']}/archive", headers=sup.auth)
    assert refused.status_code == 409

    ended = await stack.http.post(
        f"/v1/series/{series['id']}/end", json={"reason": "Reorg"}, headers=sup.auth
    )
    assert ended.json()["status"] == "ended"
    statuses = {m["status"] for m in await occurrence_meetings(stack, agent, series["id"])}
    assert statuses == {"cancelled"}
    notes = (await stack.http.get("/v1/notifications", headers=agent.auth)).json()["items"]
    assert sum(n["kind"] == "cancelled" for n in notes) == len(made)
    assert (
        await stack.http.patch(f"/v1/series/{series['id']}", json={"name": "x"}, headers=sup.auth)
    ).status_code == 409

    archived = await stack.http.post(f"/v1/series/{series['id']}/archive", headers=sup.auth)
    assert archived.status_code == 200 and archived.json()["archived"] is True
    listed = (await stack.http.get("/v1/series?archived=true", headers=sup.auth)).json()["items"]
    assert [s["id"] for s in listed] == [series["id"]]


async def test_s3_a_clashing_occurrence_is_reported_not_dropped(stack: Stack) -> None:
    sup, agent = await stack.person("supervisor"), await stack.person("agent")
    other = await stack.person("supervisor")
    first_start = datetime.fromisoformat(at(days=1, hours=4))
    blocker = await stack.one_to_one(
        other, agent, starts_at=(first_start + timedelta(weeks=2)).isoformat()
    )
    series = await create_series(stack, sup, agent, starts_at=first_start.isoformat())

    async def reported():
        s = (await stack.http.get(f"/v1/series/{series['id']}", headers=sup.auth)).json()
        return s["clashes"] or None

    clashes = await eventually(reported)
    assert clashes[0]["index"] == 2 and blocker["id"] in clashes[0]["reason"]
    made = {m["occurrence_index"] for m in await occurrence_meetings(stack, agent, series["id"])}
    assert 2 not in made and {0, 1, 3} <= made
    told = await eventually(lambda: _kinds(stack, sup, "occurrence_clash"))
    assert len(told) == 1
    listed = await stack.http.get(
        f"/v1/series/{series['id']}/occurrences",
        params={"from": first_start.isoformat()},
        headers=sup.auth,
    )
    assert listed.json()["items"][2]["status"] == "clash"


async def _kinds(stack: Stack, person: Person, kind: str) -> list[dict] | None:
    items = (await stack.http.get("/v1/notifications", headers=person.auth)).json()["items"]
    return [n for n in items if n["kind"] == kind] or None


async def test_s3_a_monthly_series_always_has_its_next_occurrence(stack: Stack) -> None:
    sup, agent = await stack.person("supervisor"), await stack.person("agent")
    series = await create_series(
        stack, sup, agent, recurrence="monthly", starts_at=at(days=1, hours=3)
    )
    made = await eventually(lambda: _at_least(stack, agent, series["id"], 1))
    await stack.http.get(f"/v1/series/{series['id']}", headers=sup.auth)
    assert len(made) in (1, 2)  # the first; the second only if it falls within four weeks


async def test_s1_bad_recurrence_is_422_naming_the_field_and_creates_nothing(stack: Stack) -> None:
    sup, agent = await stack.person("supervisor"), await stack.person("agent")
    base = {
        "participant_id": agent.id,
        "name": "x",
        "starts_at": at(days=2),
        "duration_minutes": 30,
        "timezone": "UTC",
    }
    for recurrence in (
        "fortnightly",
        "RRULE:FREQ=WEEKLY;COUNT=0",
        "RRULE:FREQ=WEEKLY;UNTIL=20200101T000000Z",
        "RRULE:FREQ=HOURLY",
        "",
    ):
        response = await stack.http.post(
            "/v1/series", json={**base, "recurrence": recurrence}, headers=sup.auth
        )
        assert response.status_code == 422, (recurrence, response.text)
        assert response.json()["error"]["details"]["field"] == "recurrence", recurrence
    for field, value in (
        ("starts_at", at(days=-1)),
        ("duration_minutes", 0),
        ("timezone", "Mars/Olympus"),
        ("participant_id", sup.id),
    ):
        response = await stack.http.post(
            "/v1/series", json={**base, "recurrence": "weekly", field: value}, headers=sup.auth
        )
        assert response.status_code == 422, (field, response.text)
    assert (await stack.http.get("/v1/series", headers=sup.auth)).json()["items"] == []
    assert (await stack.http.get("/v1/notifications", headers=agent.auth)).json()["items"] == []


async def test_s3_state_survives_several_continue_as_new_hops(stack: Stack) -> None:
    """The test dev server suggests continue-as-new after 60 events (tests/conftest.py)."""
    sup, agent = await stack.person("supervisor"), await stack.person("agent")
    series = await create_series(stack, sup, agent)
    made = await eventually(lambda: _at_least(stack, agent, series["id"], 4))
    await stack.http.delete(
        f"/v1/series/{series['id']}/occurrences/{made[3]['id']}", headers=sup.auth
    )
    for round_ in range(6):
        edited = await stack.http.patch(
            f"/v1/series/{series['id']}",
            json={"duration_minutes": 30 + 15 * (round_ % 2), "name": f"Sync {round_}"},
            headers=sup.auth,
        )
        assert edited.status_code == 200, edited.text

    runs = await eventually(lambda: _runs(stack, series["id"], at_least=3))
    assert len(runs) >= 3
    state = await stack.client.get_workflow_handle(f"series-{series['id']}").query("state")
    assert state["series"]["name"] == "Sync 5" and state["series"]["skipped"] == [3]
    assert state["series"]["segments"][-1]["duration_minutes"] == 45
    meetings = {
        m["occurrence_index"]: m for m in await occurrence_meetings(stack, agent, series["id"])
    }
    assert (
        3 not in meetings
        and meetings[2]["name"] == "Sync 5"
        and meetings[2]["duration_minutes"] == 45
    )
    # Still alive after the hops: one more change goes through.
    assert (
        await stack.http.post(f"/v1/series/{series['id']}/end", headers=sup.auth)
    ).status_code == 200


async def _runs(stack: Stack, series_id: str, at_least: int) -> list | None:
    runs = [w async for w in stack.client.list_workflows(f'WorkflowId = "series-{series_id}"')]
    return runs if len(runs) >= at_least else None


async def test_a3_a4_series_are_404_to_strangers_and_403_to_the_participant(stack: Stack) -> None:
    sup, agent = await stack.person("supervisor"), await stack.person("agent")
    stranger, ops = await stack.person("supervisor"), await stack.person("ops")
    series = await create_series(stack, sup, agent, description="Career plan")
    made = await eventually(lambda: _at_least(stack, agent, series["id"], 1))
    base = f"/v1/series/{series['id']}"
    calls = [
        ("GET", base, None),
        ("GET", f"{base}/occurrences", None),
        ("PATCH", base, {"name": "x"}),
        ("POST", f"{base}/end", None),
        ("DELETE", f"{base}/occurrences/{made[0]['id']}", None),
        ("POST", f"{base}/archive", None),
    ]
    for method, path, body in calls:
        hidden = await stack.http.request(method, path, json=body, headers=stranger.auth)
        assert hidden.status_code == 404, (method, path, hidden.text)
        own = await stack.http.request(method, path, json=body, headers=agent.auth)
        assert own.status_code == (200 if method == "GET" else 403), (method, path, own.text)
    seen = (await stack.http.get(base, headers=ops.auth)).json()
    assert seen["view"] == "lifecycle" and "description" not in seen
    assert (await stack.http.patch(base, json={"name": "x"}, headers=ops.auth)).status_code == 403
    assert (await stack.http.get(base, headers=sup.auth)).json()["name"] == "Weekly 1:1"


async def test_s3_create_and_edit_answer_after_their_occurrences_are_booked(
    stack: Stack,
) -> None:
    """Read your own write: the 201 lists the booked occurrences, and an immediate GET of the
    participant's meetings shows every one of them; the same after an edit."""
    sup, agent = await stack.person("supervisor"), await stack.person("agent")
    series = await create_series(stack, sup, agent)
    booked = [o for o in series["occurrences"] if o["materialised"]]
    assert len(booked) in (4, 5), series["occurrences"]
    listed = await occurrence_meetings(stack, agent, series["id"])
    assert [m["id"] for m in listed] == [o["meeting_id"] for o in booked]

    edited = await stack.http.patch(
        f"/v1/series/{series['id']}", json={"duration_minutes": 45}, headers=sup.auth
    )
    assert edited.status_code == 200, edited.text
    moved = [o for o in edited.json()["occurrences"] if o["materialised"]]
    listed = {m["id"]: m for m in await occurrence_meetings(stack, agent, series["id"])}
    assert moved and all(listed[o["meeting_id"]]["duration_minutes"] == 45 for o in moved)
