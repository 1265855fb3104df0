"""``tandem temporal-setup``: what a cluster's one-shot job runs before workers and APIs (issue 11).

Against the session's real dev server, in a namespace of its own that does not exist yet, as on
a bare Temporal server. Temporal is not reachable when the command starts: a TCP relay to the
dev server opens on its address two seconds later, so the command has to wait for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from tandem.workflows.search_attributes import ALL_KEYS
from tests.support import PAYLOAD_KEYS, free_port


async def _setup(address: str, namespace: str, data_dir: Path) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TANDEM_")}
    env |= {
        "TANDEM_TEMPORAL_ADDRESS": address,
        "TANDEM_TEMPORAL_NAMESPACE": namespace,
        "TANDEM_DATA_DIR": str(data_dir),
        "TANDEM_PAYLOAD_KEYS": PAYLOAD_KEYS.render(),
    }
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tandem.cli.main", "temporal-setup",
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip


@contextlib.asynccontextmanager
async def relay(port: int, target: str) -> AsyncIterator[None]:
    """Forwards every connection to 127.0.0.1:``port`` to ``target``, byte for byte."""
    host, _, target_port = target.rpartition(":")

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.close()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection(host, int(target_port))
        await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))

    server = await asyncio.start_server(handle, "127.0.0.1", port)
    async with server:
        yield


async def test_temporal_setup_waits_for_temporal_then_creates_the_namespace_and_attributes(
    dev_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    namespace = f"tandem-setup-{uuid.uuid4().hex[:8]}"
    port = free_port()
    target = dev_env.client.service_client.config.target_host

    process = await _setup(f"127.0.0.1:{port}", namespace, tmp_path)
    await asyncio.sleep(2.0)
    assert process.returncode is None, "it gave up before Temporal answered"
    async with relay(port, target):
        output, _ = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, output.decode()
    assert f"namespace {namespace!r} has Tandem's search attributes" in output.decode()

    listed = await dev_env.client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=namespace)
    )
    assert {
        key.name: IndexedValueType.ValueType(int(key.indexed_value_type)) for key in ALL_KEYS
    }.items() <= dict(listed.custom_attributes).items()
    client = await Client.connect(target, namespace=namespace)
    assert (
        await client.count_workflows("MeetingId = 'm-1' AND MeetingStatus = 'scheduled'")
    ).count == 0

    # Run again (every `docker-compose up` does): everything is there already.
    again = await _setup(target, namespace, tmp_path)
    output, _ = await asyncio.wait_for(again.communicate(), 60)
    assert again.returncode == 0, output.decode()
