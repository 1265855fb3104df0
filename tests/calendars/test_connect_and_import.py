"""Connected calendars (SPEC K1, K2): a real Radicale (CalDAV, passwords) and ICS feeds over
HTTP on loopback; the API over HTTP. Credentials sealed and never shown; addresses inside
private networks refused, also behind a redirect; candidates and their import as series and
1:1s, with S2 holding."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from tandem.store.schema import CalendarConnectionRow
from tests.calendars.ics import calendar, connect, event, next_monday
from tests.calendars.servers import ANSWERED, Radicale, file_server, radicale
from tests.support import Person, Stack, eventually

PASSWORD = "s3cret-calendar-pass"


@pytest.fixture(scope="module")
def caldav(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Radicale]:
    with radicale(tmp_path_factory.mktemp("radicale"), {"sam": PASSWORD}) as server:
        yield server


@pytest.fixture(scope="module")
def feeds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    folder = tmp_path_factory.mktemp("feeds")
    with file_server(folder) as url:
        yield folder, url


async def test_k1_k2_a_caldav_calendar_is_connected_and_its_1_1s_imported(
    stack: Stack, caldav: Radicale
) -> None:
    sam = await stack.person("supervisor", name="Sam Calendar")
    ana, ben = await stack.person("agent"), await stack.person("agent")
    outsider_email = "someone@elsewhere.example"
    monday = next_monday().replace(hour=10)
    url = caldav.calendar("sam", PASSWORD, f"work-{sam.id[:8]}")
    organizer = f"ORGANIZER:mailto:{sam.email}"
    for uid, ics in {
        "weekly-ana": event(
            "weekly-ana", "Sam / Ana", monday, "RRULE:FREQ=WEEKLY", organizer,
            f"ATTENDEE:mailto:{ana.email.upper()}",  # matched whatever the case
        ),
        "once-ben": event(
            "once-ben", "Career chat", monday + timedelta(days=2, hours=3), organizer,
            f"ATTENDEE:mailto:{ben.email}",
        ),
        "group": event(
            "group", "Team", monday + timedelta(hours=2), "RRULE:FREQ=WEEKLY;INTERVAL=2",
            organizer, f"ATTENDEE:mailto:{ana.email}", f"ATTENDEE:mailto:{ben.email}",
        ),
        "stranger": event(
            "stranger", "Vendor", monday + timedelta(days=1), organizer,
            f"ATTENDEE:mailto:{outsider_email}",
        ),
        "standup": event("standup", "Standup", monday, "RRULE:FREQ=DAILY", organizer),
    }.items():  # fmt: skip
        caldav.put(url, "sam", PASSWORD, uid, calendar(ics))

    connection = await connect(
        stack, sam, kind="caldav", url=url, username="sam", password=PASSWORD, name="Work"
    )
    assert connection["status"] == "ok" and connection["error"] is None
    assert connection["read_only"] is False and connection["name"] == "Work"
    assert PASSWORD not in str(connection)
    listed = (await stack.http.get("/v1/calendars", headers=sam.auth)).json()["items"]
    assert [c["id"] for c in listed] == [connection["id"]] and PASSWORD not in str(listed)
    # K1: the password is sealed at rest.
    sealed = await stack.db.read(
        lambda s: s.scalar(
            select(CalendarConnectionRow.sealed_password).where(
                CalendarConnectionRow.id == connection["id"]
            )
        )
    )
    assert sealed and PASSWORD.encode() not in sealed

    found = await stack.http.get(f"/v1/calendars/{connection['id']}/candidates", headers=sam.auth)
    assert found.status_code == 200, found.text
    body = found.json()
    by_uid = {c["uid"]: c for c in body["items"]}
    assert set(by_uid) == {"weekly-ana", "once-ben"}
    weekly = by_uid["weekly-ana"]
    assert weekly["recurrence"] == "weekly" and weekly["other_user_id"] == ana.id
    assert weekly["timezone"] == "Europe/London" and weekly["duration_minutes"] == 30
    assert by_uid["once-ben"]["recurrence"] is None
    reasons = {s["uid"]: s["reason"] for s in body["skipped"]}
    assert reasons["group"] == "it has 2 other people, not one"
    assert reasons["stranger"] == f"{outsider_email} is not a Tandem user"
    assert reasons["standup"].startswith("it repeats daily, and Tandem 1:1s are weekly")

    ids = [weekly["id"], by_uid["once-ben"]["id"]]
    imported = await stack.http.post(
        f"/v1/calendars/{connection['id']}/import", json={"candidate_ids": ids}, headers=sam.auth
    )
    assert imported.status_code == 200, imported.text
    made = {i["candidate_id"]: i for i in imported.json()["items"]}
    series_id, meeting_id = made[weekly["id"]]["series_id"], made[ids[1]]["meeting_id"]
    series = (await stack.http.get(f"/v1/series/{series_id}", headers=ana.auth)).json()
    assert series["facilitator_id"] == sam.id and series["recurrence"] == "weekly"
    assert series["name"] == "Sam / Ana" and series["timezone"] == "Europe/London"
    meeting = (await stack.http.get(f"/v1/meetings/{meeting_id}", headers=ben.auth)).json()
    assert meeting["name"] == "Career chat" and meeting["facilitator_id"] == sam.id
    # Imported events are not offered again.
    again = (
        await stack.http.get(f"/v1/calendars/{connection['id']}/candidates", headers=sam.auth)
    ).json()
    assert again["items"] == []
    assert {s["uid"]: s["reason"] for s in again["skipped"]}["weekly-ana"] == "already imported"

    # A3: someone else's calendar does not exist for them.
    other = await stack.person("supervisor")
    for method, path in (
        ("GET", f"/v1/calendars/{connection['id']}/candidates"),
        ("DELETE", f"/v1/calendars/{connection['id']}"),
    ):
        assert (await stack.http.request(method, path, headers=other.auth)).status_code == 404
    gone = await stack.http.delete(f"/v1/calendars/{connection['id']}", headers=sam.auth)
    assert gone.status_code == 204
    assert (await stack.http.get("/v1/calendars", headers=sam.auth)).json()["items"] == []


async def test_k2_s2_a_pair_with_a_series_is_refused_and_nothing_is_imported(
    stack: Stack, feeds: tuple[Path, str]
) -> None:
    folder, base = feeds
    sam, ana = await stack.person("supervisor"), await stack.person("agent")
    ben = await stack.person("agent")
    existing = await stack.series(sam, ana)
    monday = next_monday().replace(hour=14)
    (folder / f"{sam.id}.ics").write_text(
        calendar(
            event("again", "Sam / Ana again", monday, "RRULE:FREQ=WEEKLY;INTERVAL=2",
                   f"ATTENDEE:mailto:{ana.email}"),
            event("ben", "Sam / Ben", monday + timedelta(hours=1), "RRULE:FREQ=MONTHLY",
                   f"ATTENDEE:mailto:{ben.email}"),
        )
    )  # fmt: skip
    connection = await connect(stack, sam, kind="ics", url=f"{base}/{sam.id}.ics")
    assert connection["status"] == "ok" and connection["read_only"] is True
    items = (
        await stack.http.get(f"/v1/calendars/{connection['id']}/candidates", headers=sam.auth)
    ).json()["items"]
    assert {c["recurrence"] for c in items} == {"biweekly", "monthly"}
    refused = await stack.http.post(
        f"/v1/calendars/{connection['id']}/import",
        json={"candidate_ids": [c["id"] for c in items]},
        headers=sam.auth,
    )
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"]["details"]["series_id"] == existing["id"]
    # Nothing half-way: Ben's monthly 1:1 was not imported either.
    mine = (await stack.http.get("/v1/series", headers=ben.auth)).json()["items"]
    assert mine == []
    unknown = await stack.http.post(
        f"/v1/calendars/{connection['id']}/import",
        json={"candidate_ids": ["nope"]},
        headers=sam.auth,
    )
    assert unknown.status_code == 422
    assert unknown.json()["error"]["details"]["field"] == "candidate_ids"


async def test_k1_k4_private_addresses_bad_passwords_and_big_calendars(
    stack: Stack, caldav: Radicale, feeds: tuple[Path, str]
) -> None:
    folder, base = feeds
    sam = await stack.person("supervisor")
    for url in (
        "http://169.254.169.254/latest/meta-data",  # cloud metadata
        "http://10.1.2.3/calendar.ics",
        "http://[::1]:1/x.ics",  # loopback, but IPv6 is not in the allowed networks
        "file:///etc/passwd",
        "ftp://example.com/x.ics",
    ):
        refused = await stack.http.post(
            "/v1/calendars", json={"kind": "ics", "url": url}, headers=sam.auth
        )
        assert refused.status_code == 422, (url, refused.text)
        assert refused.json()["error"]["details"]["field"] == "url"
    assert (await stack.http.get("/v1/calendars", headers=sam.auth)).json()["items"] == []

    # A public-looking start that redirects inside: refused at the redirect.
    behind = await connect(
        stack, sam, kind="ics", url=f"{base}/redirect?to=http://169.254.169.254/latest"
    )
    assert behind["status"] == "error" and "private network" in behind["error"]

    wrong = await connect(
        stack, sam, kind="caldav", url=f"{caldav.url}/sam/", username="sam", password="wrong"
    )
    assert wrong["status"] == "error"
    assert wrong["error"] == "the calendar server refused the username or password (401)"

    (folder / "big.ics").write_bytes(b"X" * (stack.settings.calendar_max_bytes + 1))
    big = await connect(stack, sam, kind="ics", url=f"{base}/big.ics")
    assert big["status"] == "error" and "larger than" in big["error"]
    (folder / "broken.ics").write_text("this is not a calendar")
    broken = await connect(stack, sam, kind="ics", url=f"{base}/broken.ics")
    assert broken["status"] == "error" and "not valid iCalendar" in broken["error"]
    failing = await stack.http.get(f"/v1/calendars/{broken['id']}/candidates", headers=sam.auth)
    assert failing.status_code == 409 and "not valid iCalendar" in failing.text
    # O2: counted where ops look.
    metrics = (await stack.http.get("/metrics")).text
    assert 'tandem_import_failures_total{error="Conflict",source="calendar"}' in metrics


async def test_k3_k4_changes_in_the_calendar_reach_tandem_and_an_outage_is_told_once(
    stack: Stack, feeds: tuple[Path, str]
) -> None:
    folder, base = feeds
    sam = await stack.person("supervisor", name="Sam Sync")
    ana, ben = await stack.person("agent"), await stack.person("agent")
    monday = next_monday().replace(hour=9)
    feed = folder / f"sync-{sam.id}.ics"

    def publish(weekly_name: str, one_off_start: datetime, with_one_off: bool = True) -> None:
        events = [
            event("w", weekly_name, monday, "RRULE:FREQ=WEEKLY", f"ATTENDEE:mailto:{ana.email}")
        ]
        if with_one_off:
            events.append(event("o", "Catch-up", one_off_start, f"ATTENDEE:mailto:{ben.email}"))
        feed.write_text(calendar(*events))

    first = monday + timedelta(days=1, hours=2)
    publish("Weekly 1:1", first)
    connection = await connect(stack, sam, kind="ics", url=f"{base}/{feed.name}")
    cid = connection["id"]
    items = (await stack.http.get(f"/v1/calendars/{cid}/candidates", headers=sam.auth)).json()
    made = (
        await stack.http.post(
            f"/v1/calendars/{cid}/import",
            json={"candidate_ids": [c["id"] for c in items["items"]]},
            headers=sam.auth,
        )
    ).json()["items"]
    series_id = next(i["series_id"] for i in made if i["series_id"])
    meeting_id = next(i["meeting_id"] for i in made if i["meeting_id"])

    def passes() -> int:
        """Each pass asks the feed once: what the feed's server answered tells them."""
        return sum(path == f"/{feed.name}" for path, _ in ANSWERED)

    async def connection_now(status: str) -> dict | None:
        items = (await stack.http.get("/v1/calendars", headers=sam.auth)).json()["items"]
        found = next(c for c in items if c["id"] == cid)
        return found if found["status"] == status else None

    async def sync(status: str = "ok") -> dict:
        """One more pass, asked for over the API: the connection once it shows ``status``."""
        before = passes()
        asked = await stack.http.post(f"/v1/calendars/{cid}/sync", headers=sam.auth)
        assert asked.status_code == 202, asked.text
        await eventually(lambda: passes() > before)
        return await eventually(lambda: connection_now(status))

    # K3: renamed and moved in the calendar, so in Tandem, through the normal changes.
    later = first + timedelta(days=1)
    publish("Weekly sync", later)
    state = await sync()
    assert state["status"] == "ok"
    # K3: an unchanged feed costs one conditional request, answered 304.
    publish("Weekly sync", later)  # the same content, written again
    await asyncio.sleep(1.1)  # Last-Modified counts seconds: only an older one tells apart
    await sync()  # reads it whole, and keeps its Last-Modified
    await sync()
    assert (f"/{feed.name}", 304) in ANSWERED
    await eventually(lambda: _named(stack, sam, f"/v1/series/{series_id}", "Weekly sync"))
    moved = (await stack.http.get(f"/v1/meetings/{meeting_id}", headers=sam.auth)).json()
    assert datetime.fromisoformat(moved["starts_at"]) == later
    history = (await stack.http.get(f"/v1/meetings/{meeting_id}/history", headers=sam.auth)).json()
    assert "moved in the connected calendar" in [i["reason"] for i in history["items"]]

    # K4: the feed goes away: flagged, told once, nothing else touched.
    feed.unlink()
    failed = await sync("error")
    assert "404" in failed["error"]
    await sync("error")
    told = await stack.notifications(sam, "calendar_unreachable")
    assert len(told) == 1 and "cannot read your calendar" in told[0]["subject"]
    still = (await stack.http.get(f"/v1/meetings/{meeting_id}", headers=sam.auth)).json()
    assert still["status"] == "scheduled"

    # Back: sync resumes by itself; an event deleted in the calendar is cancelled in Tandem.
    publish("Weekly sync", later, with_one_off=False)
    back = await sync("ok")
    assert back["error"] is None
    cancelled = await eventually(
        lambda: _status(stack, sam, f"/v1/meetings/{meeting_id}", "cancelled")
    )
    assert cancelled


async def _named(stack: Stack, who: Person, path: str, name: str) -> bool:
    return (await stack.http.get(path, headers=who.auth)).json()["name"] == name


async def _status(stack: Stack, who: Person, path: str, status: str) -> bool:
    return (await stack.http.get(path, headers=who.auth)).json()["status"] == status
