"""Engines and transactions for SQLite (default) and PostgreSQL, from one URL.

Each unit of work is a plain function of a synchronous Session, run in one hop to a small thread
pool: ``await db.write(fn)``. One hop per transaction instead of one per statement (as an async
driver does) made a booking transaction about five times faster on SQLite, and keeps database
work off the event loop that serves HTTP and runs workflows.

SQLite has one writer at a time, so writers open their transaction with ``BEGIN IMMEDIATE``:
a check-then-insert (the booking guard) is then atomic across processes. Readers keep the
default deferred ``BEGIN`` so they never queue behind writers (WAL mode). Within a process,
SQLite write transactions go to one writer thread: with eight threads each waiting in
``BEGIN IMMEDIATE``, half the worker's DB-thread time went to SQLite's busy-wait for a lock only
one of them can hold (issue 13). Queued on one thread they take turns without polling; other
processes still serialise through the lock itself, so the guard's atomicity is unchanged.
PostgreSQL writes stay on the pool: its row locks let different people book in parallel.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

T = TypeVar("T")

_DRIVERS = {"sqlite": "sqlite", "postgresql": "postgresql+psycopg"}
THREADS = 8


def sync_url(url: str | URL) -> URL:
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend not in _DRIVERS:
        raise ValueError(f"unsupported database {backend!r}: use sqlite or postgresql")
    return parsed.set(drivername=_DRIVERS[backend])


def _create_private_sqlite_file(url: URL) -> None:
    """Create a missing SQLite database file 0600 (its folder 0700), before SQLite does so with
    the process umask (usually 0644): it holds every meeting and private note. SQLite gives its
    -wal and -shm files the database file's mode, so they are private too."""
    name = url.database
    if not name or name == ":memory:" or name.startswith("file:"):
        return
    path = Path(name)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))  # empty = new DB


def connect_args(url: str | URL, schema: str | None) -> dict[str, Any]:
    """Driver arguments for an engine on ``url``. For SQLite this also creates the database file
    privately if it is missing: every engine (migrations' too) is built with these arguments,
    and the first connection would otherwise create it readable by everyone."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        _create_private_sqlite_file(parsed)
        return {"timeout": 30, "check_same_thread": False}
    if schema:
        return {"options": f"-csearch_path={schema},public"}
    return {}


def _sqlite_engine(url: URL, begin: str) -> Engine:
    engine = create_engine(url, connect_args=connect_args(url, None), pool_size=THREADS)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event emit BEGIN itself (pysqlite's own is always deferred).
        dbapi_connection.isolation_level = None
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
            dbapi_connection.execute(f"PRAGMA {pragma}")

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql(begin)

    return engine


class Database:
    def __init__(self, url: str, *, schema: str | None = None) -> None:
        self.url = url
        self.schema = schema
        engine_url = sync_url(url)
        self.backend = engine_url.get_backend_name()
        if self.backend == "sqlite":
            self.reader = _sqlite_engine(engine_url, "BEGIN")
            self.writer = _sqlite_engine(engine_url, "BEGIN IMMEDIATE")
        else:
            self.reader = self.writer = create_engine(
                engine_url,
                connect_args=connect_args(url, schema),
                pool_size=THREADS,
                max_overflow=THREADS,
                pool_pre_ping=True,
            )
        self._reads = sessionmaker(self.reader, expire_on_commit=False)
        self._writes = sessionmaker(self.writer, expire_on_commit=False)
        self._threads = ThreadPoolExecutor(THREADS, thread_name_prefix="tandem-db")
        self._writer = (
            ThreadPoolExecutor(1, thread_name_prefix="tandem-db-write")
            if self.backend == "sqlite"
            else self._threads
        )

    @property
    def is_postgres(self) -> bool:
        return self.backend == "postgresql"

    @contextmanager
    def reading(self) -> Iterator[Session]:
        with self._reads() as session:
            yield session

    @contextmanager
    def writing(self) -> Iterator[Session]:
        """One transaction, committed on success; on SQLite it holds the write lock throughout."""
        with self._writes() as session, session.begin():
            yield session

    def _read(self, work: Callable[[Session], T]) -> T:
        with self.reading() as session:
            return work(session)

    def _write(self, work: Callable[[Session], T]) -> T:
        with self.writing() as session:
            return work(session)

    async def read(self, work: Callable[[Session], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._threads, self._read, work)

    async def write(self, work: Callable[[Session], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._writer, self._write, work)

    def dispose(self) -> None:
        self._threads.shutdown(wait=True)
        self._writer.shutdown(wait=True)
        self.reader.dispose()
        if self.writer is not self.reader:
            self.writer.dispose()
