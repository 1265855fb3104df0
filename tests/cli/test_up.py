"""``tandem up`` on one machine (SPEC O3): starts everything, stops cleanly, resumes later."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import signal
import socket
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support import eventually, free_port, is_ready


async def _tandem(*args: str, data_dir: Path) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TANDEM_")}
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tandem.cli.main", *args, "--data-dir", str(data_dir),
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip


async def _stop(process: asyncio.subprocess.Process) -> str:
    process.send_signal(signal.SIGINT)  # what Ctrl-C sends
    output, _ = await asyncio.wait_for(process.communicate(), 60)
    return output.decode()


def _port_free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


@pytest.mark.timeout(240)
async def test_o3_up_runs_everything_stops_cleanly_and_resumes_pending_timers(
    tmp_path: Path,
) -> None:
    ports = [free_port(), free_port(), free_port(), free_port()]
    flags = [
        "--api-port",
        str(ports[0]),
        "--temporal-port",
        str(ports[1]),
        "--ui-port",
        str(ports[2]),
        "--worker-metrics-port",
        str(ports[3]),
    ]
    url = f"http://127.0.0.1:{ports[0]}"

    first = await _tandem("up", "--demo", *flags, data_dir=tmp_path)
    await eventually(lambda: is_ready(url), within=90, every=0.5)
    people = {
        p["email"].split("@")[0]: p for p in json.loads((tmp_path / "demo-tokens.json").read_text())
    }
    assert {"admin", "sam", "quinn", "ana", "ops"} <= set(people)

    added = await _tandem(
        "users", "add", "Zoe Lead", "--email", "zoe@example.com", "--role", "supervisor",
        "--division", "north", "--tz", "Europe/Paris", data_dir=tmp_path,
    )  # fmt: skip
    printed, _ = await added.communicate()
    zoe = json.loads(printed)
    assert zoe["token"].startswith("tdm_") and zoe["timezone"] == "Europe/Paris"

    # The reminder for this meeting is due about 40 s from now: after the restart below.
    starts = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1, seconds=40)
    auth = {"Authorization": f"Bearer {zoe['token']}"}
    async with httpx.AsyncClient(base_url=url) as http:
        created = await http.post(
            "/v1/meetings",
            json={
                "kind": "one_to_one",
                "name": "Survives restarts",
                "participant_ids": [people["ana"]["id"]],
                "starts_at": starts.isoformat(),
                "duration_minutes": 30,
            },
            headers=auth,
        )
        assert created.status_code == 201, created.text
        meeting = created.json()

    output = await _stop(first)
    assert first.returncode == 0, output
    assert "Tandem stopped." in output
    assert f"http://127.0.0.1:{ports[3]}/metrics (worker)" in output
    assert all(_port_free(p) for p in ports), "a child process outlived tandem up"

    second = await _tandem("up", *flags, data_dir=tmp_path)
    try:
        await eventually(lambda: is_ready(url), within=90, every=0.5)
        ana = {"Authorization": f"Bearer {people['ana']['token']}"}
        async with httpx.AsyncClient(base_url=url) as http:
            seen = await http.get(f"/v1/meetings/{meeting['id']}", headers=ana)
            assert seen.status_code == 200 and seen.json()["status"] == "scheduled"

            async def reminded() -> bool:
                items = (await http.get("/v1/notifications", headers=ana)).json()["items"]
                return any(
                    n["kind"] == "reminder" and n["meeting_id"] == meeting["id"] for n in items
                )

            await eventually(reminded, within=90, every=1)
            # SPEC O2: the worker `tandem up` runs serves its metrics; the reminder was measured.
            scraped = (await http.get(f"http://127.0.0.1:{ports[3]}/metrics", timeout=10)).text
        lateness = {
            s.name: s.value
            for family in text_string_to_metric_families(scraped)
            for s in family.samples
            if s.name.startswith("tandem_reminder_lateness_seconds_")
        }
        assert lateness["tandem_reminder_lateness_seconds_count"] == 1
        assert 0 <= lateness["tandem_reminder_lateness_seconds_sum"] < 90
        assert list((tmp_path / "mail").glob("*.eml")), (
            "no SMTP configured: mail goes to .eml files"
        )
    finally:
        output = await _stop(second)
    assert second.returncode == 0, output


# -- under faults (issue 8, item 5) ----------------------------------------------------------


def _flags() -> tuple[list[str], str]:
    api, temporal, ui, metrics = free_port(), free_port(), free_port(), free_port()
    flags = ["--api-port", str(api), "--temporal-port", str(temporal), "--ui-port", str(ui)]
    return [*flags, "--worker-metrics-port", str(metrics)], f"http://127.0.0.1:{api}"


def _ports(flags: list[str]) -> list[int]:
    return [int(value) for value in flags[1::2]]


def _children(parent: int) -> dict[int, str]:
    """The live (not zombie) child processes of ``parent``: pid → command line."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            state, ppid = stat.read_text().rsplit(")", 1)[1].split()[:2]
            command = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, ValueError):
            continue  # gone meanwhile
        if int(ppid) == parent and state != "Z":
            found[int(stat.parent.name)] = command
    return found


