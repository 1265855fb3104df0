"""The ``tandem`` command."""

from __future__ import annotations

import argparse
import asyncio
import faulthandler
import json
import logging
import os
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from tandem.settings import Settings

if TYPE_CHECKING:
    from temporalio.client import Client


def _settings(args: argparse.Namespace) -> Settings:
    overrides = {}
    if getattr(args, "data_dir", None):
        overrides["data_dir"] = Path(args.data_dir).expanduser().resolve()
    return Settings(**overrides)


def _up(args: argparse.Namespace) -> int:
    from tandem.cli.up import CannotStart, Ports, up

    ports = Ports(
        api=args.api_port,
        temporal=args.temporal_port,
        ui=args.ui_port,
        worker_metrics=args.worker_metrics_port,
    )
    try:
        return asyncio.run(up(_settings(args), ports, args.demo))
    except CannotStart as error:
        raise SystemExit(f"tandem up: {error}") from None


def _stacks_on_usr1() -> None:
    """``kill -USR1 <pid>`` writes every thread's stack to stderr: what a process that will not
    stop, or hangs, is doing."""
    faulthandler.register(signal.SIGUSR1, all_threads=True)


def _worker(args: argparse.Namespace) -> int:
    import uvloop

    from tandem.cli.worker import run_worker
    from tandem.observability import logs

    settings = _settings(args)
    if args.metrics_port is not None:
        settings = settings.model_copy(update={"worker_metrics_port": args.metrics_port})
    logs.configure(settings)
    _stacks_on_usr1()

    async def main() -> None:
        stop = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            asyncio.get_running_loop().add_signal_handler(sig, stop.set)
        await run_worker(settings, stop)

    # uvloop: cheaper wake-ups when the database threads hand results back to the loop.
    uvloop.run(main())
    return 0


def _api(args: argparse.Namespace) -> int:
    import uvicorn

    from tandem.api.app import create_app
    from tandem.cli.api_server import api_config
    from tandem.observability import logs

    settings = _settings(args)
    logs.configure(settings)
    _stacks_on_usr1()
    server = uvicorn.Server(api_config(create_app(settings), settings))
    server.run()
    return 0 if server.started else 3  # as uvicorn.run: 3 when it could not start (a taken port)


def _migrate(args: argparse.Namespace) -> int:
    from tandem.store.migrate import upgrade

    settings = _settings(args)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.database, schema=settings.database_schema)
    print(f"database at {settings.database} is up to date")
    return 0


# How long a namespace created by ``temporal-setup`` keeps closed workflows' histories.
NAMESPACE_RETENTION_DAYS = 30


async def _setup_temporal(client: Client, namespace: str, attempts: int) -> None:
    """Tandem's namespace (created when missing: a bare server has none) and its search
    attributes, retried while a starting server or a new namespace is not ready yet; done when
    a visibility query naming every attribute is accepted, as workflow starts then are too."""
    from google.protobuf.duration_pb2 import Duration
    from temporalio.api.workflowservice.v1 import RegisterNamespaceRequest
    from temporalio.service import RPCError, RPCStatusCode

    from tandem.workflows.search_attributes import ALL_KEYS, register

    retention = Duration(seconds=NAMESPACE_RETENTION_DAYS * 86400)
    probe = " AND ".join(f"{key.name} IS NOT NULL" for key in ALL_KEYS)
    not_yet = {
        RPCStatusCode.NOT_FOUND,
        RPCStatusCode.UNAVAILABLE,
        RPCStatusCode.DEADLINE_EXCEEDED,
        RPCStatusCode.INVALID_ARGUMENT,  # the probe, until the new attributes reach it
    }
    for attempt in range(attempts):
        try:
            try:
                await client.workflow_service.register_namespace(
                    RegisterNamespaceRequest(
                        namespace=namespace, workflow_execution_retention_period=retention
                    )
                )
            except RPCError as error:
                if error.status is not RPCStatusCode.ALREADY_EXISTS:
                    raise
            await register(client, namespace)
            await client.count_workflows(probe)
            return
        except RPCError as error:
            if error.status not in not_yet or attempt == attempts - 1:
                raise
            await asyncio.sleep(0.5)


