"""Two-way sync with a connected calendar (SPEC K3, K4), against a real Radicale and an ICS feed
on loopback, through the API over HTTP: one occurrence moved or deleted in the calendar, the
series' time changed there, a participant declining, changes made in Tandem written back
(If-Match), a "this and following" split disconnecting the series and a relink, and a feed
with thousands of events and endless rules."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import recurring_ical_events
from icalendar import Calendar
from sqlalchemy import select

from tandem.calendars import sources
from tandem.calendars import states as kept
from tandem.calendars.fetch import Guard, networks
from tandem.calendars.states import states
from tandem.domain.calendars import CalendarKind
from tandem.observability.metrics import CALENDAR_REQUESTS
from tandem.store.schema import CalendarLinkRow
from tests.calendars.ics import calendar, connect, event, next_monday
from tests.calendars.servers import Radicale, file_server, radicale
from tests.support import Person, Stack, eventually

PASSWORD = "two-way-pass"
LONDON = ZoneInfo("Europe/London")


@pytest.fixture(scope="module")
def caldav(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Radicale]:
    with radicale(tmp_path_factory.mktemp("radicale"), {"sam": PASSWORD}) as server:
        yield server


def london(wall: datetime) -> datetime:
    """A wall-clock time in London (how ``event`` writes times) as the instant Tandem shows."""
    return wall.replace(tzinfo=LONDON).astimezone(UTC)


def _put(caldav: Radicale, url: str, uid: str, *events: str) -> None:
    caldav.put(url, "sam", PASSWORD, uid, calendar(*events))


async def _connect(stack: Stack, who: Person, url: str) -> str:
    made = await connect(stack, who, kind="caldav", url=url, username="sam", password=PASSWORD)
    return made["id"]


def stamp(wall: datetime) -> str:
    return f"{wall:%Y%m%dT%H%M%S}"


async def _imported(stack: Stack, who: Person, cid: str) -> dict[str, dict]:
    """Every candidate of the calendar imported: uid → what it became."""
    items = (await stack.http.get(f"/v1/calendars/{cid}/candidates", headers=who.auth)).json()
    uids = {c["id"]: c["uid"] for c in items["items"]}
    made = await stack.http.post(
        f"/v1/calendars/{cid}/import", json={"candidate_ids": list(uids)}, headers=who.auth
    )
    assert made.status_code == 200, made.text
    return {uids[i["candidate_id"]]: i for i in made.json()["items"]}


async def _agreed(stack: Stack, cid: str, uid: str) -> int | None:
    """The Tandem version the link last agreed on with the calendar (None before a pass)."""
    return await stack.db.read(
        lambda s: s.scalar(
            select(CalendarLinkRow.agreed_version).where(
                CalendarLinkRow.calendar_id == cid, CalendarLinkRow.uid == uid
            )
        )
    )


async def _sync(stack: Stack, who: Person, cid: str) -> None:
    asked = await stack.http.post(f"/v1/calendars/{cid}/sync", headers=who.auth)
    assert asked.status_code == 202, asked.text


async def _occurrences(stack: Stack, who: Person, series_id: str) -> list[dict]:
    found = await stack.http.get(f"/v1/series/{series_id}/occurrences", headers=who.auth)
    assert found.status_code == 200, found.text
    return found.json()["items"]


def _at(item: dict) -> datetime:
    return datetime.fromisoformat(item["starts_at"])


async def test_k3_an_occurrence_moved_or_deleted_in_the_calendar_follows_a_decline_does_not(
    stack: Stack, caldav: Radicale
) -> None:
    sam = await stack.person("supervisor", name="Sam Two-way")
    ana = await stack.person("agent", name="Ana Two-way")
    url = caldav.calendar("sam", PASSWORD, f"follow-{sam.id[:8]}")
    monday = next_monday().replace(hour=10)
    people = (f"ORGANIZER:mailto:{sam.email}", f"ATTENDEE:mailto:{ana.email}")
    _put(caldav, url, "w", event("w", "Sam / Ana", monday, "RRULE:FREQ=WEEKLY", *people))
    cid = await _connect(stack, sam, url)
    series_id = (await _imported(stack, sam, cid))["w"]["series_id"]
    await eventually(lambda: _agreed(stack, cid, "w"))
    before = await _occurrences(stack, sam, series_id)
    assert [_at(o) for o in before[:3]] == [london(monday + timedelta(weeks=k)) for k in range(3)]

    # The calendar moves the second occurrence alone, deletes the third, renames the series,
    # and Ana declines it all (her reply is hers: it changes nothing in Tandem).
    second, third = monday + timedelta(weeks=1), monday + timedelta(weeks=2)
    moved_to = second + timedelta(days=1, hours=1)
    master = event(
        "w", "Sam & Ana", monday, "RRULE:FREQ=WEEKLY",
        f"EXDATE;TZID=Europe/London:{stamp(third)}",
        f"ORGANIZER:mailto:{sam.email}", f"ATTENDEE;PARTSTAT=DECLINED:mailto:{ana.email}",
    )  # fmt: skip
    moved = event(
        "w", "Sam & Ana", moved_to, f"RECURRENCE-ID;TZID=Europe/London:{stamp(second)}", *people
    )
    _put(caldav, url, "w", master, moved)
    await _sync(stack, sam, cid)

    async def followed() -> list[dict] | None:
        now = await _occurrences(stack, sam, series_id)
        done = _at(now[1]) == london(moved_to) and now[2]["status"] == "deleted"
        return now if done else None

    after = await eventually(followed)
    assert _at(after[0]) == london(monday) and after[0]["status"] == "scheduled"
    assert after[1]["planned_starts_at"] == before[1]["planned_starts_at"]
    assert _at(after[3]) == london(monday + timedelta(weeks=3))
    series = (await stack.http.get(f"/v1/series/{series_id}", headers=sam.auth)).json()
    assert series["name"] == "Sam & Ana" and series["status"] == "active"
    history = await stack.http.get(
        f"/v1/meetings/{after[1]['meeting_id']}/history", headers=sam.auth
    )
    assert "moved in the connected calendar" in [i["reason"] for i in history.json()["items"]]

    # The whole series moves to 14:00 in the calendar: Tandem's follows from the next one on.
    afternoon = monday.replace(hour=14)
    _put(caldav, url, "w", event("w", "Sam & Ana", afternoon, "RRULE:FREQ=WEEKLY", *people))
    await _sync(stack, sam, cid)

    async def retimed() -> bool:
        now = await _occurrences(stack, sam, series_id)
        return [_at(o) for o in (now[0], now[3])] == [
            london(afternoon),
            london(afternoon + timedelta(weeks=3)),
        ]

    await eventually(retimed)


async def test_k3_changes_made_in_tandem_are_written_back_to_caldav(
    stack: Stack, caldav: Radicale
) -> None:
    sam = await stack.person("supervisor", name="Sam Writer")
    ana, ben = await stack.person("agent"), await stack.person("agent")
    url = caldav.calendar("sam", PASSWORD, f"write-{sam.id[:8]}")
    monday = next_monday().replace(hour=9)
    organizer = f"ORGANIZER:mailto:{sam.email}"
    agenda = "DESCRIPTION:the agenda lives in the calendar"
    weekly = event(
        "w",
        "Weekly",
        monday,
        "RRULE:FREQ=WEEKLY",
        organizer,
        agenda,
        f"ATTENDEE:mailto:{ana.email}",
    )
    _put(caldav, url, "w", weekly)
    once = monday + timedelta(days=2, hours=4)
    _put(
        caldav, url, "o", event("o", "Career chat", once, organizer, f"ATTENDEE:mailto:{ben.email}")
    )
    cid = await _connect(stack, sam, url)
    made = await _imported(stack, sam, cid)
    series_id, meeting_id = made["w"]["series_id"], made["o"]["meeting_id"]
    await eventually(lambda: _agreed(stack, cid, "w"))
    await eventually(lambda: _agreed(stack, cid, "o"))

    # In Tandem: the series renamed, its third occurrence deleted, its second moved; the
    # one-off 1:1 moved an hour later.
    occurrences = await _occurrences(stack, sam, series_id)
    renamed = await stack.http.patch(
        f"/v1/series/{series_id}", json={"name": "Weekly, renamed in Tandem"}, headers=sam.auth
    )
    assert renamed.status_code == 200, renamed.text
    deleted = await stack.http.delete(
        f"/v1/series/{series_id}/occurrences/{occurrences[2]['meeting_id']}", headers=sam.auth
    )
    assert deleted.status_code == 200, deleted.text
    second_to = london(monday + timedelta(weeks=1, days=1, hours=2))
    once_to = london(once + timedelta(hours=1))
    for moved_id, to in ((occurrences[1]["meeting_id"], second_to), (meeting_id, once_to)):
        answer = await stack.http.post(
            f"/v1/meetings/{moved_id}/reschedule",
            json={"starts_at": to.isoformat(), "reason": "moved in Tandem"},
            headers=sam.auth,
        )
        assert answer.status_code == 200, answer.text
    await _sync(stack, sam, cid)

    def written() -> Calendar | None:
        text = caldav.get(url, "sam", PASSWORD, "w")
        return Calendar.from_ical(text) if "renamed in Tandem" in text else None

    series_copy = await eventually(written)
    master = next(e for e in series_copy.walk("VEVENT") if "RECURRENCE-ID" not in e)
    assert str(master["DESCRIPTION"]) == "the agenda lives in the calendar"  # kept
    assert int(master["SEQUENCE"]) >= 1
    # Parsed back, the calendar's occurrences are Tandem's, to the second.
    now = datetime.now(UTC)
    theirs = sorted(
        o["DTSTART"].dt.astimezone(UTC)
        for o in recurring_ical_events.of(series_copy).between(now, now + timedelta(weeks=5))
    )
    ours = sorted(
        _at(o)
        for o in await _occurrences(stack, sam, series_id)
        if o["status"] != "deleted" and _at(o) < now + timedelta(weeks=5)
    )
    assert theirs == ours
    assert london(monday + timedelta(weeks=2)) not in theirs and second_to in theirs

    def one_off_written() -> bool:
        copy = Calendar.from_ical(caldav.get(url, "sam", PASSWORD, "o"))
        start = next(iter(copy.walk("VEVENT")))["DTSTART"].dt
        return start.astimezone(UTC) == once_to

    await eventually(one_off_written)

    # Written once: the next passes find both sides agreeing and change nothing.
    version = (await stack.http.get(f"/v1/series/{series_id}", headers=sam.auth)).json()["version"]
    await eventually(lambda: _agreed(stack, cid, "w"))
    sequence = int(master["SEQUENCE"])
    await _sync(stack, sam, cid)
    await _sync(stack, sam, cid)
    again = (await stack.http.get(f"/v1/series/{series_id}", headers=sam.auth)).json()
    assert again["version"] == version and again["name"] == "Weekly, renamed in Tandem"
    copy = Calendar.from_ical(caldav.get(url, "sam", PASSWORD, "w"))
    assert int(next(iter(copy.walk("VEVENT")))["SEQUENCE"]) == sequence


async def test_k3_a_write_back_never_overwrites_a_change_made_in_the_calendar_meanwhile(
    caldav: Radicale,
) -> None:
    """If-Match: the object changed on the server since it was read, so the write is refused
    and the calendar's change stays."""
    url = caldav.calendar("sam", PASSWORD, "if-match")
    monday = next_monday().replace(hour=9)
    _put(caldav, url, "e", event("e", "First", monday))
    source = sources.Source(CalendarKind.CALDAV, url, "sam", PASSWORD)
    guard = Guard(allowed=networks("127.0.0.0/8"))
    now = datetime.now(UTC)
    read = await sources.read(guard, source, now, now + timedelta(weeks=4))
    assert read.objects and read.objects[0].etag
    caldav.put(url, "sam", PASSWORD, "e", calendar(event("e", "Changed there", monday)))
    with pytest.raises(sources.Superseded):
        await sources.write(
            guard,
            source,
            read.objects[0],
            Calendar.from_ical(calendar(event("e", "Tandem's", monday))),
        )
    assert "Changed there" in caldav.get(url, "sam", PASSWORD, "e")


