"""WFM schedules and staffing (SPEC W1): the import shapes and every rule about them, without I/O.

Shapes (JSON; the CSV form of a schedule is described at :func:`parse_schedule_csv`)::

    schedule: {business_unit, timezone, week_start?, weeks?,
               agents: [{agent_id, shifts: [{starts_at, ends_at,
                         activities: [{starts_at, ends_at, category, paid?, interruptible?}]}]}]}
    staffing: {business_unit, timezone?,
               service_level?: {target_percent, threshold_seconds,
                                floor_percent?, patience_seconds?},
               intervals: [{starts_at, forecast, scheduled, contacts?, aht_seconds?}]}

Decisions, all enforced by :func:`plan_schedule` / :func:`plan_staffing`:

* **Times carry their offset.** Every date-time is ISO-8601 *with* a UTC offset; a zone-less
  ("naive") time is refused, because a local wall-clock time is ambiguous once a year and does not
  exist once a year. The offset must be UTC (``Z`` / ``+00:00``) or the business unit's own
  offset at that instant: ``2026-03-29T01:30+01:00`` in Europe/London (a time that does not exist
  there: clocks jump from 01:00 GMT to 02:00 BST) is refused, while the two readings of the
  ambiguous ``01:30`` on 25 Oct 2026 are told apart by their offsets (``+01:00`` / ``+00:00``).
  Shifts and activities are on whole minutes. Everything is stored and keyed in UTC.
* **The week** is Monday 00:00 to the next Monday 00:00 in the business unit's zone (167, 168 or
  169 hours across DST). ``week_start`` (a Monday) names the first imported week and ``weeks``
  how many (default 1); without ``week_start`` the import covers the weeks from the earliest to
  the latest shift start. Every shift must *start* inside the imported weeks; it may end after
  them (a night shift). At most :data:`MAX_WEEKS` weeks per import.
* **Replacement**: an import replaces the business unit's imported weeks as a whole: an agent of
  the unit left out of the new import loses their shifts in those weeks (and is then, for the
  slot finder, a WFM agent with no shift: never available). An import with no shifts at all and
  an explicit ``week_start`` clears the week.
* **Overlaps**: an agent's shifts may not overlap (they may touch); activities must lie inside
  their shift but may overlap each other (a meeting over a break is normal WFM data).
* ``paid`` defaults to true; ``interruptible`` defaults to true for ``on_queue`` only (as a
  Genesys activity code does).
* **Staffing** intervals start on a 15-minute boundary (in UTC, which is the same thing in every
  zone with quarter-hour offsets), with non-negative, finite headcounts; an import replaces the
  business unit's intervals from its first interval to the end of its last one.
* **Volume** (W4, service-level ranking): an interval may carry ``contacts`` (offered in its 15
  minutes) and ``aht_seconds`` (average handle time), both or neither, non-negative. The business
  unit's ``service_level`` goal (e.g. 80 % within 20 s) is stored with the unit and kept when a
  later import leaves it out; ``floor_percent`` must not exceed ``target_percent``.

* **Tandem's own coaching** (issue 12 item 5): an activity may carry a ``code`` (CSV column
  ``activity_code``; the WFM system's activity code, at most 200 characters). Tandem's export of
  booked coaching (``GET /v1/wfm/coaching-activities``) marks each session
  ``tandem-coaching:<meeting id>``; an import checks such an activity like any other but does not
  store it: Tandem's booking of that meeting already holds the time, so a schedule that came
  back from the WFM system with Tandem's coaching on it never makes that coaching (or any
  other) ``invalid_schedule``. Other codes are accepted and not kept.

Violations raise :class:`~tandem.domain.errors.Invalid` whose ``details["field"]`` is the path of
the offending value, e.g. ``agents.2.shifts.0.activities.3.ends_at``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from itertools import pairwise
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
)

from tandem.domain.errors import DomainError, Invalid
from tandem.domain.inputs import Choice, Day, Instant
from tandem.domain.times import TimeZoneName, zone

INTERVAL = timedelta(minutes=15)
MAX_SHIFT = timedelta(hours=24)
"""Longer than this is taken for a data error; it also bounds the overlap queries."""
MAX_WEEKS = 13
"""Weeks one schedule import may cover (a quarter); staffing imports span at most as long."""
MAX_INTERVALS = MAX_WEEKS * 7 * 24 * 4
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)


class Category(StrEnum):
    ON_QUEUE = "on_queue"
    OFF_QUEUE = "off_queue"
    BREAK = "break"
    MEAL = "meal"
    MEETING = "meeting"
    TRAINING = "training"
    TIME_OFF = "time_off"
    UNAVAILABLE = "unavailable"


CATEGORIES = tuple(c.value for c in Category)


BusinessUnit = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)
]
AgentId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Headcount = Annotated[float, Field(ge=0, allow_inf_nan=False)]


class _Strict(BaseModel):
    # Strict like the API's request models (``"paid": "yes"`` is refused); times, dates and
    # categories are read from their strings (tandem.domain.inputs).
    model_config = ConfigDict(extra="forbid", strict=True)


COACHING_CODE_PREFIX = "tandem-coaching:"
ActivityCode = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]


def coaching_code(meeting_id: str) -> str:
    """The activity code Tandem's export gives a booked coaching session."""
    return f"{COACHING_CODE_PREFIX}{meeting_id}"


