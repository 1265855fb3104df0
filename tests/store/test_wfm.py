"""WFM data in the database (SPEC W1, read by W3/W4, re-checked by W7), on SQLite and PostgreSQL.

What the slot finder reads (``schedules_for``, ``staffing_for``): who is a WFM person, empty
shifts, items overlapping the range returned whole, in two queries. What an import does: replace
the business unit's week(s), report the range and the agents whose availability changed, keep
time zones straight across DST, and refuse bad data with nothing changed. Also the terminal import
(``tandem wfm import``) and the demo generator.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event

from tandem.cli.demo_wfm import demo_schedule, demo_staffing, load_demo
from tandem.cli.wfm_import import import_file
from tandem.domain.errors import Conflict, Invalid
from tandem.domain.wfm import StaffingInterval
from tandem.settings import Settings
from tandem.solver import to_minutes
from tandem.store import wfm
from tandem.store.db import Database
from tests.support import add_person

LONDON = "Europe/London"
WEEK = date(2031, 3, 3)  # a Monday; London is on GMT all week
NOW = datetime(2031, 2, 1, tzinfo=UTC)


def local(day: date, hour: int, minute: int = 0, tz: str = LONDON, fold: int = 0) -> str:
    return (
        datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(tz))
        .replace(fold=fold)
        .isoformat()
    )


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def minutes(text: str) -> int:
    """What the slot finder's reads answer: minutes since the epoch, UTC."""
    return to_minutes(datetime.fromisoformat(text))


def shift(day: date, start: int, end: int, *activities: dict[str, Any]) -> dict[str, Any]:
    return {
        "starts_at": local(day, start),
        "ends_at": local(day, end),
        "activities": list(activities),
    }


def activity(
    day: date, start: tuple[int, int], end: tuple[int, int], category: str, **flags: Any
) -> dict:
    return {
        "starts_at": local(day, *start),
        "ends_at": local(day, *end),
        "category": category,
        **flags,
    }


def working_day(day: date) -> dict[str, Any]:
    """09:00-17:00 on queue, with a break and a meal on top (overlapping activities are fine)."""
    return shift(
        day,
        9,
        17,
        activity(day, (9, 0), (17, 0), "on_queue"),
        activity(day, (11, 0), (11, 15), "break"),
        activity(day, (13, 0), (13, 30), "meal", paid=False),
    )


def week_of(agent_id: str, week: date = WEEK, days: int = 5) -> dict[str, Any]:
    return {
        "agent_id": agent_id,
        "shifts": [working_day(week + timedelta(days=d)) for d in range(days)],
    }


def schedule(unit: str, *agents: dict[str, Any], tz: str = LONDON, **extra: Any) -> dict:
    return {"business_unit": unit, "timezone": tz, "agents": list(agents), **extra}


def unit_name() -> str:
    return f"bu-{uuid.uuid4().hex[:8]}"


def replace(db: Database, data: dict[str, Any]) -> wfm.ScheduleImported:
    with db.writing() as session:
        return wfm.replace_schedule(session, data, NOW)


def read(db: Database, ids: list[str], start: datetime, end: datetime) -> dict:
    with db.reading() as session:
        return wfm.schedules_for(session, ids, start, end)


def whole_week(week: date = WEEK) -> tuple[datetime, datetime]:
    return utc(local(week, 0)), utc(local(week + timedelta(days=7), 0))


# -- schedules_for ---------------------------------------------------------------------------


