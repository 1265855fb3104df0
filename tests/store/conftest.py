from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tandem.store.db import Database
from tests.support import DatabaseTarget, drop_schema, migrated, postgres_target, sqlite_target


def _postgres() -> DatabaseTarget:
    target = postgres_target()
    if target is None:
        pytest.skip("TANDEM_TEST_DATABASE_URL is not set (CI sets it)")
    return target


async def _fresh(target: DatabaseTarget) -> AsyncIterator[Database]:
    database = migrated(target)
    try:
        yield database
    finally:
        database.dispose()
        drop_schema(target)


@pytest.fixture(params=["sqlite", "postgresql"])
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """A freshly migrated database of each kind (PostgreSQL if TANDEM_TEST_DATABASE_URL is set)."""
    target = sqlite_target(tmp_path) if request.param == "sqlite" else _postgres()
    async for database in _fresh(target):
        yield database


@pytest.fixture
async def pg_db() -> AsyncIterator[Database]:
    """A freshly migrated PostgreSQL database, for what only PostgreSQL enforces."""
    async for database in _fresh(_postgres()):
        yield database