def own_coaching(code: str | None) -> str | None:
    """The meeting id of an activity that is Tandem's own coaching session, else None."""
    if code and code.startswith(COACHING_CODE_PREFIX):
        return code.removeprefix(COACHING_CODE_PREFIX) or None
    return None


class ActivityIn(_Strict):
    starts_at: Instant
    ends_at: Instant
    category: Choice[Category]
    paid: bool = True
    interruptible: bool | None = None
    """None: true for on_queue, false for everything else."""
    code: ActivityCode | None = None
    """The WFM system's activity code; ``tandem-coaching:<id>`` is Tandem's own coaching (not
    stored, see the module doc)."""


class ShiftIn(_Strict):
    starts_at: Instant
    ends_at: Instant
    activities: list[ActivityIn] = Field(default_factory=list, max_length=500)


class AgentIn(_Strict):
    agent_id: AgentId
    shifts: list[ShiftIn] = Field(default_factory=list, max_length=7 * MAX_WEEKS * 3)


class ScheduleImport(_Strict):
    business_unit: BusinessUnit
    timezone: TimeZoneName
    week_start: Day | None = None
    weeks: int | None = Field(default=None, ge=1, le=MAX_WEEKS)
    agents: list[AgentIn] = Field(max_length=20_000)


Volume = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Percent = Annotated[float, Field(gt=0, le=100, allow_inf_nan=False)]
Seconds = Annotated[float, Field(gt=0, allow_inf_nan=False)]


class IntervalIn(_Strict):
    starts_at: Instant
    forecast: Headcount
    scheduled: Headcount
    contacts: Volume | None = None
    """Contacts offered in the 15 minutes (W4); with ``aht_seconds``."""
    aht_seconds: Volume | None = None


class ServiceLevelIn(_Strict):
    """The business unit's goal: ``target_percent`` of contacts answered within
    ``threshold_seconds``; below ``floor_percent`` a coaching slot is poor (W4)."""

    target_percent: Percent
    threshold_seconds: Seconds
    floor_percent: Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)] | None = None
    patience_seconds: Seconds | None = None
    """Average patience before abandoning: predictions use Erlang A instead of Erlang C."""


class StaffingImport(_Strict):
    business_unit: BusinessUnit
    timezone: TimeZoneName | None = None
    """Needed only when the business unit is new (no schedule or staffing imported yet)."""
    service_level: ServiceLevelIn | None = None
    """Stored with the business unit; None keeps what is stored."""
    intervals: list[IntervalIn] = Field(min_length=1, max_length=MAX_INTERVALS)


def parse_model(model: type[Any], data: Any) -> Any:
    """``data`` (a mapping, or JSON text) as ``model``; pydantic errors become ``Invalid``."""
    try:
        if isinstance(data, str | bytes):
            return model.model_validate_json(data)
        return model.model_validate(data)
    except ValidationError as error:
        raise invalid_from(error) from None


def field_path(location: Iterable[Any]) -> str:
    return ".".join(str(part) for part in location) or "body"


def invalid_from(error: ValidationError) -> Invalid:
    problems = [
        {"field": field_path(item["loc"]), "message": item["msg"]} for item in error.errors()
    ]
    first = problems[0]
    return Invalid(f"{first['field']}: {first['message']}", field=first["field"], errors=problems)


