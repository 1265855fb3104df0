"""Health, metrics and logs (SPEC O2), observed the way ops would: Prometheus scrapes over HTTP,
and the JSON lines a real ``tandem worker`` process writes to stderr."""

from __future__ import annotations

import io
import json
import logging
import uuid
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from tandem.api.app import create_app
from tandem.observability import requests
from tandem.observability.interceptors import HEADER_KEY, RequestIdWorkerInterceptor
from tandem.observability.logs import handler
from tandem.observability.requests import HEADER
from tandem.workflows.meeting import MeetingWorkflow
from tests.support import (
    DATA_CONVERTER,
    Mailbox,
    Stack,
    at,
    eventually,
    free_port,
    is_ready,
    running_stack,
    sqlite_target,
    start_tandem,
    stop_tandem,
)

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def samples(text: str) -> Samples:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(scraped: Samples, name: str, **labels: str) -> float:
    return scraped.get((name, frozenset(labels.items())), 0.0)


def named(scraped: Samples, prefix: str) -> dict[tuple[str, frozenset], float]:
    return {key: v for key, v in scraped.items() if key[0].startswith(prefix)}


async def scrape(url: str) -> Samples:
    async with httpx.AsyncClient() as http:
        response = await http.get(url, timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return samples(response.text)


# -- the API -----------------------------------------------------------------------------------

MEETING = "/v1/meetings/{meeting_id}"


async def test_o2_api_metrics_count_requests_by_route_template_method_and_status(
    stack: Stack,
) -> None:
    facilitator, participant = await stack.person("supervisor"), await stack.person("agent")
    meetings = [
        await stack.one_to_one(facilitator, participant, starts_at=at(days=days)) for days in (2, 3)
    ]
    before = await scrape(f"{stack.base_url}/metrics")

    for meeting in meetings:
        got = await stack.http.get(f"/v1/meetings/{meeting['id']}", headers=facilitator.auth)
        assert got.status_code == 200
    missing = await stack.http.get(f"/v1/meetings/{uuid.uuid4()}", headers=facilitator.auth)
    assert missing.status_code == 404
    anonymous = await stack.http.get(f"/v1/meetings/{meetings[0]['id']}")
    assert anonymous.status_code == 401

    # No token needed, and nothing in it names a meeting or a person.
    response = await stack.http.get("/metrics")
    assert response.status_code == 200
    for meeting in meetings:
        assert meeting["id"] not in response.text
    for person in (facilitator, participant):
        assert person.id not in response.text and person.email not in response.text
    after = samples(response.text)

    def grew(status: str) -> float:
        name, labels = "tandem_http_requests_total", {"route": MEETING, "method": "GET"}
        return value(after, name, **labels, status=status) - value(
            before, name, **labels, status=status
        )

    assert (grew("200"), grew("404"), grew("401")) == (2, 1, 1)
    latency = "tandem_http_request_duration_seconds_count"
    assert (
        value(after, latency, route=MEETING, method="GET")
        - value(before, latency, route=MEETING, method="GET")
        == 4
    )
    assert (
        value(
            after, "tandem_http_requests_total", route="/v1/meetings", method="POST", status="201"
        )
        >= 2
    )
    # A path no route knows is one label, whatever was asked for.
    await stack.http.get(f"/no-such-page-{uuid.uuid4()}")
    unmatched = await scrape(f"{stack.base_url}/metrics")
    assert (
        value(
            unmatched, "tandem_http_requests_total", route="unmatched", method="GET", status="404"
        )
        >= 1
    )
    assert not [key for key in unmatched if "no-such-page" in str(key)]
    # Nor can a made-up method make a series of its own.
    await stack.http.request("PROPFIND", "/health")
    brewed = await scrape(f"{stack.base_url}/metrics")
    # (Calendar requests are counted by method too: PROPFIND is one Tandem makes itself.)
    assert not [key for key in brewed if "PROPFIND" in str(key) and "tandem_http" in key[0]]
    assert (
        value(brewed, "tandem_http_requests_total", route="/health", method="other", status="405")
        >= 1
    )


async def test_o2_failed_wfm_imports_are_counted_by_error_type(stack: Stack) -> None:
    importer = await stack.person("quality_manager")
    failures = "tandem_import_failures_total"
    before = await scrape(f"{stack.base_url}/metrics")
    bad_csv = await stack.http.post(
        "/v1/wfm/schedules/import",
        content=b"not,a,schedule\n1,2,3\n",
        headers={**importer.auth, "Content-Type": "text/csv"},
    )
    assert bad_csv.status_code == 422, bad_csv.text
    bad_json = await stack.http.put(
        "/v1/wfm/staffing", json={"business_unit": "nowhere"}, headers=importer.auth
    )
    assert bad_json.status_code == 422, bad_json.text
    # Not an import at all: a caller without the permission is refused before it starts.
    agent = await stack.person("agent")
    refused = await stack.http.put("/v1/wfm/staffing", json={}, headers=agent.auth)
    assert refused.status_code == 403
    after = await scrape(f"{stack.base_url}/metrics")

    def grew(error: str) -> float:
        labels = {"source": "wfm", "error": error}
        return value(after, failures, **labels) - value(before, failures, **labels)

    assert (grew("Invalid"), grew("NotAllowed")) == (2, 0)


async def test_o2_api_answers_with_the_callers_request_id_or_a_new_one(stack: Stack) -> None:
    given = f"o2-{uuid.uuid4()}"
    assert (await stack.http.get("/health", headers={HEADER: given})).headers[HEADER] == given
    made = (await stack.http.get("/health")).headers[HEADER]
    assert made and made != given
    # One that could forge a log line, is an address or is too long is replaced; still served.
    for unfit in ('x" level=ERROR', "ana@example.com", "x" * 129):
        forged = await stack.http.get("/health", headers={HEADER: unfit})
        assert forged.status_code == 200
        assert forged.headers[HEADER] not in (unfit, made)
    # Refusals that never reach a route carry one too.
    refused = await stack.http.post("/v1/meetings", content=b"{}", headers={HEADER: given})
    assert refused.status_code == 401 and refused.headers[HEADER] == given


async def test_o2_the_api_process_logs_one_json_line_per_request_with_its_id(
    stack: Stack, tmp_path: Path
) -> None:
    port, log = free_port(), tmp_path / "api.log"
    api = await start_tandem(stack, "api", log, TANDEM_API_PORT=str(port), TANDEM_LOG_FORMAT="json")
    url = f"http://127.0.0.1:{port}"
    try:
        await eventually(lambda: is_ready(url), within=60, every=0.3)
        facilitator = await stack.person("supervisor")
        request_id = f"o2-{uuid.uuid4()}"
        async with httpx.AsyncClient(base_url=url) as http:
            missing = f"/v1/meetings/{uuid.uuid4()}"
            got = await http.get(missing, headers={**facilitator.auth, HEADER: request_id})
        assert got.status_code == 404 and got.headers[HEADER] == request_id
    finally:
        await stop_tandem(api)
    events = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    [line] = [e for e in events if e.get("request_id") == request_id]
    assert line["logger"] == "tandem.api.requests"
    assert (line["method"], line["route"], line["status"]) == ("GET", MEETING, 404)
    assert line["duration_ms"] >= 0
    # The path itself (an id, for other routes a secret link) is in no line.
    assert not [e for e in events if missing in json.dumps(e)]


async def test_o2_a_fault_is_logged_with_its_request_id_and_answered_with_it(
    stack: Stack,
) -> None:
    app = create_app(stack.settings)

    async def boom() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/v1/boom", boom)
    stream = io.StringIO()
    logger = logging.getLogger("tandem.api.requests")
    logger.addHandler(out := handler("json", stream))
    logger.setLevel(logging.INFO)
    try:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as http:
            got = await http.get("/v1/boom", headers={HEADER: "o2-fault"})
    finally:
        logger.removeHandler(out)
        logger.setLevel(logging.NOTSET)
    assert (got.status_code, got.text, got.headers[HEADER]) == (
        500,
        "Internal Server Error",
        "o2-fault",
    )
    fault, request = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert fault["level"] == "ERROR" and "RuntimeError: a bug" in fault["exception"]
    assert fault["request_id"] == request["request_id"] == "o2-fault"
    assert (request["route"], request["status"]) == ("/v1/boom", 500)


async def test_o2_ready_still_reports_every_check(stack: Stack) -> None:
    ready = await stack.http.get("/ready")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "temporal": "ok", "worker": "ok"}


