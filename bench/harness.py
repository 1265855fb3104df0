"""What every bench needs: a real ``tandem up`` in a scratch folder, and percentiles."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import statistics
import sys
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tandem.store import users
from tandem.store.db import Database


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def tree_cpu_seconds(root: int) -> float:
    """CPU of process ``root`` and its live descendants (Linux /proc)."""
    total, pending = 0.0, [root]
    while pending:
        pid = pending.pop()
        try:
            total += cpu_seconds(pid)
            with open(f"/proc/{pid}/task/{pid}/children") as f:
                pending += [int(p) for p in f.read().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


@dataclass(frozen=True)
class Tandem:
    url: str
    data_dir: Path
    temporal: str
    process: asyncio.subprocess.Process
    worker_metrics_port: int = 0  # where its worker serves Prometheus metrics (0: off)
    database_url: str | None = None  # TANDEM_DATABASE_URL, when not the data folder's SQLite
    database_schema: str | None = None

    def children(self) -> dict[str, int]:
        """The supervisor's children by role: ``{"worker": pid, "api": pid, "temporal": pid}``
        (Linux /proc), for benches that measure each process's CPU."""
        found: dict[str, int] = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
                command = (stat.parent / "cmdline").read_bytes().split(b"\0")
            except (OSError, ValueError, IndexError):
                continue
            if ppid != self.process.pid:
                continue
            role = next((c.decode() for c in command if c in (b"worker", b"api")), "temporal")
            found[role] = int(stat.parent.name)
        return found

    @property
    def database(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'tandem.db'}"

    def add_user(self, name: str, role: str, **fields) -> tuple[str, str]:
        """(id, token) of a new user, written straight into the database."""
        db = Database(self.database, schema=self.database_schema)
        try:
            with db.writing() as session:
                user, token = users.create_user(
                    session,
                    name=name,
                    email=f"{name.lower().replace(' ', '.')}@bench.example",
                    timezone=fields.pop("timezone", "UTC"),
                    roles=[role],
                    now=datetime.now(UTC),
                    **fields,
                )
        finally:
            db.dispose()
        return user.id, token


@contextlib.asynccontextmanager
async def running_tandem(*extra: str, env: dict[str, str] | None = None) -> AsyncIterator[Tandem]:
    """``tandem up`` (Temporal dev server, worker and API processes, SQLite) for the block;
    ``env`` sets TANDEM_* settings (any others in the environment are ignored)."""
    with tempfile.TemporaryDirectory(prefix="tandem-bench-") as folder:
        api, temporal, ui, metrics = free_port(), free_port(), free_port(), free_port()
        variables = {k: v for k, v in os.environ.items() if not k.startswith("TANDEM_")}
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tandem.cli.main", "up", "--data-dir", folder,
            "--api-port", str(api), "--temporal-port", str(temporal), "--ui-port", str(ui),
            "--worker-metrics-port", str(metrics), *extra,
            env={**variables, **(env or {})},
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        url = f"http://127.0.0.1:{api}"
        try:
            async with httpx.AsyncClient() as http:
                for _ in range(600):
                    with contextlib.suppress(httpx.HTTPError):
                        if (await http.get(f"{url}/ready", timeout=1)).status_code == 200:
                            break
                    await asyncio.sleep(0.2)
                else:
                    raise SystemExit("tandem up did not become ready")
            yield Tandem(
                url,
                Path(folder),
                f"127.0.0.1:{temporal}",
                process,
                metrics,
                (env or {}).get("TANDEM_DATABASE_URL"),
                (env or {}).get("TANDEM_DATABASE_SCHEMA"),
            )
        finally:
            process.send_signal(signal.SIGINT)
            await process.wait()