def _bad(path: str, message: str, **details: Any) -> Invalid:
    return Invalid(f"{path}: {message}", field=path, **details)


# -- instants --------------------------------------------------------------------------------


def _offset(delta: timedelta | None) -> str:
    minutes = int((delta or timedelta()) / timedelta(minutes=1))
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def checked_instant(
    value: datetime, tz: ZoneInfo, path: str, *, whole_minute: bool = True
) -> datetime:
    """``value`` in UTC, after checking it is an instant the business unit's zone can show."""
    if value.tzinfo is None:
        raise _bad(path, "has no UTC offset; give e.g. 2031-03-03T09:00:00+01:00 or ...Z")
    if whole_minute and (value.second or value.microsecond):
        raise _bad(path, f"{value.isoformat()} is not on a whole minute")
    given = value.utcoffset()
    utc = value.astimezone(UTC)
    if not EARLIEST <= utc < LATEST:
        raise _bad(path, f"{value.isoformat()} is out of range (years 2000-2099)")
    if given:
        expected = utc.astimezone(tz).utcoffset()
        if given != expected:
            raise _bad(
                path,
                f"{value.isoformat()} has offset {_offset(given)}, but {tz.key} is at "
                f"{_offset(expected)} at that instant (a local time that does not exist there?);"
                " give times with the business unit's offset or in UTC",
            )
    return utc


def monday_of(moment: datetime, tz: ZoneInfo) -> date:
    day = moment.astimezone(tz).date()
    return day - timedelta(days=day.weekday())


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    """The first instant of ``day`` in ``tz``, in UTC (fold=0 is right for gaps and repeats)."""
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def week_range(week_start: date, weeks: int, tz: ZoneInfo) -> tuple[datetime, datetime]:
    return local_midnight(week_start, tz), local_midnight(week_start + timedelta(weeks=weeks), tz)


# -- schedules -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedActivity:
    starts_at: datetime
    ends_at: datetime
    category: str
    paid: bool
    interruptible: bool


@dataclass(frozen=True)
class PlannedShift:
    starts_at: datetime
    ends_at: datetime
    activities: tuple[PlannedActivity, ...]
    path: str
    """Where it came from, e.g. ``agents.2.shifts.0``, for errors found later (in the store)."""


@dataclass(frozen=True)
class SchedulePlan:
    """A validated schedule import in UTC: which weeks it replaces and each agent's shifts."""

    business_unit: str
    timezone: str
    week_start: date
    weeks: int
    starts_at: datetime
    """First instant of the first week (BU zone), UTC."""
    ends_at: datetime
    """First instant after the last week, UTC. Shifts start before it, may end after it."""
    agents: dict[str, tuple[PlannedShift, ...]]
    """In input order; shifts sorted by start."""
    agent_paths: dict[str, str] = field(default_factory=dict)

    @property
    def week_starts(self) -> list[date]:
        return [self.week_start + timedelta(weeks=i) for i in range(self.weeks)]


def plan_schedule(body: ScheduleImport) -> SchedulePlan:
    """Check a schedule import against every rule that needs no database; see the module doc."""
    tz = zone(body.timezone)
    agents: dict[str, list[PlannedShift]] = {}
    paths: dict[str, str] = {}
    for i, agent in enumerate(body.agents):
        path = f"agents.{i}"
        if agent.agent_id in paths:
            raise _bad(
                f"{path}.agent_id",
                f"{agent.agent_id!r} is listed twice (also {paths[agent.agent_id]})",
            )
        paths[agent.agent_id] = path
        agents[agent.agent_id] = [
            _plan_shift(shift, tz, f"{path}.shifts.{j}") for j, shift in enumerate(agent.shifts)
        ]
    shifts = [s for planned in agents.values() for s in planned]
    week_start, weeks = _weeks(body, shifts, tz)
    starts_at, ends_at = week_range(week_start, weeks, tz)
    for shift in shifts:
        if not starts_at <= shift.starts_at < ends_at:
            raise _bad(
                f"{shift.path}.starts_at",
                f"starts outside the imported {_weeks_text(week_start, weeks)}; every shift must "
                "start inside the imported week(s) (Monday 00:00 to Monday 00:00 in "
                f"{body.timezone})",
            )
    for planned in agents.values():
        planned.sort(key=lambda s: s.starts_at)
        for before, after in pairwise(planned):
            if after.starts_at < before.ends_at:
                raise _bad(
                    f"{after.path}.starts_at",
                    f"the shift {_span(after, tz)} overlaps another shift of the same agent "
                    f"({_span(before, tz)})",
                    other=before.path,
                )
    return SchedulePlan(
        business_unit=body.business_unit,
        timezone=body.timezone,
        week_start=week_start,
        weeks=weeks,
        starts_at=starts_at,
        ends_at=ends_at,
        agents={agent: tuple(planned) for agent, planned in agents.items()},
        agent_paths=paths,
    )


