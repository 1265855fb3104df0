"""Bad input: a clear 4xx naming the field or the rule, and nothing written.

Malformed JSON, unknown ids, naive datetimes, end before start, duration <= 0 or > 8 h (60 min
for coaching, W2), start in the past, unknown users, a facilitator without the permission (A2),
an attendee outside the coach's divisions (A5), missing reasons (M7, M8), a reused
Idempotency-Key (M13), bad list filters and cursors (A6), bad users (A1).

"Nothing written" is checked from the outside, as a user would: everybody's two meeting lists and
notifications are unchanged, the meeting itself and its history are unchanged, and no e-mail
arrived (after waiting for every e-mail queued so far to be delivered, see ``settle``).
"""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.support import Person, Stack, at, eventually

# -- helpers ---------------------------------------------------------------------------------


def error_of(response: httpx.Response, status: int) -> dict[str, Any]:
    """The ``error`` object of a failure, after checking the status and the shape of the body."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"type", "message", "details"}, error
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["details"], dict)
    return error


def assert_names(error: dict[str, Any], field_name: str | None, mentions: tuple[str, ...]) -> None:
    """The error points at the field (``details.field`` or the message) and says why."""
    if field_name is not None:
        assert error["details"].get("field") == field_name or field_name in error["message"], (
            f"{field_name!r} not named in {error}"
        )
    for word in mentions:
        assert word.lower() in error["message"].lower(), f"{word!r} not in {error['message']!r}"


def naive(instant: str) -> str:
    """The same wall-clock time without its UTC offset."""
    assert instant.endswith("+00:00")
    return instant.removesuffix("+00:00")


def cursor_of(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


async def settle(stack: Stack) -> None:
    """Wait until every e-mail queued so far has been delivered.

    The mail dispatcher sends in queue order, so once a fresh witness has received the invitation
    to a meeting created now, anything queued before it has reached the SMTP server too.
    """
    assert stack.mailbox is not None
    host, witness = await stack.person("supervisor"), await stack.person("agent")
    await stack.one_to_one(host, witness, starts_at=at(days=20))
    await eventually(lambda: stack.mailbox.to(witness.email))


@dataclass(frozen=True)
class Watched:
    person: Person
    facilitates: bool  # has an I'm-the-facilitator list (A6); agents and ops have not


async def observe(
    stack: Stack, watched: list[Watched], meeting_ids: tuple[str, ...] = ()
) -> dict[str, Any]:
    """Everything the watched people could notice changing in the app: their lists and
    notifications, and the meetings (as their first watcher sees them) with their histories."""
    seen: dict[str, Any] = {}
    for who in watched:
        person = who.person
        for role in ("facilitator", "participant") if who.facilitates else ("participant",):
            listed = await stack.http.get(
                "/v1/meetings", params={"role": role, "limit": 200}, headers=person.auth
            )
            assert listed.status_code == 200, listed.text
            seen[f"{person.name}: {role} list"] = listed.json()["items"]
        notes = await stack.http.get("/v1/notifications", headers=person.auth)
        assert notes.status_code == 200, notes.text
        seen[f"{person.name}: notifications"] = [
            (n["id"], n["kind"], n["meeting_id"], n["read_at"]) for n in notes.json()["items"]
        ]
    owner = watched[0].person
    for meeting_id in meeting_ids:
        got = await stack.http.get(f"/v1/meetings/{meeting_id}", headers=owner.auth)
        events = await stack.http.get(f"/v1/meetings/{meeting_id}/history", headers=owner.auth)
        assert got.status_code == events.status_code == 200, (got.text, events.text)
        seen[f"meeting {meeting_id}"] = got.json()
        seen[f"history of {meeting_id}"] = events.json()
    return seen


def untouched(watched: list[Watched]) -> dict[str, Any]:
    """What ``observe`` shows for people who have never had a meeting or a message."""
    seen: dict[str, Any] = {}
    for who in watched:
        for role in ("facilitator", "participant") if who.facilitates else ("participant",):
            seen[f"{who.person.name}: {role} list"] = []
        seen[f"{who.person.name}: notifications"] = []
    return seen


def mail_counts(stack: Stack, watched: list[Watched]) -> dict[str, int]:
    assert stack.mailbox is not None
    return {who.person.email: len(stack.mailbox.to(who.person.email)) for who in watched}


async def refused_without_trace(
    stack: Stack,
    watched: list[Watched],
    send: Callable[[], Awaitable[httpx.Response]],
    status: int,
    field_name: str | None,
    mentions: tuple[str, ...] = (),
    *,
    meeting_ids: tuple[str, ...] = (),
    fresh: bool = False,
) -> dict[str, Any]:
    """Send a bad request; check the answer, then that none of the watched people can see any
    trace of it. ``fresh``: they are new users with nothing yet; otherwise every e-mail sent to
    them so far must have arrived before the call (``settle``)."""
    before = untouched(watched) if fresh else await observe(stack, watched, meeting_ids)
    mails_before = mail_counts(stack, watched)
    if fresh:
        assert set(mails_before.values()) == {0}
    response = await send()
    error = error_of(response, status)
    assert_names(error, field_name, mentions)
    after, _ = await asyncio.gather(observe(stack, watched, meeting_ids), settle(stack))
    assert after == before, "the refused request left a trace"
    assert mail_counts(stack, watched) == mails_before, "the refused request sent e-mail"
    return error


@dataclass
class Cast:
    """The caller (a supervisor), their agents, and people who must not be usable."""

    sup: Person
    agent: Person
    agent2: Person
    outsider: Person  # an agent in another division
    other_sup: Person  # a supervisor of that other division
    ops: Person  # in the caller's division, but not an agent

    @property
    def everyone(self) -> list[Watched]:
        return [
            Watched(self.sup, True),
            Watched(self.agent, False),
            Watched(self.agent2, False),
            Watched(self.outsider, False),
            Watched(self.other_sup, True),
            Watched(self.ops, False),
        ]

    def named_in(self, payload: Any) -> list[Watched]:
        """The caller, the default participant and whoever else the request names."""
        text = payload.decode(errors="replace") if isinstance(payload, bytes) else str(payload)
        return [
            w for w in self.everyone if w.person in (self.sup, self.agent) or w.person.id in text
        ]

    @property
    def involved(self) -> list[Watched]:
        """Who a change to the sup's 1:1 with the agent could reach (agent2: reassign target)."""
        return self.everyone[:3]