def _child(parent: int, command: str) -> int | None:
    """The pid of ``parent``'s child running ``tandem <command>``."""
    suffix = f"tandem.cli.main {command} "
    return next((pid for pid, line in _children(parent).items() if line.endswith(suffix)), None)


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


async def _add_user(data_dir: Path, name: str, role: str) -> dict:
    email = f"{name.lower()}@example.com"
    added = await _tandem(
        "users", "add", name, "--email", email, "--role", role, "--division", "north",
        data_dir=data_dir,
    )  # fmt: skip
    printed, _ = await added.communicate()
    return json.loads(printed)


@pytest.mark.timeout(300)
async def test_up_restarts_a_killed_worker_and_api_and_refuses_a_second_up(
    tmp_path: Path,
) -> None:
    flags, url = _flags()
    first = await _tandem("up", *flags, data_dir=tmp_path)
    try:
        await eventually(lambda: is_ready(url), within=90, every=0.5)

        # A second `tandem up` on the same folder (other ports) names the one running.
        second = await _tandem("up", *_flags()[0], data_dir=tmp_path)
        refused, _ = await asyncio.wait_for(second.communicate(), 60)
        assert second.returncode != 0
        assert f"already running for {tmp_path} (pid {first.pid})" in refused.decode()

        lead = await _add_user(tmp_path, "Lead", "supervisor")
        agent = await _add_user(tmp_path, "Agent", "agent")
        for command in ("worker", "api"):
            killed = _child(first.pid, command)
            assert killed is not None, _children(first.pid)
            os.kill(killed, signal.SIGKILL)
            await eventually(lambda c=command, k=killed: _child(first.pid, c) not in (None, k))
            await eventually(lambda: is_ready(url), within=90, every=0.5)

        # The restarted worker does the work: a create answers once its workflow has run.
        async with httpx.AsyncClient(base_url=url, timeout=60) as http:
            created = await http.post(
                "/v1/meetings",
                json={
                    "kind": "one_to_one",
                    "name": "After a crash",
                    "participant_ids": [agent["id"]],
                    "starts_at": (datetime.now(UTC) + timedelta(days=2)).isoformat(),
                    "duration_minutes": 30,
                },
                headers={"Authorization": f"Bearer {lead['token']}"},
            )
        assert created.status_code == 201, created.text
    finally:
        output = await _stop(first)
    assert first.returncode == 0, output
    assert "the worker (pid" in output and "was killed by SIGKILL; starting it again" in output
    assert "the API is running again" in output, output
    assert "Tandem stopped." in output
    assert all(_port_free(p) for p in _ports(flags)), "a child process outlived tandem up"


@pytest.mark.timeout(240)
async def test_a_killed_supervisor_takes_its_children_along(tmp_path: Path) -> None:
    flags, url = _flags()
    first = await _tandem("up", *flags, data_dir=tmp_path)
    await eventually(lambda: is_ready(url), within=90, every=0.5)
    children = _children(first.pid)
    assert len(children) == 3, children  # Temporal, worker, API

    first.kill()  # SIGKILL: no chance to stop anything itself
    await first.wait()
    await eventually(lambda: not any(_alive(pid) for pid in children), within=5)
    # The kernel frees a dead process's listening sockets a moment after it is reaped.
    await eventually(lambda: all(_port_free(p) for p in _ports(flags)), within=5)

    # Its stale lock file blocks nothing: the same ports and folder start again.
    again = await _tandem("up", *flags, data_dir=tmp_path)
    try:
        await eventually(lambda: is_ready(url), within=90, every=0.5)
    finally:
        output = await _stop(again)
    assert again.returncode == 0, output


QUICK_REFUSAL = 12.0


