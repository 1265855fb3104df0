"""Agenda topics, action items and notes through the API (SPEC C1, C2, C4, C5)."""

from __future__ import annotations

from tests.support import Person, Stack


async def _post(stack: Stack, who: Person, meeting_id: str, kind: str, body: dict) -> dict:
    return await stack.http.post(f"/v1/meetings/{meeting_id}/{kind}", json=body, headers=who.auth)


async def _texts(stack: Stack, who: Person, meeting_id: str, kind: str = "agenda") -> list[str]:
    items = (await stack.http.get(f"/v1/meetings/{meeting_id}/{kind}", headers=who.auth)).json()[
        "items"
    ]
    return [i["text"] for i in items]


async def _setup(stack: Stack) -> tuple[Person, Person, dict]:
    sup, agent = await stack.person("supervisor"), await stack.person("agent")
    return sup, agent, await stack.one_to_one(sup, agent)


async def test_c1_topics_added_and_moved_by_either_deleted_only_by_their_author(
    stack: Stack,
) -> None:
    sup, agent, meeting = await _setup(stack)
    mid = meeting["id"]
    a = (await _post(stack, agent, mid, "agenda", {"text": "Promotion"})).json()
    b = (
        await _post(stack, sup, mid, "agenda", {"text": "Rota", "url": "https://rota.example/week"})
    ).json()
    c = (await _post(stack, agent, mid, "agenda", {"text": "Training"})).json()
    assert await _texts(stack, sup, mid) == ["Promotion", "Rota", "Training"]
    assert b["url"] == "https://rota.example/week" and a["author_id"] == agent.id

    moved = await stack.http.post(
        f"/v1/meetings/{mid}/agenda/{c['id']}/move", json={"direction": "up"}, headers=sup.auth
    )
    assert [i["text"] for i in moved.json()["items"]] == ["Promotion", "Training", "Rota"]
    await stack.http.post(
        f"/v1/meetings/{mid}/agenda/{a['id']}/move", json={"direction": "down"}, headers=agent.auth
    )
    assert await _texts(stack, agent, mid) == ["Training", "Promotion", "Rota"]
    past_end = await stack.http.post(
        f"/v1/meetings/{mid}/agenda/{b['id']}/move", json={"direction": "down"}, headers=sup.auth
    )
    assert (
        past_end.status_code == 422 and past_end.json()["error"]["details"]["field"] == "direction"
    )
    assert await _texts(stack, agent, mid) == ["Training", "Promotion", "Rota"]

    done = await stack.http.patch(
        f"/v1/meetings/{mid}/agenda/{b['id']}", json={"completed": True}, headers=agent.auth
    )
    assert done.json()["completed"] is True and done.json()["completed_by"] == agent.id
    undone = await stack.http.patch(
        f"/v1/meetings/{mid}/agenda/{b['id']}", json={"completed": False}, headers=sup.auth
    )
    assert undone.json()["completed"] is False

    refused = await stack.http.delete(f"/v1/meetings/{mid}/agenda/{a['id']}", headers=sup.auth)
    assert refused.status_code == 403
    assert (
        await stack.http.delete(f"/v1/meetings/{mid}/agenda/{a['id']}", headers=agent.auth)
    ).status_code == 200
    assert await _texts(stack, sup, mid) == ["Training", "Rota"]
    reword = await stack.http.patch(
        f"/v1/meetings/{mid}/agenda/{c['id']}", json={"text": "Mine now"}, headers=sup.auth
    )
    assert reword.status_code == 403


async def test_c2_action_items_deleted_by_either_with_assignee_and_due_date(stack: Stack) -> None:
    sup, agent, meeting = await _setup(stack)
    mid = meeting["id"]
    item = (
        await _post(
            stack,
            sup,
            mid,
            "action-items",
            {"text": "Shadow a senior", "assignee_id": agent.id, "due_date": "2031-02-01"},
        )
    ).json()
    assert item["assignee_id"] == agent.id and item["due_date"] == "2031-02-01"
    outsider = await stack.person("agent")
    wrong = await _post(stack, sup, mid, "action-items", {"text": "x", "assignee_id": outsider.id})
    assert wrong.status_code == 422 and wrong.json()["error"]["details"]["field"] == "assignee_id"
    assert (
        await stack.http.delete(f"/v1/meetings/{mid}/action-items/{item['id']}", headers=agent.auth)
    ).status_code == 200
    assert await _texts(stack, sup, mid, "action-items") == []


