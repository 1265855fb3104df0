"""Agenda topics, action items and notes through the API (SPEC C1, C2, C4, C5)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

import pytest

from tandem.domain.attachments import AttachmentKind
from tandem.store import attachments
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


# -- Issue 7, item 3: document names in and out ---------------------------------------------


def _disposition_name(header: str) -> str:
    """The file name a browser saves as: RFC 6266's ``filename*`` (UTF-8, percent-encoded)."""
    assert "\r" not in header and "\n" not in header
    encoded = header.split("filename*=UTF-8''", 1)[1].split(";")[0]
    fallback = header.split('filename="', 1)[1].split('"')[0]
    assert fallback.isascii() and fallback, header
    return unquote(encoded)


async def _upload(stack: Stack, who: Person, meeting_id: str, name: str, **form: str) -> Any:
    return await stack.http.post(
        f"/v1/meetings/{meeting_id}/attachments/documents",
        files={"file": (name, b"call notes\n", "text/plain")},
        data=form,
        headers=who.auth,
    )


async def _download(stack: Stack, who: Person, document: dict) -> Any:
    response = await stack.http.get(document["download"], headers=who.auth)
    assert response.status_code == 200, response.text
    assert response.content == b"call notes\n"
    return response


@pytest.mark.parametrize(
    ("name", "title", "saved_as"),
    [
        # Outside Latin-1: a 500 before (the header could not be encoded).
        ("履歴書.txt", None, "履歴書.txt"),
        ("notes.txt", "Zoë — ревью 📞", "Zoë — ревью 📞"),
        # A name from the sender's system: bidi controls and odd blanks go, folders too.
        ("C:\\Users\\ana\\scores\u202etxt.exe.txt", None, "scorestxt.exe.txt"),
        ("notes\u3000\u00a0 v2.txt", None, "notes v2.txt"),
        ("notes.txt", 'say "hi"; now', 'say "hi"; now'),
    ],
)
async def test_issue7_c7_document_names_download_as_rfc_6266(
    stack: Stack, name: str, title: str | None, saved_as: str
) -> None:
    sup, agent, meeting = await _setup(stack)
    uploaded = await _upload(stack, sup, meeting["id"], name, **({"title": title} if title else {}))
    assert uploaded.status_code == 201, uploaded.text
    assert uploaded.json()["title"] == saved_as
    response = await _download(stack, agent, uploaded.json())
    assert _disposition_name(response.headers["content-disposition"]) == saved_as
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    "title", ["Q3\r\nSet-Cookie: stolen=1", "a\x00b", "\u202ereview", "\u200b\u200b"]
)
async def test_issue7_c7_a_title_that_is_not_one_readable_line_is_422(
    stack: Stack, title: str
) -> None:
    sup, _, meeting = await _setup(stack)
    response = await _upload(stack, sup, meeting["id"], "notes.txt", title=title)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["details"]["field"] == "title"
    listed = await stack.http.get(f"/v1/meetings/{meeting['id']}/attachments", headers=sup.auth)
    assert listed.json()["items"] == []


async def test_issue7_c7_a_title_stored_before_the_checks_still_downloads(stack: Stack) -> None:
    """A line break in a stored title dropped the connection; now the header is one line."""
    sup, agent, meeting = await _setup(stack)
    row = await stack.db.write(
        lambda session: attachments.add(
            session,
            meeting_id=meeting["id"],
            kind=AttachmentKind.DOCUMENT,
            title="Q3\r\nSet-Cookie: stolen=1",
            added_by=sup.id,
            now=datetime.now(UTC),
            content=b"call notes\n",
            content_type="text/plain",
        )
    )
    download = f"/v1/meetings/{meeting['id']}/attachments/{row.id}/content"
    response = await _download(stack, agent, {"download": download})
    assert "set-cookie" not in response.headers
    assert _disposition_name(response.headers["content-disposition"]) == "Q3 Set-Cookie: stolen=1"