async def test_w1_w3_who_is_a_wfm_person_and_empty_shifts(db: Database) -> None:
    """In the result iff in a business unit with an imported week overlapping the range; a
    member left out of the import has WFM data with no shift (never available, W3)."""
    ana, ben, cleo, dev = [await add_person(db, "agent") for _ in range(4)]
    unit, other = unit_name(), unit_name()
    replace(db, schedule(unit, week_of(ana.id), {"agent_id": ben.id, "shifts": []}))
    # dev's unit has a schedule, but for a later week only.
    replace(db, schedule(other, week_of(dev.id, WEEK + timedelta(weeks=2))))

    start, end = whole_week()
    found = read(db, [ana.id, ben.id, cleo.id, dev.id], start, end)
    assert set(found) == {ana.id, ben.id}
    assert found[ben.id].shifts == [] and found[ben.id].activities == []
    assert found[ben.id].business_unit == unit and found[ben.id].timezone == LONDON
    assert found[ana.id].weeks == [(start, end)]
    assert len(found[ana.id].shifts) == 5 and len(found[ana.id].activities) == 15
    assert found[ana.id].shifts == sorted(found[ana.id].shifts)
    assert found[ana.id].shifts[0] == (minutes(local(WEEK, 9)), minutes(local(WEEK, 17)))

    # No imported week overlaps: nobody is a WFM person there.
    later = read(db, [ana.id, ben.id], end + timedelta(weeks=4), end + timedelta(weeks=5))
    assert later == {}
    assert read(db, [], start, end) == {}
    assert read(db, [cleo.id], start, end) == {}


async def test_w1_w3_items_overlapping_the_range_come_whole_in_two_queries(db: Database) -> None:
    ana = await add_person(db, "agent")
    unit = unit_name()
    tuesday, wednesday = WEEK + timedelta(days=1), WEEK + timedelta(days=2)
    night = shift(
        tuesday,
        22,
        23,
        activity(tuesday, (22, 0), (23, 0), "on_queue"),
    )
    night["ends_at"] = local(wednesday, 6)  # 22:00 Tuesday to 06:00 Wednesday
    night["activities"].append(activity(wednesday, (5, 0), (6, 0), "training"))
    data = schedule(
        unit,
        {
            "agent_id": ana.id,
            "shifts": [
                working_day(WEEK),
                working_day(tuesday),
                night,
                working_day(WEEK + timedelta(days=3)),
            ],
        },
    )
    replace(db, data)

    start, end = utc(local(tuesday, 12)), utc(local(wednesday, 5, 30))
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    event.listen(db.reader, "before_cursor_execute", count)
    try:
        found = read(db, [ana.id], start, end)[ana.id]
    finally:
        event.remove(db.reader, "before_cursor_execute", count)
    assert len(statements) == 2, statements

    # Tuesday's day shift and the night shift, whole; Monday and Thursday are outside.
    assert found.shifts == [
        (minutes(local(tuesday, 9)), minutes(local(tuesday, 17))),
        (minutes(local(tuesday, 22)), minutes(local(wednesday, 6))),
    ]
    got = [(a.start, a.end, a.category) for a in found.activities]
    assert got == [
        # Tuesday's on-queue block overlaps 12:00, so it comes whole; its 11:00 break does not.
        (minutes(local(tuesday, 9)), minutes(local(tuesday, 17)), "on_queue"),
        (minutes(local(tuesday, 13)), minutes(local(tuesday, 13, 30)), "meal"),
        (minutes(local(tuesday, 22)), minutes(local(tuesday, 23)), "on_queue"),
        (minutes(local(wednesday, 5)), minutes(local(wednesday, 6)), "training"),
    ]
    meal = found.activities[1]
    assert (meal.paid, meal.interruptible) == (False, False)
    assert (found.activities[0].paid, found.activities[0].interruptible) == (True, True)


# -- staffing_for ----------------------------------------------------------------------------


def heads(rows: list[StaffingInterval]) -> list[tuple[datetime, float, float]]:
    return [(r.starts_at, r.forecast, r.scheduled) for r in rows]


def staffing(unit: str, first: datetime, values: list[tuple[float, float]], **extra: Any) -> dict:
    return {
        "business_unit": unit,
        "intervals": [
            {
                "starts_at": (first + i * timedelta(minutes=15)).isoformat(),
                "forecast": f,
                "scheduled": s,
            }
            for i, (f, s) in enumerate(values)
        ],
        **extra,
    }


