"""The OpenAPI document tells the truth: a bounded schemathesis run against the live stack.

Every operation of /openapi.json gets a few generated requests (valid and invalid ones, by a fixed
seed) with every check schemathesis has: no 5xx, only documented status codes, content types and
headers, bodies that match their schema, invalid input refused, auth not ignored. Path
parameters are pinned to real resources of one demo supervisor (and an admin for the admin and
WFM operations), so most requests get past 404 to the rules behind it.

``positive_data_acceptance`` stays off: a request the schema allows is still refused by rules a
schema cannot say (a start in the past, an agent outside the caller's divisions, a window in the
wrong order), with a documented 4xx.
"""

from __future__ import annotations

import asyncio
import copy
import json
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
import schemathesis
from schemathesis.engine import Status, events
from schemathesis.engine import from_schema as engine_for

from tandem.api import responses
from tandem.api.app import create_app
from tandem.api.openapi import REF
from tandem.domain.guest_links import guest_token
from tandem.settings import Settings
from tests.support import Person, Stack, at

SEED = 20_240_601
MAX_EXAMPLES = 4
DIVISION = "contract"
UNIT = "contract-bu"

# A check that cannot hold here: see the module docstring.
OFF = ("positive_data_acceptance",)
# schemathesis' default for negative_data_rejection (a 5xx fails not_a_server_error instead).
REJECTIONS = ["400", "401", "403", "404", "405", "406", "409", "415", "422", "428", "429", "5xx"]


@dataclass
class Fixtures:
    """Real resources the generated requests are pointed at."""

    supervisor: Person
    admin: Person
    parameters: dict[str, Any]
    per_operation: list[dict[str, Any]] = field(default_factory=list)


