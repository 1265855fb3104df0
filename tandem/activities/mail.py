"""E-mail delivery from the outbox: SMTP when configured, otherwise .eml files in the data folder.

One message at a time: it is leased in a short transaction, sent outside it (so a slow mail
server never holds the database), then marked in the transaction that leases the next. A worker
that dies mid-send leaves only that message's lease, which runs out within seconds, and that one
message is sent again: delivery is at-least-once with at most one repeat per crash, and the
Message-ID is derived from the dedupe key so mail clients fold the repeat.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import logging
import os
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.charset import QP, Charset
from email.encoders import encode_base64
from email.header import Header
from email.message import Message
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formatdate
from functools import partial
from pathlib import Path
from urllib.parse import unquote, urlsplit

import aiosmtplib
from sqlalchemy.orm import Session

from tandem.observability.metrics import NOTIFICATIONS_SENT
from tandem.store import outbox
from tandem.store.db import Database
from tandem.store.outbox import LeasedEmail

log = logging.getLogger(__name__)

# Short, so the message a dead worker was sending goes again soon; renewed while a slow server
# takes longer than this (see MailDispatcher._send).
LEASE = timedelta(seconds=10)
# How long a wake-up waits before its pass, so one pass sends what a burst of changes queued:
# woken after every create, passes averaged 1.9 messages, each pass paying its own empty lease
# transaction and event-loop round trips (issue 13). Half a second is nothing to a reader.
GATHER_SECONDS = 0.5


# Bodies as quoted-printable (readable in the .eml files, safe for any SMTP server); the
# invitation base64, as calendar clients expect.
_TEXT = Charset("utf-8")
_TEXT.body_encoding = QP


def build_message(row: LeasedEmail, sender: str) -> Message:
    """The message, built with the compat32 classes: ``EmailMessage`` parses every header it is
    given into structured objects and refolds them on output, a quarter of the worker's main
    thread when creating meetings (issue 13); these headers are ours and need none of that. Mail
    clients (and ``policy.default`` in the tests) read both the same."""
    text = MIMEText(row.body, "plain", _TEXT)
    digest = hashlib.sha256(row.dedupe_key.encode()).hexdigest()[:32]
    if row.calendar:
        # The part calendar clients act on (RFC 6047): the invitation itself, not an attachment.
        method = "CANCEL" if "\r\nMETHOD:CANCEL\r\n" in row.calendar else "REQUEST"
        invite = MIMEApplication(row.calendar.encode(), "calendar", encode_base64)
        invite.replace_header("Content-Type", "text/calendar")
        invite.set_param("method", method)
        invite.set_param("charset", "utf-8")
        invite.add_header("Content-Disposition", "inline", filename="invite.ics")
        for part in (text, invite):
            del part["MIME-Version"]  # once, on the whole message
        message: Message = MIMEMultipart("alternative", _subparts=[text, invite])
        # Our own boundary: the generator would otherwise draw a random one and compile a
        # regular expression to check it against the text, a third of writing the message.
        # "=_" never occurs in quoted-printable or base64, the only encodings of its parts.
        message.set_boundary(f"=_tandem_{digest}")
    else:
        message = text
    message["From"] = sender
    message["To"] = row.email
    message["Subject"] = _header(row.subject)
    message["Date"] = formatdate(row.created_at.timestamp(), localtime=False)
    message["Message-ID"] = f"<{digest}@tandem>"
    message["X-Tandem-Kind"] = row.kind
    if row.meeting_id:
        message["X-Tandem-Meeting"] = row.meeting_id
    return message


def _header(value: str) -> str | Header:
    return value if value.isascii() else Header(value, "utf-8")


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

    async def send(self, message: Message) -> None:
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
    """Writes each delivery as ``<data>/mail/<Message-ID>.eml`` (open it with any mail client).

    A repeated delivery of the same message gets ``<Message-ID>.2.eml``, ``.3.eml``…: nothing is
    overwritten, so a duplicate shows as a second file instead of hiding."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    async def send(self, message: Message) -> None:
        # Messages carry sign-in and guest links: this user's to read only (0700 and 0600).
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        name = message["Message-ID"].strip("<>").split("@")[0]
        for attempt in itertools.count(1):
            path = self.folder / (f"{name}.eml" if attempt == 1 else f"{name}.{attempt}.eml")
            try:
                # O_EXCL: the name is this delivery's alone, even with two dispatchers at once.
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                continue
            with os.fdopen(fd, "wb") as handle:
                handle.write(bytes(message))
            return


