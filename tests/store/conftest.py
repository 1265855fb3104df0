from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tandem.store.db import Database
from tests.support import drop_schema, migrated, postgres_target, sqlite_target


@pytest.fixture(params=["sqlite", "postgresql"])
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """A freshly migrated database of each kind (PostgreSQL if TANDEM_TEST_DATABASE_URL is set)."""
    if request.param == "sqlite":
        target = sqlite_target(tmp_path)
    else:
        target = postgres_target()
        if target is None:
            pytest.skip("TANDEM_TEST_DATABASE_URL is not set (CI sets it)")
    database = migrated(target)
    try:
        yield database
    finally:
        database.dispose()
        drop_schema(target)