def _local(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).isoformat()


def _span(shift: PlannedShift, tz: ZoneInfo) -> str:
    return f"{_local(shift.starts_at, tz)} to {_local(shift.ends_at, tz)}"


def _weeks_text(week_start: date, weeks: int) -> str:
    if weeks == 1:
        return f"week of {week_start.isoformat()}"
    return f"{weeks} weeks from {week_start.isoformat()}"


def _plan_shift(shift: ShiftIn, tz: ZoneInfo, path: str) -> PlannedShift:
    starts_at = checked_instant(shift.starts_at, tz, f"{path}.starts_at")
    ends_at = checked_instant(shift.ends_at, tz, f"{path}.ends_at")
    if ends_at <= starts_at:
        raise _bad(f"{path}.ends_at", "must be after starts_at")
    if ends_at - starts_at > MAX_SHIFT:
        raise _bad(f"{path}.ends_at", "a shift may last at most 24 hours")
    activities = []
    for k, activity in enumerate(shift.activities):
        where = f"{path}.activities.{k}"
        a_start = checked_instant(activity.starts_at, tz, f"{where}.starts_at")
        a_end = checked_instant(activity.ends_at, tz, f"{where}.ends_at")
        if a_end <= a_start:
            raise _bad(f"{where}.ends_at", "must be after starts_at")
        if a_start < starts_at:
            raise _bad(
                f"{where}.starts_at",
                f"the activity starts before its shift (which starts {_local(starts_at, tz)})",
            )
        if a_end > ends_at:
            raise _bad(
                f"{where}.ends_at",
                f"the activity ends after its shift (which ends {_local(ends_at, tz)})",
            )
        if own_coaching(activity.code):
            continue  # Tandem's own booking holds this time already (module doc)
        interruptible = activity.interruptible
        if interruptible is None:
            interruptible = activity.category is Category.ON_QUEUE
        activities.append(
            PlannedActivity(a_start, a_end, activity.category.value, activity.paid, interruptible)
        )
    activities.sort(key=lambda a: (a.starts_at, a.ends_at, a.category))
    return PlannedShift(starts_at, ends_at, tuple(activities), path)


def _weeks(body: ScheduleImport, shifts: list[PlannedShift], tz: ZoneInfo) -> tuple[date, int]:
    if body.week_start is not None:
        if body.week_start.weekday() != 0:
            raise _bad(
                "week_start",
                f"{body.week_start.isoformat()} is a {body.week_start:%A}; weeks start on Monday",
            )
        return body.week_start, body.weeks or 1
    if not shifts:
        raise _bad("week_start", "the import has no shifts: give week_start to clear a week")
    first = min(shifts, key=lambda s: s.starts_at)
    last = max(shifts, key=lambda s: s.starts_at)
    week_start = monday_of(first.starts_at, tz)
    spanned = (monday_of(last.starts_at, tz) - week_start).days // 7 + 1
    if body.weeks is not None:
        return week_start, body.weeks
    if spanned > MAX_WEEKS:
        raise _bad(
            f"{last.path}.starts_at",
            f"the shifts span {spanned} weeks; import at most {MAX_WEEKS} weeks at a time",
        )
    return week_start, spanned


# -- staffing --------------------------------------------------------------------------------


@dataclass(frozen=True)
class StaffingPlan:
    business_unit: str
    starts_at: datetime
    ends_at: datetime
    """Replaced range: the first interval's start to the last one's end, UTC."""
    intervals: list[StaffingInterval]
    """Sorted by start."""
    service_level: ServiceLevelIn | None = None


