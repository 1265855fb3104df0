"""Tandem as the docker-compose cluster runs it (issue 11 item 6, SPEC O3): two ``tandem api`` and
two ``tandem worker`` processes on one Temporal server and one PostgreSQL database.

A load of creates goes to both APIs in turn, each with its own Idempotency-Key; a client whose
request fails (connection error, 503 "not confirmed yet") sends it again with the same key, to
the other API. One worker is SIGKILLed while the load runs. Every create must then have been
answered 201 and exist exactly once (one meeting row, one "created" history line, one
notification), as either API shows it; every e-mail is sent, and only the one the killed worker
was sending may go twice. The other worker finishes everything.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import uuid
from collections import Counter
from pathlib import Path

import httpx
from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from tandem.store.schema import MeetingEventRow, MeetingRow, NotificationRow
from tests.support import (
    DatabaseTarget,
    Mailbox,
    Person,
    at,
    drop_schema,
    eventually,
    free_port,
    is_ready,
    running_stack,
    start_tandem,
    stop_tandem,
)

CREATES = 200
IN_FLIGHT = 16
KILL_AFTER = 40  # answered creates before the first worker dies
ATTEMPTS = 30
LOAD_SECONDS = 60  # for the whole load, kill and recovery included


async def test_o3_two_apis_two_workers_a_worker_killed_mid_load_loses_and_duplicates_nothing(
    dev_env: WorkflowEnvironment,
    mail: tuple[Mailbox, str],
    tmp_path: Path,
    pg_target: DatabaseTarget,
) -> None:
    # PostgreSQL (skipped without TANDEM_TEST_DATABASE_URL, as every PostgreSQL test), in a
    # schema of this test's own: the session's pg_stack has a worker of its own.
    target = DatabaseTarget(pg_target.url, schema=f"tandem_cluster_{uuid.uuid4().hex[:10]}")
    processes: list[asyncio.subprocess.Process] = []
    try:
        async with running_stack(
            dev_env.client, target, tmp_path, smtp=mail, in_process_worker=False
        ) as stack:
            workers = [
                await start_tandem(stack, "worker", tmp_path / f"worker-{n}.log") for n in (1, 2)
            ]
            ports = [free_port(), free_port()]
            apis = [
                await start_tandem(stack, "api", tmp_path / f"api-{n}.log", TANDEM_API_PORT=str(p))
                for n, p in enumerate(ports, 1)
            ]
            processes += workers + apis
            urls = [f"http://127.0.0.1:{port}" for port in ports]

            async def all_ready() -> bool:
                return all([await is_ready(url) for url in urls])

            await eventually(all_ready, within=45, every=0.25)

            supervisors = [await stack.person("supervisor") for _ in range(10)]
            agents = [await stack.person("agent") for _ in range(20)]
            answered: list[httpx.Response | None] = [None] * CREATES
            attempts = Counter[str]()
            killed_at: int | None = None
            limit = asyncio.Semaphore(IN_FLIGHT)

            async def create(i: int, http: list[httpx.AsyncClient]) -> None:
                sup: Person = supervisors[i % len(supervisors)]
                body = {
                    "kind": "one_to_one",
                    "name": f"Load {i}",
                    "participant_ids": [agents[i % len(agents)].id],
                    # Apart from every other one: the booking guard has nothing to refuse.
                    "starts_at": at(days=3, minutes=40 * i),
                    "duration_minutes": 30,
                }
                headers = {**sup.auth, "Idempotency-Key": f"cluster-load-{i}"}
                async with limit:
                    for attempt in range(ATTEMPTS):
                        api = (i + attempt) % 2  # the first try alternates; a retry switches
                        try:
                            response = await http[api].post(
                                "/v1/meetings", json=body, headers=headers
                            )
                        except httpx.TransportError as error:
                            attempts[type(error).__name__] += 1
                        else:
                            if response.status_code != 503:
                                answered[i] = response
                                return
                            assert response.json()["error"]["type"] == "Unconfirmed", response.text
                            attempts["503"] += 1
                        await asyncio.sleep(0.2)

            async with contextlib.AsyncExitStack() as clients:
                http = [
                    await clients.enter_async_context(httpx.AsyncClient(base_url=u, timeout=60))
                    for u in urls
                ]
                load = [asyncio.create_task(create(i, http)) for i in range(CREATES)]

                def done() -> int:
                    return sum(r is not None for r in answered)

                await eventually(lambda: done() >= KILL_AFTER, within=30, every=0.01)
                workers[0].send_signal(signal.SIGKILL)
                await workers[0].wait()
                killed_at = done()
                finished, stuck = await asyncio.wait(load, timeout=LOAD_SECONDS)
                for task in stuck:
                    task.cancel()
                await asyncio.gather(*stuck, return_exceptions=True)
                for task in finished:
                    task.result()  # an assertion inside a create fails here

                assert killed_at < CREATES, "the kill came after the load: it proves nothing"
                assert workers[1].returncode is None, "the surviving worker died"
                assert not stuck, f"{len(stuck)} creates unanswered after {LOAD_SECONDS} s"
                unanswered = [i for i, r in enumerate(answered) if r is None]
                assert not unanswered, (f"no answer in {ATTEMPTS} attempts", unanswered, attempts)
                statuses = Counter(r.status_code for r in answered if r is not None)
                assert statuses == {201: CREATES}, (statuses, attempts)
                created = {r.json()["id"]: r.json() for r in answered if r is not None}
                assert len(created) == CREATES, "two keys answered with one meeting"

                # Exactly once in the database: one meeting per key, nothing else created.
                sup_ids = [s.id for s in supervisors]
                rows = await stack.db.read(
                    lambda session: session.execute(
                        select(MeetingRow.id, MeetingRow.name).where(
                            MeetingRow.facilitator_id.in_(sup_ids)
                        )
                    ).all()
                )
                assert Counter(name for _, name in rows) == {f"Load {i}": 1 for i in range(CREATES)}
                assert {meeting_id for meeting_id, _ in rows} == set(created)
                events = await stack.db.read(
                    lambda session: session.execute(
                        select(MeetingEventRow.meeting_id).where(
                            MeetingEventRow.meeting_id.in_(list(created)),
                            MeetingEventRow.action == "created",
                        )
                    ).scalars()
                )
                assert Counter(events) == dict.fromkeys(created, 1)
                told = await stack.db.read(
                    lambda session: session.execute(
                        select(NotificationRow.meeting_id).where(
                            NotificationRow.meeting_id.in_(list(created)),
                            NotificationRow.kind == "meeting_created",
                        )
                    ).scalars()
                )
                assert Counter(told) == dict.fromkeys(created, 1)

                # Either API shows each meeting as its create answered it.
                for n, (meeting_id, meeting) in enumerate(created.items()):
                    sup = next(s for s in supervisors if s.id == meeting["facilitator_id"])
                    found = await http[n % 2].get(f"/v1/meetings/{meeting_id}", headers=sup.auth)
                    assert found.status_code == 200, found.text
                    assert found.json()["name"] == meeting["name"]

            # The two workers' mail dispatchers share the outbox: every e-mail is sent, and
            # only the one the killed worker may have had in flight goes twice, under the same
            # Message-ID (at-least-once, one repeat per crash: tandem/activities/mail.py).
            mailbox = mail[0]

            def mails() -> list:
                return [m for m in list(mailbox.messages) if m["X-Tandem-Meeting"] in created]

            def sent() -> Counter:
                return Counter(m["X-Tandem-Meeting"] for m in mails())

            await eventually(lambda: set(sent()) == set(created), within=30, every=0.2)
            await asyncio.sleep(1.0)
            repeats = sent() - Counter(dict.fromkeys(created, 1))
            assert sum(repeats.values()) <= 1, repeats
            for meeting_id in repeats:
                ids = {m["Message-ID"] for m in mails() if m["X-Tandem-Meeting"] == meeting_id}
                assert len(ids) == 1, ids
    finally:
        for process in processes:
            await stop_tandem(process)
        drop_schema(target)