@dataclass(frozen=True)
class Outcome:
    """How sending one leased message went: ``error`` is None when it was delivered."""

    row: LeasedEmail
    error: str | None


def _settle_and_lease(
    outcome: Outcome | None, lease_next: bool, session: Session
) -> LeasedEmail | None:
    """Record the last message's outcome and lease the next, in one transaction."""
    now = datetime.now(UTC)
    if outcome is not None and outcome.error is None:
        outbox.mark_sent(session, outcome.row.id, now)
    elif outcome is not None:
        outbox.mark_failed_attempt(session, outcome.row, outcome.error, now)
    return outbox.lease_next_email(session, now, LEASE) if lease_next else None


class MailDispatcher:
    def __init__(self, db: Database, transport: SmtpTransport | FileTransport, sender: str) -> None:
        self.db = db
        self.transport = transport
        self.sender = sender
        self._wakeup = asyncio.Event()

    def wake(self) -> None:
        self._wakeup.set()

    async def drain(self, stop: asyncio.Event | None = None) -> int:
        """Send everything due now, one message at a time; returns how many were delivered.
        ``stop`` ends the pass after the message in flight (its outcome is still recorded)."""
        delivered = 0
        outcome: Outcome | None = None
        while True:
            lease_next = stop is None or not stop.is_set()
            row = await self.db.write(partial(_settle_and_lease, outcome, lease_next))
            if row is None:
                return delivered
            outcome = await self._send(row)
            if outcome.error is None:
                delivered += 1
                NOTIFICATIONS_SENT.labels(row.kind).inc()

    async def _send(self, row: LeasedEmail) -> Outcome:
        sending = asyncio.ensure_future(self.transport.send(build_message(row, self.sender)))
        try:
            # A slow server may take longer than the lease: renew it meanwhile, so no other
            # dispatcher takes the message for an abandoned one and sends it a second time.
            renew_every = LEASE.total_seconds() / 3
            while not (await asyncio.wait([sending], timeout=renew_every))[0]:
                until = datetime.now(UTC) + LEASE
                await self.db.write(lambda s, until=until: outbox.extend_lease(s, row.id, until))
            sending.result()
        except Exception as error:
            log.warning("e-mail %s to %s failed: %s", row.id, row.email, error)
            return Outcome(row, repr(error))
        finally:
            sending.cancel()  # only if renewing the lease failed; then the lease runs out
        return Outcome(row, None)

    async def run(self, stop: asyncio.Event, poll_seconds: float = 2.0) -> None:
        """Deliver until ``stop``: woken at once by new rows, and polling for retries (and for
        leases that ran out). Stopping between messages (not cancelling) never abandons a
        transaction half-way."""
        while not stop.is_set():
            # Cleared before the pass: a row added during it wakes the next one at once.
            self._wakeup.clear()
            try:
                await self.drain(stop)
            except Exception:
                log.exception("mail dispatcher pass failed; retrying")
            waits = [asyncio.ensure_future(self._wakeup.wait()), asyncio.ensure_future(stop.wait())]
            await asyncio.wait(waits, timeout=poll_seconds, return_when=asyncio.FIRST_COMPLETED)
            for waiting in waits:
                waiting.cancel()
            if self._wakeup.is_set() and not stop.is_set():
                with suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), GATHER_SECONDS)