async def _ok(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return response.json()


def _monday_after(days: int) -> date:
    day = (datetime.now(UTC) + timedelta(days=days)).date()
    return day + timedelta(days=(7 - day.weekday()) % 7)


async def _resources(stack: Stack) -> Fixtures:
    http = stack.http
    supervisor = await stack.person("supervisor", divisions=[DIVISION])
    agent = await stack.person("agent", divisions=[DIVISION])
    other = await stack.person("agent", divisions=[DIVISION])
    admin = await stack.person("admin")
    auth = supervisor.auth

    # One meeting for the content routes, one for the lifecycle, one to delete.
    content = await stack.one_to_one(supervisor, agent, description="agenda", location="Room 1")
    lifecycle = await stack.one_to_one(supervisor, other, starts_at=at(days=3))
    doomed = await stack.one_to_one(supervisor, agent, starts_at=at(days=4))
    base = f"/v1/meetings/{content['id']}"
    topic = await _ok(await http.post(f"{base}/agenda", json={"text": "Goals"}, headers=auth), 201)
    action = await _ok(
        await http.post(f"{base}/action-items", json={"text": "Read"}, headers=auth), 201
    )
    note = await _ok(await http.post(f"{base}/notes", json={"body": "Hi"}, headers=auth), 201)
    link = {"kind": "link", "url": "https://example.com/guide", "title": "Guide"}
    attachment = await _ok(await http.post(f"{base}/attachments", json=link, headers=auth), 201)
    guest = "guest@example.com"
    await _ok(await http.post(f"{base}/guests", json={"email": guest}, headers=auth))
    series = await _ok(
        await http.post(
            "/v1/series",
            json={
                "participant_id": agent.id,
                "name": "Weekly",
                "starts_at": at(days=5),
                "duration_minutes": 30,
                "timezone": "Europe/London",
                "recurrence": "weekly",
            },
            headers=auth,
        ),
        201,
    )
    week = _monday_after(7)
    day = datetime.combine(week, datetime.min.time(), tzinfo=UTC)
    shift = {
        "starts_at": (day + timedelta(hours=9)).isoformat(),
        "ends_at": (day + timedelta(hours=17)).isoformat(),
        "activities": [],
    }
    schedule = {
        "business_unit": UNIT,
        "timezone": "Europe/London",
        "agents": [{"agent_id": agent.id, "shifts": [shift]}],
    }
    await _ok(await http.put("/v1/wfm/schedules", json=schedule, headers=admin.auth))
    # A cadence policy (W8) for the division, so the cadence routes get past their 404.
    policy = {"every_weeks": 2, "duration_minutes": 30}
    await _ok(
        await http.put(f"/v1/coaching/cadence-policies/{DIVISION}", json=policy, headers=auth)
    )
    role = "contract_role"
    role_body = {"name": role, "permissions": []}
    await _ok(await http.put(f"/v1/roles/{role}", json=role_body, headers=admin.auth))

    return Fixtures(
        supervisor,
        admin,
        parameters={
            "path.meeting_id": lifecycle["id"],
            "path.item_id": topic["id"],
            "path.note_id": note["id"],
            "path.attachment_id": attachment["id"],
            "path.series_id": series["id"],
            "path.plan_id": str(uuid.uuid4()),
            "path.notification_id": str(uuid.uuid4()),
            "path.name": role,
            "path.token": guest_token(stack.settings.signing_key(), content["id"], guest),
            "query.business_unit": UNIT,
            "path.division": DIVISION,
            "query.division": DIVISION,
        },
        per_operation=[
            {
                "include-path-regex": r"^/v1/meetings/\{meeting_id\}/"
                r"(agenda|action-items|notes|attachments|history|reassign-candidates)",
                "parameters": {"path.meeting_id": content["id"]},
            },
            {
                "include-path-regex": r"^/v1/meetings/\{meeting_id\}/action-items/",
                "parameters": {"path.meeting_id": content["id"], "path.item_id": action["id"]},
            },
            {
                "include-path": "/v1/meetings/{meeting_id}",
                "include-method": "DELETE",
                "parameters": {"path.meeting_id": doomed["id"]},
            },
        ],
    )


# Operations only an admin (or a quality manager) may call: run as the admin.
ADMIN_PATHS = r"^/v1/(users$|roles|wfm/)"


def _config(stack: Stack, fixtures: Fixtures, caller: Person) -> schemathesis.Config:
    token = caller.auth["Authorization"].removeprefix("Bearer ")
    checks: dict[str, Any] = {"enabled": True}
    checks.update({name: {"enabled": False} for name in OFF})
    # A body over its cap is refused before it is read (tandem.api.limits): a rejection too.
    checks["negative_data_rejection"] = {"expected-statuses": [*REJECTIONS, "413"]}
    return schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "base-url": stack.base_url,
            "request-timeout": 30,
            "auth": {"openapi": {"bearer": {"bearer": token}}},
            "parameters": fixtures.parameters,
            "generation": {
                "mode": "all",
                "max-examples": MAX_EXAMPLES,
                "deterministic": True,
                "no-shrink": True,
            },
            "checks": checks,
            "phases": {
                # Stateful runs need links the document does not declare; error feedback would
                # rerun each operation until its 4xx stop, well past the time budget.
                "stateful": {"enabled": False},
                "fuzzing": {"error-feedback": {"enabled": False}},
                # Two methods no path has are enough to see 405s (with Allow); all seven cost
                # a sixth of the run.
                "coverage": {"unexpected-methods": ["OPTIONS", "TRACE"]},
            },
            "operations": fixtures.per_operation,
        }
    )


@dataclass
class Outcome:
    cases: int = 0
    operations: int = 0
    failures: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    statuses: defaultdict[str, Counter[int]] = field(default_factory=lambda: defaultdict(Counter))

    def add(self, other: Outcome) -> None:
        self.cases += other.cases
        self.operations += other.operations
        self.failures += other.failures
        self.errors += other.errors
        self.seconds += other.seconds
        for label, counts in other.statuses.items():
            self.statuses[label].update(counts)