def _temporal_setup(args: argparse.Namespace) -> int:
    from tandem.cli.worker import connect_with_retry
    from tandem.workflows.search_attributes import ALL_KEYS

    settings = _settings(args)

    async def main() -> None:
        # Waits until the Temporal frontend answers: a cluster's one-shot set-up job may start
        # before the server serves.
        client = await connect_with_retry(settings, attempts=args.attempts)
        await _setup_temporal(client, settings.temporal_namespace, args.attempts)

    asyncio.run(main())
    names = ", ".join(key.name for key in ALL_KEYS)
    print(
        f"Temporal at {settings.temporal_address}: namespace {settings.temporal_namespace!r} "
        f"has Tandem's search attributes ({names})",
        flush=True,
    )
    # A short-lived process that used a Temporal client can abort while the interpreter shuts
    # down (temporalio/sdk-python#300: SIGABRT, "PyGILState_Release"), which would fail the
    # cluster's set-up job after it succeeded. Nothing is left to clean up: skip the teardown.
    sys.stderr.flush()
    os._exit(0)


def _keys_rotate(args: argparse.Namespace) -> int:
    from tandem.usecases.payload_codec import PayloadKeys, rotate_keys_file

    settings = _settings(args)
    if settings.payload_keys is not None:
        # Keys from the environment are the deployment's to change: print the new value.
        keys = PayloadKeys.parse(settings.payload_keys.get_secret_value()).rotated()
        print("set TANDEM_PAYLOAD_KEYS on every worker and API process to:")
        print(keys.render().strip().replace("\n", ","))
        return 0
    keys = rotate_keys_file(settings)
    print(
        f"new payload key {keys.current} in {settings.data_dir}; restart Tandem to seal with it "
        f"(the {len(keys.secrets) - 1} older key(s) stay, to open what they sealed)"
    )
    return 0


