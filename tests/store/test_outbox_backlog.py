"""The outbox backlog a worker's metrics report (SPEC O2), read from SQLite and PostgreSQL as a
Prometheus scrape reads it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from tandem.observability.metrics import OutboxCollector
from tandem.store import outbox
from tandem.store.db import Database


def _message(key: str, email: str | None) -> outbox.OutboxMessage:
    return outbox.OutboxMessage(
        dedupe_key=key, kind="meeting_created", subject="s", body="b\n",
        user_id=None, email=email, meeting_id=None,
    )  # fmt: skip


def _scrape(db: Database) -> dict[str, float]:
    registry = CollectorRegistry()
    registry.register(OutboxCollector(db))
    text = generate_latest(registry).decode()
    return {s.name: s.value for f in text_string_to_metric_families(text) for s in f.samples}


async def test_o2_backlog_counts_unsent_emails_and_ages_the_oldest(db: Database) -> None:
    assert _scrape(db) == {
        "tandem_outbox_backlog": 0,
        "tandem_outbox_oldest_unsent_age_seconds": 0,
    }
    now = datetime.now(UTC)
    old, new = now - timedelta(minutes=10), now - timedelta(minutes=1)
    await db.write(lambda s: outbox.enqueue(s, [_message("a", "a@example.com")], old))
    await db.write(
        lambda s: outbox.enqueue(s, [_message("b", "b@example.com"), _message("in-app", None)], new)
    )
    sent = await db.write(lambda s: outbox.lease_next_email(s, now, timedelta(seconds=10)))
    assert sent is not None and sent.dedupe_key == "a"
    await db.write(lambda s: outbox.mark_sent(s, sent.id, now))

    scraped = _scrape(db)
    # "a" went, the in-app one has no e-mail: "b" waits, written a minute ago.
    assert scraped["tandem_outbox_backlog"] == 1
    assert 60 <= scraped["tandem_outbox_oldest_unsent_age_seconds"] < 120