async def test_w1_w4_staffing_by_unit_and_range_replaced_where_covered(db: Database) -> None:
    north, south = unit_name(), unit_name()
    nine = datetime(2031, 3, 3, 9, tzinfo=UTC)
    with db.writing() as session:
        done = wfm.replace_staffing(
            session,
            staffing(north, nine, [(10, 9), (12, 11), (14, 15), (9, 9)], timezone=LONDON),
            NOW,
        )
        wfm.replace_staffing(
            session, staffing(south, nine, [(3, 4)], timezone="America/New_York"), NOW
        )
    assert (done.starts_at, done.ends_at, done.intervals) == (nine, nine + timedelta(hours=1), 4)

    with db.reading() as session:
        got = wfm.staffing_for(
            session, [north, south, "nobody"], nine, nine + timedelta(minutes=45)
        )
    assert set(got) == {north, south}
    assert heads(got[north]) == [
        (nine, 10.0, 9.0),
        (nine + timedelta(minutes=15), 12.0, 11.0),
        (nine + timedelta(minutes=30), 14.0, 15.0),
    ]
    assert heads(got[south]) == [(nine, 3.0, 4.0)]
    # The slot finder's read: the same rows, the start in minutes since the epoch.
    with db.reading() as session:
        read = wfm.staffing_minutes(
            session, [north, south, "nobody"], nine, nine + timedelta(minutes=45)
        )
    assert read == {
        unit: [
            (to_minutes(r.starts_at), r.forecast, r.scheduled, r.contacts, r.aht_seconds)
            for r in rows
        ]
        for unit, rows in got.items()
    }

    # Replacing 09:15-09:45 only: 09:00 and 09:45 stay; 09:30 is inside the range and goes.
    with db.writing() as session:
        wfm.replace_staffing(
            session,
            {
                "business_unit": north,
                "intervals": [
                    {
                        "starts_at": (nine + timedelta(minutes=15)).isoformat(),
                        "forecast": 1,
                        "scheduled": 2,
                    },
                    {
                        "starts_at": (nine + timedelta(minutes=30)).isoformat(),
                        "forecast": 3,
                        "scheduled": 4,
                    },
                ],
            },
            NOW,
        )
    with db.reading() as session:
        after = wfm.staffing_for(session, [north], nine, nine + timedelta(hours=2))[north]
    assert [(a.minute, f, s) for a, f, s in heads(after)] == [
        (0, 10, 9),
        (15, 1, 2),
        (30, 3, 4),
        (45, 9, 9),
    ]


async def test_w1_staffing_is_keyed_by_utc_on_the_night_clocks_go_back(db: Database) -> None:
    """00:00 BST to 03:00 GMT on 26 Oct 2031 is four hours: 16 intervals, with 01:00-02:00 local
    twice; local keys would collide (solver notes, DST pitfall 5)."""
    unit = unit_name()
    first = datetime(2031, 10, 25, 23, tzinfo=UTC)  # 00:00 BST
    london = ZoneInfo(LONDON)
    body = {
        "business_unit": unit,
        "timezone": LONDON,
        "intervals": [
            {
                "starts_at": (first + i * timedelta(minutes=15)).astimezone(london).isoformat(),
                "forecast": i,
                "scheduled": i,
            }
            for i in range(16)
        ],
    }
    assert len({i["starts_at"][11:16] for i in body["intervals"]}) == 12  # local times repeat
    with db.writing() as session:
        wfm.replace_staffing(session, body, NOW)
    with db.reading() as session:
        got = wfm.staffing_for(session, [unit], first, first + timedelta(hours=4))[unit]
    assert [row.starts_at for row in got] == [first + i * timedelta(minutes=15) for i in range(16)]


