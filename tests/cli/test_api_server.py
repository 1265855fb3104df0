"""Slow and idle clients cannot hoard the API's sockets (issue 8, item 6).

The server is uvicorn configured exactly as ``tandem api`` configures it (``api_config``), with
the idle timeout shortened to one second; the clients are raw TCP sockets.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from temporalio.testing import WorkflowEnvironment

from tandem.api.app import create_app
from tandem.cli.api_server import api_config
from tandem.settings import Settings
from tests.support import eventually, free_port, migrated, sqlite_target

TIMEOUT = 1.0
REQUEST = b"GET /health HTTP/1.1\r\nHost: tandem\r\n\r\n"


@contextlib.asynccontextmanager
async def serving(app: Any, settings: Settings) -> AsyncIterator[int]:
    server = uvicorn.Server(api_config(app, settings))
    task = asyncio.create_task(server.serve())
    try:
        await eventually(lambda: server.started or task.done(), within=20)
        yield settings.api_port
    finally:
        server.should_exit = True
        await task


def settings_for(tmp_path: Path, database_url: str | None = None) -> Settings:
    return Settings(
        data_dir=tmp_path,
        database_url=database_url,
        api_port=free_port(),
        secret_key="test-secret",
        client_idle_timeout_seconds=TIMEOUT,
    )


@pytest.fixture
async def api(dev_env: WorkflowEnvironment, tmp_path: Path) -> AsyncIterator[int]:
    """The real app; yields its port."""
    db = migrated(sqlite_target(tmp_path))
    settings = settings_for(tmp_path, db.url)
    try:
        async with serving(create_app(settings, db=db, client=dev_env.client), settings) as port:
            yield port
    finally:
        db.dispose()


async def closed_after(reader: asyncio.StreamReader) -> float:
    """Seconds until the server closes the connection (reading and dropping what it sends)."""
    started = time.monotonic()
    while await asyncio.wait_for(reader.read(65536), TIMEOUT * 5):
        pass
    return time.monotonic() - started


async def response(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    headers = dict(line.split(b": ", 1) for line in head.split(b"\r\n")[1:] if line)
    return head + await reader.readexactly(int(headers[b"content-length"]))


async def test_half_a_request_line_is_cut_off(api: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", api)
    writer.write(b"GET /heal")  # and nothing more
    await writer.drain()
    assert TIMEOUT * 0.8 < await closed_after(reader) < TIMEOUT * 3
    writer.close()


async def test_a_flood_of_silent_connections_is_cut_off_while_requests_are_served(
    api: int,
) -> None:
    flood = [await asyncio.open_connection("127.0.0.1", api) for _ in range(200)]
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{api}") as http:
        assert (await http.get("/health")).status_code == 200
    closing = await asyncio.gather(*(closed_after(reader) for reader, _ in flood))
    assert max(closing) < TIMEOUT * 3
    for _, writer in flood:
        writer.close()


async def test_an_idle_keep_alive_connection_is_cut_off_and_so_is_a_slow_second_head(
    api: int,
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", api)
    writer.write(REQUEST)
    assert (await response(reader)).startswith(b"HTTP/1.1 200")
    assert await closed_after(reader) < TIMEOUT * 3  # idle after its response
    writer.close()

    reader, writer = await asyncio.open_connection("127.0.0.1", api)
    writer.write(REQUEST)
    assert (await response(reader)).startswith(b"HTTP/1.1 200")
    writer.write(b"GET /health HTTP/1.1\r\nHost: ")  # a second head, never finished
    assert await closed_after(reader) < TIMEOUT * 3
    writer.close()


async def test_requests_that_arrive_are_served_however_long_they_take(
    api: int, tmp_path: Path
) -> None:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{api}") as http:
        for _ in range(3):  # one kept-alive connection, idle shorter than the timeout between
            assert (await http.get("/health")).status_code == 200
            await asyncio.sleep(TIMEOUT / 2)

    async def slow(scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        await asyncio.sleep(TIMEOUT * 2)  # longer than the timeout: a request, not a head
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"done"})

    settings = settings_for(tmp_path / "slow")
    async with (
        serving(slow, settings) as port,
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http,
    ):
        answer = await http.get("/")
    assert answer.status_code == 200 and answer.text == "done"