def _calendar_requests() -> dict[str, float]:
    return {
        sample.labels["method"]: sample.value
        for metric in CALENDAR_REQUESTS.collect()
        for sample in metric.samples
        if sample.name.endswith("_total")
    }


async def test_k3_an_unchanged_caldav_calendar_costs_one_small_request_and_a_change_is_seen(
    caldav: Radicale,
) -> None:
    """K3 against Radicale: asked with the version it last read, an unchanged calendar costs
    one Depth: 0 PROPFIND (its ctag) and nothing more; after a change, or an object deleted,
    the next read sees it."""
    url = caldav.calendar("sam", PASSWORD, "one-request")
    monday = next_monday().replace(hour=9)
    for n in range(3):
        _put(caldav, url, f"e{n}", event(f"e{n}", f"Event {n}", monday + timedelta(days=n)))
    source = sources.Source(CalendarKind.CALDAV, url, "sam", PASSWORD)
    guard = Guard(allowed=networks("127.0.0.0/8"))
    now = datetime.now(UTC)
    window = (now, now + timedelta(weeks=4))
    first = await sources.read(guard, source, *window)
    assert first.objects is not None and len(first.objects) == 3 and first.version.etag

    before = _calendar_requests()
    again = await sources.read(guard, source, *window, known=first.version)
    after = _calendar_requests()
    assert again.objects is None and again.version == first.version
    assert {m: after[m] - before.get(m, 0) for m in after if after[m] != before.get(m, 0)} == {
        "PROPFIND": 1
    }

    later = monday + timedelta(days=1, hours=2)
    _put(caldav, url, "e1", event("e1", "Moved", later))
    changed = await sources.read(guard, source, *window, known=first.version)
    assert changed.objects is not None and changed.version != first.version
    moved = states(changed.objects, owner_zone="Europe/London")["e1"].state
    assert moved.summary == "Moved" and moved.starts_at == london(
        monday + timedelta(days=1, hours=2)
    )

    caldav.delete(url, "sam", PASSWORD, "e2")
    deleted = await sources.read(guard, source, *window, known=changed.version)
    assert deleted.objects is not None
    assert set(states(deleted.objects, owner_zone="Europe/London")) == {"e0", "e1"}


