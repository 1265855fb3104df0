"""Session-wide real servers; see tests/support.py for what each one is."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from tandem.workflows.search_attributes import ALL_KEYS, register
from tests.support import (
    DATA_CONVERTER,
    TEMPORAL,
    TEMPORAL_TEST_SERVER,
    DatabaseTarget,
    Mailbox,
    Stack,
    drop_schema,
    postgres_target,
    running_stack,
    smtp_server,
    sqlite_target,
)

# The dev server suggests continue-as-new early, so tests see long-lived workflows hop runs.
DEV_SERVER_ARGS = ["--dynamic-config-value", "limit.historyCount.suggestContinueAsNew=60"]
# The SDK gives a server 5 s to come up; on a busy 2-core machine that is sometimes not enough,
# and then every test of the session errors.
SERVER_STARTUP = timedelta(seconds=60)


@pytest.fixture(scope="session")
async def dev_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_local(
        data_converter=DATA_CONVERTER,
        dev_server_existing_path=TEMPORAL,
        search_attributes=ALL_KEYS,
        dev_server_extra_args=DEV_SERVER_ARGS,
        dev_server_startup_timeout=SERVER_STARTUP,
    )
    async with env:
        yield env


@pytest.fixture(scope="session")
def mail() -> Iterator[tuple[Mailbox, str]]:
    with smtp_server() as server:
        yield server


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("tandem-data")


@pytest.fixture(scope="session")
async def stack(
    dev_env: WorkflowEnvironment, mail: tuple[Mailbox, str], data_dir: Path
) -> AsyncIterator[Stack]:
    """The whole system on SQLite against the dev server, shared by API tests."""
    async with running_stack(dev_env.client, sqlite_target(data_dir), data_dir, smtp=mail) as s:
        yield s


@pytest.fixture(scope="session")
def pg_target() -> Iterator[DatabaseTarget]:
    target = postgres_target()
    if target is None:
        pytest.skip("TANDEM_TEST_DATABASE_URL is not set (CI sets it)")
    yield target


@pytest.fixture(scope="session")
async def pg_stack(
    dev_env: WorkflowEnvironment,
    mail: tuple[Mailbox, str],
    data_dir: Path,
    pg_target: DatabaseTarget,
) -> AsyncIterator[Stack]:
    """The whole system on PostgreSQL (its own schema) against the dev server."""
    try:
        async with running_stack(dev_env.client, pg_target, data_dir, smtp=mail) as s:
            yield s
    finally:
        drop_schema(pg_target)


@pytest.fixture
async def skipping_env() -> AsyncIterator[WorkflowEnvironment]:
    """A time-skipping test server of its own: its clock is global, so never shared."""
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=DATA_CONVERTER,
        test_server_existing_path=TEMPORAL_TEST_SERVER,
        test_server_startup_timeout=SERVER_STARTUP,
    )
    async with env:
        await register(env.client)
        yield env


@pytest.fixture
async def skipping(
    skipping_env: WorkflowEnvironment, mail: tuple[Mailbox, str], tmp_path: Path
) -> AsyncIterator[Stack]:
    """The whole system against a time-skipping server, for reminders and deadlines."""
    async with running_stack(
        skipping_env.client, sqlite_target(tmp_path), tmp_path, smtp=mail
    ) as s:
        yield s