def _users_add(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from tandem.domain.errors import DomainError
    from tandem.store import users
    from tandem.store.db import Database
    from tandem.usecases.schemas import UserCreate, user_out

    try:
        body = UserCreate(
            name=args.name,
            email=args.email,
            roles=args.role,
            divisions=args.division or [],
            timezone=args.tz,
            business_unit=args.business_unit,
        )
    except ValidationError as error:
        for problem in error.errors():
            print(f"error: {'.'.join(map(str, problem['loc']))}: {problem['msg']}", file=sys.stderr)
        return 2
    settings = _settings(args)

    db = Database(settings.database, schema=settings.database_schema)
    try:
        with db.writing() as session:
            user, token = users.create_user(
                session,
                name=body.name,
                email=body.email,
                timezone=body.timezone,
                roles=body.roles,
                divisions=body.divisions,
                business_unit=body.business_unit,
                now=datetime.now(UTC),
            )
        print(json.dumps({**user_out(user), "token": token}, indent=2))
    except DomainError as error:
        print(f"error: {error.message}", file=sys.stderr)
        return 2
    finally:
        db.dispose()
    return 0


def _history(args: argparse.Namespace) -> int:
    from tandem.cli.api_client import run_client
    from tandem.cli.history import timeline

    return run_client(args, lambda http: timeline(http, args))


def _wfm_import(args: argparse.Namespace) -> int:
    from tandem.cli.wfm_import import import_file, recheck_coaching
    from tandem.domain.errors import DomainError

    settings = _settings(args)
    try:
        summary = import_file(settings, Path(args.file))
    except DomainError as error:
        print(f"error: {error.message}", file=sys.stderr)
        return 2
    if summary.get("kind") == "schedule":
        summary["coaching_appointments_changed"] = asyncio.run(recheck_coaching(settings, summary))
    print(json.dumps(summary, indent=2, default=str))
    return 0


def _slots(args: argparse.Namespace) -> int:
    from tandem.cli.api_client import run_client
    from tandem.cli.slots import SlotsRequest, find

    request = SlotsRequest(
        agent_ids=args.agent_ids,
        window_from=args.window_from,
        window_to=args.window_to,
        duration=args.duration,
        facilitator_id=args.facilitator,
        limit=args.limit,
        exclude_meeting_id=args.exclude,
        book=args.book,
        name=args.name,
    )
    return run_client(args, lambda http: find(http, request, as_json=args.json))


def _cadence(args: argparse.Namespace) -> int:
    from tandem.cli.api_client import run_client
    from tandem.cli.cadence import CadenceRequest, show

    request = CadenceRequest(
        division=args.division,
        every_weeks=args.every_weeks,
        duration=args.duration,
        due_soon_days=args.due_soon_days,
    )
    return run_client(args, lambda http: show(http, request, as_json=args.json))


def _reassign(args: argparse.Namespace) -> int:
    from tandem.cli.api_client import run_client
    from tandem.cli.reassign import follow

    return run_client(args, lambda http: follow(http, args))


def _ops_find(args: argparse.Namespace) -> int:
    from tandem.cli.api_client import run_client
    from tandem.cli.ops import find

    return run_client(args, lambda http: find(http, args))


def _api_options(command: argparse.ArgumentParser) -> None:
    """For the commands that are clients of the running API (tandem.cli.api_client)."""
    command.add_argument(
        "--api",
        default=os.environ.get("TANDEM_API_URL", "http://127.0.0.1:8000"),
        help="the API's URL (default: TANDEM_API_URL or http://127.0.0.1:8000)",
    )
    command.add_argument(
        "--token", default=os.environ.get("TANDEM_TOKEN"), help="your API token (or TANDEM_TOKEN)"
    )


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (0 to 65535)")
    return port


def parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--data-dir", help="where state lives (default: TANDEM_DATA_DIR or ~/.local/share/tandem)"
    )
    root = argparse.ArgumentParser(
        prog="tandem", description="Scheduling engine for 1:1s and coaching."
    )
    commands = root.add_subparsers(dest="command", required=True)

    def command(name: str, help_: str) -> argparse.ArgumentParser:
        return commands.add_parser(name, help=help_, parents=[common])

    up = command("up", "run Temporal, a worker and the API on this machine")
    up.add_argument("--demo", action="store_true", help="load a demo contact centre")
    up.add_argument("--api-port", type=int, default=8000)
    up.add_argument("--temporal-port", type=int, default=7233)
    up.add_argument("--ui-port", type=int, default=8233)
    up.add_argument(
        "--worker-metrics-port",
        type=_port,
        default=9464,
        help="where the worker serves Prometheus metrics (default 9464; 0: off)",
    )
    up.set_defaults(run=_up)

    worker = command("worker", "run a worker against TANDEM_TEMPORAL_ADDRESS")
    worker.add_argument(
        "--metrics-port",
        type=_port,
        help="serve Prometheus metrics on this port (default: TANDEM_WORKER_METRICS_PORT; 0: off)",
    )
    worker.set_defaults(run=_worker)
    command("api", "serve the HTTP API on TANDEM_API_HOST:TANDEM_API_PORT").set_defaults(run=_api)
    command("migrate", "bring the database schema up to date").set_defaults(run=_migrate)
    setup = command(
        "temporal-setup",
        "create Tandem's namespace (if missing) and search attributes on TANDEM_TEMPORAL_ADDRESS",
    )
    setup.add_argument(
        "--attempts", type=int, default=120, help="tries to reach Temporal, 0.5 s apart"
    )
    setup.set_defaults(run=_temporal_setup)

    keys = commands.add_parser("keys", help="the keys that seal Temporal payloads").add_subparsers(
        dest="action", required=True
    )
    keys.add_parser(
        "rotate", help="add a new sealing key; older ones keep opening", parents=[common]
    ).set_defaults(run=_keys_rotate)

    users = commands.add_parser("users", help="manage users").add_subparsers(
        dest="action", required=True
    )
    add = users.add_parser(
        "add", help="create a user and print their id and API token", parents=[common]
    )
    add.add_argument("name")
    add.add_argument("--email", required=True)
    add.add_argument("--role", action="append", required=True, help="repeat for several roles")
    add.add_argument("--division", action="append", help="repeat for several divisions")
    add.add_argument("--tz", default="UTC", help="IANA time zone, e.g. Europe/London")
    add.add_argument("--business-unit")
    add.set_defaults(run=_users_add)

    wfm = commands.add_parser("wfm", help="workforce management data").add_subparsers(
        dest="action", required=True
    )
    load = wfm.add_parser(
        "import", help="import a WFM schedule (.json or .csv) or staffing (.json)", parents=[common]
    )
    load.add_argument("file")
    load.set_defaults(run=_wfm_import)

    slots = commands.add_parser(
        "slots",
        help="find the best coaching slots for agents (through the running API)",
        description="Ranks free slots by service-level impact (W2-W4); --book N books the Nth.",
    )
    slots.add_argument("agent_ids", nargs="+", metavar="AGENT_ID")
    slots.add_argument(
        "--from", dest="window_from", help="ISO date or date-time (default: now; no offset: yours)"
    )
    slots.add_argument("--to", dest="window_to", help="ISO date or date-time (default: +7 days)")
    slots.add_argument("--duration", type=int, default=30, help="minutes: 15, 30, 45 or 60")
    slots.add_argument("--facilitator", help="user id of the coach (default: you)")
    slots.add_argument("--limit", type=int, default=10)
    slots.add_argument("--exclude", metavar="MEETING_ID", help="the appointment being moved (W2)")
    slots.add_argument("--book", type=int, metavar="N", help="book the Nth slot listed")
    slots.add_argument("--name", default="Coaching session", help="name of a booked appointment")
    slots.add_argument("--json", action="store_true", help="print the API's JSON")
    _api_options(slots)
    slots.set_defaults(run=_slots)

    cadence = commands.add_parser(
        "cadence",
        help="who is due for coaching in a division; set its cadence (through the running API)",
        description="Lists each agent's last and next coaching session and whether they are ok, "
        "due or overdue, overdue first (W8); --every-weeks with --duration sets the policy first.",
    )
    cadence.add_argument("division")
    cadence.add_argument("--every-weeks", type=int, help="set the policy: coach every N weeks")
    cadence.add_argument("--duration", type=int, help="set the policy: minutes, 15 to 60")
    cadence.add_argument("--due-soon-days", type=int, help="due this many days ahead (default 7)")
    cadence.add_argument("--json", action="store_true", help="print the API's JSON")
    _api_options(cadence)
    cadence.set_defaults(run=_cadence)

    reassign = commands.add_parser(
        "reassign",
        help="move all future meetings and series of one person to another (SPEC M10)",
        description="Starts a bulk reassignment through the running API and shows its progress.",
    )
    reassign.add_argument("from_user_id", metavar="FROM")
    reassign.add_argument("to_user_id", metavar="TO")
    reassign.add_argument("--reason", required=True, help="recorded on every meeting moved")
    reassign.add_argument("--scope", choices=["meetings", "series", "both"], default="both")
    reassign.add_argument("--json", action="store_true", help="print the finished job's JSON")
    _api_options(reassign)
    reassign.set_defaults(run=_reassign)

    history = command("history", "a meeting's timeline (SPEC O1)")
    history.add_argument("meeting_id")
    history.add_argument("--json", action="store_true", help="print the API's JSON")
    _api_options(history)
    history.set_defaults(run=_history)

    ops = command("ops", "for the people who run Tandem")
    ops_commands = ops.add_subparsers(dest="ops_command", required=True)
    found = ops_commands.add_parser(
        "find",
        help="meeting workflows by facilitator, participant, status and days (SPEC O1)",
        description="Lists meeting workflows through Temporal's visibility, and prints the "
        "query to type into the Temporal UI for the same search.",
    )
    found.add_argument("--facilitator", metavar="USER_ID")
    found.add_argument("--participant", metavar="USER_ID")
    found.add_argument("--status", help="scheduled, in_progress, completed, cancelled, …")
    found.add_argument("--from", dest="day_from", metavar="YYYY-MM-DD", help="in your zone")
    found.add_argument("--to", dest="day_to", metavar="YYYY-MM-DD", help="included")
    found.add_argument("--limit", type=int, default=50)
    found.add_argument("--json", action="store_true", help="print the API's JSON")
    _api_options(found)
    found.set_defaults(run=_ops_find)
    return root


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