async def test_k3_this_and_following_disconnects_the_series_until_it_is_relinked(
    stack: Stack, caldav: Radicale
) -> None:
    sam = await stack.person("supervisor", name="Sam Split")
    ana = await stack.person("agent")
    url = caldav.calendar("sam", PASSWORD, f"split-{sam.id[:8]}")
    monday = next_monday().replace(hour=10)
    people = (f"ORGANIZER:mailto:{sam.email}", f"ATTENDEE:mailto:{ana.email}")
    caldav.put(
        url, "sam", PASSWORD, "w", calendar(event("w", "1:1", monday, "RRULE:FREQ=WEEKLY", *people))
    )
    cid = (await connect(stack, sam, kind="caldav", url=url, username="sam", password=PASSWORD))[
        "id"
    ]
    series_id = (await _imported(stack, sam, cid))["w"]["series_id"]
    await eventually(lambda: _agreed(stack, cid, "w"))

    # "This and following events" from the third one on, at 15:00: the event ends after the
    # second, and a new event continues it.
    until = london(monday + timedelta(weeks=1)).strftime("%Y%m%dT%H%M%SZ")
    caldav.put(
        url,
        "sam",
        PASSWORD,
        "w",
        calendar(event("w", "1:1", monday, f"RRULE:FREQ=WEEKLY;UNTIL={until}", *people)),
    )
    follow_on = (monday + timedelta(weeks=2)).replace(hour=15)
    caldav.put(
        url,
        "sam",
        PASSWORD,
        "w2",
        calendar(event("w2", "1:1 (afternoons)", follow_on, "RRULE:FREQ=WEEKLY", *people)),
    )
    await _sync(stack, sam, cid)

    async def disconnected() -> dict | None:
        items = (await stack.http.get(f"/v1/calendars/{cid}/links", headers=sam.auth)).json()[
            "items"
        ]
        found = next(i for i in items if i["uid"] == "w")
        return found if found["status"] == "disconnected" else None

    link = await eventually(disconnected)
    assert link["series_id"] == series_id and "split" in link["reason"] and "w2" in link["reason"]
    series = (await stack.http.get(f"/v1/series/{series_id}", headers=sam.auth)).json()
    assert series["status"] == "active"  # disconnected, not ended

    # Bad relinks change nothing: an unknown event (422 naming it), someone else (404).
    unknown = await stack.http.post(
        f"/v1/series/{series_id}/relink", json={"calendar_id": cid, "uid": "nope"}, headers=sam.auth
    )
    assert unknown.status_code == 422 and unknown.json()["error"]["details"]["field"] == "uid"
    other = await stack.person("supervisor")
    refused = await stack.http.post(
        f"/v1/series/{series_id}/relink", json={"calendar_id": cid, "uid": "w2"}, headers=other.auth
    )
    assert refused.status_code == 404

    relinked = await stack.http.post(
        f"/v1/series/{series_id}/relink", json={"calendar_id": cid, "uid": "w2"}, headers=sam.auth
    )
    assert relinked.status_code == 200, relinked.text
    assert relinked.json() == {"calendar_id": cid, "uid": "w2", "series_id": series_id}
    items = await _links(stack, sam, cid)
    assert [(i["uid"], i["status"]) for i in items] == [("w2", "linked")]

    async def following() -> bool:
        now = await _occurrences(stack, sam, series_id)
        return london(follow_on) in [_at(o) for o in now]

    await eventually(following)
    renamed = (await stack.http.get(f"/v1/series/{series_id}", headers=sam.auth)).json()
    assert renamed["name"] == "1:1 (afternoons)"