# -- log lines ---------------------------------------------------------------------------------


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _logged(stream: io.StringIO, request_id: str | None) -> str:
    logger = logging.getLogger(f"tests.o2.{uuid.uuid4().hex}")
    logger.propagate = False
    logger.addHandler(handler("auto", stream))
    token = requests.current.set(request_id)
    try:
        logger.warning("booked %s", "it", extra={"meeting_id": "m-1"})
    finally:
        requests.current.reset(token)
    return stream.getvalue()


def test_o2_logs_are_text_at_a_terminal_and_json_lines_otherwise() -> None:
    [line] = _logged(io.StringIO(), "r-1").splitlines()
    event = json.loads(line)
    assert event["message"] == "booked it" and event["level"] == "WARNING"
    assert (event["request_id"], event["meeting_id"]) == ("r-1", "m-1")
    assert event["time"].endswith("+00:00")

    text = _logged(Terminal(), "r-2")
    assert " WARNING tests.o2." in text and "[r-2]: booked it" in text
    assert "[" not in _logged(Terminal(), None).split("WARNING", 1)[1]


# -- a worker process --------------------------------------------------------------------------


async def test_o2_worker_serves_temporal_and_tandem_metrics_and_logs_json_with_the_request_id(
    dev_env: WorkflowEnvironment, mail: tuple[Mailbox, str], tmp_path: Path
) -> None:
    """A real ``tandem worker`` with a metrics port and JSON logs; the API (in this process)
    creates a meeting under a request id of the test's choosing."""
    port = free_port()
    log = tmp_path / "worker.log"
    async with running_stack(
        dev_env.client, sqlite_target(tmp_path), tmp_path, smtp=mail, in_process_worker=False
    ) as stack:
        worker = await start_tandem(
            stack, "worker", log, TANDEM_WORKER_METRICS_PORT=str(port), TANDEM_LOG_FORMAT="json"
        )
        try:
            await eventually(lambda: is_ready(stack.base_url), within=60, every=0.5)
            facilitator, participant = await stack.person("supervisor"), await stack.person("agent")
            request_id = f"o2-{uuid.uuid4()}"
            created = await stack.http.post(
                "/v1/meetings",
                json={
                    "kind": "one_to_one",
                    "name": "Weekly 1:1",
                    "participant_ids": [participant.id],
                    "starts_at": "2030-01-07T10:00:00+00:00",
                    "duration_minutes": 30,
                },
                headers={**facilitator.auth, HEADER: request_id},
            )
            assert created.status_code == 201, created.text
            assert created.headers[HEADER] == request_id
            meeting_id = created.json()["id"]
            assert stack.mailbox is not None
            # The participant is told (the facilitator booked it themself).
            await eventually(lambda: stack.mailbox.about(meeting_id, participant.email), within=30)

            url = f"http://127.0.0.1:{port}/metrics"

            async def sent() -> Samples | None:
                scraped = await scrape(url)
                kind = {"kind": "meeting_created"}
                done = value(scraped, "tandem_notifications_sent_total", **kind) == 1
                return scraped if done and value(scraped, "tandem_outbox_backlog") == 0 else None

            scraped = await eventually(sent, within=20, every=0.2)
            # The SDK's own: the worker polled, and ran workflow tasks.
            assert named(scraped, "temporal_workflow_task_queue_poll_succeed_total")
            assert named(scraped, "temporal_num_pollers")
            assert (
                sum(
                    named(
                        scraped, "temporal_workflow_task_execution_latency_seconds_count"
                    ).values()
                )
                >= 1
            )
            assert value(scraped, "tandem_outbox_oldest_unsent_age_seconds") == 0
            assert ("tandem_reminder_lateness_seconds_count", frozenset()) in scraped

            # Further along: the series workflow's activity starts each occurrence's meeting
            # workflow, whose activity still logs the id of the request that made the series.
            series_request = f"o2-{uuid.uuid4()}"
            series = await stack.http.post(
                "/v1/series",
                json={
                    "participant_id": participant.id,
                    "name": "Weekly 1:1",
                    "starts_at": at(days=1, hours=2),
                    "duration_minutes": 30,
                    "timezone": "Europe/London",
                    "recurrence": "weekly",
                },
                headers={**facilitator.auth, HEADER: series_request},
            )
            assert series.status_code == 201, series.text

            # The ids ride in the history's headers: it replays with the interceptor and, for a
            # rollback to workers without it, without.
            history = await stack.client.get_workflow_handle(
                f"meeting-{meeting_id}"
            ).fetch_history()
            assert HEADER_KEY in history.to_json()
            for interceptors in ([RequestIdWorkerInterceptor()], []):
                replayed = await Replayer(
                    workflows=[MeetingWorkflow],
                    data_converter=DATA_CONVERTER,
                    interceptors=interceptors,
                ).replay_workflow(history, raise_on_replay_failure=False)
                assert replayed.replay_failure is None, interceptors
        finally:
            await stop_tandem(worker)

    lines = [line for line in log.read_text().splitlines() if line.strip()]
    events = [json.loads(line) for line in lines]  # every line is one JSON object
    assert all({"time", "level", "logger", "message"} <= set(e) for e in events)
    synced = [
        e
        for e in events
        if e.get("temporal_activity", {}).get("activity_type") == "sync_meeting"
        and e.get("meeting_id") == meeting_id
    ]
    assert synced, lines
    assert {e.get("request_id") for e in synced} == {request_id}
    assert synced[0]["action"] == "created"
    occurrences = {
        e["meeting_id"]
        for e in events
        if e.get("request_id") == series_request
        and e.get("temporal_activity", {}).get("activity_type") == "sync_meeting"
    }
    assert len(occurrences) >= 2 and meeting_id not in occurrences
