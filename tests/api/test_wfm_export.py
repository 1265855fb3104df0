"""Coaching back to the WFM system (issue 12 item 5; SPEC W1 for the columns, W7 for the round
trip, A2/A3/A5 for who may read it), over HTTP against the real stack.

``GET /v1/wfm/coaching-activities`` lists booked coaching as activities of the unit's people, as
JSON or as CSV in the schedule import's columns; a schedule that comes back from the WFM system
with those activities on it must not make the same coaching ``invalid_schedule``.
"""

from __future__ import annotations

import csv
import io
import uuid
from datetime import datetime, timedelta
from typing import Any

from tests.api.test_coaching import book_coaching, iso, next_monday
from tests.api.test_wfm import LONDON, agent_week, as_csv
from tests.support import Person, Stack

PATH = "/v1/wfm/coaching-activities"


async def unit_with_coaching(stack: Stack) -> dict[str, Any]:
    division, unit = f"div-{uuid.uuid4().hex[:6]}", f"bu-{uuid.uuid4().hex[:6]}"
    sup = await stack.person("supervisor", divisions=[division])
    ana = await stack.person("agent", divisions=[division])
    ben = await stack.person("agent", divisions=[division])
    # A facilitator who is an agent of the unit too (a team lead on the phones).
    lead = await stack.person("supervisor", divisions=[division])
    planner = await stack.person("quality_manager", divisions=[division])
    monday = next_monday()
    schedule = {
        "business_unit": unit,
        "timezone": LONDON,
        "week_start": monday.isoformat(),
        "agents": [agent_week(p.id, monday) for p in (ana, ben, lead)],
    }
    loaded = await stack.http.put("/v1/wfm/schedules", json=schedule, headers=planner.auth)
    assert loaded.status_code == 200, loaded.text
    one = await book_coaching(stack, sup, ana, iso(monday, 14), name="Call review")
    two = await book_coaching(stack, lead, ben, iso(monday, 15), minutes=45, name="Follow-up")
    gone = await book_coaching(stack, sup, ben, iso(monday, 16), name="Cancelled one")
    cancelled = await stack.http.post(
        f"/v1/meetings/{gone['id']}/cancel", json={"reason": "not needed"}, headers=sup.auth
    )
    assert cancelled.status_code == 200, cancelled.text
    return {
        "unit": unit,
        "division": division,
        "monday": monday,
        "schedule": schedule,
        "sup": sup,
        "ana": ana,
        "ben": ben,
        "lead": lead,
        "planner": planner,
        "meetings": (one, two, gone),
    }


def week_params(setup: dict[str, Any], **extra: str) -> dict[str, str]:
    monday = setup["monday"]
    return {
        "business_unit": setup["unit"],
        "from": iso(monday, 0),
        "to": iso(monday + timedelta(days=7), 0),
        **extra,
    }


async def export(stack: Stack, who: Person, params: dict[str, str], **headers: str) -> Any:
    return await stack.http.get(PATH, params=params, headers={**who.auth, **headers})


async def test_w1_booked_coaching_is_listed_per_agent_and_facilitator_agent(stack: Stack) -> None:
    setup = await unit_with_coaching(stack)
    one, two, gone = setup["meetings"]
    response = await export(stack, setup["planner"], week_params(setup))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["business_unit"] == setup["unit"] and body["timezone"] == LONDON
    listed = {(i["meeting_id"], i["agent_id"], i["role"]) for i in body["items"]}
    assert listed == {
        (one["id"], setup["ana"].id, "attendee"),
        (two["id"], setup["ben"].id, "attendee"),
        (two["id"], setup["lead"].id, "facilitator"),
    }  # not the cancelled one; not the supervisor, who is no agent of the unit
    first = next(i for i in body["items"] if i["meeting_id"] == one["id"])
    assert datetime.fromisoformat(first["starts_at"]) == datetime.fromisoformat(one["starts_at"])
    assert first["starts_at"].endswith(("+00:00", "+01:00"))  # in the unit's zone
    assert first["category"] == "meeting" and first["interruptible"] is False
    assert first["code"] == f"tandem-coaching:{one['id']}"
    assert datetime.fromisoformat(first["shift_start"]) == datetime.fromisoformat(
        iso(setup["monday"], 9)
    )
    assert gone["id"] not in {i["meeting_id"] for i in body["items"]}

    # CSV by format=csv or by Accept: text/csv, in the import's columns.
    by_format = await export(stack, setup["planner"], week_params(setup, format="csv"))
    by_accept = await export(stack, setup["planner"], week_params(setup), Accept="text/csv")
    for answer in (by_format, by_accept):
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"].startswith("text/csv")
    assert by_format.text == by_accept.text
    rows = list(csv.DictReader(io.StringIO(by_format.text)))
    assert len(rows) == 3
    assert {r["activity_code"] for r in rows} == {
        f"tandem-coaching:{one['id']}",
        f"tandem-coaching:{two['id']}",
    }
    assert all(r["category"] == "meeting" and r["business_unit"] == setup["unit"] for r in rows)