async def test_k3_k4_a_feed_with_thousands_of_events_and_endless_rules_is_read_only_and_followed(
    stack: Stack, tmp_path: Path
) -> None:
    sam = await stack.person("supervisor", name="Sam Busy")
    ana = await stack.person("agent")
    monday = next_monday().replace(hour=8)
    long_ago = monday - timedelta(days=800)
    busy = [
        event(
            f"old-{n}",
            f"Old {n}",
            long_ago + timedelta(hours=n),
            "ATTENDEE:mailto:x@elsewhere.example",
        )
        for n in range(2000)
    ]
    endless = [
        event("daily", "Standup", long_ago, "RRULE:FREQ=DAILY"),
        event("minutely", "Noise", long_ago, "RRULE:FREQ=MINUTELY;INTERVAL=5"),
    ]

    def publish(name: str, extra: int = 0) -> None:
        weekly = event("w", name, monday, "RRULE:FREQ=WEEKLY", f"ATTENDEE:mailto:{ana.email}")
        more = [event(f"new-{n}", "New", long_ago) for n in range(extra)]
        (tmp_path / "busy.ics").write_text(calendar(*busy, *endless, weekly, *more))

    publish("Weekly")
    with file_server(tmp_path) as base:
        made = await connect(stack, sam, kind="ics", url=f"{base}/busy.ics")
        assert made["status"] == "ok" and made["read_only"] is True
        cid = made["id"]
        series_id = (await _imported(stack, sam, cid))["w"]["series_id"]
        await eventually(lambda: _agreed(stack, cid, "w"))
        # Renamed in Tandem: an ICS feed is never written, and a later change elsewhere in the
        # feed does not undo the rename (only what changed in the calendar is followed).
        renamed = await stack.http.patch(
            f"/v1/series/{series_id}", json={"name": "Ours now"}, headers=sam.auth
        )
        assert renamed.status_code == 200, renamed.text
        version = renamed.json()["version"]
        publish("Weekly", extra=1)
        await _sync(stack, sam, cid)
        await eventually(lambda: _agreed_is(stack, cid, "w", version))
        series = (await stack.http.get(f"/v1/series/{series_id}", headers=sam.auth)).json()
        assert series["name"] == "Ours now"
        # A change of the event in the feed is followed.
        publish("Weekly, from the feed", extra=1)
        await _sync(stack, sam, cid)

        async def named() -> bool:
            got = (await stack.http.get(f"/v1/series/{series_id}", headers=sam.auth)).json()
            return got["name"] == "Weekly, from the feed"

        await eventually(named, within=30)
        state = (await stack.http.get(f"/v1/calendars/{cid}", headers=sam.auth)).json()
        assert state["status"] == "ok" and state["error"] is None