@dataclass(frozen=True, slots=True)
class StaffingInterval:
    starts_at: datetime  # UTC
    forecast: float
    scheduled: float
    contacts: float | None = None
    aht_seconds: float | None = None


def plan_staffing(body: StaffingImport, timezone: str) -> StaffingPlan:
    tz = zone(timezone)
    goal = body.service_level
    if goal and goal.floor_percent is not None and goal.floor_percent > goal.target_percent:
        raise _bad(
            "service_level.floor_percent",
            f"{goal.floor_percent:g} % is above the target of {goal.target_percent:g} %",
        )
    seen: dict[datetime, int] = {}
    intervals = []
    for i, interval in enumerate(body.intervals):
        path = f"intervals.{i}.starts_at"
        at = checked_instant(interval.starts_at, tz, path)
        if at.minute % 15:
            raise _bad(path, f"{interval.starts_at.isoformat()} is not on a 15-minute boundary")
        if at in seen:
            raise _bad(path, f"repeats the interval of intervals.{seen[at]}")
        seen[at] = i
        if (interval.contacts is None) != (interval.aht_seconds is None):
            missing = "aht_seconds" if interval.aht_seconds is None else "contacts"
            raise _bad(f"intervals.{i}.{missing}", "give contacts and aht_seconds together")
        intervals.append(
            StaffingInterval(
                at,
                float(interval.forecast),
                float(interval.scheduled),
                interval.contacts,
                interval.aht_seconds,
            )
        )
    intervals.sort(key=lambda row: row.starts_at)
    starts_at, ends_at = intervals[0].starts_at, intervals[-1].starts_at + INTERVAL
    if ends_at - starts_at > timedelta(weeks=MAX_WEEKS):
        last = seen[intervals[-1].starts_at]
        raise _bad(
            f"intervals.{last}.starts_at",
            f"the intervals span more than {MAX_WEEKS} weeks; import at most that at a time",
        )
    return StaffingPlan(body.business_unit, starts_at, ends_at, intervals, goal)


# -- CSV -------------------------------------------------------------------------------------

CSV_REQUIRED = ("business_unit", "timezone", "agent_id", "shift_start", "shift_end")
CSV_ACTIVITY = ("activity_start", "activity_end", "category")
CSV_OPTIONAL = (*CSV_ACTIVITY, "paid", "interruptible", "activity_code", "week_start", "weeks")
CSV_COLUMNS = (*CSV_REQUIRED, *CSV_OPTIONAL)
_UNIT_WIDE = ("business_unit", "timezone", "week_start", "weeks")
_TRUE = {"true", "t", "yes", "y", "1"}
_FALSE = {"false", "f", "no", "n", "0"}
MAX_CSV_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class CsvSchedule:
    """A schedule read from CSV, and where each value came from, to name the line and column of
    any error found later (by :func:`plan_schedule` or by the store)."""

    body: ScheduleImport
    locations: Mapping[str, tuple[int, str]]
    columns: tuple[str, ...]

    def locate(self, error: DomainError) -> DomainError:
        """``error`` (naming a field path) as the line and column of the CSV it came from."""
        return _locate(error, self.locations, self.columns)


def _locate(
    error: DomainError, locations: Mapping[str, tuple[int, str]], columns: tuple[str, ...]
) -> DomainError:
    path = error.details.get("field")
    if not isinstance(path, str) or path not in locations:
        return error
    line, column = locations[path]
    message = error.message.removeprefix(f"{path}: ")
    # Keep what else the error says (the agent refused, the rule) next to where it is.
    details = {k: v for k, v in error.details.items() if k != "field"}
    return csv_error(type(error), line, column, columns, message, **details, path=path)


def csv_error(
    kind: type[DomainError],
    line: int,
    column: str | None,
    columns: tuple[str, ...],
    message: str,
    **details: Any,
) -> DomainError:
    if column is None:
        return kind(f"line {line}: {message}", line=line, field=f"line {line}", **details)
    number = columns.index(column) + 1 if column in columns else None
    where = f"line {line}, column {number} ({column})" if number else f"line {line} ({column})"
    return kind(
        f"{where}: {message}",
        line=line,
        column=column,
        column_number=number,
        field=column,
        **details,
    )