async def test_w1_w4_volume_and_service_level_goal_are_stored(db: Database) -> None:
    """Contacts and handle times ride with each interval; the unit keeps its goal until an
    import gives another (an import without one leaves it)."""
    unit = f"bu-{uuid.uuid4().hex[:6]}"
    nine = datetime(2026, 3, 2, 9, tzinfo=UTC)
    body = staffing(unit, nine, [(10, 9), (12, 11)], timezone="UTC")
    body["intervals"][0].update(contacts=40, aht_seconds=300)
    goal = {"target_percent": 80, "threshold_seconds": 20, "floor_percent": 65}
    with db.writing() as session:
        wfm.replace_staffing(session, {**body, "service_level": goal}, NOW)
    with db.writing() as session:
        wfm.replace_staffing(session, staffing(unit, nine + timedelta(hours=1), [(1, 1)]), NOW)
    with db.reading() as session:
        rows = wfm.staffing_for(session, [unit], nine, nine + timedelta(minutes=30))[unit]
        stored = wfm.service_goals(session, [unit, "nobody"])
    assert [(r.contacts, r.aht_seconds) for r in rows] == [(40.0, 300.0), (None, None)]
    assert stored[unit].model_dump() == {**goal, "patience_seconds": None}
    assert set(stored) == {unit}


# -- replacing -------------------------------------------------------------------------------


async def test_w1_w7_reimport_replaces_the_week_and_reports_who_changed(db: Database) -> None:
    ana, ben, cleo = [await add_person(db, "agent") for _ in range(3)]
    unit = unit_name()
    first = replace(db, schedule(unit, week_of(ana.id), week_of(ben.id)))
    start, end = whole_week()
    assert first.week_starts == [WEEK] and (first.starts_at, first.ends_at) == (start, end)
    assert first.changed_agent_ids == sorted([ana.id, ben.id])
    assert first.joined_agent_ids == sorted([ana.id, ben.id])
    assert (first.shifts, first.activities) == (10, 30)

    # The same data again changes nobody's availability.
    again = replace(db, schedule(unit, week_of(ana.id), week_of(ben.id)))
    assert again.changed_agent_ids == [] and again.joined_agent_ids == []

    # Ben left out (loses the week), Ana's Friday moved, Cleo joins with a night shift that runs
    # past the end of the week: the replaced range stretches to cover it (W7 re-checks there).
    friday, sunday = WEEK + timedelta(days=4), WEEK + timedelta(days=6)
    moved = week_of(ana.id, days=4)
    moved["shifts"].append(shift(friday, 10, 18))
    late = shift(sunday, 22, 23)
    late["ends_at"] = local(sunday + timedelta(days=1), 6)
    third = replace(db, schedule(unit, moved, {"agent_id": cleo.id, "shifts": [late]}))
    assert third.changed_agent_ids == sorted([ana.id, ben.id, cleo.id])
    assert third.joined_agent_ids == [cleo.id]
    assert third.ends_at == utc(late["ends_at"]) > end

    found = read(db, [ana.id, ben.id, cleo.id], start, end)
    assert found[ben.id].shifts == []
    assert found[ana.id].shifts[-1] == (minutes(local(friday, 10)), minutes(local(friday, 18)))
    assert found[cleo.id].shifts == [(minutes(late["starts_at"]), minutes(late["ends_at"]))]

    # Next week is not imported: nobody there is a WFM person, even with Cleo's night shift.
    assert read(db, [cleo.id], end + timedelta(hours=7), end + timedelta(days=1)) == {}

    # A week imported for the first time makes every member a WFM agent there: all changed.
    next_week = replace(db, schedule(unit, week_of(ana.id, WEEK + timedelta(weeks=1))))
    assert next_week.changed_agent_ids == sorted([ana.id, ben.id, cleo.id])