async def _links(stack: Stack, who: Person, cid: str) -> list[dict]:
    found = await stack.http.get(f"/v1/calendars/{cid}/links", headers=who.auth)
    assert found.status_code == 200, found.text
    return found.json()["items"]


async def _agreed_is(stack: Stack, cid: str, uid: str, version: int) -> bool:
    return await _agreed(stack, cid, uid) == version


def test_k3_an_object_s_uids_are_read_without_parsing_it_even_folded() -> None:
    """A pass parses only the objects of linked (or recurring) events: their UIDs are read
    from the raw text, where a long UID is folded over lines (RFC 5545 3.1)."""
    uid = "a-very-long-uid-" + "x" * 90 + "@calendar.example"
    folded = Calendar.from_ical(calendar(event(uid, "Long", next_monday()))).to_ical()
    assert b"\r\n " in folded.split(b"UID:", 1)[1].split(b"\r\nSUMMARY", 1)[0]
    stored = sources.Stored(folded)
    assert stored.uids == {uid} and not stored.recurring
    weekly = sources.Stored(calendar(event("w", "W", next_monday(), "RRULE:FREQ=WEEKLY")).encode())
    assert weekly.uids == {"w"} and weekly.recurring


LONDON_ZONE = """BEGIN:VTIMEZONE
TZID:Europe/London
BEGIN:STANDARD
DTSTART:19701025T020000
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10
TZOFFSETFROM:+0100
TZOFFSETTO:+0000
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:19700329T010000
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3
TZOFFSETFROM:+0000
TZOFFSETTO:+0100
END:DAYLIGHT
END:VTIMEZONE"""