def parse_schedule_csv(data: bytes | str) -> CsvSchedule:
    """A schedule from CSV, refusing the whole file at the first bad row (line and column named).

    The first line is a header naming the columns, in any order:

    * required: ``business_unit``, ``timezone`` (IANA), ``agent_id``, ``shift_start``,
      ``shift_end``;
    * optional: ``activity_start``, ``activity_end``, ``category``, ``paid``, ``interruptible``,
      ``activity_code`` (see the module doc), ``week_start`` (a Monday, ``YYYY-MM-DD``),
      ``weeks``.

    Each further line is one activity of one shift; lines with the same ``agent_id``,
    ``shift_start`` and ``shift_end`` make up one shift. A line with empty activity columns is a
    shift without activities (or just names it). ``business_unit``, ``timezone``, ``week_start``
    and ``weeks`` must be the same on every line (``week_start``/``weeks`` may be left empty).
    Date-times are ISO-8601 with a UTC offset (``2031-03-03T08:00:00+00:00`` or ``...Z``);
    ``paid`` / ``interruptible`` are ``true``/``false`` (also ``yes``/``no``, ``1``/``0``),
    empty for the default (paid; interruptible only for ``on_queue``). Blank lines are skipped.
    """
    if isinstance(data, bytes):
        if len(data) > MAX_CSV_BYTES:
            raise Invalid(f"the CSV is larger than {MAX_CSV_BYTES // 2**20} MB", field="file")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            line = data[: error.start].count(b"\n") + 1
            raise Invalid(
                f"line {line}: the CSV is not UTF-8 text", line=line, field=f"line {line}"
            ) from None
    else:
        text = data.removeprefix("\ufeff")
    return _CsvReader(text).read()