async def test_w1_an_empty_import_with_week_start_clears_the_week(db: Database) -> None:
    ana = await add_person(db, "agent")
    unit = unit_name()
    replace(db, schedule(unit, week_of(ana.id)))
    cleared = replace(db, schedule(unit, week_start=WEEK.isoformat()))
    assert cleared.changed_agent_ids == [ana.id]
    start, end = whole_week()
    assert read(db, [ana.id], start, end)[ana.id].shifts == []
    with pytest.raises(Invalid) as raised:
        replace(db, schedule(unit))
    assert raised.value.details["field"] == "week_start"


async def test_w1_weeks_follow_the_business_unit_zone_across_dst(db: Database) -> None:
    """The week with the spring change is 167 hours; an offset that is not London's at that
    instant (a local time that does not exist) is refused; both readings of an ambiguous local
    time are accepted by their offsets (DST pitfalls 3 and 4)."""
    ana = await add_person(db, "agent")
    unit = unit_name()
    spring = date(2031, 3, 24)
    done = replace(db, schedule(unit, week_of(ana.id, spring), week_start=spring.isoformat()))
    assert done.ends_at - done.starts_at == timedelta(hours=167)
    assert done.starts_at == datetime(2031, 3, 24, 0, tzinfo=UTC)

    sunday = spring + timedelta(days=6)
    bad = week_of(ana.id, spring)
    bad["shifts"].append(
        {
            "starts_at": f"{sunday}T01:30:00+01:00",
            "ends_at": f"{sunday}T09:00:00+01:00",
            "activities": [],
        }
    )
    with pytest.raises(Invalid) as raised:
        replace(db, schedule(unit, bad))
    assert raised.value.details["field"] == "agents.0.shifts.5.starts_at"
    assert "Europe/London" in raised.value.message

    autumn = date(2031, 10, 20)
    night = date(2031, 10, 26)  # Sunday: 01:00-02:00 local happens twice
    first = {
        "starts_at": f"{night}T00:30:00+01:00",
        "ends_at": f"{night}T01:30:00+01:00",
        "activities": [],
    }
    second = {
        "starts_at": f"{night}T01:30:00+00:00",
        "ends_at": f"{night}T03:00:00+00:00",
        "activities": [],
    }
    done = replace(db, schedule(unit, {"agent_id": ana.id, "shifts": [second, first]}))
    assert done.week_starts == [autumn]
    assert done.ends_at - done.starts_at == timedelta(hours=169)
    got = read(db, [ana.id], *whole_week(autumn))[ana.id].shifts
    assert got == [
        (minutes("2031-10-25T23:30:00+00:00"), minutes("2031-10-26T00:30:00+00:00")),
        (minutes("2031-10-26T01:30:00+00:00"), minutes("2031-10-26T03:00:00+00:00")),
    ]


async def test_w1_database_rules_refuse_the_import_and_change_nothing(db: Database) -> None:
    ana, ben, stranger = [await add_person(db, "agent") for _ in range(3)]
    unit, other = unit_name(), unit_name()
    replace(db, schedule(unit, week_of(ana.id)))
    replace(db, schedule(other, week_of(stranger.id)))
    start, end = whole_week()
    before = read(db, [ana.id, ben.id, stranger.id], start, end)

    def refused(kind: type[Exception], data: dict[str, Any]) -> Any:
        with pytest.raises(kind) as raised:
            replace(db, data)
        assert read(db, [ana.id, ben.id, stranger.id], start, end) == before
        return raised.value

    error = refused(Invalid, schedule(unit, week_of(ana.id), week_of(str(uuid.uuid4()))))
    assert error.details["field"] == "agents.1.agent_id"

    error = refused(Conflict, schedule(unit, week_of(ben.id), week_of(stranger.id)))
    assert error.details["field"] == "agents.1.agent_id"
    assert other in error.message and error.details["business_unit"] == other

    error = refused(Conflict, schedule(unit, week_of(ana.id), tz="Europe/Paris"))
    assert error.details["field"] == "timezone" and LONDON in error.message

    # A new Monday shift running into the stored Sunday-night shift of the week before.
    sunday = WEEK - timedelta(days=1)
    night = shift(sunday, 22, 23)
    night["ends_at"] = local(WEEK, 6)
    replace(db, schedule(unit, {"agent_id": ana.id, "shifts": [night]}))
    before = read(db, [ana.id, ben.id, stranger.id], start, end)
    early = week_of(ana.id)
    early["shifts"][0] = shift(WEEK, 5, 13)
    error = refused(Invalid, schedule(unit, early))
    assert error.details["field"] == "agents.0.shifts.0.starts_at"
    assert "another week" in error.message


