"""E-mail delivery from the outbox: SMTP when configured, otherwise .eml files in the data folder.

Rows are leased in a short transaction, sent outside it (so a slow mail server never holds the
database), then marked sent. A worker that dies mid-send leaves a lease that expires, and the
message is sent again: delivery is at-least-once, and the Message-ID is derived from the dedupe
key so mail clients fold any duplicate.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from urllib.parse import unquote, urlsplit

import aiosmtplib
from sqlalchemy.orm import Session

from tandem.store import outbox
from tandem.store.db import Database
from tandem.store.schema import NotificationRow

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)
BATCH = 50


def build_message(row: NotificationRow, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = row.email
    message["Subject"] = row.subject
    message["Date"] = formatdate(row.created_at.timestamp(), localtime=False)
    digest = hashlib.sha256(row.dedupe_key.encode()).hexdigest()[:32]
    message["Message-ID"] = f"<{digest}@tandem>"
    message["X-Tandem-Kind"] = row.kind
    if row.meeting_id:
        message["X-Tandem-Meeting"] = row.meeting_id
    message.set_content(row.body)
    return message


class SmtpTransport:
    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps"):
            raise ValueError("TANDEM_SMTP_URL must start with smtp:// or smtps://")
        self.host = parts.hostname or "localhost"
        self.port = parts.port or (465 if parts.scheme == "smtps" else 25)
        self.tls = parts.scheme == "smtps"
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None

    async def send(self, message: EmailMessage) -> None:
        await aiosmtplib.send(
            message,
            hostname=self.host,
            port=self.port,
            use_tls=self.tls,
            start_tls=False if not self.tls else None,
            username=self.username,
            password=self.password,
            timeout=30,
        )


class FileTransport:
    """Writes each message as ``<data>/mail/<Message-ID>.eml`` (open it with any mail client)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    async def send(self, message: EmailMessage) -> None:
        # Messages carry sign-in and guest links: this user's to read only (0700 and 0600).
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        name = message["Message-ID"].strip("<>").split("@")[0]
        fd = os.open(self.folder / f"{name}.eml", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(bytes(message))


class MailDispatcher:
    def __init__(self, db: Database, transport: SmtpTransport | FileTransport, sender: str) -> None:
        self.db = db
        self.transport = transport
        self.sender = sender
        self._wakeup = asyncio.Event()

    def wake(self) -> None:
        self._wakeup.set()

    @staticmethod
    def _claim(session: Session) -> list[NotificationRow]:
        now = datetime.now(UTC)
        rows = outbox.claim_due_emails(session, now, BATCH)
        for row in rows:
            row.email_next_attempt_at = now + LEASE
        return rows

    async def drain(self) -> int:
        """Send everything due now; returns how many were delivered."""
        delivered = 0
        while rows := await self.db.write(self._claim):
            sent = []
            for row in rows:
                try:
                    await self.transport.send(build_message(row, self.sender))
                except Exception as error:
                    log.warning("e-mail %s to %s failed: %s", row.id, row.email, error)
                    failure = repr(error)
                    await self.db.write(
                        lambda s, row=row, failure=failure: outbox.mark_failed_attempt(
                            s, row, failure, datetime.now(UTC)
                        )
                    )
                    continue
                sent.append(row.id)
            if sent:
                await self.db.write(
                    lambda s, sent=sent: outbox.mark_sent(s, sent, datetime.now(UTC))
                )
            delivered += len(sent)
            if len(rows) < BATCH:
                break
        return delivered

    async def run(self, stop: asyncio.Event, poll_seconds: float = 2.0) -> None:
        """Deliver until ``stop``: woken at once by new rows, and polling for retries. Stopping
        between passes (not cancelling) never abandons a transaction half-way."""
        while not stop.is_set():
            try:
                await self.drain()
            except Exception:
                log.exception("mail dispatcher pass failed; retrying")
            self._wakeup.clear()
            waits = [asyncio.ensure_future(self._wakeup.wait()), asyncio.ensure_future(stop.wait())]
            await asyncio.wait(waits, timeout=poll_seconds, return_when=asyncio.FIRST_COMPLETED)
            for waiting in waits:
                waiting.cancel()
