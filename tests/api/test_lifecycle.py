"""A meeting's life through the HTTP API (SPEC M2-M13, N2, N5), with real e-mail."""

from __future__ import annotations

import asyncio

from tests.support import Stack, at, eventually


async def test_n2_create_tells_the_participant_in_app_and_by_email(stack: Stack) -> None:
    sup, agent = await stack.person("supervisor"), await stack.person("agent")
    meeting = await stack.one_to_one(sup, agent, name="Career chat", location="Room 4")
    assert meeting["status"] == "scheduled" and meeting["facilitator_id"] == sup.id

    created = await eventually(lambda: stack.notifications(agent, "meeting_created"))
    assert "Career chat" in created[0]["subject"]
    mails = await eventually(lambda: stack.mailbox.about(meeting["id"], agent.email))
    assert "Room 4" in mails[0].get_body(("plain",)).get_content()
    # The person who scheduled it is not told about their own action.
    assert await stack.notifications(sup) == []


async def test_m3_edit_details_and_time_notifies_old_and_new_time(stack: Stack) -> None:
    sup, agent = await stack.person("supervisor"), await stack.person("agent")
    meeting = await stack.one_to_one(sup, agent, starts_at=at(days=3, hours=1))
    edited = await stack.http.patch(
        f"/v1/meetings/{meeting['id']}",
        json={
            "location": "https://meet.example/abc",
            "focus": [{"kind": "interaction", "ref": "12345"}],
        },
        headers=sup.auth,
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["location"] == "https://meet.example/abc"
    # Details alone do not notify anyone.
    await asyncio.sleep(0.3)
    assert await stack.notifications(agent, "rescheduled") == []

    moved = await stack.http.patch(
        f"/v1/meetings/{meeting['id']}", json={"starts_at": at(days=4, hours=2)}, headers=sup.auth
    )
    assert moved.status_code == 200, moved.text
    notes = await eventually(lambda: stack.notifications(agent, "rescheduled"))
    assert "Was:" in notes[0]["body"] and "Now:" in notes[0]["body"]


async def test_m4_start_early_moves_it_out_of_the_scheduled_list(stack: Stack) -> None:
    sup, agent = await stack.person("supervisor"), await stack.person("agent")
    meeting = await stack.one_to_one(sup, agent, starts_at=at(days=1))
    started = await stack.http.post(f"/v1/meetings/{meeting['id']}/start", headers=sup.auth)
    assert started.status_code == 200 and started.json()["status"] == "in_progress"
    assert started.json()["started_at"] is not None

    scheduled = await stack.http.get("/v1/meetings?status=scheduled", headers=sup.auth)
    assert meeting["id"] not in [m["id"] for m in scheduled.json()["items"]]
    records = await stack.http.get("/v1/meetings?status=in_progress,completed", headers=sup.auth)
    assert meeting["id"] in [m["id"] for m in records.json()["items"]]

    done = await stack.http.post(f"/v1/meetings/{meeting['id']}/complete", headers=sup.auth)
    assert done.json()["status"] == "completed"


async def test_m2_invalid_transitions_are_409_with_the_current_status(stack: Stack) -> None:
    sup, agent = await stack.person("supervisor"), await stack.person("agent")
    meeting = await stack.one_to_one(sup, agent)
    base = f"/v1/meetings/{meeting['id']}"
    complete = await stack.http.post(f"{base}/complete", headers=sup.auth)
    assert complete.status_code == 409
    assert complete.json()["error"]["details"]["status"] == "scheduled"

    await stack.http.post(f"{base}/start", headers=sup.auth)
    for path, body in (
        ("reschedule", {"starts_at": at(days=5), "reason": "later"}),
        ("cancel", {"reason": "no"}),
        ("reassign", {"facilitator_id": (await stack.person("supervisor")).id, "reason": "x"}),
        ("start", None),
    ):
        refused = await stack.http.post(f"{base}/{path}", json=body, headers=sup.auth)
        assert refused.status_code == 409, (path, refused.text)
        assert refused.json()["error"]["details"]["status"] == "in_progress"
    # Nothing changed: still live.
    assert (await stack.http.get(base, headers=sup.auth)).json()["status"] == "in_progress"


async def test_m7_reschedule_with_reason_tells_participants_and_guests(stack: Stack) -> None:
    sup, agent = await stack.person("supervisor"), await stack.person("agent")
    meeting = await stack.one_to_one(sup, agent, starts_at=at(days=2, hours=3))
    base = f"/v1/meetings/{meeting['id']}"
    await stack.http.post(
        f"{base}/guests", json={"email": "coach.friend@example.org"}, headers=sup.auth
    )

    new_start = at(days=6, hours=1)
    moved = await stack.http.post(
        f"{base}/reschedule",
        json={"starts_at": new_start, "reason": "Team training"},
        headers=sup.auth,
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["starts_at"][:16] == new_start[:16]

    for address in (agent.email, "coach.friend@example.org"):
        mails = await eventually(
            lambda a=address: [
                m for m in stack.mailbox.about(meeting["id"], a) if "Rescheduled" in m["Subject"]
            ]
        )
        assert "Team training" in mails[0].get_body(("plain",)).get_content()

    history = (await stack.http.get(f"{base}/history", headers=sup.auth)).json()["items"]
    entry = next(e for e in history if e["action"] == "rescheduled")
    assert entry["reason"] == "Team training" and entry["actor_id"] == sup.id
    assert entry["details"]["to"]["starts_at"][:16] == new_start[:16]


async def test_m8_cancel_with_reason_frees_the_time(stack: Stack) -> None:
    sup, agent = await stack.person("supervisor"), await stack.person("agent")
    starts = at(days=2, hours=5)
    meeting = await stack.one_to_one(sup, agent, starts_at=starts)
    cancelled = await stack.http.post(
        f"/v1/meetings/{meeting['id']}/cancel", json={"reason": "Agent on leave"}, headers=sup.auth
    )
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    note = await eventually(lambda: stack.notifications(agent, "cancelled"))
    assert "Agent on leave" in note[0]["body"]
    # The slot is free again for the same people (the guard released the bookings).
    again = await stack.create_meeting(
        sup,
        kind="one_to_one",
        name="Again",
        participant_ids=[agent.id],
        starts_at=starts,
        duration_minutes=30,
    )
    assert again.status_code == 201, again.text
    # Cancelling twice is refused and says why.
    twice = await stack.http.post(
        f"/v1/meetings/{meeting['id']}/cancel", json={"reason": "again"}, headers=sup.auth
    )
    assert twice.status_code == 409 and twice.json()["error"]["details"]["status"] == "cancelled"


async def test_m6_delete_before_start_removes_it_and_tells_participant_it_was_cancelled(
    stack: Stack,
) -> None:
    sup, agent = await stack.person("supervisor"), await stack.person("agent")
    meeting = await stack.one_to_one(sup, agent)
    deleted = await stack.http.request(
        "DELETE", f"/v1/meetings/{meeting['id']}", json={"reason": "Duplicate"}, headers=sup.auth
    )
    assert deleted.status_code == 200, deleted.text
    assert (
        await stack.http.get(f"/v1/meetings/{meeting['id']}", headers=sup.auth)
    ).status_code == 404
    listed = (await stack.http.get("/v1/meetings", headers=sup.auth)).json()["items"]
    assert meeting["id"] not in [m["id"] for m in listed]
    note = await eventually(lambda: stack.notifications(agent, "deleted"))
    assert note[0]["subject"].startswith("Cancelled") and "Duplicate" in note[0]["body"]


async def test_m6_started_meeting_needs_the_delete_permission(stack: Stack) -> None:
    sup, agent = await stack.person("supervisor"), await stack.person("agent")
    qm = await stack.person("quality_manager")
    meeting = await stack.one_to_one(sup, agent)
    await stack.http.post(f"/v1/meetings/{meeting['id']}/start", headers=sup.auth)
    await stack.http.post(f"/v1/meetings/{meeting['id']}/complete", headers=sup.auth)

    refused = await stack.http.delete(f"/v1/meetings/{meeting['id']}", headers=sup.auth)
    assert refused.status_code == 403
    assert "one-to-ones.delete" in refused.json()["error"]["message"]
    assert (
        await stack.http.get(f"/v1/meetings/{meeting['id']}", headers=sup.auth)
    ).status_code == 200

    # A quality manager holds one-to-ones.delete but cannot see someone else's 1:1 (A4).
    assert (
        await stack.http.delete(f"/v1/meetings/{meeting['id']}", headers=qm.auth)
    ).status_code == 404
    admin = await stack.person("admin")
    gone = await stack.http.delete(f"/v1/meetings/{meeting['id']}", headers=admin.auth)
    assert gone.status_code == 200, gone.text
    # The finished workflow was reopened for the deletion, and the history says who did it.
    history = await stack.http.get(f"/v1/meetings/{meeting['id']}/history", headers=admin.auth)
    assert [e["action"] for e in history.json()["items"]][-1] == "deleted"


async def test_m9_guest_link_shows_time_and_place_and_nothing_private(stack: Stack) -> None:
    sup, agent = await stack.person("supervisor"), await stack.person("agent")
    meeting = await stack.one_to_one(
        sup, agent, location="https://video.example/room", description="Performance concerns"
    )
    base = f"/v1/meetings/{meeting['id']}"
    invited = await stack.http.post(
        f"{base}/guests", json={"email": "Gust@Example.com"}, headers=sup.auth
    )
    assert invited.status_code == 200 and invited.json()["guest_emails"] == ["gust@example.com"]
    mail = (await eventually(lambda: stack.mailbox.about(meeting["id"], "gust@example.com")))[0]
    text = mail.get_body(("plain",)).get_content()
    link = next(line for line in text.splitlines() if "/guest/" in line).strip()
    page = await stack.http.get(link.replace(stack.base_url, ""))
    assert page.status_code == 200
    shown = page.json()
    assert shown["location"] == "https://video.example/room" and shown["name"] == "Weekly 1:1"
    assert "Performance concerns" not in page.text and agent.id not in page.text
    assert (await stack.http.get(link.replace(stack.base_url, "") + "x")).status_code == 404

    # Fixing a misspelt address: the old link stops working, the new guest gets theirs.
    fixed = await stack.http.post(
        f"{base}/guests",
        json={"email": "guest@example.com", "replaces": "gust@example.com"},
        headers=sup.auth,
    )
    assert fixed.json()["guest_emails"] == ["guest@example.com"]
    assert (await stack.http.get(link.replace(stack.base_url, ""))).status_code == 404
    await eventually(lambda: stack.mailbox.about(meeting["id"], "guest@example.com"))
    again = await stack.http.post(
        f"{base}/guests", json={"email": "guest@example.com"}, headers=sup.auth
    )
    assert again.status_code == 409


async def test_m10_reassign_lists_not_available_and_records_the_reason(stack: Stack) -> None:
    sup, agent = await stack.person("supervisor"), await stack.person("agent")
    busy, free = await stack.person("supervisor"), await stack.person("supervisor")
    starts = at(days=3, hours=2)
    meeting = await stack.one_to_one(sup, agent, starts_at=starts)
    # The busy candidate has a 1:1 overlapping that time.
    await stack.one_to_one(
        busy, await stack.person("agent"), starts_at=at(days=3, hours=2, minutes=15)
    )

    listed = await stack.http.get(
        f"/v1/meetings/{meeting['id']}/reassign-candidates", headers=sup.auth
    )
    candidates = {c["user_id"]: c for c in listed.json()["items"]}
    assert candidates[free.id]["available"] is True
    assert candidates[busy.id]["available"] is False and candidates[busy.id]["selectable"] is True
    assert candidates[busy.id]["blocks"][0]["kind"] == "one_to_one"
    assert sup.id not in candidates and agent.id not in candidates

    # Without a reason the booking guard refuses the overlap (409 naming who is busy and when).
    no_reason = await stack.http.post(
        f"/v1/meetings/{meeting['id']}/reassign", json={"facilitator_id": busy.id}, headers=sup.auth
    )
    assert no_reason.status_code == 409, no_reason.text
    refusal = no_reason.json()["error"]
    assert refusal["message"].endswith("give a reason to assign them anyway")
    assert refusal["details"]["conflicts"][0]["user_id"] == busy.id

    moved = await stack.http.post(
        f"/v1/meetings/{meeting['id']}/reassign",
        json={"facilitator_id": busy.id, "reason": "Sam is leaving the team"},
        headers=sup.auth,
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["meeting"]["facilitator_id"] == busy.id
    assert moved.json()["not_available"][0]["kind"] == "one_to_one"

    confirmation = await eventually(lambda: stack.notifications(busy, "reassigned"))
    assert confirmation[0]["subject"].startswith("You now facilitate")
    told = await eventually(lambda: stack.notifications(sup, "reassigned"))
    assert "handed over" in told[0]["body"]
    history = (
        await stack.http.get(f"/v1/meetings/{meeting['id']}/history", headers=busy.auth)
    ).json()
    entry = next(e for e in history["items"] if e["action"] == "reassigned")
    assert entry["reason"] == "Sam is leaving the team" and entry["details"]["not_available"]
    # The old facilitator no longer sees it (A4); the new one lists it as theirs (A6).
    assert (
        await stack.http.get(f"/v1/meetings/{meeting['id']}", headers=sup.auth)
    ).status_code == 404
    mine = (await stack.http.get("/v1/meetings?role=facilitator", headers=busy.auth)).json()[
        "items"
    ]
    assert meeting["id"] in [m["id"] for m in mine]


async def test_m10_coaching_never_overlaps_the_new_facilitators_coaching(stack: Stack) -> None:
    coach, other = (
        await stack.person("supervisor", divisions=["east"]),
        await stack.person("supervisor", divisions=["east"]),
    )
    ana, ben = (
        await stack.person("agent", divisions=["east"]),
        await stack.person("agent", divisions=["east"]),
    )
    starts = at(days=4, hours=1)
    session = await stack.create_meeting(
        coach,
        kind="coaching",
        name="Call review",
        participant_ids=[ana.id],
        starts_at=starts,
        duration_minutes=30,
    )
    assert session.status_code == 201, session.text
    clashing = await stack.create_meeting(
        other,
        kind="coaching",
        name="QA",
        participant_ids=[ben.id],
        starts_at=starts,
        duration_minutes=30,
    )
    assert clashing.status_code == 201
    sid = session.json()["id"]

    listed = await stack.http.get(f"/v1/meetings/{sid}/reassign-candidates", headers=coach.auth)
    other_entry = next(c for c in listed.json()["items"] if c["user_id"] == other.id)
    assert other_entry["available"] is False and other_entry["selectable"] is False

    refused = await stack.http.post(
        f"/v1/meetings/{sid}/reassign",
        json={"facilitator_id": other.id, "reason": "cover"},
        headers=coach.auth,
    )
    assert refused.status_code == 409, refused.text
    assert clashing.json()["id"] in refused.json()["error"]["message"]
    assert (await stack.http.get(f"/v1/meetings/{sid}", headers=coach.auth)).json()[
        "facilitator_id"
    ] == coach.id


async def test_m11_only_past_meetings_archive_and_unarchive(stack: Stack) -> None:
    sup, agent = await stack.person("supervisor"), await stack.person("agent")
    meeting = await stack.one_to_one(sup, agent)
    base = f"/v1/meetings/{meeting['id']}"
    refused = await stack.http.post(f"{base}/archive", headers=sup.auth)
    assert refused.status_code == 409 and "past" in refused.json()["error"]["message"]

    await stack.http.post(f"{base}/start", headers=sup.auth)
    await stack.http.post(f"{base}/complete", headers=sup.auth)
    archived = await stack.http.post(f"{base}/archive", headers=sup.auth)
    assert archived.status_code == 200 and archived.json()["archived"] is True
    active = (await stack.http.get("/v1/meetings", headers=sup.auth)).json()["items"]
    in_archive = (await stack.http.get("/v1/meetings?archived=true", headers=sup.auth)).json()[
        "items"
    ]
    assert meeting["id"] not in [m["id"] for m in active]
    assert meeting["id"] in [m["id"] for m in in_archive]

    restored = await stack.http.post(f"{base}/unarchive", headers=sup.auth)
    assert restored.json()["archived"] is False
    actions = [
        e["action"]
        for e in (await stack.http.get(f"{base}/history", headers=sup.auth)).json()["items"]
    ]
    assert actions[-2:] == ["archived", "unarchived"]


async def test_m12_history_records_who_when_why(stack: Stack) -> None:
    sup, agent = await stack.person("supervisor", name="Sam Lead"), await stack.person("agent")
    meeting = await stack.one_to_one(sup, agent)
    base = f"/v1/meetings/{meeting['id']}"
    await stack.http.post(
        f"{base}/reschedule", json={"starts_at": at(days=8), "reason": "Holiday"}, headers=sup.auth
    )
    await stack.http.post(f"{base}/cancel", json={"reason": "Left the company"}, headers=sup.auth)
    items = (await stack.http.get(f"{base}/history", headers=sup.auth)).json()["items"]
    assert [(e["action"], e["actor_name"], e["reason"]) for e in items] == [
        ("created", "Sam Lead", None),
        ("rescheduled", "Sam Lead", "Holiday"),
        ("cancelled", "Sam Lead", "Left the company"),
    ]
    assert all(e["at"] for e in items)


async def test_m13_idempotent_create_and_reschedule_never_duplicate(stack: Stack) -> None:
    sup, agent = await stack.person("supervisor"), await stack.person("agent")
    body = {
        "kind": "one_to_one",
        "name": "Retry me",
        "participant_ids": [agent.id],
        "starts_at": at(days=9),
        "duration_minutes": 45,
    }
    headers = {**sup.auth, "Idempotency-Key": "create-42"}
    first, second = await asyncio.gather(
        stack.http.post("/v1/meetings", json=body, headers=headers),
        stack.http.post("/v1/meetings", json=body, headers=headers),
    )
    assert {first.status_code, second.status_code} == {201}
    assert first.json()["id"] == second.json()["id"]
    third = await stack.http.post("/v1/meetings", json=body, headers=headers)
    assert third.json()["id"] == first.json()["id"]
    listed = (await stack.http.get("/v1/meetings", headers=sup.auth)).json()["items"]
    assert [m["name"] for m in listed].count("Retry me") == 1

    move = {"starts_at": at(days=10), "reason": "Conflict"}
    key = {**sup.auth, "Idempotency-Key": "move-1"}
    base = f"/v1/meetings/{first.json()['id']}"
    r1 = await stack.http.post(f"{base}/reschedule", json=move, headers=key)
    r2 = await stack.http.post(f"{base}/reschedule", json=move, headers=key)
    assert r1.status_code == r2.status_code == 200 and r1.json() == r2.json()

    await eventually(lambda: stack.notifications(agent, "rescheduled"))
    await asyncio.sleep(0.5)
    assert len(await stack.notifications(agent, "meeting_created")) == 1
    assert len(await stack.notifications(agent, "rescheduled")) == 1
    assert len(stack.mailbox.about(first.json()["id"], agent.email)) == 2


async def test_coaching_with_several_agents_in_the_coachs_division(stack: Stack) -> None:
    coach = await stack.person("supervisor", divisions=["west"])
    agents = [await stack.person("agent", divisions=["west"]) for _ in range(3)]
    created = await stack.create_meeting(
        coach,
        kind="coaching",
        name="Group calibration",
        participant_ids=[a.id for a in agents],
        starts_at=at(days=2, hours=6),
        duration_minutes=60,
    )
    assert created.status_code == 201, created.text
    for agent in agents:
        await eventually(lambda a=agent: stack.notifications(a, "meeting_created"))
    # Another supervisor of the same division may see it (A5), though it is not theirs.
    peer = await stack.person("supervisor", divisions=["west"])
    assert (
        await stack.http.get(f"/v1/meetings/{created.json()['id']}", headers=peer.auth)
    ).status_code == 200


async def test_n1_notifications_mark_read(stack: Stack) -> None:
    sup, agent = await stack.person("supervisor"), await stack.person("agent")
    await stack.one_to_one(sup, agent)
    note = (await eventually(lambda: stack.notifications(agent)))[0]
    assert note["read_at"] is None
    read = await stack.http.post(f"/v1/notifications/{note['id']}/read", headers=agent.auth)
    assert read.status_code == 200
    unread = (await stack.http.get("/v1/notifications?unread=true", headers=agent.auth)).json()[
        "items"
    ]
    assert note["id"] not in [n["id"] for n in unread]
    # Someone else's notification is not theirs to mark.
    assert (
        await stack.http.post(f"/v1/notifications/{note['id']}/read", headers=sup.auth)
    ).status_code == 404