async def test_w7_a_schedule_sent_back_with_tandems_coaching_does_not_flag_it(
    stack: Stack,
) -> None:
    """The round trip: the WFM system puts Tandem's export on its schedule and sends the
    schedule back; the coaching it lists is not invalid_schedule against itself."""
    setup = await unit_with_coaching(stack)
    one, two, _ = setup["meetings"]
    planner = setup["planner"]
    before = await stack.http.get(
        "/v1/wfm/schedules", params={"business_unit": setup["unit"]}, headers=planner.auth
    )
    exported = await export(stack, planner, week_params(setup, format="csv"))
    header, *coaching = exported.text.strip().splitlines()
    original = as_csv(setup["schedule"]).strip().splitlines()
    assert header == original[0] + ",activity_code"  # the import's columns, plus the code
    merged = [header, *(line + "," for line in original[1:]), *coaching]
    back = await stack.http.post(
        "/v1/wfm/schedules/import",
        content="\n".join(merged) + "\n",
        headers={**planner.auth, "Content-Type": "text/csv"},
    )
    assert back.status_code == 200, back.text
    assert back.json()["coaching_appointments_changed"] == 0
    for booked, who in ((one, setup["sup"]), (two, setup["lead"])):
        seen = await stack.http.get(f"/v1/meetings/{booked['id']}", headers=who.auth)
        assert seen.json()["status"] == "scheduled"
    # Tandem's own sessions are not stored as WFM activities: the schedule is as it was.
    after = await stack.http.get(
        "/v1/wfm/schedules", params={"business_unit": setup["unit"]}, headers=planner.auth
    )
    assert after.json()["agents"] == before.json()["agents"]

    # The same activity without Tandem's code is a real WFM meeting: it breaks the session.
    foreign = [line.rsplit(",", 1)[0] + ",WFM-MEETING" for line in coaching]
    merged = [header, *(line + "," for line in original[1:]), *foreign]
    broken = await stack.http.post(
        "/v1/wfm/schedules/import",
        content="\n".join(merged) + "\n",
        headers={**planner.auth, "Content-Type": "text/csv"},
    )
    assert broken.status_code == 200, broken.text
    assert broken.json()["coaching_appointments_changed"] == 2


async def test_a2_a5_and_bad_ranges_for_the_coaching_export(stack: Stack) -> None:
    setup = await unit_with_coaching(stack)
    planner, monday = setup["planner"], setup["monday"]
    cases = [
        ({"from": iso(monday, 12), "to": iso(monday, 9)}, "to"),
        ({"from": iso(monday, 9), "to": iso(monday + timedelta(weeks=14), 9)}, "to"),
        ({"from": "monday", "to": iso(monday, 9)}, "from"),
        ({"from": "2031-03-24T09:00:00", "to": iso(monday, 9)}, "from"),  # no offset
        ({"format": "xml"}, "format"),
    ]
    for change, field in cases:
        response = await export(stack, planner, {**week_params(setup), **change})
        assert response.status_code == 422, (change, response.text)
        assert response.json()["error"]["details"]["field"] == field, change
    no_to = {k: v for k, v in week_params(setup).items() if k != "to"}
    missing = await export(stack, planner, no_to)
    assert missing.status_code == 422 and missing.json()["error"]["details"]["field"] == "to"

    # The supervisor reads their division's unit; an agent may not (403), another division's
    # supervisor does not learn the unit exists (404); no token is 401.
    assert (await export(stack, setup["sup"], week_params(setup))).status_code == 200
    assert (await export(stack, setup["ana"], week_params(setup))).status_code == 403
    stranger = await stack.person("supervisor", divisions=["elsewhere"])
    assert (await export(stack, stranger, week_params(setup))).status_code == 404
    assert (await stack.http.get(PATH, params=week_params(setup))).status_code == 401
