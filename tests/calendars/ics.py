"""iCalendar text and connections as the calendar tests write them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.support import Person, Stack


def next_monday() -> datetime:
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return today + timedelta(days=7 - today.weekday())


def event(uid: str, summary: str, start: datetime, *lines: str, zone: str = "Europe/London") -> str:
    local = start.strftime("%Y%m%dT%H%M%S")
    end = (start + timedelta(minutes=30)).strftime("%Y%m%dT%H%M%S")
    return "\n".join(
        [
            "BEGIN:VEVENT",
            f"UID:{uid}",
            f"SUMMARY:{summary}",
            f"DTSTAMP:{datetime.now(UTC):%Y%m%dT%H%M%SZ}",
            f"DTSTART;TZID={zone}:{local}",
            f"DTEND;TZID={zone}:{end}",
            *lines,
            "END:VEVENT",
        ]
    )


def calendar(*events: str) -> str:
    return (
        "\n".join(
            [
                "BEGIN:VCALENDAR",
                "VERSION:2.0",
                "PRODID:-//Tandem tests//EN",
                *events,
                "END:VCALENDAR",
            ]
        ).replace("\n", "\r\n")
        + "\r\n"
    )


async def connect(stack: Stack, who: Person, **body: str) -> dict:
    made = await stack.http.post("/v1/calendars", json=body, headers=who.auth)
    assert made.status_code == 201, made.text
    return made.json()
