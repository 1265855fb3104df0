"""Appointments that heal themselves (SPEC W7 extended by issue 12 item 4; N5 for what people are
told, A3 for who may ask), over HTTP against the real stack with real SMTP.

A WFM import breaks a booked coaching appointment: the facilitator's notice lists the best three
replacement slots (in the facilitator's zone), ``GET /v1/meetings/{id}/replacement-slots`` ranks
them exactly as the slot query does, and a division with ``auto_rebook`` has Tandem move the
appointment itself through the normal reschedule, once, whatever is retried.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from tandem.domain.times import human
from tandem.store import meetings as store_meetings
from tandem.usecases import replacements
from tandem.usecases.context import Services
from tests.api.test_coaching import book_coaching, iso, monday_staffing, next_monday, week_of_shifts
from tests.support import Person, Stack, eventually

NEW_YORK = "America/New_York"


async def team(stack: Stack) -> tuple[Person, Person, Person, str, str, date]:
    """A supervisor in New York coaching an agent (London shifts), and their quality manager."""
    division, unit = f"div-{uuid.uuid4().hex[:6]}", f"bu-{uuid.uuid4().hex[:6]}"
    sup = await stack.person("supervisor", divisions=[division], tz=NEW_YORK)
    agent = await stack.person("agent", divisions=[division])
    planner = await stack.person("quality_manager", divisions=[division])
    monday = next_monday()
    await _import(stack, planner, unit, monday, week_of_shifts(agent.id, monday))
    staffed = await stack.http.put(
        "/v1/wfm/staffing", json=monday_staffing(unit, monday), headers=planner.auth
    )
    assert staffed.status_code == 200, staffed.text
    return sup, agent, planner, division, unit, monday


async def _import(
    stack: Stack, planner: Person, unit: str, monday: date, agent_week: dict
) -> dict[str, Any]:
    schedule = {
        "business_unit": unit,
        "timezone": "Europe/London",
        "week_start": monday.isoformat(),
        "agents": [agent_week],
    }
    response = await stack.http.put("/v1/wfm/schedules", json=schedule, headers=planner.auth)
    assert response.status_code == 200, response.text
    return response.json()


def meal_at(agent: Person, monday: date, hour: int) -> dict:
    """The agent's week with Monday's meal moved to ``hour``:00-``hour+1``:00."""
    week = week_of_shifts(agent.id, monday)
    week["shifts"][0]["activities"][2] |= {
        "starts_at": iso(monday, hour),
        "ends_at": iso(monday, hour + 1),
    }
    return week


async def settings(stack: Stack, who: Person, division: str, **body: Any) -> Any:
    return await stack.http.put(
        f"/v1/coaching/division-settings/{division}", json=body, headers=who.auth
    )


async def history(stack: Stack, who: Person, meeting_id: str) -> list[dict]:
    response = await stack.http.get(f"/v1/meetings/{meeting_id}/history", headers=who.auth)
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def meeting(stack: Stack, who: Person, meeting_id: str) -> dict:
    return (await stack.http.get(f"/v1/meetings/{meeting_id}", headers=who.auth)).json()


def starts(slots: list[dict]) -> list[datetime]:
    return [datetime.fromisoformat(s["starts_at"]) for s in slots]


async def test_w7_notice_offers_the_three_best_slots_and_the_endpoint_ranks_as_the_slot_query(
    stack: Stack,
) -> None:
    sup, agent, planner, _, unit, monday = await team(stack)
    booked = await book_coaching(stack, sup, agent, iso(monday, 14), name="Call review")
    imported = await _import(stack, planner, unit, monday, meal_at(agent, monday, 14))
    assert imported["coaching_appointments_changed"] == 1
    assert (await meeting(stack, sup, booked["id"]))["status"] == "invalid_schedule"

    offered = await stack.http.get(
        f"/v1/meetings/{booked['id']}/replacement-slots", headers=sup.auth
    )
    assert offered.status_code == 200, offered.text
    body = offered.json()
    assert body["meeting_id"] == booked["id"]
    assert body["replacement_days"] == 14 and body["auto_rebook"] is False
    assert "schedules" not in body and len(body["slots"]) == 10

    # Same ranking as the slot query for the same people, duration and horizon (W4).
    now = datetime.now(UTC)
    query = await stack.http.post(
        "/v1/coaching/slots/query",
        json={
            "attendee_ids": [agent.id],
            "duration_minutes": 30,
            "window_start": now.isoformat(),
            "window_end": (now + timedelta(days=14)).isoformat(),
            "exclude_meeting_id": booked["id"],
            "include_schedules": False,
        },
        headers=sup.auth,
    )
    assert query.status_code == 200, query.text
    assert body["slots"] == query.json()["slots"]
    assert all(slot.keys() == body["slots"][0].keys() for slot in query.json()["slots"])

    # N5: the facilitator's notice (in-app and e-mail) names the top three in their own zone.
    told = await eventually(lambda: stack.notifications(sup, "invalid_schedule"))
    best = [human(moment, NEW_YORK) for moment in starts(body["slots"])[:3]]
    text = told[0]["body"]
    assert "meal" in text and all(f"{i}. {when}" in text for i, when in enumerate(best, 1))
    assert "in the next 14 days" in text and "by itself" not in text
    assert stack.mailbox is not None
    mails = await eventually(lambda: stack.mailbox.about(booked["id"], sup.email))
    mail = next(m for m in mails if "no longer fits" in m["Subject"])
    assert best[0] in mail.get_content()

    # The history keeps what was offered.
    flagged = [
        e for e in await history(stack, sup, booked["id"]) if e["action"] == "schedule_invalid"
    ]
    assert flagged[0]["details"]["replacements"][0] == starts(body["slots"])[0].isoformat()


async def test_a3_replacement_slots_are_for_who_may_reschedule_and_only_when_invalid(
    stack: Stack,
) -> None:
    sup, agent, planner, _, unit, monday = await team(stack)
    booked = await book_coaching(stack, sup, agent, iso(monday, 14))
    path = f"/v1/meetings/{booked['id']}/replacement-slots"

    # Not invalid_schedule: 409 naming the status.
    valid = await stack.http.get(path, headers=sup.auth)
    assert valid.status_code == 409, valid.text
    assert valid.json()["error"]["details"]["status"] == "scheduled"

    await _import(stack, planner, unit, monday, meal_at(agent, monday, 14))
    assert (await stack.http.get(path, headers=sup.auth)).status_code == 200
    # The agent sees the meeting but may not move it (403); a stranger may not see it (404).
    assert (await stack.http.get(path, headers=agent.auth)).status_code == 403
    stranger = await stack.person("supervisor", divisions=["elsewhere"])
    assert (await stack.http.get(path, headers=stranger.auth)).status_code == 404
    assert (await stack.http.get(path)).status_code == 401
    missing = await stack.http.get(
        f"/v1/meetings/{uuid.uuid4()}/replacement-slots", headers=sup.auth
    )
    assert missing.status_code == 404


async def test_w7_division_settings_are_typed_and_set_by_who_imports_the_division(
    stack: Stack,
) -> None:
    sup, _, planner, division, _, _ = await team(stack)
    path = f"/v1/coaching/division-settings/{division}"
    default = await stack.http.get(path, headers=sup.auth)
    assert default.json() == {"division": division, "auto_rebook": False, "replacement_days": 14}
    for body, field in (
        ({"auto_rebook": "yes"}, "auto_rebook"),
        ({"replacement_days": 0}, "replacement_days"),
        ({"replacement_days": 43}, "replacement_days"),
        ({"replacement_days": "7"}, "replacement_days"),
        ({"rebook": True}, "rebook"),
    ):
        refused = await settings(stack, planner, division, **body)
        assert refused.status_code == 422, (body, refused.text)
        assert refused.json()["error"]["details"]["field"] == field, body
    assert (await settings(stack, sup, division, auto_rebook=True)).status_code == 403
    outsider = await stack.person("quality_manager", divisions=["other"])
    assert (await settings(stack, outsider, division, auto_rebook=True)).status_code == 403
    assert (await stack.http.get(path, headers=outsider.auth)).status_code == 403
    stored = await settings(stack, planner, division, auto_rebook=True, replacement_days=10)
    assert stored.status_code == 200, stored.text
    assert (await stack.http.get(path, headers=sup.auth)).json()["replacement_days"] == 10


async def test_w7_auto_rebook_moves_it_once_through_the_normal_reschedule(stack: Stack) -> None:
    sup, agent, planner, division, unit, monday = await team(stack)
    assert (await settings(stack, planner, division, auto_rebook=True)).status_code == 200
    booked = await book_coaching(stack, sup, agent, iso(monday, 14), name="Call review")
    broken = meal_at(agent, monday, 14)
    imported = await _import(stack, planner, unit, monday, broken)
    assert imported["coaching_appointments_changed"] == 1
    assert imported["coaching_appointments_rebooked"] == 1

    moved = await meeting(stack, sup, booked["id"])
    assert moved["status"] == "scheduled" and moved["starts_at"] != booked["starts_at"]
    events = await history(stack, sup, booked["id"])
    actions = [e["action"] for e in events]
    assert actions[-2:] == ["schedule_invalid", "rescheduled"]
    flagged, rebooked = events[-2], events[-1]
    assert flagged["details"]["auto_rebook"] is True
    # The best replacement it offered is where it went; the history says from/to and why.
    assert rebooked["details"]["automatic"] is True
    assert rebooked["details"]["to"]["starts_at"] == flagged["details"]["replacements"][0]
    assert datetime.fromisoformat(rebooked["details"]["from"]["starts_at"]) == (
        datetime.fromisoformat(booked["starts_at"])
    )
    assert rebooked["reason"].startswith("Rebooked automatically") and "meal" in rebooked["reason"]
    # The new time passes W3 (the guard and re-check applied): the slot query agrees.
    assert datetime.fromisoformat(moved["starts_at"]) == datetime.fromisoformat(
        flagged["details"]["replacements"][0]
    )

    # N5: agent and facilitator (the actor on whose behalf it moved) are told it moved by itself.
    for person in (sup, agent):
        told = await eventually(lambda p=person: stack.notifications(p, "rescheduled"))
        assert len(told) == 1 and "rebooked automatically" in told[0]["body"]
    invalid_notice = (await stack.notifications(sup, "invalid_schedule"))[0]["body"]
    assert "rebook such appointments by itself" in invalid_notice

    # A retried import of the same file moves nothing a second time.
    await _import(stack, planner, unit, monday, broken)
    assert [e["action"] for e in await history(stack, sup, booked["id"])].count("rescheduled") == 1
    assert len(await stack.notifications(agent, "rescheduled")) == 1


async def test_w7_auto_rebook_heals_on_a_later_check_what_was_left_invalid(stack: Stack) -> None:
    """Durable without a workflow: an appointment flagged while auto-rebook was off (as after a
    crash between the flag and the move) is rebooked at the next check, once."""
    sup, agent, planner, division, unit, monday = await team(stack)
    booked = await book_coaching(stack, sup, agent, iso(monday, 14))
    await _import(stack, planner, unit, monday, meal_at(agent, monday, 14))
    assert (await meeting(stack, sup, booked["id"]))["status"] == "invalid_schedule"

    assert (await settings(stack, planner, division, auto_rebook=True)).status_code == 200
    still_broken = meal_at(agent, monday, 14)
    still_broken["shifts"][1]["activities"][1] |= {  # Tuesday's break moves: a change
        "starts_at": iso(monday + timedelta(days=1), 10),
        "ends_at": iso(monday + timedelta(days=1), 10, 15),
    }
    await _import(stack, planner, unit, monday, still_broken)
    healed = await meeting(stack, sup, booked["id"])
    assert healed["status"] == "scheduled" and healed["starts_at"] != booked["starts_at"]
    await _import(stack, planner, unit, monday, still_broken)
    assert [e["action"] for e in await history(stack, sup, booked["id"])].count("rescheduled") == 1


async def test_w7_no_replacement_found_stays_invalid_and_says_so(stack: Stack) -> None:
    sup, agent, planner, division, unit, monday = await team(stack)
    assert (await settings(stack, planner, division, auto_rebook=True)).status_code == 200
    booked = await book_coaching(stack, sup, agent, iso(monday, 14))
    # Only Monday left, and a meal over all of it: no time at all for the agent.
    only_monday = week_of_shifts(agent.id, monday)
    only_monday["shifts"] = only_monday["shifts"][:1]
    only_monday["shifts"][0]["activities"][2] |= {
        "starts_at": iso(monday, 9),
        "ends_at": iso(monday, 17),
    }
    await _import(stack, planner, unit, monday, only_monday)
    assert (await meeting(stack, sup, booked["id"]))["status"] == "invalid_schedule"
    told = await eventually(lambda: stack.notifications(sup, "invalid_schedule"))
    assert "found no free time" in told[0]["body"]
    assert "not rebooked automatically" in told[0]["body"]
    offered = await stack.http.get(
        f"/v1/meetings/{booked['id']}/replacement-slots", headers=sup.auth
    )
    assert offered.status_code == 200 and offered.json()["slots"] == []
    assert "rescheduled" not in [e["action"] for e in await history(stack, sup, booked["id"])]


async def test_w7_a_redelivered_rebook_step_moves_nothing_twice(stack: Stack) -> None:
    """The rebook step itself run again for the same break (a retry after a lost answer): its
    key is the break's, so the second run is answered by the first and nothing moves."""
    sup, agent, planner, division, unit, monday = await team(stack)
    booked = await book_coaching(stack, sup, agent, iso(monday, 14))
    await _import(stack, planner, unit, monday, meal_at(agent, monday, 14))
    flagged = await stack.db.read(lambda s: store_meetings.get_meeting(s, booked["id"]))
    assert flagged is not None and flagged.meeting.status.value == "invalid_schedule"
    assert (await settings(stack, planner, division, auto_rebook=True)).status_code == 200

    svc = Services.connected(stack.settings, stack.db, stack.client)
    problems = ["the meal moved"]
    first = await replacements.rebook(
        svc, flagged.meeting, await replacements.search(svc, flagged.meeting), problems
    )
    again = await replacements.rebook(
        svc, flagged.meeting, await replacements.search(svc, flagged.meeting), problems
    )
    assert first is not None and again == first
    actions = [e["action"] for e in await history(stack, sup, booked["id"])]
    assert actions.count("rescheduled") == 1
    told = await eventually(lambda: stack.notifications(agent, "rescheduled"))
    assert len(told) == 1