# -- terminal import and demo ----------------------------------------------------------------


def settings_for(db: Database, folder: Path) -> Settings:
    return Settings(data_dir=folder, database_url=db.url, database_schema=db.schema)


CSV_HEADER = (
    "business_unit,timezone,agent_id,shift_start,shift_end,"
    "activity_start,activity_end,category,paid,interruptible"
)


def as_csv(data: dict[str, Any]) -> str:
    lines = [CSV_HEADER]
    for agent in data["agents"]:
        for s in agent["shifts"]:
            head = [
                data["business_unit"],
                data["timezone"],
                agent["agent_id"],
                s["starts_at"],
                s["ends_at"],
            ]
            if not s["activities"]:
                lines.append(",".join([*head, "", "", "", "", ""]))
            for a in s["activities"]:
                flags = [str(a.get("paid", "")).lower(), str(a.get("interruptible", "")).lower()]
                lines.append(",".join([*head, a["starts_at"], a["ends_at"], a["category"], *flags]))
    return "\n".join(lines) + "\n"


async def test_w1_tandem_wfm_import_reads_json_and_csv_files(db: Database, tmp_path: Path) -> None:
    ana, ben = await add_person(db, "agent"), await add_person(db, "agent")
    unit = unit_name()
    settings = settings_for(db, tmp_path)
    start, end = whole_week()

    by_json = tmp_path / "week.json"
    by_json.write_text(json.dumps(schedule(unit, week_of(ana.id))))
    summary = import_file(settings, by_json)
    assert summary["kind"] == "schedule" and summary["business_unit"] == unit
    assert (summary["weeks"], summary["agents"], summary["shifts"], summary["activities"]) == (
        [WEEK.isoformat()],
        1,
        5,
        15,
    )
    from_json = read(db, [ana.id], start, end)[ana.id]

    by_csv = tmp_path / "week.csv"
    by_csv.write_text(as_csv(schedule(unit, week_of(ana.id), week_of(ben.id))))
    summary = import_file(settings, by_csv)
    assert (summary["agents"], summary["shifts"], summary["changed_agent_ids"]) == (2, 10, [ben.id])
    both = read(db, [ana.id, ben.id], start, end)
    assert both[ana.id] == from_json
    assert both[ben.id].shifts == from_json.shifts

    curve = tmp_path / "staffing.json"
    curve.write_text(json.dumps(staffing(unit, start + timedelta(hours=9), [(5, 4), (6, 6)])))
    summary = import_file(settings, curve)
    assert summary["kind"] == "staffing" and summary["intervals"] == 2

    # A bad row: the line and column are named, and nothing is imported.
    rows = as_csv(schedule(unit, week_of(ana.id))).splitlines()
    rows[3] = rows[3].replace(",meal,", ",lunch,")
    broken = tmp_path / "broken.csv"
    broken.write_text("\n".join(rows) + "\n")
    with pytest.raises(Invalid) as raised:
        import_file(settings, broken)
    assert (raised.value.details["line"], raised.value.details["column"]) == (4, "category")
    assert raised.value.message.startswith("line 4, column 8 (category)")
    assert read(db, [ana.id, ben.id], start, end) == both

    # An error found later (activity outside its shift) is still reported by line and column.
    rows = as_csv(schedule(unit, week_of(ana.id))).splitlines()
    rows[5] = rows[5].replace(
        local(WEEK + timedelta(days=1), 11, 15), local(WEEK + timedelta(days=1), 17, 15)
    )
    broken.write_text("\n".join(rows) + "\n")
    with pytest.raises(Invalid) as raised:
        import_file(settings, broken)
    assert (raised.value.details["line"], raised.value.details["column"]) == (6, "activity_end")
    assert read(db, [ana.id, ben.id], start, end) == both

    # An unknown agent, named by the line that introduces them.
    stray = tmp_path / "stray.csv"
    stray.write_text(as_csv(schedule(unit, week_of(ana.id), week_of("nobody"))))
    with pytest.raises(Invalid) as raised:
        import_file(settings, stray)
    assert (raised.value.details["line"], raised.value.details["column"]) == (17, "agent_id")

    odd = tmp_path / "odd.json"
    odd.write_text('{"business_unit": "x"')
    with pytest.raises(Invalid, match="line 1"):
        import_file(settings, odd)