def test_k3_a_time_zone_s_rules_do_not_make_an_event_recurring() -> None:
    """Servers add a VTIMEZONE, with its daylight-saving rules, to every zoned object (Radicale
    does): only an event's own RRULE makes it one a pass must parse."""
    once = sources.Stored(calendar(LONDON_ZONE, event("o", "O", next_monday())).encode())
    assert once.uids == {"o"} and not once.recurring
    weekly = calendar(LONDON_ZONE, event("w", "W", next_monday(), "RRULE:FREQ=WEEKLY"))
    assert sources.Stored(weekly.encode()).recurring


def test_k3_an_unchanged_object_is_not_parsed_again_at_the_next_pass() -> None:
    """What a pass reads from an object it read before (same content, same owner's zone) is
    kept, not parsed again; a changed object, or another zone, is read afresh."""
    text = calendar(LONDON_ZONE, event("k", "Kept", next_monday(), "RRULE:FREQ=WEEKLY"))
    first = states([sources.Stored(text.encode())], owner_zone="Europe/London")["k"]
    again = sources.Stored(text.encode(), "http://dav.example/k.ics", '"2"')
    found = states([again], owner_zone="Europe/London")["k"]
    assert found.state == first.state and found.stored is again
    assert "calendar" not in again.__dict__  # never parsed
    renamed = sources.Stored(text.replace("Kept", "Renamed").encode())
    assert states([renamed], owner_zone="Europe/London")["k"].state.summary == "Renamed"
    elsewhere = states([sources.Stored(text.encode())], owner_zone="America/New_York")["k"]
    assert elsewhere.state.summary == "Kept"


def test_k3_what_is_kept_of_read_objects_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """At most KEPT_STATES states are kept, least recently read out first; a whole feed (more
    than a hundredth of that in one object) is read every time, never kept."""
    monkeypatch.setattr(kept, "KEPT_STATES", 1_000)
    monday = next_monday()
    feed = calendar(*(event(f"f{n}", f"F {n}", monday + timedelta(hours=n)) for n in range(20)))
    assert len(states([sources.Stored(feed.encode())], owner_zone="UTC")) == 20
    again = sources.Stored(feed.encode())
    states([again], owner_zone="UTC")
    assert "calendar" in again.__dict__  # parsed again: not kept
    for n in range(1_500):
        one = calendar(event(f"bound-{n}", "B", monday))
        states([sources.Stored(one.encode())], owner_zone="UTC")
    assert kept._kept_count <= 1_000 and len(kept._kept) <= 1_000