def _run(schema: Any) -> Outcome:
    outcome = Outcome()
    started = time.monotonic()
    for event in engine_for(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            outcome.operations += 1
            recorder = event.recorder
            outcome.cases += len(recorder.cases)
            for interaction in recorder.interactions.values():
                if interaction.response is not None:
                    outcome.statuses[recorder.label][interaction.response.status_code] += 1
            for case_id, checks in recorder.checks.items():
                for check in checks:
                    if check.status is Status.FAILURE and check.failure_info is not None:
                        failure = check.failure_info.failure
                        case = recorder.cases[case_id].value
                        outcome.failures.append(
                            f"{recorder.label} [{check.name}] {failure.title}: "
                            f"{failure.message}\n    {case.as_curl_command()}"
                        )
        elif isinstance(event, events.NonFatalError):
            outcome.errors.append(f"{event.label}: {event.info.message}")
        elif isinstance(event, events.FatalError):
            raise event.exception
        elif isinstance(event, events.EngineFinished):
            outcome.failures += [f"{f.operation} {f.title}: {f.message}" for f in event.failures]
    outcome.seconds = time.monotonic() - started
    return outcome


def _closed(document: dict[str, Any]) -> dict[str, Any]:
    """The document with the response models closed (``additionalProperties: false``): the
    models let unknown fields through at run time, but none may go undocumented."""
    closed = copy.deepcopy(document)
    models = {
        name
        for name, value in vars(responses).items()
        if isinstance(value, type) and issubclass(value, responses.Out)
    }
    for name, schema in closed["components"]["schemas"].items():
        if name in models and schema.get("additionalProperties") is True:
            schema["additionalProperties"] = False
    return closed


@pytest.mark.timeout(300)
async def test_the_api_keeps_the_contract_its_openapi_document_states(stack: Stack) -> None:
    document = await _ok(await stack.http.get("/openapi.json"))
    fixtures = await _resources(stack)
    closed = _closed(document)
    as_supervisor = schemathesis.openapi.from_dict(
        closed, config=_config(stack, fixtures, fixtures.supervisor)
    ).exclude(path_regex=ADMIN_PATHS)
    as_admin = schemathesis.openapi.from_dict(
        closed, config=_config(stack, fixtures, fixtures.admin)
    ).include(path_regex=ADMIN_PATHS)
    # The server runs on this event loop: the engine (blocking HTTP) runs in a thread.
    outcome = await asyncio.to_thread(_run, as_supervisor)
    outcome.add(await asyncio.to_thread(_run, as_admin))
    print(
        f"\nschemathesis: {outcome.cases} cases over {outcome.operations} scenarios in "
        f"{outcome.seconds:.1f} s (seed {SEED}, max_examples {MAX_EXAMPLES})"
    )
    answered = sum(counts.total() for counts in outcome.statuses.values())
    succeeded = sum(
        n for counts in outcome.statuses.values() for status, n in counts.items() if status < 300
    )
    print(f"  {answered} answers, {succeeded} of them 2xx, over {len(outcome.statuses)} operations")
    problems = outcome.failures + outcome.errors
    assert not problems, "\n".join(problems)
    assert outcome.cases > 0


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def test_the_document_has_one_error_shape_and_every_reference_resolves() -> None:
    document = create_app(Settings()).openapi()
    components = document["components"]["schemas"]
    assert not {"HTTPValidationError", "ValidationError"} & set(components)
    assert "$defs" not in json.dumps(document)
    dangling = {ref for ref in _refs(document) if ref.removeprefix(REF) not in components}
    assert not dangling
    assert document["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": document["components"]["securitySchemes"]["bearer"]["description"],
    }
    for path, operations in document["paths"].items():
        # No web pages in the document.
        assert path.startswith(("/v1/", "/codec/", "/health", "/ready", "/guest/")), path
        for method, operation in operations.items():
            responses = operation["responses"]
            success = [code for code in responses if code.startswith("2")]
            assert success, (method, path)
            for code, answer in responses.items():
                if code.startswith(("4", "5")) and path != "/ready":
                    schema = answer["content"]["application/json"]["schema"]
                    assert schema == {"$ref": REF + "ErrorOut"}, (method, path, code)
            if path == "/v1/users/{user_id}/calendar.ics":  # its secret link stands in
                assert "security" not in operation and "401" not in responses
            elif path.startswith("/v1/"):
                assert operation["security"] == [{"bearer": []}], (method, path)
                assert "401" in responses and "422" in responses, (method, path)