async def test_w1_demo_weeks_are_realistic_and_deterministic(db: Database) -> None:
    people = [await add_person(db, "agent") for _ in range(4)]
    ids = [p.id for p in people]
    unit = unit_name()
    week = date(2031, 3, 26)  # a Wednesday: the demo uses its Monday
    assert demo_schedule(ids, unit, LONDON, week) == demo_schedule(ids, unit, LONDON, week)
    assert demo_staffing(unit, LONDON, week) == demo_staffing(unit, LONDON, week)

    with db.writing() as session:
        summaries = load_demo(session, ids, unit, LONDON, week, now=NOW)
    assert [s["kind"] for s in summaries] == ["schedule", "staffing"] * 2
    monday = date(2031, 3, 24)
    assert [s["weeks"] for s in summaries[::2]] == [
        [monday.isoformat()],
        [(monday + timedelta(weeks=1)).isoformat()],
    ]

    start = utc(local(monday, 0))
    found = read(db, ids, start, start + timedelta(weeks=2))
    categories = {a.category for s in found.values() for a in s.activities}
    assert {
        "on_queue",
        "break",
        "meal",
        "meeting",
        "training",
        "time_off",
        "off_queue",
    } <= categories
    for person in found.values():
        assert len(person.shifts) == 10
        for s_start, s_end in person.shifts:
            inside = [a for a in person.activities if s_start <= a.start and a.end <= s_end]
            kinds = sorted(
                a.category for a in inside if a.category in ("break", "meal", "time_off")
            )
            assert kinds in (["break", "break", "meal"], ["time_off"])
            meal = [a for a in inside if a.category == "meal"]
            assert all(30 <= a.end - a.start <= 60 for a in meal)
            assert all(a.interruptible == (a.category in ("on_queue", "off_queue")) for a in inside)
    with db.reading() as session:
        curve = wfm.staffing_for(session, [unit], start, start + timedelta(weeks=2))[unit]
    assert any(r.forecast > r.scheduled for r in curve)
    assert any(r.forecast < r.scheduled for r in curve)


async def test_w1_concurrent_imports_of_one_unit_run_one_after_the_other(db: Database) -> None:
    """Imports into one business unit (new, so it is created by whichever comes first) are
    serialised: the week is afterwards exactly one of the imports, never a mix."""
    people = [await add_person(db, "agent") for _ in range(3)]
    unit = unit_name()
    variants = [schedule(unit, week_of(p.id)) for p in people] * 2

    def importing(data: dict[str, Any]) -> Any:
        return lambda session: wfm.replace_schedule(session, data, NOW)

    await asyncio.gather(*(db.write(importing(data)) for data in variants))
    found = read(db, [p.id for p in people], *whole_week())
    assert sorted(len(found[p.id].shifts) for p in people) == [0, 0, 5]
