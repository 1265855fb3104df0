"""E-mail under faults (issue 8, item 4): at most one repeat per crash, and no repeat hidden.

The worker here is the real ``tandem worker`` process delivering to a real SMTP server
(aiosmtpd); it is killed with SIGKILL while a couple of hundred e-mails are queued.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from sqlalchemy import func, select
from temporalio.testing import WorkflowEnvironment

from tandem.activities.mail import FileTransport
from tandem.store import outbox
from tandem.store.db import Database
from tandem.store.schema import NotificationRow
from tests.support import PAYLOAD_KEYS, Mailbox, eventually, free_port, migrated, sqlite_target

QUEUED = 200
KILLS = 3


class SlowMailbox(Mailbox):
    """A mail server taking a few milliseconds per message, as real ones do: the kills below
    then land while a message is on the wire, not only between messages."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await asyncio.sleep(0.02)
        return await super().handle_DATA(server, session, envelope)

    def ids(self) -> Counter:
        with self._lock:
            return Counter(m["Message-ID"] for m in self.messages)


async def start_worker(
    env: WorkflowEnvironment, db: Database, data_dir: Path, smtp_url: str, *, log: Path, **extra
) -> asyncio.subprocess.Process:
    """``tandem worker`` on its own task queue; ``extra`` adds environment variables."""
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("TANDEM_")},
        "TANDEM_TEMPORAL_ADDRESS": env.client.service_client.config.target_host,
        "TANDEM_DATABASE_URL": db.url,
        "TANDEM_TASK_QUEUE": f"tandem-mail-{data_dir.name}",
        "TANDEM_DATA_DIR": str(data_dir),
        "TANDEM_SMTP_URL": smtp_url,
        "TANDEM_SECRET_KEY": "test-secret",
        "TANDEM_PAYLOAD_KEYS": PAYLOAD_KEYS.render(),
        **extra,
    }
    with log.open("ab") as output:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tandem.cli.main", "worker",
            env=environment, stdout=output, stderr=output,
        )  # fmt: skip


async def queue_emails(db: Database, count: int) -> None:
    run = uuid.uuid4().hex[:8]
    messages = [
        outbox.OutboxMessage(
            dedupe_key=f"fault-{run}-{i}",
            kind="meeting_created",
            subject=f"Message {i}",
            body="A meeting was booked.",
            user_id=None,
            email=f"person-{i}@example.com",
            meeting_id=None,
        )
        for i in range(count)
    ]
    await db.write(lambda session: outbox.enqueue(session, messages, datetime.now(UTC)))


async def all_sent(db: Database) -> bool:
    query = (
        select(func.count())
        .select_from(NotificationRow)
        .where(NotificationRow.email_status != outbox.EmailStatus.SENT.value)
    )
    return await db.read(lambda session: session.execute(query).scalar_one()) == 0


async def kill_while_sending(
    env: WorkflowEnvironment, tmp_path: Path, *, kills: int, within: float, **worker_env: str
) -> dict[str, float]:
    """Queue QUEUED e-mails, SIGKILL the worker ``kills`` times while it sends them, and return
    the figures: duplicates, and seconds from the last restart until the last one was sent."""
    mailbox = SlowMailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    db = migrated(sqlite_target(tmp_path))
    log = tmp_path / "worker.log"
    start = lambda: start_worker(  # noqa: E731
        env, db, tmp_path, f"smtp://127.0.0.1:{controller.port}", log=log, **worker_env
    )
    try:
        await queue_emails(db, QUEUED)
        worker = await start()
        for kill in range(1, kills + 1):
            # After 25, 85, 145… sent: spread over the queue, and never on a multiple of 50 (the
            # mailer's old batch), so a kill lands in the middle of whatever is being sent.
            reached = 25 + 60 * (kill - 1)
            await eventually(lambda r=reached: len(mailbox.ids()) >= r, within=within, every=0.005)
            worker.send_signal(signal.SIGKILL)
            await worker.wait()
            worker = await start()
        restarted = time.monotonic()
        try:
            await eventually(lambda: len(mailbox.ids()) == QUEUED, within=within, every=0.05)
            last_sent = time.monotonic() - restarted
            await eventually(lambda: all_sent(db), within=30, every=0.2)
            await asyncio.sleep(1)  # anything sent twice late would show up now
        finally:
            worker.send_signal(signal.SIGTERM)
            await asyncio.wait_for(worker.wait(), 30)
        ids = mailbox.ids()
        assert len(ids) == QUEUED, "every queued e-mail is delivered"
        return {
            "kills": kills,
            "duplicates": sum(ids.values()) - len(ids),
            "most_copies": max(ids.values()),
            "restart_to_last_sent_s": round(last_sent, 1),
        }
    finally:
        controller.stop()
        db.dispose()


async def test_a_killed_worker_repeats_at_most_the_one_email_in_flight(
    dev_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    figures = await kill_while_sending(dev_env, tmp_path, kills=KILLS, within=60)
    print(figures)
    assert figures["duplicates"] <= KILLS, figures
    assert figures["most_copies"] <= 2, figures
    # The message in flight at the last kill waits out its lease (seconds, not minutes).
    assert figures["restart_to_last_sent_s"] < 30, figures


async def test_the_file_transport_keeps_every_delivery(tmp_path: Path) -> None:
    message = EmailMessage()
    message["Message-ID"] = "<abc123@tandem>"
    message.set_content("hello")
    folder = tmp_path / "mail"
    transport = FileTransport(folder)
    for _ in range(3):
        await transport.send(message)
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["abc123.2.eml", "abc123.3.eml", "abc123.eml"]
    assert {p.stat().st_mode & 0o777 for p in folder.iterdir()} == {0o600}
    assert folder.stat().st_mode & 0o777 == 0o700