async def cast_of(stack: Stack) -> Cast:
    home, away = f"div-{uuid.uuid4().hex[:6]}", f"div-{uuid.uuid4().hex[:6]}"
    return Cast(
        sup=await stack.person("supervisor", divisions=[home]),
        agent=await stack.person("agent", divisions=[home]),
        agent2=await stack.person("agent", divisions=[home]),
        outsider=await stack.person("agent", divisions=[away]),
        other_sup=await stack.person("supervisor", divisions=[away]),
        ops=await stack.person("ops", divisions=[home]),
    )


DROP = object()


def with_changes(body: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    merged = {**body, **changes}
    return {k: v for k, v in merged.items() if v is not DROP}


def one_to_one(c: Cast, **changes: Any) -> dict[str, Any]:
    body = {
        "kind": "one_to_one",
        "name": "Weekly 1:1",
        "participant_ids": [c.agent.id],
        "starts_at": at(days=2),
        "duration_minutes": 30,
    }
    return with_changes(body, changes)


def coaching(c: Cast, **changes: Any) -> dict[str, Any]:
    return one_to_one(c, kind="coaching", name="Coaching: call control", **changes)


# -- creating a meeting --------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    body: Callable[[Cast], Any]
    status: int
    field: str | None
    mentions: tuple[str, ...] = ()
    raw: bool = False  # body() returns the request's bytes, not JSON


CREATE_CASES: dict[str, Case] = {
    "malformed-json": Case(
        lambda c: b'{"kind": "one_to_one", "name": "1:1", "participant_ids": [',
        422,
        "body",
        ("malformed JSON",),
        raw=True,
    ),
    "body-is-not-an-object": Case(lambda c: [c.agent.id], 422, "body"),
    "unknown-field": Case(lambda c: one_to_one(c, colour="red"), 422, "colour"),
    "naive-starts-at": Case(lambda c: one_to_one(c, starts_at=naive(at(days=2))), 422, "starts_at"),
    "starts-at-not-a-time": Case(
        lambda c: one_to_one(c, starts_at="next Tuesday"), 422, "starts_at"
    ),
    "naive-ends-at": Case(
        lambda c: one_to_one(c, duration_minutes=DROP, ends_at=naive(at(days=2, hours=1))),
        422,
        "ends_at",
    ),
    "ends-before-start": Case(
        lambda c: one_to_one(
            c, starts_at=at(days=2), ends_at=at(days=2, hours=-1), duration_minutes=DROP
        ),
        422,
        "ends_at",
    ),
    "ends-at-the-start": Case(
        lambda c: one_to_one(c, starts_at=at(days=2), ends_at=at(days=2), duration_minutes=DROP),
        422,
        "ends_at",
    ),
    "duration-and-ends-at-both-given": Case(
        lambda c: one_to_one(c, ends_at=at(days=2, hours=2)), 422, "duration_minutes"
    ),
    "duration-missing": Case(
        lambda c: one_to_one(c, duration_minutes=DROP), 422, "duration_minutes"
    ),
    "duration-zero": Case(lambda c: one_to_one(c, duration_minutes=0), 422, "duration_minutes"),
    "duration-negative": Case(
        lambda c: one_to_one(c, duration_minutes=-30), 422, "duration_minutes"
    ),
    "duration-over-8-hours": Case(
        lambda c: one_to_one(c, duration_minutes=8 * 60 + 1), 422, "duration_minutes"
    ),
    "duration-not-whole-minutes": Case(
        lambda c: one_to_one(c, duration_minutes=30.5), 422, "duration_minutes"
    ),
    "starts-in-the-past": Case(lambda c: one_to_one(c, starts_at=at(hours=-1)), 422, "starts_at"),
    "starts-years-ago": Case(
        lambda c: one_to_one(c, starts_at="2001-01-01T09:00:00+00:00"), 422, "starts_at"
    ),
    "unknown-participant": Case(
        lambda c: one_to_one(c, participant_ids=[str(uuid.uuid4())]), 422, "participant_ids.0"
    ),
    "unknown-facilitator": Case(
        lambda c: one_to_one(c, facilitator_id=str(uuid.uuid4())), 422, "facilitator_id"
    ),
    # A2: the chosen facilitator must hold one-to-ones.facilitate.
    "facilitator-is-an-agent": Case(
        lambda c: one_to_one(c, facilitator_id=c.agent2.id),
        422,
        "facilitator_id",
        ("one-to-ones.facilitate",),
    ),
    "facilitator-is-ops": Case(
        lambda c: one_to_one(c, facilitator_id=c.ops.id),
        422,
        "facilitator_id",
        ("one-to-ones.facilitate",),
    ),
    # A5: the caller may only coach agents of their own divisions (403: not theirs to do).
    "coaching-attendee-outside-my-divisions": Case(
        lambda c: coaching(c, participant_ids=[c.outsider.id]), 403, "participant_ids.0", ("A5",)
    ),
    "coaching-second-attendee-outside-my-divisions": Case(
        lambda c: coaching(c, participant_ids=[c.agent.id, c.outsider.id]),
        403,
        "participant_ids.1",
        ("A5",),
    ),
    # A5 for a facilitator chosen by the caller: the caller may act, the choice is invalid.
    "coaching-facilitator-outside-the-attendees-divisions": Case(
        lambda c: coaching(c, facilitator_id=c.other_sup.id), 422, "facilitator_id", ("A5",)
    ),
    "coaching-attendee-who-cannot-attend-coaching": Case(
        lambda c: coaching(c, participant_ids=[c.ops.id]), 422, "participant_ids.0"
    ),
    "coaching-longer-than-60-minutes": Case(
        lambda c: coaching(c, duration_minutes=61), 422, "duration_minutes", ("60",)
    ),
    "one-to-one-with-two-participants": Case(
        lambda c: one_to_one(c, participant_ids=[c.agent.id, c.agent2.id]),
        422,
        None,
        ("one participant",),
    ),
    "duplicate-participants": Case(
        lambda c: coaching(c, participant_ids=[c.agent.id, c.agent.id]),
        422,
        None,
        ("participant_ids",),
    ),
    "facilitator-listed-as-participant": Case(
        lambda c: one_to_one(c, participant_ids=[c.sup.id]), 422, "participant_ids"
    ),
    "no-participants": Case(lambda c: one_to_one(c, participant_ids=[]), 422, "participant_ids"),
    "unknown-kind": Case(lambda c: one_to_one(c, kind="lunch"), 422, "kind"),
    "blank-name": Case(lambda c: one_to_one(c, name="   "), 422, "name"),
    "unknown-time-zone": Case(lambda c: one_to_one(c, timezone="Mars/Olympus"), 422, "timezone"),
    # "Europe" is a folder of the tz database, not a zone.
    "time-zone-that-is-a-region": Case(lambda c: one_to_one(c, timezone="Europe"), 422, "timezone"),
    "unknown-focus-kind": Case(
        lambda c: one_to_one(c, focus=[{"kind": "survey", "ref": "s-1"}]), 422, "focus.0.kind"
    ),
    # Issue 7, item 2: strict types, nothing coerced.
    "duration-true": Case(lambda c: one_to_one(c, duration_minutes=True), 422, "duration_minutes"),
    "duration-a-string": Case(
        lambda c: one_to_one(c, duration_minutes="30"), 422, "duration_minutes"
    ),
    "duration-a-float": Case(
        lambda c: one_to_one(c, duration_minutes=30.0), 422, "duration_minutes"
    ),
    "starts-at-a-unix-number": Case(
        lambda c: one_to_one(c, starts_at=1_900_000_000), 422, "starts_at", ("not a number",)
    ),
    "starts-at-a-unix-number-as-text": Case(
        lambda c: one_to_one(c, starts_at="1900000000"), 422, "starts_at", ("not a number",)
    ),
    "kind-a-number": Case(lambda c: one_to_one(c, kind=1), 422, "kind"),
    "preview-a-string": Case(
        lambda c: one_to_one(c, participant_preview="true"), 422, "participant_preview"
    ),
    "participant-id-a-number": Case(
        lambda c: one_to_one(c, participant_ids=[12]), 422, "participant_ids.0"
    ),
    # Issue 7, item 2: names and places are one line of readable text.
    "name-with-nul": Case(lambda c: one_to_one(c, name="Weekly\x001:1"), 422, "name", ("NUL",)),
    "name-with-a-line-break": Case(
        lambda c: one_to_one(c, name="Weekly\r\nBcc: everyone"), 422, "name", ("one line",)
    ),
    "name-with-a-bidi-override": Case(
        lambda c: one_to_one(c, name="Review \u202egnp.exe"), 422, "name", ("U+202E",)
    ),
    "name-with-a-bidi-isolate": Case(
        lambda c: one_to_one(c, name="Review \u2066x\u2069"), 422, "name", ("U+2066",)
    ),
    "name-only-zero-width-spaces": Case(
        lambda c: one_to_one(c, name="\u200b\u200b"), 422, "name", ("visible",)
    ),
    "name-only-invisible-characters": Case(
        lambda c: one_to_one(c, name=" \ufeff\u2060 "), 422, "name", ("visible",)
    ),
    "location-with-a-line-break": Case(
        lambda c: one_to_one(c, location="Room 4\nFloor 2"), 422, "location", ("one line",)
    ),
    "description-with-a-bidi-override": Case(
        lambda c: one_to_one(c, description="Agenda\n\u202dTrojan"), 422, "description"
    ),
    "description-with-nul": Case(
        lambda c: one_to_one(c, description="Agenda\x00"), 422, "description", ("NUL",)
    ),
}


@pytest.mark.parametrize("case_name", list(CREATE_CASES))
async def test_bad_create_is_refused_and_writes_nothing(stack: Stack, case_name: str) -> None:
    """M1, A2, A5, W2: each mistake in ``POST /v1/meetings`` is a 422 (403 for A5) naming the
    field or the rule; the people it names see no meeting, no notification and no e-mail."""
    case = CREATE_CASES[case_name]
    cast = await cast_of(stack)
    payload = case.body(cast)

    async def send() -> httpx.Response:
        if case.raw:
            return await stack.http.post(
                "/v1/meetings",
                content=payload,
                headers={**cast.sup.auth, "Content-Type": "application/json"},
            )
        return await stack.http.post("/v1/meetings", json=payload, headers=cast.sup.auth)

    error = await refused_without_trace(
        stack, cast.named_in(payload), send, case.status, case.field, case.mentions, fresh=True
    )
    if case.status == 403:
        assert error["type"] == "NotAllowed" and error["details"].get("rule") == "A5"
    else:
        assert error["type"] == "Invalid"


async def test_the_same_create_without_the_mistake_succeeds(stack: Stack) -> None:
    """Control for the cases above: the base bodies are valid, so each refusal is the mistake's."""
    cast = await cast_of(stack)
    for body in (one_to_one(cast), coaching(cast, starts_at=at(days=3))):
        created = await stack.http.post("/v1/meetings", json=body, headers=cast.sup.auth)
        assert created.status_code == 201, created.text


# -- changing a meeting ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    method: str
    suffix: str
    body: Callable[[Cast], Any]
    status: int
    field: str | None
    mentions: tuple[str, ...] = ()


def _move(**changes: Any) -> Callable[[Cast], dict[str, Any]]:
    return lambda c: with_changes({"starts_at": at(days=5), "reason": "clash"}, changes)


CHANGE_CASES: dict[str, Change] = {
    # M7: reschedule
    "reschedule-into-the-past": Change(
        "POST", "/reschedule", _move(starts_at=at(hours=-2)), 422, "starts_at"
    ),
    "reschedule-with-naive-time": Change(
        "POST", "/reschedule", _move(starts_at=naive(at(days=5))), 422, "starts_at"
    ),
    "reschedule-without-reason": Change("POST", "/reschedule", _move(reason=DROP), 422, "reason"),
    "reschedule-with-blank-reason": Change(
        "POST", "/reschedule", _move(reason="   "), 422, "reason"
    ),
    "reschedule-to-zero-minutes": Change(
        "POST", "/reschedule", _move(duration_minutes=0), 422, "duration_minutes"
    ),
    "reschedule-to-negative-minutes": Change(
        "POST", "/reschedule", _move(duration_minutes=-15), 422, "duration_minutes"
    ),
    "reschedule-to-over-8-hours": Change(
        "POST", "/reschedule", _move(duration_minutes=8 * 60 + 1), 422, "duration_minutes"
    ),
    "reschedule-with-unknown-field": Change(
        "POST", "/reschedule", _move(notify=False), 422, "notify"
    ),
    # M8: cancel
    "cancel-without-reason": Change("POST", "/cancel", lambda c: {}, 422, "reason"),
    "cancel-with-blank-reason": Change("POST", "/cancel", lambda c: {"reason": ""}, 422, "reason"),
    # Issue 7, item 2: a reason may run over lines, but is readable text.
    "cancel-with-a-zero-width-reason": Change(
        "POST", "/cancel", lambda c: {"reason": "\u200b"}, 422, "reason", ("visible",)
    ),
    "cancel-with-a-bidi-reason": Change(
        "POST", "/cancel", lambda c: {"reason": "ill \u202e"}, 422, "reason", ("U+202E",)
    ),
    "cancel-with-nul-in-reason": Change(
        "POST", "/cancel", lambda c: {"reason": "ill\x00"}, 422, "reason", ("NUL",)
    ),
    "cancel-with-a-reason-that-is-a-number": Change(
        "POST", "/cancel", lambda c: {"reason": 42}, 422, "reason"
    ),
    "reschedule-with-a-unix-time": Change(
        "POST", "/reschedule", _move(starts_at=1_900_000_000), 422, "starts_at"
    ),
    "reschedule-duration-as-text": Change(
        "POST", "/reschedule", _move(duration_minutes="45"), 422, "duration_minutes"
    ),
    "edit-duration-true": Change(
        "PATCH", "", lambda c: {"duration_minutes": True}, 422, "duration_minutes"
    ),
    "edit-preview-as-text": Change(
        "PATCH", "", lambda c: {"participant_preview": "yes"}, 422, "participant_preview"
    ),
    # M3: edit
    "edit-with-naive-time": Change(
        "PATCH", "", lambda c: {"starts_at": naive(at(days=5))}, 422, "starts_at"
    ),
    "edit-into-the-past": Change(
        "PATCH", "", lambda c: {"starts_at": at(hours=-3)}, 422, "starts_at"
    ),
    "edit-to-zero-minutes": Change(
        "PATCH", "", lambda c: {"duration_minutes": 0}, 422, "duration_minutes"
    ),
    "edit-to-over-8-hours": Change(
        "PATCH", "", lambda c: {"duration_minutes": 8 * 60 + 1}, 422, "duration_minutes"
    ),
    "edit-nothing": Change("PATCH", "", lambda c: {}, 422, None, ("nothing to change",)),
    "edit-status-directly": Change("PATCH", "", lambda c: {"status": "completed"}, 422, "status"),
    "edit-unknown-time-zone": Change(
        "PATCH", "", lambda c: {"timezone": "Mars/Olympus"}, 422, "timezone"
    ),
    "edit-blank-name": Change("PATCH", "", lambda c: {"name": ""}, 422, "name"),
    # M9, M10
    "invite-a-malformed-email": Change(
        "POST", "/guests", lambda c: {"email": "not-an-email"}, 422, "email"
    ),
    "reassign-to-an-unknown-user": Change(
        "POST",
        "/reassign",
        lambda c: {"facilitator_id": str(uuid.uuid4()), "reason": "leaving"},
        422,
        "facilitator_id",
    ),
    "reassign-to-an-agent": Change(
        "POST",
        "/reassign",
        lambda c: {"facilitator_id": c.agent2.id, "reason": "leaving"},
        422,
        "facilitator_id",
        ("one-to-ones.facilitate",),
    ),
}


@pytest.mark.parametrize("case_name", list(CHANGE_CASES))
async def test_bad_change_is_refused_and_writes_nothing(stack: Stack, case_name: str) -> None:
    """M3, M7-M10: a bad edit, reschedule, cancel, guest or reassignment is a 422 naming the
    field; the meeting, its history, both people's lists, notifications and e-mail stay as
    they were."""
    case = CHANGE_CASES[case_name]
    cast = await cast_of(stack)
    meeting = await stack.one_to_one(cast.sup, cast.agent, starts_at=at(days=3))
    payload = case.body(cast)

    async def send() -> httpx.Response:
        return await stack.http.request(
            case.method,
            f"/v1/meetings/{meeting['id']}{case.suffix}",
            json=payload,
            headers=cast.sup.auth,
        )

    await eventually(lambda: stack.mailbox.to(cast.agent.email))  # the invitation
    error = await refused_without_trace(
        stack,
        cast.named_in(payload),
        send,
        case.status,
        case.field,
        case.mentions,
        meeting_ids=(meeting["id"],),
    )
    assert error["type"] == "Invalid"


async def test_unknown_meeting_ids_are_404_on_every_action_and_write_nothing(
    stack: Stack,
) -> None:
    """Even for the facilitator of another meeting, with bodies that would be valid."""
    cast = await cast_of(stack)
    meeting = await stack.one_to_one(cast.sup, cast.agent, starts_at=at(days=3))
    await eventually(lambda: stack.mailbox.to(cast.agent.email))  # the invitation
    calls: list[tuple[str, str, Any]] = [
        ("GET", "", None),
        ("PATCH", "", {"name": "x"}),
        ("DELETE", "", None),
        ("GET", "/history", None),
        ("POST", "/start", None),
        ("POST", "/complete", None),
        ("POST", "/reschedule", {"starts_at": at(days=5), "reason": "clash"}),
        ("POST", "/cancel", {"reason": "ill"}),
        ("POST", "/guests", {"email": "guest@example.org"}),
        ("GET", "/reassign-candidates", None),
        ("POST", "/reassign", {"facilitator_id": cast.other_sup.id, "reason": "away"}),
        ("POST", "/archive", None),
        ("POST", "/unarchive", None),
    ]

    async def send_all() -> httpx.Response:
        answers = []
        for method, suffix, body in calls:
            unknown = f"/v1/meetings/{uuid.uuid4()}{suffix}"
            answer = await stack.http.request(method, unknown, json=body, headers=cast.sup.auth)
            error = error_of(answer, 404)
            assert error["type"] == "NotFound", (method, suffix)
            answers.append(answer)
        assert len({a.text for a in answers}) == 1, "404s differ between actions"
        return answers[0]

    await refused_without_trace(
        stack,
        cast.involved,
        send_all,
        404,
        None,
        ("no such meeting",),
        meeting_ids=(meeting["id"],),
    )


# -- M13: an Idempotency-Key reused for something else -------------------------------------------


async def test_m13_a_create_key_reused_with_another_body_is_422_and_changes_nothing(
    stack: Stack,
) -> None:
    cast = await cast_of(stack)
    key = {"Idempotency-Key": f"create-{uuid.uuid4()}"}
    body = one_to_one(cast, name="Quarterly review")
    first = await stack.http.post("/v1/meetings", json=body, headers={**cast.sup.auth, **key})
    assert first.status_code == 201, first.text
    meeting = first.json()

    await eventually(lambda: stack.mailbox.to(cast.agent.email))  # the invitation
    error = await refused_without_trace(
        stack,
        cast.involved,
        lambda: stack.http.post(
            "/v1/meetings",
            json={**body, "name": "Something else"},
            headers={**cast.sup.auth, **key},
        ),
        422,
        "Idempotency-Key",
        meeting_ids=(meeting["id"],),
    )
    assert error["type"] == "Invalid"
    got = await stack.http.get(f"/v1/meetings/{meeting['id']}", headers=cast.sup.auth)
    assert got.json()["name"] == "Quarterly review"
    listed = await stack.http.get("/v1/meetings?role=facilitator", headers=cast.sup.auth)
    assert [m["id"] for m in listed.json()["items"]] == [meeting["id"]]


async def test_m13_a_reschedule_key_reused_with_another_body_is_422_and_changes_nothing(
    stack: Stack,
) -> None:
    cast = await cast_of(stack)
    meeting = await stack.one_to_one(cast.sup, cast.agent, starts_at=at(days=3))
    key = {"Idempotency-Key": f"move-{uuid.uuid4()}"}
    url = f"/v1/meetings/{meeting['id']}/reschedule"
    new_time = at(days=4)
    moved = await stack.http.post(
        url, json={"starts_at": new_time, "reason": "clash"}, headers={**cast.sup.auth, **key}
    )
    assert moved.status_code == 200, moved.text

    await eventually(lambda: len(stack.mailbox.to(cast.agent.email)) == 2)  # invited, moved
    await refused_without_trace(
        stack,
        cast.involved,
        lambda: stack.http.post(
            url,
            json={"starts_at": at(days=6), "reason": "clash"},
            headers={**cast.sup.auth, **key},
        ),
        422,
        "Idempotency-Key",
        meeting_ids=(meeting["id"],),
    )
    got = await stack.http.get(f"/v1/meetings/{meeting['id']}", headers=cast.sup.auth)
    assert got.json()["starts_at"] == new_time


# -- A6: list filters ----------------------------------------------------------------------------

LIST_CASES: dict[str, tuple[dict[str, Any], str]] = {
    "unknown-status": ({"status": "done"}, "status"),
    "one-unknown-status-among-good-ones": ({"status": "scheduled,bogus"}, "status"),
    "cursor-that-is-not-base64": ({"cursor": "not a cursor!"}, "cursor"),
    "cursor-that-is-not-json": ({"cursor": base64.urlsafe_b64encode(b"hello").decode()}, "cursor"),
    "cursor-with-wrong-shape": ({"cursor": cursor_of({"after": 1})}, "cursor"),
    "cursor-with-one-part": ({"cursor": cursor_of(["2031-01-01T09:00:00+00:00"])}, "cursor"),
    "cursor-with-a-bad-time": ({"cursor": cursor_of(["yesterday", "x"])}, "cursor"),
    # A cursor the server never produced: its time has no offset.
    "cursor-with-a-naive-time": ({"cursor": cursor_of(["2031-01-01T09:00:00", "x"])}, "cursor"),
    "unknown-role": ({"role": "boss"}, "role"),
    "limit-zero": ({"limit": 0}, "limit"),
    "limit-too-large": ({"limit": 100_000}, "limit"),
    "limit-not-a-number": ({"limit": "ten"}, "limit"),
    "archived-not-a-boolean": ({"archived": "perhaps"}, "archived"),
}


@pytest.mark.parametrize("case_name", list(LIST_CASES))
async def test_a6_bad_list_query_is_422_naming_the_parameter(stack: Stack, case_name: str) -> None:
    params, field_name = LIST_CASES[case_name]
    sup, agent = await stack.person("supervisor"), await stack.person("agent")
    await stack.one_to_one(sup, agent)
    response = await stack.http.get(
        "/v1/meetings", params={"role": "facilitator", **params}, headers=sup.auth
    )
    error = error_of(response, 422)
    assert error["type"] == "Invalid"
    assert_names(error, field_name, ())


async def test_n1_bad_notification_cursor_is_422(stack: Stack) -> None:
    agent = await stack.person("agent")
    response = await stack.http.get(
        "/v1/notifications", params={"cursor": str(uuid.uuid4())}, headers=agent.auth
    )
    assert_names(error_of(response, 422), "cursor", ())


# -- A1: creating users --------------------------------------------------------------------------

USER_CASES: dict[str, tuple[dict[str, Any], str]] = {
    "unknown-role": ({"roles": ["wizard"]}, "roles"),
    "no-roles": ({"roles": []}, "roles"),
    "unknown-time-zone": ({"timezone": "Mars/Olympus"}, "timezone"),
    "time-zone-that-is-a-region": ({"timezone": "America"}, "timezone"),
    "malformed-email": ({"email": "not-an-email"}, "email"),
    "blank-name": ({"name": ""}, "name"),
    "unknown-field": ({"password": "hunter2"}, "password"),
}


@pytest.mark.parametrize("case_name", list(USER_CASES))
async def test_a1_bad_user_is_422_and_not_created(stack: Stack, case_name: str) -> None:
    changes, field_name = USER_CASES[case_name]
    admin = await stack.person("admin")
    suffix = uuid.uuid4().hex[:10]
    body = {
        "name": f"Newcomer {suffix}",
        "email": f"newcomer-{suffix}@example.com",
        "roles": ["agent"],
        "timezone": "Europe/Paris",
        **changes,
    }
    response = await stack.http.post("/v1/users", json=body, headers=admin.auth)
    error = error_of(response, 422)
    assert error["type"] == "Invalid"
    assert_names(error, field_name, ())
    found = await stack.http.get("/v1/users", params={"q": suffix}, headers=admin.auth)
    assert found.json()["items"] == []


async def test_a1_bad_settings_are_422_and_keep_the_old_ones(stack: Stack) -> None:
    agent = await stack.person("agent")
    for body in (
        {"meeting_reminders": "perhaps"},
        {},
        {"digest": False, "meeting_reminders": True},
        {"working_hours": [{"weekday": 0, "start": "17:00", "end": "09:00"}]},
        {"working_hours": [{"weekday": 7, "start": "09:00", "end": "17:00"}]},
        {"working_hours": [{"weekday": 1, "start": "nine", "end": "17:00"}]},
    ):
        response = await stack.http.patch("/v1/users/me/settings", json=body, headers=agent.auth)
        error_of(response, 422)
    me = await stack.http.get("/v1/users/me", headers=agent.auth)
    assert me.json()["settings"] == {"meeting_reminders": True, "working_hours": []}


# -- N1: notifications ---------------------------------------------------------------------------


async def test_n1_marking_an_unknown_notification_read_is_404(stack: Stack) -> None:
    agent = await stack.person("agent")
    response = await stack.http.post(f"/v1/notifications/{uuid.uuid4()}/read", headers=agent.auth)
    error = error_of(response, 404)
    assert error["type"] == "NotFound" and "notification" in error["message"]


async def test_n1_someone_elses_notification_is_404_and_stays_unread(stack: Stack) -> None:
    sup, agent = await stack.person("supervisor"), await stack.person("agent")
    nosy = await stack.person("agent")
    await stack.one_to_one(sup, agent)
    notes = await stack.http.get("/v1/notifications", headers=agent.auth)
    [note] = notes.json()["items"]

    response = await stack.http.post(f"/v1/notifications/{note['id']}/read", headers=nosy.auth)
    unknown = await stack.http.post(f"/v1/notifications/{uuid.uuid4()}/read", headers=nosy.auth)
    error_of(response, 404)
    assert response.json() == unknown.json()
    again = await stack.http.get("/v1/notifications", headers=agent.auth)
    assert again.json()["items"][0]["read_at"] is None


# -- Issue 7, item 2: what a request may be ----------------------------------------------------


async def raw_exchange(stack: Stack, head: str, body_parts: list[bytes] = ()) -> tuple[str, bytes]:
    """Send ``head`` (request line and headers) and ``body_parts`` over a plain socket and read
    the answer: (status line with headers, body). A socket, because an HTTP client will not send
    a ``Content-Length`` it does not mean, nor stop in the middle of a chunked body."""
    url = httpx.URL(stack.base_url)
    reader, writer = await asyncio.open_connection(url.host, url.port)
    try:
        writer.write(head.replace("\n", "\r\n").encode() + b"\r\n")
        for part in body_parts:
            writer.write(part)
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), timeout=30)
    finally:
        writer.close()
    head_part, _, body_part = answer.partition(b"\r\n\r\n")
    return head_part.decode(), body_part


def chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


def error_in(raw_head: str, raw_body: bytes, status: int) -> dict[str, Any]:
    assert raw_head.startswith(f"HTTP/1.1 {status} "), raw_head
    return error_of(httpx.Response(status, content=raw_body), status)


async def test_issue7_a_body_declared_over_the_cap_is_413_before_it_is_sent(stack: Stack) -> None:
    """The API answers from the Content-Length alone: the 2 GB body is never sent."""
    sup = await stack.person("supervisor")
    head, body = await raw_exchange(
        stack,
        "POST /v1/meetings HTTP/1.1\nHost: t\nContent-Type: application/json\n"
        f"Authorization: Bearer {sup.token}\nContent-Length: {2 * 2**30}\nConnection: close\n",
    )
    error = error_in(head, body, 413)
    assert error["type"] == "TooLarge" and "1 MiB" in error["message"]


async def test_issue7_a_chunked_body_is_refused_once_it_passes_the_cap(stack: Stack) -> None:
    """No Content-Length: bytes are counted as they arrive; the end of the body is never sent."""
    sup = await stack.person("supervisor")
    piece = b"x" * 2**16
    head, body = await raw_exchange(
        stack,
        "POST /v1/meetings HTTP/1.1\nHost: t\nContent-Type: application/json\n"
        f"Authorization: Bearer {sup.token}\nTransfer-Encoding: chunked\nConnection: close\n",
        [chunk(b'{"name": "'), *[chunk(piece)] * (2**20 // len(piece) + 1)],
    )
    assert error_in(head, body, 413)["type"] == "TooLarge"


async def test_issue7_a_body_under_the_cap_is_read_as_usual(stack: Stack) -> None:
    """Control: the same socket path with a valid body of fair size books the meeting."""
    cast = await cast_of(stack)
    payload = json.dumps(one_to_one(cast, description="x" * 9_000)).encode()
    head, body = await raw_exchange(
        stack,
        "POST /v1/meetings HTTP/1.1\nHost: t\nContent-Type: application/json\n"
        f"Authorization: Bearer {cast.sup.token}\nTransfer-Encoding: chunked\nConnection: close\n",
        [chunk(payload[:100]), chunk(payload[100:]), b"0\r\n\r\n"],
    )
    assert head.startswith("HTTP/1.1 201 "), (head, body)


async def test_issue7_an_upload_may_be_larger_than_a_json_body(stack: Stack) -> None:
    """Uploads keep their own limit: a 2 MiB document is fine, where JSON stops at 1 MiB."""
    cast = await cast_of(stack)
    meeting = await stack.one_to_one(cast.sup, cast.agent)
    upload = await stack.http.post(
        f"/v1/meetings/{meeting['id']}/attachments/documents",
        files={"file": ("notes.txt", b"a" * (2 * 2**20), "text/plain")},
        headers=cast.sup.auth,
    )
    assert upload.status_code == 201, upload.text


@pytest.mark.parametrize(
    "body_headers",
    [
        # A body of any size is not read for someone who has not said who they are.
        f"Content-Type: application/json\nContent-Length: {2 * 2**30}\n",
        "Content-Type: application/json\nContent-Length: 9\n\n{not json",
        "Content-Type: multipart/form-data; boundary=x\nContent-Length: 5\n\nxxxxx",
    ],
    ids=["huge", "malformed-json", "malformed-multipart"],
)
async def test_issue7_a3_no_token_is_401_before_the_body_is_read(
    stack: Stack, body_headers: str
) -> None:
    headers, _, content = body_headers.partition("\n\n")
    head, body = await raw_exchange(
        stack,
        f"POST /v1/meetings HTTP/1.1\nHost: t\n{headers.strip()}\nConnection: close\n",
        [content.encode()] if content else [],
    )
    assert error_in(head, body, 401)["type"] == "Unauthenticated"
    assert "www-authenticate: bearer" in head.lower()


async def test_issue7_a_malformed_multipart_body_is_400_naming_what_is_wrong(
    stack: Stack,
) -> None:
    cast = await cast_of(stack)
    meeting = await stack.one_to_one(cast.sup, cast.agent)
    response = await stack.http.post(
        f"/v1/meetings/{meeting['id']}/attachments/documents",
        content=b"--x\r\nthis is not a part header\r\n\r\n--x--",
        headers={**cast.sup.auth, "Content-Type": "multipart/form-data; boundary=x"},
    )
    error = error_of(response, 400)
    assert error["type"] == "BadRequest" and error["details"]["field"] == "body"
    assert "multipart/form-data" in error["message"], error
    listed = await stack.http.get(
        f"/v1/meetings/{meeting['id']}/attachments", headers=cast.sup.auth
    )
    assert listed.json()["items"] == []


async def test_issue7_405_says_which_methods_are_allowed(stack: Stack) -> None:
    sup = await stack.person("supervisor")
    response = await stack.http.put("/v1/meetings", headers=sup.auth)
    error = error_of(response, 405)
    assert error["type"] == "MethodNotAllowed"
    assert set(response.headers["Allow"].replace(" ", "").split(",")) == {"GET", "POST"}


@pytest.mark.parametrize("path", ["/v1/meetings/", "/v1/users/me/", "/v1/notifications/"])
async def test_issue7_a_trailing_slash_is_404_not_a_redirect(stack: Stack, path: str) -> None:
    sup = await stack.person("supervisor")
    response = await stack.http.get(path, headers=sup.auth, follow_redirects=False)
    assert error_of(response, 404)["type"] == "NotFound"


@pytest.mark.parametrize("value", ["0.5", "1900000000", "-1", "1e9"])
async def test_issue7_a_number_is_not_a_time_in_a_query(stack: Stack, value: str) -> None:
    """``from``/``to`` are ISO-8601 instants, never Unix times (series occurrences, WFM views)."""
    sup, agent = await stack.person("supervisor"), await stack.person("agent")
    series = await stack.series(sup, agent, name="Weekly", starts_at=at(days=2))
    for params in ({"from": value}, {"to": value}):
        response = await stack.http.get(
            f"/v1/series/{series['id']}/occurrences", params=params, headers=sup.auth
        )
        field_name = next(iter(params))
        assert_names(error_of(response, 422), field_name, ("not a number",))
    response = await stack.http.get(
        "/v1/wfm/staffing", params={"business_unit": "x", "from": value}, headers=sup.auth
    )
    assert_names(error_of(response, 422), "from", ("not a number",))
