"""``tandem slots`` at a terminal (SPEC W2-W4, A5): the same answers and rules as the API."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from tests.support import Person, Stack, api_command, at


async def tandem_slots(stack: Stack, who: Person, *args: str) -> tuple[int, str, str]:
    return await api_command(stack, who, "slots", *args)


async def _team(stack: Stack) -> tuple[Person, Person, datetime]:
    division = f"div-{uuid.uuid4().hex[:6]}"
    sup = await stack.person("supervisor", divisions=[division], tz="America/New_York")
    agent = await stack.person("agent", divisions=[division])
    start = datetime.fromisoformat(at(days=3)).replace(minute=0)
    return sup, agent, start


async def test_w2_w3_slots_skip_appointments_and_show_in_the_callers_zone(stack: Stack) -> None:
    sup, agent, start = await _team(stack)
    busy = await stack.one_to_one(
        await stack.person("supervisor"),
        agent,
        starts_at=start.isoformat(),
        duration_minutes=60,
    )
    window = ["--from", start.isoformat(), "--to", (start + timedelta(hours=3)).isoformat()]

    code, out, err = await tandem_slots(stack, sup, agent.id, *window, "--json")
    assert code == 0, err
    slots = json.loads(out)["slots"]
    busy_end = datetime.fromisoformat(busy["ends_at"])
    # The hour-long 1:1 takes the first hour; a 30-minute session fits from its end on.
    assert slots and all(datetime.fromisoformat(s["starts_at"]) >= busy_end for s in slots)

    code, out, err = await tandem_slots(stack, sup, agent.id, *window)
    assert code == 0, err
    first = busy_end.astimezone(ZoneInfo("America/New_York"))
    assert "starts (America/New_York)" in out
    assert f" 1  {first:%a %Y-%m-%d %H:%M}" in out
    assert len(out.strip().splitlines()) == 1 + len(slots)


async def test_w2_booking_a_listed_slot_creates_the_appointment(stack: Stack) -> None:
    sup, agent, start = await _team(stack)
    window = ["--from", start.isoformat(), "--to", (start + timedelta(hours=2)).isoformat()]

    code, out, err = await tandem_slots(
        stack, sup, agent.id, *window, "--book", "1", "--name", "Call review", "--json"
    )
    assert code == 0, err
    booked = json.loads(out)
    shown = (await stack.http.get(f"/v1/meetings/{booked['id']}", headers=sup.auth)).json()
    assert (shown["kind"], shown["name"], shown["facilitator_id"]) == (
        "coaching",
        "Call review",
        sup.id,
    )
    assert shown["participant_ids"] == [agent.id]
    assert datetime.fromisoformat(shown["starts_at"]) == start

    # The booked half hour is no longer offered to anyone coaching this agent.
    code, out, err = await tandem_slots(stack, sup, agent.id, *window, "--json")
    assert code == 0, err
    starts = [datetime.fromisoformat(s["starts_at"]) for s in json.loads(out)["slots"]]
    assert all(s >= start + timedelta(minutes=30) for s in starts)


async def test_a5_w2_refusals_print_the_reason_and_book_nothing(stack: Stack) -> None:
    sup, agent, start = await _team(stack)
    outsider = await stack.person("supervisor", divisions=["elsewhere"])
    window = ["--from", start.isoformat(), "--to", (start + timedelta(hours=2)).isoformat()]

    code, out, err = await tandem_slots(stack, outsider, agent.id, *window, "--book", "1")
    assert (code, out) == (2, "")
    assert "not in any of your divisions (A5)" in err and "[HTTP 403]" in err

    code, _, err = await tandem_slots(stack, agent, agent.id, *window)
    assert code == 2 and "[HTTP 403]" in err

    code, _, err = await tandem_slots(stack, sup, agent.id, *window, "--duration", "25")
    assert code == 2 and "(duration_minutes)" in err and "[HTTP 422]" in err

    listed = await stack.http.get("/v1/meetings?role=participant", headers=agent.auth)
    assert listed.json()["items"] == []
