"""Editing a series (SPEC S1 wall-clock anchoring, S3 edits apply from the next occurrence)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from tandem.domain.series import Segment, Series, SeriesChanges, edited

NEW_YORK = "America/New_York"
LONDON = "Europe/London"


def utc(*fields: int) -> datetime:
    return datetime(*fields, tzinfo=UTC)


def weekly(first_start: datetime, zone: str, recurrence: str = "weekly") -> Series:
    return Series(
        id="series-1",
        facilitator_id="f",
        participant_id="p",
        name="1:1",
        segments=[
            Segment(
                first_index=0,
                starts_at=first_start,
                duration_minutes=30,
                timezone=zone,
                recurrence=recurrence,
            )
        ],
        created_by="f",
        created_at=utc(2026, 1, 1),
    )


def wall_times(series: Series, start: datetime, weeks: int) -> list[tuple[datetime, int]]:
    """(local start without zone, duration) of each occurrence in ``weeks`` weeks from ``start``."""
    found = series.planned(start, start + timedelta(weeks=weeks))
    return [(o.local_start.replace(tzinfo=None), o.duration_minutes) for o in found]


# 8 Mar 2026: New York springs forward 02:00 EST -> 03:00 EDT; 02:30 does not exist that day.
NY_SUNDAY_0230 = datetime(2026, 2, 22, 2, 30, tzinfo=ZoneInfo(NEW_YORK))
BEFORE_GAP_WEEK = utc(2026, 3, 2)  # after Sunday 1 Mar, so the next occurrence is 8 Mar


@pytest.mark.parametrize(
    "changes",
    [
        SeriesChanges(duration_minutes=45),
        SeriesChanges(recurrence="RRULE:FREQ=WEEKLY;BYDAY=SU"),
        SeriesChanges(timezone=NEW_YORK, duration_minutes=45),
    ],
    ids=["duration", "rule", "same-zone"],
)
def test_s1_edit_while_next_occurrence_is_gap_shifted_keeps_0230(changes: SeriesChanges) -> None:
    """S1: an edit made while the next occurrence is gap-shifted (02:30 -> 03:30 on the
    spring-forward day) must not re-anchor the series on 03:30: the gap day is shifted per
    RFC 5545, and every later occurrence is at the series' own 02:30 again."""
    series = weekly(NY_SUNDAY_0230, NEW_YORK)
    assert series.next_after(BEFORE_GAP_WEEK).local_start.time() == time(3, 30)

    changed = edited(series, changes, BEFORE_GAP_WEEK)

    duration = changes.duration_minutes or 30
    gap_day, *later = wall_times(changed, BEFORE_GAP_WEEK, 10)
    assert gap_day == (datetime(2026, 3, 8, 3, 30), duration)
    assert changed.next_after(BEFORE_GAP_WEEK).starts_at == utc(2026, 3, 8, 7, 30)
    assert len(later) == 9
    assert all(at.time() == time(2, 30) and minutes == duration for at, minutes in later)
    assert later[0][0] == datetime(2026, 3, 15, 2, 30)
    # Occurrences before the edit keep their plan.
    assert wall_times(changed, utc(2026, 2, 20), 1) == [(datetime(2026, 2, 22, 2, 30), 30)]


def test_s1_gap_shifted_anchor_survives_a_round_trip_and_a_later_edit() -> None:
    """S1: the series is stored and sent to Temporal as JSON; its 02:30 must come back, and a
    second edit weeks later (next occurrence not shifted) still anchors on 02:30."""
    changed = edited(
        original := weekly(NY_SUNDAY_0230, NEW_YORK),
        SeriesChanges(duration_minutes=45),
        BEFORE_GAP_WEEK,
    )
    assert original.current.wall_start is None  # an ordinary anchor stores nothing extra
    restored = Series.model_validate_json(changed.model_dump_json())
    assert restored == changed
    assert wall_times(restored, BEFORE_GAP_WEEK, 3) == wall_times(changed, BEFORE_GAP_WEEK, 3)

    again = edited(restored, SeriesChanges(duration_minutes=60), utc(2026, 3, 20))
    assert [at.time() for at, _ in wall_times(again, utc(2026, 3, 20), 8)] == [time(2, 30)] * 8


def test_s1_zone_change_onto_a_gap_day_keeps_the_wall_time() -> None:
    """S1: moving a 02:30 London series to New York with its next occurrence on New York's
    spring-forward day gives 03:30 that day and 02:30 New York time afterwards."""
    series = weekly(datetime(2026, 2, 22, 2, 30, tzinfo=ZoneInfo(LONDON)), LONDON)
    changed = edited(series, SeriesChanges(timezone=NEW_YORK), BEFORE_GAP_WEEK)
    gap_day, *later = wall_times(changed, BEFORE_GAP_WEEK, 6)
    assert gap_day == (datetime(2026, 3, 8, 3, 30), 30)
    assert [at.time() for at, _ in later] == [time(2, 30)] * 5
    assert changed.current.timezone == NEW_YORK


def test_s1_london_gap_edit_keeps_0130() -> None:
    """S1: London's gap is 01:00-02:00 (29 Mar 2026); a 01:30 series edited that week is at
    02:30 BST on the day and 01:30 from 5 Apr on."""
    series = weekly(datetime(2026, 3, 1, 1, 30, tzinfo=ZoneInfo(LONDON)), LONDON)
    now = utc(2026, 3, 23)
    changed = edited(series, SeriesChanges(duration_minutes=50), now)
    assert wall_times(changed, now, 3) == [
        (datetime(2026, 3, 29, 2, 30), 50),
        (datetime(2026, 4, 5, 1, 30), 50),
        (datetime(2026, 4, 12, 1, 30), 50),
    ]


def test_s3_edit_with_new_start_time_is_taken_as_given() -> None:
    """S3: an explicit new start is an instant and anchors the series on its own wall time."""
    series = weekly(NY_SUNDAY_0230, NEW_YORK)
    new_start = datetime(2026, 3, 10, 9, 0, tzinfo=ZoneInfo(NEW_YORK))
    changed = edited(series, SeriesChanges(starts_at=new_start), BEFORE_GAP_WEEK)
    assert changed.current.wall_start is None
    assert [at.time() for at, _ in wall_times(changed, BEFORE_GAP_WEEK, 5)] == [time(9, 0)] * 4


def test_s1_edit_keeps_a_first_start_at_the_second_0130() -> None:
    """S1: a series whose first start is the second 01:30 of a fall-back night (EST) and is
    edited before it happens still starts at that instant, not an hour earlier."""
    second = datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=ZoneInfo(NEW_YORK))
    series = weekly(second, NEW_YORK)
    changed = edited(series, SeriesChanges(duration_minutes=45), utc(2026, 10, 20))
    assert changed.next_after(utc(2026, 10, 20)).starts_at == utc(2026, 11, 1, 6, 30)
    assert changed.current.wall_start is None


def test_s1_a_wall_start_that_exists_is_refused() -> None:
    """S1: ``wall_start`` only names a time a gap skipped; anything else would be a second,
    contradicting start time."""
    with pytest.raises(ValueError, match="wall_start"):
        Segment(
            first_index=0,
            starts_at=utc(2026, 3, 15, 6, 30),
            duration_minutes=30,
            timezone=NEW_YORK,
            recurrence="weekly",
            wall_start=datetime(2026, 3, 15, 2, 30),
        )