class _CsvReader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.columns: tuple[str, ...] = ()
        self.locations: dict[str, tuple[int, str]] = {}

    def fail(self, line: int, column: str | None, message: str) -> DomainError:
        return csv_error(Invalid, line, column, self.columns, message)

    def read(self) -> CsvSchedule:
        reader = csv.reader(io.StringIO(self.text, newline=""))
        rows: list[tuple[int, list[str]]] = []
        previous = 0
        try:
            for row in reader:
                line, previous = previous + 1, reader.line_num
                if any(cell.strip() for cell in row):
                    rows.append((line, row))
        except csv.Error as error:
            raise self.fail(reader.line_num, None, f"malformed CSV: {error}") from None
        if not rows:
            raise self.fail(1, None, "the CSV is empty: it needs a header line and rows")
        header_line, header = rows[0]
        self.columns = tuple(cell.strip().lower() for cell in header)
        for name in self.columns:
            if name not in CSV_COLUMNS:
                raise self.fail(
                    header_line, name, f"unknown column {name!r}; known: {', '.join(CSV_COLUMNS)}"
                )
        missing = [name for name in CSV_REQUIRED if name not in self.columns]
        if missing:
            raise self.fail(header_line, None, f"missing column(s): {', '.join(missing)}")
        if len(set(self.columns)) != len(self.columns):
            raise self.fail(header_line, None, "a column is named twice")
        if len(rows) == 1:
            raise self.fail(header_line, None, "the CSV has a header but no rows")
        return self._body(rows[1:])

    def _body(self, rows: list[tuple[int, list[str]]]) -> CsvSchedule:
        unit_wide: dict[str, tuple[str, int]] = {}
        agents: dict[str, dict[tuple[datetime, datetime], list[dict[str, Any]]]] = {}
        first_line: dict[Any, int] = {}
        for line, row in rows:
            if len(row) > len(self.columns):
                raise self.fail(line, None, f"{len(row)} values for {len(self.columns)} columns")
            cells = {
                name: (row[i].strip() if i < len(row) else "")
                for i, name in enumerate(self.columns)
            }
            for name in _UNIT_WIDE:
                value = cells.get(name, "")
                if name in ("week_start", "weeks") and not value:
                    continue
                if name in unit_wide and unit_wide[name][0] != value:
                    seen, where = unit_wide[name]
                    raise self.fail(line, name, f"{value!r} differs from {seen!r} on line {where}")
                unit_wide.setdefault(name, (value, line))
            agent = cells["agent_id"]
            if not agent:
                raise self.fail(line, "agent_id", "is empty")
            start = self._instant(line, "shift_start", cells["shift_start"])
            end = self._instant(line, "shift_end", cells["shift_end"])
            shifts = agents.setdefault(agent, {})
            first_line.setdefault(agent, line)
            activities = shifts.setdefault((start, end), [])
            first_line.setdefault((agent, start, end), line)
            activity = self._activity(line, cells)
            if activity is not None:
                activities.append(activity)
        return self._model(unit_wide, agents, first_line)

    def _instant(self, line: int, column: str, value: str) -> datetime:
        if not value:
            raise self.fail(line, column, "is empty")
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise self.fail(
                line, column, f"{value!r} is not an ISO-8601 date-time (2031-03-03T08:00:00+00:00)"
            ) from None
        if moment.tzinfo is None:
            raise self.fail(
                line, column, f"{value!r} has no UTC offset; give e.g. {value}+01:00 or {value}Z"
            )
        return moment

    def _flag(self, line: int, column: str, value: str) -> bool | None:
        if not value:
            return None
        if value.lower() in _TRUE:
            return True
        if value.lower() in _FALSE:
            return False
        raise self.fail(line, column, f"{value!r} is not true or false")

    def _activity(self, line: int, cells: dict[str, str]) -> dict[str, Any] | None:
        given = [name for name in CSV_ACTIVITY if cells.get(name)]
        flags = [name for name in ("paid", "interruptible", "activity_code") if cells.get(name)]
        if not given:
            if flags:
                raise self.fail(line, flags[0], "is set but the line has no activity")
            return None
        for name in CSV_ACTIVITY:
            if not cells.get(name):
                raise self.fail(line, name, "is empty but the line has an activity")
        category = cells["category"].lower()
        if category not in CATEGORIES:
            raise self.fail(
                line, "category", f"{cells['category']!r} is not one of {', '.join(CATEGORIES)}"
            )
        activity: dict[str, Any] = {
            "starts_at": self._instant(line, "activity_start", cells["activity_start"]),
            "ends_at": self._instant(line, "activity_end", cells["activity_end"]),
            "category": category,
            "_line": line,
        }
        for name in flags:
            if name == "activity_code":
                activity["code"] = cells[name]
            else:
                activity[name] = self._flag(line, name, cells[name])
        return activity

    def _model(
        self,
        unit_wide: dict[str, tuple[str, int]],
        agents: dict[str, dict[tuple[datetime, datetime], list[dict[str, Any]]]],
        first_line: dict[Any, int],
    ) -> CsvSchedule:
        data: dict[str, Any] = {name: value for name, (value, _) in unit_wide.items()}
        for name in ("business_unit", "timezone", "week_start", "weeks"):
            if name in unit_wide:
                self.locations[name] = (unit_wide[name][1], name)
        if "weeks" in data:
            try:
                data["weeks"] = int(data["weeks"])
            except ValueError:
                raise self.fail(unit_wide["weeks"][1], "weeks", "is not a whole number") from None
        data["agents"] = []
        for i, (agent, shifts) in enumerate(agents.items()):
            self.locations[f"agents.{i}.agent_id"] = (first_line[agent], "agent_id")
            self.locations[f"agents.{i}"] = (first_line[agent], "agent_id")
            out_shifts = []
            for j, ((start, end), activities) in enumerate(shifts.items()):
                path, line = f"agents.{i}.shifts.{j}", first_line[(agent, start, end)]
                self.locations[path] = (line, "shift_start")
                self.locations[f"{path}.starts_at"] = (line, "shift_start")
                self.locations[f"{path}.ends_at"] = (line, "shift_end")
                for k, activity in enumerate(activities):
                    at, a_line = f"{path}.activities.{k}", activity.pop("_line")
                    self.locations[at] = (a_line, "activity_start")
                    for key, column in (
                        ("starts_at", "activity_start"),
                        ("ends_at", "activity_end"),
                        ("category", "category"),
                        ("paid", "paid"),
                        ("interruptible", "interruptible"),
                        ("code", "activity_code"),
                    ):
                        self.locations[f"{at}.{key}"] = (a_line, column)
                out_shifts.append({"starts_at": start, "ends_at": end, "activities": activities})
            data["agents"].append({"agent_id": agent, "shifts": out_shifts})
        try:
            body = ScheduleImport.model_validate(data)
        except ValidationError as error:
            raise _locate(invalid_from(error), self.locations, self.columns) from None
        return CsvSchedule(body, self.locations, self.columns)
