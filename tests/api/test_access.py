"""Who may call what (SPEC A3-A6, M5, M6): 401 / 403 / 404 exactly as A3 says, for every endpoint.

A3: no or unknown token -> 401 (with ``WWW-Authenticate: Bearer``); a meeting the caller may not
see -> 404, the same answer as for an id that does not exist; visible but not theirs to act on
-> 403. A4/A5 decide who sees a meeting, M5 how much a participant sees before the start, A6 the
two "my meetings" lists.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tandem.api.app import create_app
from tandem.web.errors import is_web_path
from tests.support import Person, Stack, at

# -- helpers ---------------------------------------------------------------------------------


def error_of(response: httpx.Response, status: int) -> dict[str, Any]:
    """The ``error`` object of a failure, after checking the status and the shape of the body."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"type", "message", "details"}, error
    assert isinstance(error["type"], str) and error["type"]
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["details"], dict)
    return error


def ids(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


async def meeting_state(stack: Stack, meeting_id: str, viewer: Person) -> dict[str, Any]:
    got = await stack.http.get(f"/v1/meetings/{meeting_id}", headers=viewer.auth)
    assert got.status_code == 200, got.text
    return got.json()


async def history(stack: Stack, meeting_id: str, viewer: Person) -> list[dict[str, Any]]:
    got = await stack.http.get(f"/v1/meetings/{meeting_id}/history", headers=viewer.auth)
    assert got.status_code == 200, got.text
    return got.json()["items"]


# -- every route of the app ------------------------------------------------------------------

# Public by design (DESIGN.md: all under bearer auth except /health, /ready and guest links),
# Prometheus' /metrics (SPEC O2: scrapers hold no token, and it holds nothing personal), plus
# FastAPI's own documentation routes.
PUBLIC = {
    ("GET", "/health"),
    ("GET", "/ready"),
    ("GET", "/metrics"),
    ("GET", "/guest/{token}"),
    ("GET", "/v1/users/{user_id}/calendar.ics"),  # its secret link stands in (issue 10)
    ("GET", "/openapi.json"),
    ("GET", "/docs"),
    ("GET", "/docs/oauth2-redirect"),
    ("GET", "/redoc"),
}

# Every other route, with a body that would be valid for it: the 401 must come first anyway.
AUTHENTICATED: dict[tuple[str, str], dict[str, Any] | None] = {
    ("GET", "/v1/users/me"): None,
    ("POST", "/v1/users/me/calendar-token"): None,
    ("PATCH", "/v1/users/me/settings"): {"meeting_reminders": False},
    ("POST", "/v1/users"): {"name": "X", "email": "x@example.com", "roles": ["agent"]},
    ("GET", "/v1/users"): None,
    ("GET", "/v1/roles"): None,
    ("PUT", "/v1/roles/{name}"): {"name": "coach", "permissions": []},
    ("POST", "/v1/meetings"): {
        "kind": "one_to_one",
        "name": "1:1",
        "participant_ids": ["someone"],
        "starts_at": "2031-01-06T09:00:00+00:00",
        "duration_minutes": 30,
    },
    ("GET", "/v1/meetings"): None,
    ("GET", "/v1/meetings/{meeting_id}"): None,
    ("PATCH", "/v1/meetings/{meeting_id}"): {"name": "Renamed"},
    ("DELETE", "/v1/meetings/{meeting_id}"): None,
    ("GET", "/v1/meetings/{meeting_id}/history"): None,
    ("POST", "/v1/meetings/{meeting_id}/archive"): None,
    ("POST", "/v1/meetings/{meeting_id}/unarchive"): None,
    ("POST", "/v1/meetings/{meeting_id}/start"): None,
    ("POST", "/v1/meetings/{meeting_id}/complete"): None,
    ("POST", "/v1/meetings/{meeting_id}/reschedule"): {
        "starts_at": "2031-01-07T09:00:00+00:00",
        "reason": "clash",
    },
    ("POST", "/v1/meetings/{meeting_id}/cancel"): {"reason": "ill"},
    ("POST", "/v1/meetings/{meeting_id}/guests"): {"email": "guest@example.org"},
    ("GET", "/v1/meetings/{meeting_id}/reassign-candidates"): None,
    ("GET", "/v1/meetings/{meeting_id}/replacement-slots"): None,
    ("POST", "/v1/meetings/{meeting_id}/reassign"): {"facilitator_id": "someone"},
    ("GET", "/v1/notifications"): None,
    ("POST", "/v1/notifications/{notification_id}/read"): None,
    **{
        (method, f"/v1/meetings/{{meeting_id}}/{kind}{suffix}"): body
        for kind in ("agenda", "action-items")
        for method, suffix, body in (
            ("GET", "", None),
            ("POST", "", {"text": "Topic"}),
            ("PATCH", "/{item_id}", {"completed": True}),
            ("DELETE", "/{item_id}", None),
            ("POST", "/{item_id}/move", {"direction": "up"}),
        )
    },
    ("POST", "/v1/series"): {
        "participant_id": "someone",
        "name": "1:1",
        "starts_at": "2031-01-06T09:00:00+00:00",
        "duration_minutes": 30,
        "timezone": "UTC",
        "recurrence": "weekly",
    },
    ("GET", "/v1/series"): None,
    ("GET", "/v1/series/{series_id}"): None,
    ("PATCH", "/v1/series/{series_id}"): {"name": "Renamed"},
    ("POST", "/v1/series/{series_id}/end"): None,
    ("DELETE", "/v1/series/{series_id}/occurrences/{meeting_id}"): None,
    ("GET", "/v1/series/{series_id}/occurrences"): None,
    ("POST", "/v1/series/{series_id}/archive"): None,
    ("POST", "/v1/series/{series_id}/unarchive"): None,
    ("POST", "/v1/series/{series_id}/reassign"): {"facilitator_id": "someone"},
    ("POST", "/v1/reassignments"): {
        "from_user_id": "someone",
        "to_user_id": "else",
        "reason": "leave",
    },
    ("GET", "/v1/reassignments/{job_id}"): None,
    ("GET", "/v1/ops/meetings"): None,
    ("POST", "/v1/calendars"): {"kind": "ics", "url": "https://calendar.example/x.ics"},
    ("GET", "/v1/calendars"): None,
    ("DELETE", "/v1/calendars/{calendar_id}"): None,
    ("GET", "/v1/calendars/{calendar_id}"): None,
    ("GET", "/v1/calendars/{calendar_id}/candidates"): None,
    ("POST", "/v1/calendars/{calendar_id}/sync"): None,
    ("POST", "/v1/calendars/{calendar_id}/import"): {"candidate_ids": ["x"]},
    ("GET", "/v1/calendars/{calendar_id}/links"): None,
    ("POST", "/v1/series/{series_id}/relink"): {"calendar_id": "x", "uid": "y"},
    ("PUT", "/v1/wfm/schedules"): {"business_unit": "x", "timezone": "UTC", "agents": []},
    ("POST", "/v1/wfm/schedules/import"): None,
    ("PUT", "/v1/wfm/staffing"): {"business_unit": "x", "intervals": []},
    ("GET", "/v1/wfm/schedules"): None,
    ("GET", "/v1/wfm/staffing"): None,
    ("GET", "/v1/wfm/coaching-activities"): None,
    ("GET", "/v1/coaching/division-settings/{division}"): None,
    ("PUT", "/v1/coaching/division-settings/{division}"): {"auto_rebook": True},
    ("POST", "/v1/coaching/slots/query"): {
        "attendee_ids": ["someone"],
        "window_start": "2031-01-06T09:00:00+00:00",
        "window_end": "2031-01-06T17:00:00+00:00",
    },
    ("POST", "/v1/coaching/plans"): {
        "attendee_ids": ["someone"],
        "facilitator_ids": ["else"],
        "window_start": "2031-01-06T09:00:00+00:00",
        "window_end": "2031-01-06T17:00:00+00:00",
    },
    ("GET", "/v1/coaching/plans/{plan_id}"): None,
    # The coaching cadence (issue 12, W8).
    ("PUT", "/v1/coaching/cadence-policies/{division}"): {"every_weeks": 2, "duration_minutes": 30},
    ("GET", "/v1/coaching/cadence-policies/{division}"): None,
    ("GET", "/v1/coaching/cadence"): None,
    ("POST", "/v1/coaching/plans/{plan_id}/commit"): None,
    ("GET", "/v1/meetings/{meeting_id}/notes"): None,
    ("POST", "/v1/meetings/{meeting_id}/notes"): {"body": "Note"},
    ("GET", "/v1/meetings/{meeting_id}/attachments"): None,
    ("POST", "/v1/meetings/{meeting_id}/attachments"): {"kind": "link", "url": "https://x.example"},
    ("POST", "/v1/meetings/{meeting_id}/attachments/documents"): None,
    ("GET", "/v1/meetings/{meeting_id}/attachments/{attachment_id}/content"): None,
    ("DELETE", "/v1/meetings/{meeting_id}/attachments/{attachment_id}"): None,
    ("PATCH", "/v1/meetings/{meeting_id}/notes/{note_id}"): {"body": "Edited"},
    ("DELETE", "/v1/meetings/{meeting_id}/notes/{note_id}"): None,
    # Temporal's remote codec (issue 8): a bearer token, or the web sign-in of the Temporal UI.
    ("POST", "/codec/decode"): {"payloads": []},
    ("POST", "/codec/encode"): {"payloads": []},
}


def _walk(routes: Iterable[Any]) -> set[tuple[str, str]]:
    """(method, path) of every HTTP route, looking inside included routers whatever their type."""
    found: set[tuple[str, str]] = set()
    for route in routes:
        nested = getattr(route, "effective_route_contexts", None)
        if callable(nested):  # FastAPI's included routers
            found |= _walk(nested())
            continue
        if getattr(route, "routes", None) and not getattr(route, "methods", None):
            found |= _walk(route.routes)  # a mounted sub-application
            continue
        for method in getattr(route, "methods", None) or ():
            if method != "HEAD":
                found.add((method, route.path))
    return found


def _concrete(path: str) -> str:
    return (
        path.replace("{meeting_id}", str(uuid.uuid4()))
        .replace("{notification_id}", str(uuid.uuid4()))
        .replace("{item_id}", str(uuid.uuid4()))
        .replace("{note_id}", str(uuid.uuid4()))
        .replace("{series_id}", str(uuid.uuid4()))
        .replace("{plan_id}", str(uuid.uuid4()))
        .replace("{attachment_id}", str(uuid.uuid4()))
        .replace("{job_id}", str(uuid.uuid4()))
        .replace("{calendar_id}", str(uuid.uuid4()))
        .replace("{name}", "coach")
        .replace("{division}", "north")
    )


async def test_a3_every_route_has_an_authentication_case(stack: Stack) -> None:
    """A new endpoint without an entry in AUTHENTICATED (or PUBLIC) fails here, so the 401 test
    below always covers the whole API."""
    # The web pages share the app but sign in by session cookie: tests/web/test_web_access.py.
    routes = {r for r in _walk(create_app(stack.settings).routes) if not is_web_path(r[1])}
    assert ("GET", "/v1/meetings/{meeting_id}") in routes  # the walk sees included routers
    assert routes - PUBLIC == set(AUTHENTICATED)


BAD_CREDENTIALS = {
    "no-header": None,
    "bogus-bearer": "Bearer tdm_" + "x" * 43,
    "empty-bearer": "Bearer",
    "not-bearer": "Basic dXNlcjpwYXNz",
}


@pytest.mark.parametrize("credentials", list(BAD_CREDENTIALS))
@pytest.mark.parametrize(
    ("method", "path"), sorted(AUTHENTICATED), ids=[f"{m} {p}" for m, p in sorted(AUTHENTICATED)]
)
async def test_a3_every_endpoint_is_401_without_a_valid_token(
    stack: Stack, method: str, path: str, credentials: str
) -> None:
    header = BAD_CREDENTIALS[credentials]
    response = await stack.http.request(
        method,
        _concrete(path),
        json=AUTHENTICATED[(method, path)],
        headers={"Authorization": header} if header is not None else {},
    )
    error = error_of(response, 401)
    assert error["type"] == "Unauthenticated"
    assert response.headers.get("WWW-Authenticate") == "Bearer"


async def test_a3_a_real_token_with_another_scheme_is_401(stack: Stack) -> None:
    """The scheme matters: a valid token sent as ``Token <t>`` is still unauthenticated."""
    sup = await stack.person("supervisor")
    assert (await stack.http.get("/v1/users/me", headers=sup.auth)).status_code == 200
    response = await stack.http.get("/v1/users/me", headers={"Authorization": f"Token {sup.token}"})
    error_of(response, 401)
    assert response.headers.get("WWW-Authenticate") == "Bearer"


async def test_a3_401_comes_before_any_look_at_the_body(stack: Stack) -> None:
    """Without a token the answer is 401 whatever the body: neither an invalid body nor
    malformed JSON may turn it into a 422 that talks about the body first."""
    for content in (b'{"kind": "lunch"}', b'{"kind": ', b"not json at all"):
        response = await stack.http.post(
            "/v1/meetings", content=content, headers={"Content-Type": "application/json"}
        )
        error = error_of(response, 401)
        assert error["type"] == "Unauthenticated", content
        assert response.headers.get("WWW-Authenticate") == "Bearer"


async def test_a3_public_routes_need_no_token(stack: Stack) -> None:
    for path in ("/health", "/ready", "/metrics"):
        assert (await stack.http.get(path)).status_code == 200, path
    # An unknown guest link is a 404, not a 401: guest links carry their own signature (M9).
    assert (await stack.http.get("/guest/not-a-real-token")).status_code == 404


# -- one meeting, every action on it ---------------------------------------------------------


@dataclass(frozen=True)
class Action:
    method: str
    suffix: str
    body: dict[str, Any] | None = None


def actions(someone_id: str) -> dict[str, Action]:
    """Every ``/v1/meetings/{id}...`` call, each with a body valid for it."""
    return {
        "view": Action("GET", ""),
        "edit": Action("PATCH", "", {"name": "Renamed", "description": "changed"}),
        "history": Action("GET", "/history"),
        "start": Action("POST", "/start"),
        "complete": Action("POST", "/complete"),
        "reschedule": Action("POST", "/reschedule", {"starts_at": at(days=9), "reason": "clash"}),
        "cancel": Action("POST", "/cancel", {"reason": "ill"}),
        "delete": Action("DELETE", ""),
        "guests": Action("POST", "/guests", {"email": f"guest-{uuid.uuid4().hex[:6]}@example.org"}),
        "reassign-candidates": Action("GET", "/reassign-candidates"),
        "replacement-slots": Action("GET", "/replacement-slots"),
        "reassign": Action("POST", "/reassign", {"facilitator_id": someone_id, "reason": "away"}),
        "archive": Action("POST", "/archive"),
        "unarchive": Action("POST", "/unarchive"),
        **CONTENT_ACTIONS,
    }


# Meeting content (C1-C5): a stranger gets the same 404; the participant may use all of it.
CONTENT_ACTIONS = {
    f"{name} {kind}": Action(method, f"/{kind}{suffix}", body)
    for kind in ("agenda", "action-items")
    for name, method, suffix, body in (
        ("list", "GET", "", None),
        ("add", "POST", "", {"text": "Topic"}),
        ("edit", "PATCH", "/{item_id}", {"completed": True}),
        ("delete", "DELETE", "/{item_id}", None),
        ("move", "POST", "/{item_id}/move", {"direction": "up"}),
    )
} | {
    "list attachments": Action("GET", "/attachments"),
    "add attachment": Action("POST", "/attachments", {"kind": "link", "url": "https://x.example"}),
    "upload document": Action("POST", "/attachments/documents"),
    "download attachment": Action("GET", "/attachments/{attachment_id}/content"),
    "remove attachment": Action("DELETE", "/attachments/{attachment_id}"),
    "list notes": Action("GET", "/notes"),
    "add note": Action("POST", "/notes", {"body": "Note"}),
    "edit note": Action("PATCH", "/notes/{note_id}", {"body": "Edited"}),
    "delete note": Action("DELETE", "/notes/{note_id}"),
}


ALL_ACTIONS = list(actions("x"))
MEETING_ROUTES = {
    ("GET", "/v1/meetings/{meeting_id}"),
    ("PATCH", "/v1/meetings/{meeting_id}"),
    ("DELETE", "/v1/meetings/{meeting_id}"),
}


async def act(stack: Stack, who: Person, meeting_id: str, action: Action) -> httpx.Response:
    suffix = action.suffix.format(
        item_id=uuid.uuid4(), note_id=uuid.uuid4(), attachment_id=uuid.uuid4()
    )
    return await stack.http.request(
        action.method,
        f"/v1/meetings/{meeting_id}{suffix}",
        json=action.body,
        headers=who.auth,
    )


def test_a3_the_action_table_covers_every_meeting_route() -> None:
    covered = {(a.method, "/v1/meetings/{meeting_id}" + a.suffix) for a in actions("x").values()}
    meeting_routes = {(m, p) for m, p in AUTHENTICATED if p.startswith("/v1/meetings/{meeting_id}")}
    assert covered == meeting_routes
    assert meeting_routes >= MEETING_ROUTES


@pytest.mark.parametrize("action_name", ALL_ACTIONS)
async def test_a3_a4_a_meeting_you_may_not_see_is_404_like_an_unknown_id(
    stack: Stack, action_name: str
) -> None:
    """An unrelated agent and an unrelated supervisor (even one sharing the agent's division:
    divisions only matter for coaching, A5) get the same 404 as for an id that never existed."""
    division = f"div-{uuid.uuid4().hex[:6]}"
    sup = await stack.person("supervisor", divisions=[division])
    agent = await stack.person("agent", divisions=[division])
    meeting = await stack.one_to_one(sup, agent, description="private agenda")
    stranger_agent = await stack.person("agent", divisions=[division])
    stranger_sup = await stack.person("supervisor", divisions=[division])
    action = actions(stranger_sup.id)[action_name]
    before = await meeting_state(stack, meeting["id"], sup)

    unknown = await act(stack, stranger_sup, str(uuid.uuid4()), action)
    unknown_error = error_of(unknown, 404)
    assert unknown_error["type"] == "NotFound"
    for stranger in (stranger_agent, stranger_sup):
        hidden = await act(stack, stranger, meeting["id"], action)
        error_of(hidden, 404)
        assert hidden.json() == unknown.json(), f"{stranger.name} can tell the meeting exists"
        assert meeting["id"] not in hidden.text

    assert await meeting_state(stack, meeting["id"], sup) == before


# The participant of a 1:1 may look at it but not run it (A3: 403, not 404).
PARTICIPANT_FORBIDDEN = [
    a for a in ALL_ACTIONS if a not in ("view", "history") and a not in CONTENT_ACTIONS
]


@pytest.mark.parametrize("action_name", PARTICIPANT_FORBIDDEN)
async def test_a3_the_participant_is_403_on_what_only_the_facilitator_may_do(
    stack: Stack, action_name: str
) -> None:
    sup = await stack.person("supervisor")
    agent = await stack.person("agent")
    other_sup = await stack.person("supervisor")
    meeting = await stack.one_to_one(sup, agent)
    before = await meeting_state(stack, meeting["id"], sup)
    events = await history(stack, meeting["id"], sup)

    response = await act(stack, agent, meeting["id"], actions(other_sup.id)[action_name])
    error = error_of(response, 403)
    assert error["type"] == "NotAllowed"

    assert await meeting_state(stack, meeting["id"], sup) == before
    assert await history(stack, meeting["id"], sup) == events


async def test_a3_the_participant_may_view_and_read_the_history(stack: Stack) -> None:
    sup, agent = await stack.person("supervisor"), await stack.person("agent")
    meeting = await stack.one_to_one(sup, agent)
    assert (await meeting_state(stack, meeting["id"], agent))["id"] == meeting["id"]
    assert [e["action"] for e in await history(stack, meeting["id"], agent)] == ["created"]


async def test_a2_a3_an_agent_cannot_schedule_a_one_to_one_or_coaching(stack: Stack) -> None:
    division = f"div-{uuid.uuid4().hex[:6]}"
    agent = await stack.person("agent", divisions=[division])
    colleague = await stack.person("agent", divisions=[division])
    for kind in ("one_to_one", "coaching"):
        response = await stack.create_meeting(
            agent,
            kind=kind,
            name="Peer chat",
            participant_ids=[colleague.id],
            starts_at=at(days=2),
            duration_minutes=30,
        )
        error = error_of(response, 403)
        assert error["type"] == "NotAllowed"
        assert "permission" in error["message"], error
    listed = await stack.http.get("/v1/meetings?role=participant", headers=colleague.auth)
    assert ids(listed) == []
    notes = await stack.http.get("/v1/notifications", headers=colleague.auth)
    assert notes.json()["items"] == []


async def test_m6_a_supervisor_cannot_delete_a_started_meeting(stack: Stack) -> None:
    """M6: not started -> whoever scheduled it may delete; started -> only one-to-ones.delete
    (quality_manager), everyone else is told to archive it instead."""
    sup, agent = await stack.person("supervisor"), await stack.person("agent")
    unstarted = await stack.one_to_one(sup, agent, starts_at=at(days=2))
    deleted = await stack.http.delete(f"/v1/meetings/{unstarted['id']}", headers=sup.auth)
    assert deleted.status_code == 200, deleted.text
    assert deleted.json()["status"] == "deleted"

    meeting = await stack.one_to_one(sup, agent, starts_at=at(days=3))
    started = await stack.http.post(f"/v1/meetings/{meeting['id']}/start", headers=sup.auth)
    assert started.status_code == 200, started.text
    refused = await stack.http.delete(f"/v1/meetings/{meeting['id']}", headers=sup.auth)
    error = error_of(refused, 403)
    assert error["type"] == "NotAllowed"
    assert "one-to-ones.delete" in error["message"]
    assert "archive" in error["message"]
    assert error["details"].get("permission") == "one-to-ones.delete"
    assert (await meeting_state(stack, meeting["id"], sup))["status"] == "in_progress"

    qm, agent2 = await stack.person("quality_manager"), await stack.person("agent")
    theirs = await stack.one_to_one(qm, agent2)
    await stack.http.post(f"/v1/meetings/{theirs['id']}/start", headers=qm.auth)
    allowed = await stack.http.delete(f"/v1/meetings/{theirs['id']}", headers=qm.auth)
    assert allowed.status_code == 200, allowed.text
    assert allowed.json()["status"] == "deleted"


@pytest.mark.parametrize("role", ["agent", "supervisor", "quality_manager", "ops"])
async def test_a2_only_an_admin_creates_users_and_defines_roles(stack: Stack, role: str) -> None:
    caller = await stack.person(role)
    admin = await stack.person("admin")
    suffix = uuid.uuid4().hex[:8]
    email = f"new-{suffix}@example.com"
    made = await stack.http.post(
        "/v1/users",
        json={"name": f"New {suffix}", "email": email, "roles": ["admin"]},
        headers=caller.auth,
    )
    error = error_of(made, 403)
    assert "admin" in error["message"]
    role_name = f"coach-{suffix}"
    defined = await stack.http.put(
        f"/v1/roles/{role_name}",
        json={"name": role_name, "permissions": ["admin"]},
        headers=caller.auth,
    )
    error = error_of(defined, 403)
    assert "admin" in error["message"]

    found = await stack.http.get("/v1/users", params={"q": email}, headers=admin.auth)
    assert found.json()["items"] == []
    roles = await stack.http.get("/v1/roles", headers=admin.auth)
    assert role_name not in [r["name"] for r in roles.json()["items"]]
    # The same requests succeed for an admin: the 403 was about the caller, nothing else.
    again = await stack.http.post(
        "/v1/users",
        json={"name": f"New {suffix}", "email": email, "roles": ["agent"]},
        headers=admin.auth,
    )
    assert again.status_code == 201, again.text


@pytest.mark.parametrize("role", ["agent", "ops"])
async def test_a6_without_facilitate_there_is_no_facilitator_list(stack: Stack, role: str) -> None:
    person = await stack.person(role)
    error = error_of(
        await stack.http.get("/v1/meetings?role=facilitator", headers=person.auth), 403
    )
    assert error["type"] == "NotAllowed"
    assert (await stack.http.get("/v1/meetings?role=participant", headers=person.auth)).is_success
    assert (await stack.http.get("/v1/meetings", headers=person.auth)).is_success


# -- A4 / A5: who sees a meeting ---------------------------------------------------------------


async def test_a4_a_manager_does_not_see_their_reports_one_to_one(stack: Stack) -> None:
    """There is no manager link: the report's manager is just another supervisor, so 404."""
    division = f"div-{uuid.uuid4().hex[:6]}"
    manager = await stack.person("supervisor", divisions=[division], name="Manager M")
    lead = await stack.person("supervisor", divisions=[division], name="Team lead L")
    report = await stack.person("agent", divisions=[division], name="Report R")
    meeting = await stack.one_to_one(lead, report, description="salary talk")

    for suffix in ("", "/history"):
        response = await stack.http.get(
            f"/v1/meetings/{meeting['id']}{suffix}", headers=manager.auth
        )
        error_of(response, 404)
    for role in ("facilitator", "participant"):
        listed = await stack.http.get(f"/v1/meetings?role={role}", headers=manager.auth)
        assert meeting["id"] not in ids(listed)


async def test_a4_ops_see_the_lifecycle_and_history_but_no_content(stack: Stack) -> None:
    sup, agent = await stack.person("supervisor"), await stack.person("agent")
    ops = await stack.person("ops")
    meeting = await stack.one_to_one(
        sup,
        agent,
        description="performance worries",
        location="Room 12",
        focus=[{"kind": "evaluation", "ref": "eval-77"}],
    )
    invited = await stack.http.post(
        f"/v1/meetings/{meeting['id']}/guests",
        json={"email": "coach@example.org"},
        headers=sup.auth,
    )
    assert invited.status_code == 200, invited.text

    seen = await meeting_state(stack, meeting["id"], ops)
    assert seen["view"] == "lifecycle"
    for hidden in ("description", "focus", "location", "guest_emails"):
        assert hidden not in seen, hidden
    assert seen["status"] == "scheduled"
    assert seen["facilitator_id"] == sup.id and seen["participant_ids"] == [agent.id]
    assert "performance worries" not in str(seen) and "eval-77" not in str(seen)

    actions_seen = [e["action"] for e in await history(stack, meeting["id"], ops)]
    assert actions_seen[:2] == ["created", "guest_invited"]

    for name in ("edit", "start", "cancel", "reschedule", "guests"):
        response = await act(stack, ops, meeting["id"], actions(sup.id)[name])
        error_of(response, 403)
    assert (await meeting_state(stack, meeting["id"], sup))["description"] == "performance worries"


async def test_a4_an_admin_sees_everything(stack: Stack) -> None:
    sup, agent = await stack.person("supervisor"), await stack.person("agent")
    admin = await stack.person("admin")
    meeting = await stack.one_to_one(
        sup,
        agent,
        description="agenda",
        location="Room 3",
        focus=[{"kind": "interaction", "ref": "i-1"}],
    )
    seen = await meeting_state(stack, meeting["id"], admin)
    assert seen["view"] == "full"
    assert seen["description"] == "agenda" and seen["location"] == "Room 3"
    assert seen["focus"] == [{"kind": "interaction", "ref": "i-1"}]
    assert "guest_emails" in seen
    assert [e["action"] for e in await history(stack, meeting["id"], admin)] == ["created"]


async def test_a5_coaching_is_visible_to_coaches_of_the_agents_division_only(stack: Stack) -> None:
    division, elsewhere = f"div-{uuid.uuid4().hex[:6]}", f"div-{uuid.uuid4().hex[:6]}"
    coach = await stack.person("supervisor", divisions=[division])
    agent = await stack.person("agent", divisions=[division])
    same_division = await stack.person("supervisor", divisions=[division])
    other_division = await stack.person("supervisor", divisions=[elsewhere])
    colleague = await stack.person("agent", divisions=[division])
    created = await stack.create_meeting(
        coach,
        kind="coaching",
        name="Call handling",
        description="listen to call 42",
        participant_ids=[agent.id],
        starts_at=at(days=2),
        duration_minutes=30,
    )
    assert created.status_code == 201, created.text
    meeting = created.json()

    seen = await meeting_state(stack, meeting["id"], same_division)
    assert seen["view"] == "full" and seen["description"] == "listen to call 42"
    for outsider in (other_division, colleague):
        error_of(await stack.http.get(f"/v1/meetings/{meeting['id']}", headers=outsider.auth), 404)
        error_of(
            await stack.http.get(f"/v1/meetings/{meeting['id']}/history", headers=outsider.auth),
            404,
        )


# -- M5: what the participant sees before the start ---------------------------------------------


async def test_m5_without_preview_the_participant_sees_time_and_place_until_the_start(
    stack: Stack,
) -> None:
    sup, agent = await stack.person("supervisor"), await stack.person("agent")
    meeting = await stack.one_to_one(
        sup,
        agent,
        description="your last three evaluations",
        location="Room 7",
        focus=[{"kind": "evaluation", "ref": "eval-1"}],
    )
    before = await meeting_state(stack, meeting["id"], agent)
    assert before["view"] == "preview"
    assert "description" not in before and "focus" not in before
    assert before["location"] == "Room 7" and before["starts_at"] == meeting["starts_at"]
    listed = await stack.http.get("/v1/meetings?role=participant", headers=agent.auth)
    [item] = [m for m in listed.json()["items"] if m["id"] == meeting["id"]]
    assert item["view"] == "preview" and "description" not in item and "focus" not in item

    started = await stack.http.post(f"/v1/meetings/{meeting['id']}/start", headers=sup.auth)
    assert started.status_code == 200, started.text
    after = await meeting_state(stack, meeting["id"], agent)
    assert after["view"] == "full"
    assert after["description"] == "your last three evaluations"
    assert after["focus"] == [{"kind": "evaluation", "ref": "eval-1"}]


async def test_m5_the_history_does_not_show_a_previewing_participant_what_the_view_hides(
    stack: Stack,
) -> None:
    """The preview leaves out the guests (and description, focus); the history the same
    participant can read must not hand them back."""
    sup, agent = await stack.person("supervisor"), await stack.person("agent")
    meeting = await stack.one_to_one(sup, agent)
    guest = f"guest-{uuid.uuid4().hex[:6]}@example.org"
    invited = await stack.http.post(
        f"/v1/meetings/{meeting['id']}/guests", json={"email": guest}, headers=sup.auth
    )
    assert invited.status_code == 200, invited.text
    view = await meeting_state(stack, meeting["id"], agent)
    assert view["view"] == "preview" and "guest_emails" not in view
    events = await stack.http.get(f"/v1/meetings/{meeting['id']}/history", headers=agent.auth)
    assert events.status_code == 200, events.text
    assert guest not in events.text


async def test_m5_with_preview_the_participant_sees_everything_before_the_start(
    stack: Stack,
) -> None:
    sup, agent = await stack.person("supervisor"), await stack.person("agent")
    meeting = await stack.one_to_one(
        sup,
        agent,
        description="prepare two questions",
        participant_preview=True,
        focus=[{"kind": "interaction", "ref": "https://cc.example/i/9"}],
    )
    seen = await meeting_state(stack, meeting["id"], agent)
    assert seen["view"] == "full" and seen["status"] == "scheduled"
    assert seen["description"] == "prepare two questions"
    assert seen["focus"] == [{"kind": "interaction", "ref": "https://cc.example/i/9"}]


# -- A6: the two lists ---------------------------------------------------------------------------


async def test_a6_facilitator_and_participant_lists(stack: Stack) -> None:
    lead = await stack.person("supervisor")
    boss = await stack.person("supervisor")
    agent = await stack.person("agent")
    leads_own = await stack.one_to_one(lead, agent, starts_at=at(days=2))
    with_boss = await stack.one_to_one(boss, lead, starts_at=at(days=3))

    async def listed(who: Person, query: str = "") -> list[str]:
        return ids(await stack.http.get(f"/v1/meetings{query}", headers=who.auth))

    assert await listed(lead, "?role=facilitator") == [leads_own["id"]]
    assert await listed(lead, "?role=participant") == [with_boss["id"]]
    assert await listed(lead) == [leads_own["id"]]  # a facilitator's default list
    assert await listed(boss, "?role=facilitator") == [with_boss["id"]]
    assert await listed(boss, "?role=participant") == []
    assert await listed(agent) == [leads_own["id"]]  # an agent's default is the participant list
    assert await listed(agent, "?role=participant") == [leads_own["id"]]


async def test_a6_status_filter(stack: Stack) -> None:
    sup = await stack.person("supervisor")
    agents = [await stack.person("agent") for _ in range(3)]
    live = await stack.one_to_one(sup, agents[0], starts_at=at(days=2))
    planned = await stack.one_to_one(sup, agents[1], starts_at=at(days=3))
    called_off = await stack.one_to_one(sup, agents[2], starts_at=at(days=4))
    assert (await stack.http.post(f"/v1/meetings/{live['id']}/start", headers=sup.auth)).is_success
    cancelled = await stack.http.post(
        f"/v1/meetings/{called_off['id']}/cancel", json={"reason": "holiday"}, headers=sup.auth
    )
    assert cancelled.status_code == 200, cancelled.text

    async def listed(query: str) -> list[str]:
        return ids(await stack.http.get(f"/v1/meetings?role=facilitator{query}", headers=sup.auth))

    assert await listed("") == [live["id"], planned["id"], called_off["id"]]
    assert await listed("&status=scheduled,in_progress") == [live["id"], planned["id"]]
    assert await listed("&status=cancelled") == [called_off["id"]]
    assert await listed("&status=completed") == []


async def test_a6_pagination_with_limit_and_next_cursor(stack: Stack) -> None:
    sup = await stack.person("supervisor")
    agent = await stack.person("agent")
    made = [
        (await stack.one_to_one(sup, agent, starts_at=at(days=2, hours=i)))["id"] for i in range(5)
    ]
    seen: list[str] = []
    pages = []
    cursor = None
    while True:
        params = {"role": "facilitator", "limit": 2, **({"cursor": cursor} if cursor else {})}
        page = await stack.http.get("/v1/meetings", params=params, headers=sup.auth)
        assert page.status_code == 200, page.text
        body = page.json()
        pages.append(len(body["items"]))
        seen += [m["id"] for m in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
        assert len(pages) < 10, "pagination does not end"
    assert pages == [2, 2, 1]
    assert seen == made  # oldest first, nothing twice, nothing missing
    participant_page = await stack.http.get("/v1/meetings", params={"limit": 5}, headers=agent.auth)
    assert [m["id"] for m in participant_page.json()["items"]] == made
    assert participant_page.json()["next_cursor"] is None


# -- Issue 7, item 3: the directory is not an e-mail oracle ------------------------------------


async def test_issue7_a1_the_directory_matches_only_what_it_shows(stack: Stack) -> None:
    """``GET /v1/users?q=`` shows names, not addresses, so it matches names only: otherwise
    ``q=`` one letter at a time tells whose address is whose."""
    sup = await stack.person("supervisor")
    hidden = await stack.person("agent", name=f"Quiet Person {uuid.uuid4().hex[:6]}")
    local_part = hidden.email.split("@")[0]  # agent-<hex>, in nobody's name

    async def found(q: str) -> list[dict[str, Any]]:
        response = await stack.http.get("/v1/users", params={"q": q}, headers=sup.auth)
        assert response.status_code == 200, response.text
        return response.json()["items"]

    for probe in (hidden.email, local_part, local_part[-5:], "@example.com"):
        assert hidden.id not in [u["id"] for u in await found(probe)], probe
    by_name = await found(hidden.name.split()[-1].upper())
    assert [u["id"] for u in by_name] == [hidden.id]
    assert all("email" not in u for u in by_name)
