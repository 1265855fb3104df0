"""Tandem's files are its user's only: folders 0700, files 0600, like the secret key.

They hold every meeting, private note (C5), sign-in and guest link, so a shared host's other
users must not read them, whatever umask Tandem is started with.
"""

from __future__ import annotations

import asyncio
import os
import signal
import stat
import sys
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import text

from tandem.activities.mail import FileTransport
from tandem.store.db import Database
from tandem.store.migrate import upgrade
from tests.support import eventually, free_port


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    """The common default umask, under which files would be created world-readable (0644)."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


@pytest.mark.usefixtures("permissive_umask")
def test_sqlite_database_and_its_wal_files_are_private(tmp_path: Path) -> None:
    data = tmp_path / "data"
    url = f"sqlite:///{data / 'tandem.db'}"
    upgrade(url)  # migrations are the first to open the file under `tandem migrate`
    db = Database(url)
    try:
        with db.writing() as session:
            session.execute(text("CREATE TABLE probe (x INTEGER)"))
        with db.reading() as session:  # WAL readers keep -wal and -shm open
            session.execute(text("SELECT count(*) FROM probe"))
            files = {p.name: mode(p) for p in data.iterdir()}
    finally:
        db.dispose()
    assert mode(data) == 0o700
    assert files == {"tandem.db": 0o600, "tandem.db-wal": 0o600, "tandem.db-shm": 0o600}


@pytest.mark.usefixtures("permissive_umask")
async def test_mail_files_are_private(tmp_path: Path) -> None:
    message = EmailMessage()
    message["Message-ID"] = "<abc123@tandem>"
    message["Subject"] = "Your sign-in link"
    message.set_content("https://tandem.example/sign-in/secret")
    folder = tmp_path / "mail"
    await FileTransport(folder).send(message)
    assert mode(folder) == 0o700
    assert mode(folder / "abc123.eml") == 0o600
    assert b"sign-in/secret" in (folder / "abc123.eml").read_bytes()


async def _running(process: asyncio.subprocess.Process) -> None:
    """Until `tandem up` says it is running: Ctrl-C before then is not a clean stop."""
    assert process.stdout is not None
    while line := await process.stdout.readline():
        if b"Tandem is running." in line:
            return
    raise AssertionError("tandem up exited before it was running")


@pytest.mark.timeout(240)
async def test_tandem_up_creates_only_private_files(tmp_path: Path) -> None:
    """Everything `tandem up --demo` writes (its own and Temporal's databases with their WAL
    files, Temporal's log, the secret key, demo tokens, mail) is 0600 in 0700 folders, though
    it is started with umask 022."""
    data = tmp_path / "data"
    ports = [free_port(), free_port(), free_port()]
    env = {k: v for k, v in os.environ.items() if not k.startswith("TANDEM_")}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tandem.cli.main", "up", "--demo", "--data-dir", str(data),
        "--api-port", str(ports[0]), "--temporal-port", str(ports[1]),
        "--ui-port", str(ports[2]),
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        umask=0o022,
    )  # fmt: skip
    try:
        await asyncio.wait_for(_running(process), 120)
        # The demo series announce themselves by e-mail: .eml files, as no SMTP is set.
        await eventually(lambda: list((data / "mail").glob("*.eml")), within=60, every=0.5)
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, output.decode()

    found = {p.relative_to(data).as_posix(): mode(p) for p in data.rglob("*")}
    expected = {
        "tandem.db",
        "temporal.db",
        "temporal.log",
        "secret.key",
        "demo-tokens.json",
        "mail",
    }
    assert expected <= set(found), sorted(found)
    assert mode(data) == 0o700
    wrong = {
        name: oct(bits)
        for name, bits in found.items()
        if bits != (0o700 if (data / name).is_dir() else 0o600)
    }
    assert wrong == {}
