"""Weekly digests (SPEC N4): for every zone whose Sunday 18:00 just passed, each person's week
of 1:1s and their open action items, as one notification. Nobody without a 1:1 that week gets
one, and each person gets at most one per week (the dedupe key names the week)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy.orm import Session
from temporalio import activity

from tandem.activities.messages import SEND_DIGESTS, DigestWindow
from tandem.activities.notify import templates
from tandem.domain.digest import DueWeek, due_weeks
from tandem.domain.notifications import NotificationKind
from tandem.domain.times import human, local
from tandem.store import digest, outbox
from tandem.store.db import Database
from tandem.store.outbox import OutboxMessage
from tandem.store.schema import MeetingRow, UserRow


def _week_label(week: DueWeek) -> str:
    first = local(week.start, week.timezone)
    last = local(week.send_at, week.timezone)
    return f"{first:%a %d %b} to {last:%a %d %b %Y}"


class DigestActivities:
    def __init__(self, db: Database, on_outbox: Callable[[], None] = lambda: None) -> None:
        self.db = db
        self.on_outbox = on_outbox

    @activity.defn(name=SEND_DIGESTS)
    async def send_digests(self, window: DigestWindow) -> int:
        weeks = due_weeks(await self.db.read(digest.zones_in_use), window.since, window.until)
        queued = 0
        for week in weeks:
            queued += await self.db.write(lambda session, week=week: self._send(session, week))
        if queued:
            self.on_outbox()
        return queued

    def _send(self, session: Session, week: DueWeek) -> int:
        people = {u.id: u for u in digest.people_in(session, week.timezone)}
        meetings = digest.week_of(session, list(people), week.start, week.end)
        actions = digest.open_actions(session, list(meetings), week.end)
        names = {
            u.id: u.name for u in session.query(UserRow).filter(UserRow.id.in_(_everyone(meetings)))
        }
        template = templates.get_template(f"{NotificationKind.DIGEST.value}.txt.j2")
        messages = []
        for user_id, theirs in meetings.items():
            user = people[user_id]
            text = template.render(
                recipient=user.name,
                week=_week_label(week),
                meetings=[_meeting_line(m, user, names) for m in theirs],
                actions=[
                    {
                        "text": item.text,
                        "due": item.due_date.isoformat() if item.due_date else None,
                        "assignee": names.get(item.assignee_id or ""),
                        "meeting": meeting.name,
                    }
                    for item, meeting in actions.get(user_id, [])
                ],
            )
            subject, _, body = text.partition("\n")
            messages.append(
                OutboxMessage(
                    dedupe_key=f"digest-{user_id}/{week.start.date().isoformat()}",
                    kind=NotificationKind.DIGEST.value,
                    subject=subject.strip(),
                    body=body.strip() + "\n",
                    user_id=user_id,
                    email=user.email,
                    meeting_id=None,
                )
            )
        return outbox.enqueue(session, messages, datetime.now(UTC))


def _everyone(meetings: dict[str, list[MeetingRow]]) -> set[str]:
    return {
        uid
        for rows in meetings.values()
        for row in rows
        for uid in (row.facilitator_id, *row.participant_ids)
    }


def _meeting_line(meeting: MeetingRow, user: UserRow, names: dict[str, str]) -> dict[str, str]:
    others = [uid for uid in (meeting.facilitator_id, *meeting.participant_ids) if uid != user.id]
    return {
        "when": human(meeting.starts_at, user.timezone),
        "name": meeting.name,
        "other": ", ".join(names.get(uid, "someone") for uid in others),
        "status": meeting.status.replace("_", " "),
    }
