"""Ops find meeting, series and plan workflows by search attributes (SPEC O1), kept current as
they change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tandem.workflows.meeting import workflow_id
from tandem.workflows.series import workflow_id as series_workflow_id
from tests.support import Stack, eventually


async def _ids(stack: Stack, query: str) -> set[str]:
    return {w.id async for w in stack.client.list_workflows(query)}


async def test_o1_meeting_workflows_carry_searchable_attributes(stack: Stack) -> None:
    sup, other, agent = (
        await stack.person("supervisor"),
        await stack.person("supervisor"),
        await stack.person("agent"),
    )
    meeting = await stack.one_to_one(sup, agent)
    wid = workflow_id(meeting["id"])

    await eventually(lambda: _has(stack, f'MeetingId = "{meeting["id"]}"', wid))
    await eventually(
        lambda: _has(stack, f'ParticipantIds = "{agent.id}" AND MeetingStatus = "scheduled"', wid)
    )
    await eventually(lambda: _has(stack, f'FacilitatorId = "{sup.id}"', wid))
    starts = datetime.fromisoformat(meeting["starts_at"])
    since, until = _z(starts - timedelta(minutes=1)), _z(starts + timedelta(minutes=1))
    await eventually(lambda: _has(stack, f'StartsAt >= "{since}" AND StartsAt < "{until}"', wid))

    moved = await stack.http.post(
        f"/v1/meetings/{meeting['id']}/reassign",
        json={"facilitator_id": other.id},
        headers=sup.auth,
    )
    assert moved.status_code == 200, moved.text
    await stack.http.post(f"/v1/meetings/{meeting['id']}/start", headers=other.auth)
    await eventually(
        lambda: _has(stack, f'FacilitatorId = "{other.id}" AND MeetingStatus = "in_progress"', wid)
    )
    assert wid not in await _ids(stack, f'FacilitatorId = "{sup.id}"')


async def test_o1_a_refused_create_is_not_findable_as_scheduled(stack: Stack) -> None:
    sup, agent = await stack.person("supervisor"), await stack.person("agent")
    kept = await stack.one_to_one(sup, agent)
    refused = await stack.create_meeting(
        sup,
        kind="one_to_one",
        name="Clash",
        participant_ids=[agent.id],
        starts_at=kept["starts_at"],
        duration_minutes=30,
    )
    assert refused.status_code == 409
    await eventually(
        lambda: _has(stack, f'ParticipantIds = "{agent.id}" AND MeetingStatus = "rejected"', None)
    )
    scheduled = await _ids(stack, f'ParticipantIds = "{agent.id}" AND MeetingStatus = "scheduled"')
    assert scheduled == {workflow_id(kept["id"])}


async def test_o1_m10_series_workflows_and_their_occurrences_are_findable(stack: Stack) -> None:
    sam, alex = await stack.person("supervisor"), await stack.person("supervisor")
    ana = await stack.person("agent")
    series = await stack.series(sam, ana)
    wid = series_workflow_id(series["id"])
    mine = f'FacilitatorId = "{sam.id}" AND ParticipantIds = "{ana.id}"'
    await eventually(lambda: _has(stack, f'{mine} AND SeriesStatus = "active"', wid))
    # Each occurrence's meeting workflow names its series.
    occurrences = await eventually(
        lambda: _ids(stack, f'SeriesId = "{series["id"]}" AND WorkflowType = "Meeting"')
    )
    assert all(o.startswith("meeting-") for o in occurrences)

    moved = await stack.http.post(
        f"/v1/series/{series['id']}/reassign",
        json={"facilitator_id": alex.id, "reason": "Sam leaves"},
        headers=sam.auth,
    )
    assert moved.status_code == 200, moved.text
    await eventually(
        lambda: _has(stack, f'FacilitatorId = "{alex.id}" AND SeriesId = "{series["id"]}"', wid)
    )
    ended = await stack.http.post(f"/v1/series/{series['id']}/end", headers=alex.auth)
    assert ended.status_code == 200, ended.text
    await eventually(
        lambda: _has(stack, f'SeriesId = "{series["id"]}" AND SeriesStatus = "ended"', wid)
    )
    assert wid not in await _ids(stack, f'FacilitatorId = "{sam.id}" AND WorkflowType = "Series"')


async def _has(stack: Stack, query: str, wid: str | None) -> bool:
    found = await _ids(stack, query)
    return bool(found) if wid is None else wid in found


def _z(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
