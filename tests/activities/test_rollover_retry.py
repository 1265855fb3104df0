"""C3 exactly once: a rollover activity that runs again (a worker died after its commit, before
Temporal heard of it) moves nothing twice and records one history line."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tandem.activities.meetings import MeetingActivities
from tandem.activities.messages import SyncMeeting
from tandem.domain.content import ItemKind
from tandem.domain.meetings import BookingMode, Meeting, MeetingEvent, MeetingKind, MeetingStatus
from tandem.settings import Settings
from tandem.store import content, meetings
from tandem.store.db import Database
from tests.support import add_person, migrated, sqlite_target

NOW = datetime.now(UTC).replace(microsecond=0)


def _occurrence(series_id: str, index: int, facilitator: str, participant: str) -> Meeting:
    return Meeting(
        id=str(uuid.uuid4()),
        kind=MeetingKind.ONE_TO_ONE,
        name="Weekly 1:1",
        facilitator_id=facilitator,
        participant_ids=[participant],
        starts_at=NOW + timedelta(days=7 * index - 1),
        duration_minutes=30,
        timezone="UTC",
        series_id=series_id,
        occurrence_index=index,
        status=MeetingStatus.COMPLETED if index == 0 else MeetingStatus.SCHEDULED,
        created_by=facilitator,
        created_at=NOW - timedelta(days=2),
        version=1,
    )


async def test_c3_a_repeated_rollover_moves_each_item_once(tmp_path: Path) -> None:
    db: Database = migrated(sqlite_target(tmp_path))
    sup, agent = await add_person(db, "supervisor"), await add_person(db, "agent")
    series_id = str(uuid.uuid4())
    done, nxt = (
        _occurrence(series_id, 0, sup.id, agent.id),
        _occurrence(series_id, 1, sup.id, agent.id),
    )

    def setup(session) -> None:
        for m in (done, nxt):
            meetings.write_projection(session, m, NOW)
        for text in ("First", "Second"):
            content.add_item(
                session,
                meeting_id=done.id,
                kind=ItemKind.TOPIC,
                text=text,
                url=None,
                author_id=agent.id,
                assignee_id=None,
                due_date=None,
                now=NOW,
            )

    await db.write(setup)
    activities = MeetingActivities(db, Settings(data_dir=tmp_path, secret_key="k"))
    request = SyncMeeting(
        meeting=done.model_copy(update={"version": 2}),
        booking=BookingMode.KEEP,
        event=MeetingEvent(id="rollover-1", meeting_id=done.id, at=NOW, action="rolled_over"),
        rollover=True,
    )
    for _ in range(3):  # the first run, then two retries of the same activity
        await activities.sync_meeting(request)

    moved = await db.read(lambda s: content.items(s, nxt.id, ItemKind.TOPIC))
    assert [(i.text, i.position, i.rolled_over_from) for i in moved] == [
        ("First", 1, done.id),
        ("Second", 2, done.id),
    ]
    assert await db.read(lambda s: content.items(s, done.id, ItemKind.TOPIC)) == []
    events = await db.read(lambda s: meetings.history(s, done.id))
    assert [(e.action, e.details["rollover"]["items"]) for e in events] == [("rolled_over", 2)]
    db.dispose()
