"""When weekly digests fall due (SPEC N4): Sunday 18:00 in each person's own zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from tandem.domain.digest import TICK, due_weeks, next_tick, window_closes

SATURDAY = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def test_n4_ticks_only_while_it_is_sunday_evening_somewhere() -> None:
    first = next_tick(SATURDAY)
    assert first == datetime(2026, 11, 22, 4, 0, tzinfo=UTC)  # Sunday 18:00 in UTC+14
    ticks = [first]
    while not window_closes(ticks[-1]):
        ticks.append(next_tick(ticks[-1]))
    assert ticks[-1] == datetime(2026, 11, 23, 6, 0, tzinfo=UTC)  # Sunday 18:00 in UTC-12
    assert len(ticks) == 26 * 4 + 1
    assert next_tick(ticks[-1]) == datetime(2026, 11, 29, 4, 0, tzinfo=UTC)


@settings(max_examples=200, deadline=None)
@given(
    st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2030, 1, 1)).map(
        lambda d: d.replace(tzinfo=UTC)
    )
)
def test_n4_every_zone_falls_due_exactly_once_a_week(moment: datetime) -> None:
    zones = {
        "Europe/London",
        "Asia/Kolkata",
        "Asia/Kathmandu",
        "Pacific/Kiritimati",
        "Pacific/Pago_Pago",
        "America/St_Johns",
    }
    # Over any week, (moment, moment + 7 days], each zone falls due once.
    handled, seen = moment, []
    while (tick := next_tick(handled)) <= moment + timedelta(days=7):
        seen += due_weeks(zones, handled, tick)
        handled = tick
    assert sorted(w.timezone for w in seen) == sorted(zones)
    for week in seen:
        local = week.send_at.astimezone(ZoneInfo(week.timezone))
        assert (local.weekday(), local.hour, local.minute) == (6, 18, 0)
        assert week.end - week.start in (
            timedelta(days=7),
            timedelta(days=7, hours=1),
            timedelta(days=6, hours=23),
        )


def test_n4_the_week_is_monday_to_sunday_in_the_recipients_zone() -> None:
    [week] = due_weeks(
        {"Asia/Kolkata"},
        datetime(2026, 11, 22, 12, 0, tzinfo=UTC),
        datetime(2026, 11, 22, 12, 30, tzinfo=UTC),
    )
    assert week.send_at == datetime(2026, 11, 22, 12, 30, tzinfo=UTC)  # 18:00 IST
    assert week.start == datetime(2026, 11, 15, 18, 30, tzinfo=UTC)  # Monday 00:00 IST
    assert week.end == datetime(2026, 11, 22, 18, 30, tzinfo=UTC)
    assert due_weeks({"Asia/Kolkata"}, week.send_at, week.send_at + TICK) == []