async def test_c1_c2_bad_input_changes_nothing(stack: Stack) -> None:
    _, agent, meeting = await _setup(stack)
    mid = meeting["id"]
    for body, field in (
        ({"text": ""}, "text"),
        ({"text": "   "}, "text"),
        ({"text": "x", "url": "ftp://files.example/a"}, "url"),
        ({"text": "x", "url": "not a url"}, "url"),
        ({"text": "x", "url": "https://a.example/one https://b.example/two"}, "url"),
        ({"text": "x", "assignee_id": agent.id}, "assignee_id"),  # topics have no assignee
        ({"text": "x", "colour": "red"}, "colour"),
    ):
        response = await _post(stack, agent, mid, "agenda", body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["error"]["details"]["field"] == field, body
    assert await _texts(stack, agent, mid) == []


async def test_c1_only_the_people_in_the_meeting_touch_its_content(stack: Stack) -> None:
    _, agent, meeting = await _setup(stack)
    mid = meeting["id"]
    topic = (await _post(stack, agent, mid, "agenda", {"text": "Feedback"})).json()
    admin, ops, stranger = (
        await stack.person("admin"),
        await stack.person("ops"),
        await stack.person("supervisor"),
    )
    assert (await _post(stack, admin, mid, "agenda", {"text": "Admin topic"})).status_code == 403
    assert await _texts(stack, admin, mid) == ["Feedback"]  # admins may read, not write
    assert (await stack.http.get(f"/v1/meetings/{mid}/agenda", headers=ops.auth)).status_code == 403
    for method, path, body in (
        ("GET", "agenda", None),
        ("POST", "agenda", {"text": "x"}),
        ("PATCH", f"agenda/{topic['id']}", {"completed": True}),
        ("GET", "notes", None),
    ):
        hidden = await stack.http.request(
            method, f"/v1/meetings/{mid}/{path}", json=body, headers=stranger.auth
        )
        assert hidden.status_code == 404, (method, path)
    assert await _texts(stack, agent, mid) == ["Feedback"]


async def test_c4_c5_shared_notes_for_both_private_notes_for_their_author_only(
    stack: Stack,
) -> None:
    sup, agent, meeting = await _setup(stack)
    mid = meeting["id"]
    admin = await stack.person("admin")
    shared = (await _post(stack, sup, mid, "notes", {"body": "We agreed on the rota"})).json()
    private = (
        await _post(
            stack, sup, mid, "notes", {"body": "Seems tired lately", "visibility": "private"}
        )
    ).json()
    assert shared["visibility"] == "shared" and private["visibility"] == "private"

    def bodies(response) -> list[str]:
        return [n["body"] for n in response.json()["items"]]

    assert bodies(await stack.http.get(f"/v1/meetings/{mid}/notes", headers=sup.auth)) == [
        "We agreed on the rota",
        "Seems tired lately",
    ]
    hidden = await stack.http.get(f"/v1/meetings/{mid}/notes?hide_private=true", headers=sup.auth)
    assert bodies(hidden) == ["We agreed on the rota"]
    for other in (agent, admin):
        seen = await stack.http.get(f"/v1/meetings/{mid}/notes", headers=other.auth)
        assert bodies(seen) == ["We agreed on the rota"]
        assert "Seems tired" not in seen.text
        touch = await stack.http.patch(
            f"/v1/meetings/{mid}/notes/{private['id']}", json={"body": "x"}, headers=other.auth
        )
        assert touch.status_code in (403, 404) and "Seems tired" not in touch.text
    assert (
        await stack.http.delete(f"/v1/meetings/{mid}/notes/{shared['id']}", headers=agent.auth)
    ).status_code == 403
    edited = await stack.http.patch(
        f"/v1/meetings/{mid}/notes/{shared['id']}", json={"body": "Rota agreed"}, headers=sup.auth
    )
    assert edited.json()["body"] == "Rota agreed"
    wrong = await _post(stack, agent, mid, "notes", {"body": "x", "visibility": "facilitators"})
    assert wrong.status_code == 422 and wrong.json()["error"]["details"]["field"] == "visibility"
