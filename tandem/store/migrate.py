"""Schema migrations (Alembic), run from code so `tandem up`, CI and tests share one path."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text

from tandem.store.db import connect_args, sync_url

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(url: str, *, schema: str | None = None, revision: str = "head") -> None:
    engine = create_engine(sync_url(url), connect_args=connect_args(url, schema))
    try:
        with engine.begin() as connection:
            if schema and engine.dialect.name == "postgresql":
                connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
                connection.execute(text(f'SET search_path TO "{schema}", public'))
            config = alembic_config()
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    finally:
        engine.dispose()
