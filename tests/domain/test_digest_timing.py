"""When weekly digests fall due (SPEC N4): Sunday 18:00 in each person's own zone."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import example, given, settings
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
# St John's leaves DST on the next Sunday: that local week is 7 days and an hour.
@example(datetime(2025, 10, 26, 20, 30, tzinfo=UTC))
# London's clocks go forward on 2028-03-26: the span's fourth Sunday 18:00 is its last instant.
@example(datetime(2028, 3, 12, 17, 0, tzinfo=UTC))
def test_n4_every_zone_falls_due_once_a_week_at_sunday_1800_local(moment: datetime) -> None:
    zones = {
        "Europe/London",
        "Asia/Kolkata",
        "Asia/Kathmandu",
        "Pacific/Kiritimati",
        "Pacific/Pago_Pago",
        "America/St_Johns",
    }
    # Three weeks of ticks from any moment. A local week is 7 days give or take the hour a DST
    # change adds or takes, so "once in any 7 days" is not the rule: this is.
    handled, seen = moment, []
    while (tick := next_tick(handled)) <= moment + timedelta(days=21):
        seen += due_weeks(zones, handled, tick)
        handled = tick
    week_lengths = (timedelta(days=7), timedelta(days=7, hours=1), timedelta(days=6, hours=23))
    for name in zones:
        weeks = [w for w in seen if w.timezone == name]
        assert moment < weeks[0].send_at <= moment + timedelta(days=7, hours=1), name
        # Exactly the zone's Sunday 18:00s up to the last tick: usually 3, 2 when the third
        # falls due just after it, 4 when the clocks going forward bring a fourth to its very
        # end (18:00 on 2028-04-02 in London is 21 days after 17:00 UTC on 2028-03-12).
        assert [w.send_at for w in weeks] == _sundays_at_six(name, moment, handled), name
        for week in weeks:
            local = week.send_at.astimezone(ZoneInfo(name))
            assert (local.weekday(), local.hour, local.minute) == (6, 18, 0)
            assert week.end - week.start in week_lengths
        for earlier, later in itertools.pairwise(weeks):
            assert later.start == earlier.end  # every day is in exactly one digest
            assert later.send_at - earlier.send_at in week_lengths


def _sundays_at_six(name: str, after: datetime, until: datetime) -> list[datetime]:
    """Every Sunday 18:00 in zone ``name`` in (after, until], counted on the local calendar."""
    tz, found = ZoneInfo(name), []
    day = after.astimezone(tz).date() - timedelta(days=1)
    while (send := datetime.combine(day, time(18), tzinfo=tz).astimezone(UTC)) <= until:
        if day.weekday() == 6 and send > after:
            found.append(send)
        day += timedelta(days=1)
    return found


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