async def _refused(*args: str, data_dir: Path) -> tuple[str, float]:
    """What a `tandem up` that cannot start prints, and how long it took to give up."""
    started = asyncio.get_running_loop().time()
    process = await _tandem("up", *args, data_dir=data_dir)
    output, _ = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 1, output
    return output.decode(), asyncio.get_running_loop().time() - started


@pytest.mark.parametrize("listening", [True, False], ids=["listening", "bound-only"])
@pytest.mark.parametrize("which", ["api", "temporal", "ui"])
async def test_o3_up_names_a_taken_port_in_one_line_at_once(
    tmp_path: Path, which: str, listening: bool
) -> None:
    """A socket merely bound to a port (not listening: a connect is refused) still keeps the
    Temporal server or the API off it; up must see it too instead of failing later."""
    flags, _ = _flags()
    port = _ports(flags)[["api", "temporal", "ui"].index(which)]
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", port))
        if listening:
            holder.listen()
        output, took = await _refused(*flags, data_dir=tmp_path)
    assert output.strip().splitlines() == [
        f"tandem up: port {port} for the "
        f"{ {'api': 'API', 'temporal': 'Temporal server', 'ui': 'Temporal UI'}[which] } "
        "is already in use; pick another with flags"
    ]
    # About a second on a quiet machine; the bound only has to tell it from the 30 s of
    # retries it took before, with room for a CI machine under load.
    assert took < QUICK_REFUSAL, took


async def test_o3_up_says_why_the_temporal_server_could_not_start_at_once(
    tmp_path: Path,
) -> None:
    (tmp_path / "temporal.db").write_bytes(b"not a database " * 100)
    output, took = await _refused(*_flags()[0], data_dir=tmp_path)
    assert output.strip().splitlines() == [
        "tandem up: the Temporal server could not start: Error: failed starting server: "
        "failed creating namespaces: unable to create SQLite admin DB: file is not a database "
        f"(26) (see {tmp_path / 'temporal.log'})"
    ]
    # About a second on a quiet machine; the bound only has to tell it from the 30 s of
    # retries it took before, with room for a CI machine under load.
    assert took < QUICK_REFUSAL, took


@pytest.mark.timeout(240)
async def test_o3_ctrl_c_stops_everything_within_15_s_under_load(tmp_path: Path) -> None:
    """Creates keep arriving (each holds a request open in the API and work in the worker) and
    the worker is too busy to answer a signal (stopped: as if stuck in a long computation) when
    Ctrl-C comes: everything is down within 15 s, and no child is left holding a port."""
    flags, url = _flags()
    first = await _tandem("up", *flags, data_dir=tmp_path)
    stopped = asyncio.Event()
    answers: list[int] = []
    hours = itertools.count(1)  # the lead facilitates them all: one free hour each
    first_hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=3)

    async def creating(http: httpx.AsyncClient, lead: dict, agent: dict) -> None:
        while not stopped.is_set():
            with contextlib.suppress(httpx.HTTPError):
                answer = await http.post(
                    "/v1/meetings",
                    json={
                        "kind": "one_to_one",
                        "name": "Under load",
                        "participant_ids": [agent["id"]],
                        "starts_at": (first_hour + timedelta(hours=next(hours))).isoformat(),
                        "duration_minutes": 30,
                    },
                    headers={"Authorization": f"Bearer {lead['token']}"},
                )
                answers.append(answer.status_code)

    try:
        await eventually(lambda: is_ready(url), within=90, every=0.5)
        lead = await _add_user(tmp_path, "Lead", "supervisor")
        agents = [await _add_user(tmp_path, f"Agent{n}", "agent") for n in range(8)]
        async with httpx.AsyncClient(base_url=url, timeout=60) as http:
            load = [asyncio.create_task(creating(http, lead, agent)) for agent in agents]
            await eventually(lambda: answers.count(201) >= 20, within=60, every=0.2)
            worker = _child(first.pid, "worker")
            assert worker is not None, _children(first.pid)
            os.kill(worker, signal.SIGSTOP)
            started = asyncio.get_running_loop().time()
            first.send_signal(signal.SIGINT)
            await asyncio.wait_for(first.wait(), 30)
            took = asyncio.get_running_loop().time() - started
            stopped.set()
            await asyncio.gather(*load)
    finally:
        if first.returncode is None:
            first.kill()
    output = (await first.stdout.read()).decode()
    assert first.returncode == 0, output
    assert took <= 15, took
    assert "Tandem stopped." in output
    assert all(_port_free(p) for p in _ports(flags)), "a child process outlived tandem up"
