"""Recurrence of 1:1 series (SPEC S1, S3).

A series is a first start (an aware instant), an IANA time zone and a recurrence spec: one of
the presets ``weekly``, ``biweekly``, ``triweekly``, ``monthly``, or an RFC 5545 rule written
``RRULE:...``. :func:`parse_recurrence` validates it once and returns an immutable
:class:`Recurrence` that answers range queries.

Semantics, all decided here so that every caller gets the same answer:

* **Wall-clock anchoring (S1).** Rules are expanded in the series zone's local wall-clock time
  and only then converted to UTC, so 09:00 Europe/London stays 09:00 local on both sides of a
  DST change while the UTC instant moves by the offset change. BYDAY is evaluated on local
  dates.
* **Spring-forward gap.** A local time that does not exist moves forward by the length of the
  gap (RFC 5545 §3.3.5: 02:30 in a 02:00-03:00 gap becomes 03:30); the occurrence is flagged
  :attr:`Occurrence.gap_shifted`. In a zone that skipped a whole calendar day (Pacific/Apia,
  30 Dec 2011) a daily series' skipped occurrence therefore coincides with the next one.
  A first start given in the series zone at such a time (02:30 on the gap day) is shifted
  the same way as occurrence 0, and the series keeps 02:30 from then on.
* **Fall-back overlap.** An ambiguous local time takes its first instance (``fold=0``).
  Occurrence 0 is always exactly the first start given, even if that is the second instance.
* **The first start is occurrence 0.** RFC 5545 leaves a DTSTART that the rule would not
  produce undefined (and dateutil silently skips it), so such a rule is rejected with the date
  the rule would actually start on.
* **Stable indexes.** ``index`` is the position in the whole series, whatever range was
  queried, so "occurrence 7" names the same meeting forever (S3 materialisation and
  "delete this instance" rely on it).
* **COUNT/UNTIL** are applied to the converted instants: UNTIL is inclusive. An UNTIL given as
  a DATE means "through the end of that local day"; a floating UNTIL is read in the series
  zone. :meth:`Recurrence.rrule_string` always writes UNTIL in UTC, as RFC 5545 requires
  alongside a DTSTART with TZID.

Cost: presets, DAILY/WEEKLY rules without month or year filters, and MONTHLY rules with one
day that exists in every month are computed arithmetically, so any index or range costs the
same (~0.05 ms per query, however far out). Other rules are counted from the first start
with dateutil, about 2 µs per period: a range two years out of ``FREQ=DAILY;BYMONTH=1,6``
takes ~2 ms, a century out ~55 ms.

This module is pure (no I/O besides zoneinfo's tz database, no clock) because it runs inside
Temporal's workflow sandbox.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import MAXYEAR, UTC, date, datetime, time, timedelta
from itertools import dropwhile, islice
from math import gcd, lcm
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil import rrule as _du

__all__ = [
    "DEFAULT_LIMIT",
    "PRESETS",
    "Occurrence",
    "Recurrence",
    "RecurrenceError",
    "parse_recurrence",
]

PRESETS: tuple[str, ...] = ("weekly", "biweekly", "triweekly", "monthly")
DEFAULT_LIMIT = 500

_WEEKDAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_PRESET_WEEKS = {"weekly": 1, "biweekly": 2, "triweekly": 3}
_FREQS = {
    "DAILY": _du.DAILY,
    "WEEKLY": _du.WEEKLY,
    "MONTHLY": _du.MONTHLY,
    "YEARLY": _du.YEARLY,
}
_SUB_DAILY = ("HOURLY", "MINUTELY", "SECONDLY")
_KNOWN_PARTS = (
    "FREQ",
    "UNTIL",
    "COUNT",
    "INTERVAL",
    "BYSECOND",
    "BYMINUTE",
    "BYHOUR",
    "BYDAY",
    "BYMONTHDAY",
    "BYYEARDAY",
    "BYWEEKNO",
    "BYMONTH",
    "BYSETPOS",
    "WKST",
)
# Larger intervals make dateutil step month by month through huge jumps; no 1:1 series
# recurs less often than every few years anyway.
_MAX_INTERVAL = 1000
# The largest UTC offset change any zone has made at once is 24 h (Pacific/Apia, 2011).
# Searching from this much earlier in local time never misses an occurrence.
_MARGIN = timedelta(days=2)
# The Gregorian calendar repeats exactly every 400 years; this is that cycle per FREQ unit.
_CYCLE_UNITS = {"DAILY": 146_097, "WEEKLY": 20_871, "MONTHLY": 4_800, "YEARLY": 400}

_BYDAY_RE = re.compile(r"([+-]?)(\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)")
_UNTIL_RE = re.compile(r"(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})(Z?))?")
_DTSTART_RE = re.compile(r"\bDTSTART\b", re.IGNORECASE)


class RecurrenceError(ValueError):
    """A recurrence spec, time zone or first start that cannot define a series.

    The message is written for the person who typed the spec and says what to change.
    """


@dataclass(frozen=True)
class Occurrence:
    """One occurrence of a series.

    ``index`` is 0-based and stable over the whole series; ``starts_at`` is aware UTC;
    ``local_start`` is the same instant in the series zone. ``gap_shifted`` is true when the
    series' wall-clock time did not exist that day and the start moved forward by the gap.
    ``nominal`` is that wall-clock time (naive, in the series zone): what ``local_start`` would
    have been without the gap, so that a series edited on a gap day can keep its own time.
    """

    index: int
    starts_at: datetime
    local_start: datetime
    gap_shifted: bool = False
    nominal: datetime | None = None


@dataclass(frozen=True)
class _Rule:
    """A validated RFC 5545 rule; BYDAY entries are (ordinal, weekday) with 0 = every."""

    freq: str
    interval: int = 1
    count: int | None = None
    until: datetime | None = None  # inclusive, aware UTC
    bymonth: tuple[int, ...] = ()
    byweekno: tuple[int, ...] = ()
    byyearday: tuple[int, ...] = ()
    bymonthday: tuple[int, ...] = ()
    byday: tuple[tuple[int, int], ...] = ()
    bysetpos: tuple[int, ...] = ()
    wkst: int | None = None

    def expand(self, first: datetime, until: datetime | None = None) -> Iterator[datetime]:
        """Nominal local occurrences at or after ``first`` (the series' DTSTART).

        COUNT and UNTIL stay out: Recurrence applies them to UTC instants, and the naive
        ``until`` here only bounds the iteration.
        """
        dtstart, byday = first, self.byday
        if self.freq == "WEEKLY":
            # dateutil starts the first week at DTSTART rather than at WKST, so BYSETPOS would
            # pick from a partial week; RFC 5545 picks from the whole week and then drops what
            # precedes DTSTART. Expanding from the week's start (with the weekday default made
            # explicit) gives the RFC answer.
            wkst = 0 if self.wkst is None else self.wkst
            byday = byday or ((0, first.weekday()),)
            with suppress(OverflowError):
                dtstart = first - timedelta(days=(first.weekday() - wkst) % 7)
        rule = _du.rrule(
            _FREQS[self.freq],
            dtstart=dtstart,
            interval=self.interval,
            wkst=0 if self.wkst is None else self.wkst,
            until=until,
            bymonth=self.bymonth or None,
            byweekno=self.byweekno or None,
            byyearday=self.byyearday or None,
            bymonthday=self.bymonthday or None,
            byweekday=[_du.weekday(wd, n or None) for n, wd in byday] or None,
            bysetpos=self.bysetpos or None,
        )
        return dropwhile(lambda nominal: nominal < first, rule)

    def to_string(self) -> str:
        parts = [f"FREQ={self.freq}"]
        if self.interval != 1:
            parts.append(f"INTERVAL={self.interval}")
        if self.count is not None:
            parts.append(f"COUNT={self.count}")
        if self.until is not None:
            parts.append(f"UNTIL={self.until.strftime('%Y%m%dT%H%M%SZ')}")
        for name, values in (
            ("BYMONTH", self.bymonth),
            ("BYWEEKNO", self.byweekno),
            ("BYYEARDAY", self.byyearday),
            ("BYMONTHDAY", self.bymonthday),
        ):
            if values:
                parts.append(f"{name}={','.join(map(str, values))}")
        if self.byday:
            days = ",".join(f"{n or ''}{_WEEKDAY_CODES[wd]}" for n, wd in self.byday)
            parts.append(f"BYDAY={days}")
        if self.bysetpos:
            parts.append(f"BYSETPOS={','.join(map(str, self.bysetpos))}")
        if self.wkst is not None:
            parts.append(f"WKST={_WEEKDAY_CODES[self.wkst]}")
        return "RRULE:" + ";".join(parts)


class _Plan(Protocol):
    """Nominal (naive, local wall-clock) occurrence times of a rule, before COUNT/UNTIL."""

    def nominal(self, index: int) -> datetime | None: ...

    def index_at_or_after(self, local: datetime) -> int: ...

    def iter_from(self, local: datetime) -> Iterator[tuple[int, datetime]]: ...


class _ArithmeticPlan:
    """Shared search for plans whose ``nominal`` is O(1)."""

    def nominal(self, index: int) -> datetime | None:
        raise NotImplementedError

    def _lower_bound(self, local: datetime) -> int:
        raise NotImplementedError

    def index_at_or_after(self, local: datetime) -> int:
        index = self._lower_bound(local)
        while (n := self.nominal(index)) is not None and n < local:
            index += 1
        return index

    def iter_from(self, local: datetime) -> Iterator[tuple[int, datetime]]:
        index = self.index_at_or_after(local)
        while (n := self.nominal(index)) is not None:
            yield index, n
            index += 1


class _DayCyclePlan(_ArithmeticPlan):
    """DAILY/WEEKLY rules without month/year filters repeat every ``period``.

    With ``k`` occurrences per period, occurrence ``i`` is occurrence ``i % k`` shifted by
    ``i // k`` periods, so any index costs O(k).
    """

    def __init__(self, first: datetime, offsets: tuple[timedelta, ...], period: timedelta):
        self._first = first
        self._offsets = offsets
        self._period = period

    def nominal(self, index: int) -> datetime | None:
        cycles, rest = divmod(index, len(self._offsets))
        try:
            return self._first + self._offsets[rest] + self._period * cycles
        except OverflowError:
            return None

    def _lower_bound(self, local: datetime) -> int:
        if local <= self._first:
            return 0
        return (local - self._first) // self._period * len(self._offsets)


class _MonthPlan(_ArithmeticPlan):
    """MONTHLY rules with one day that every month has (2nd Tuesday, last Friday, the 15th)."""

    def __init__(
        self,
        first: datetime,
        interval: int,
        *,
        weekday: int | None = None,
        ordinal: int = 0,
        monthday: int = 0,
    ):
        self._first = first
        self._month0 = first.year * 12 + first.month - 1
        self._interval = interval
        self._weekday = weekday
        self._ordinal = ordinal
        self._monthday = monthday

    def nominal(self, index: int) -> datetime | None:
        year, month0 = divmod(self._month0 + index * self._interval, 12)
        if year > MAXYEAR:
            return None
        day = _day_in_month(year, month0 + 1, self._weekday, self._ordinal, self._monthday)
        return datetime.combine(date(year, month0 + 1, day), self._first.time())

    def _lower_bound(self, local: datetime) -> int:
        if local <= self._first:
            return 0
        return (local.year * 12 + local.month - 1 - self._month0) // self._interval


class _GenericPlan:
    """Any other rule, counted from the first start by dateutil: O(occurrences before)."""

    def __init__(self, rule: _Rule, first: datetime, horizon: datetime | None):
        self._rule = rule
        self._first = first
        self._horizon = horizon

    def _all(self) -> Iterator[datetime]:
        return self._rule.expand(self._first, self._horizon)

    def nominal(self, index: int) -> datetime | None:
        return next(islice(self._all(), index, None), None)

    def index_at_or_after(self, local: datetime) -> int:
        total = 0
        for index, nominal in enumerate(self._all()):
            if nominal >= local:
                return index
            total = index + 1
        return total

    def iter_from(self, local: datetime) -> Iterator[tuple[int, datetime]]:
        for index, nominal in enumerate(self._all()):
            if nominal >= local:
                yield index, nominal


@dataclass(frozen=True)
class Recurrence:
    """A validated series recurrence. Build it with :func:`parse_recurrence`.

    ``spec`` is the spec as given (presets lower-cased), ``tz`` the IANA zone name and
    ``first_start`` the first start expressed in that zone. Two recurrences are equal when
    these three are.
    """

    spec: str
    tz: str
    first_start: datetime
    _rule: _Rule = field(repr=False, compare=False)
    _zone: ZoneInfo = field(repr=False, compare=False)
    _plan: _Plan = field(repr=False, compare=False)

    @property
    def is_finite(self) -> bool:
        return self._rule.count is not None or self._rule.until is not None

    def rrule_string(self) -> str:
        """The RFC 5545 ``RRULE:`` line equivalent to this series (presets included).

        It is meant to be exported with ``DTSTART;TZID=<tz>:<first start, local>``.
        """
        return self._rule.to_string()

    def between(
        self, start: datetime, end: datetime, *, limit: int = DEFAULT_LIMIT
    ) -> list[Occurrence]:
        """Occurrences starting in ``[start, end)``, in order, at most ``limit`` of them.

        A full page (``len == limit``) may have more after it: continue with
        ``between(page[-1].starts_at + timedelta(microseconds=1), end)``.
        """
        _require_aware(start, "start")
        _require_aware(end, "end")
        if limit < 0:
            raise RecurrenceError(f"limit must not be negative (got {limit}).")
        found: list[Occurrence] = []
        if end <= start:
            return found
        for occurrence in self._iter_from(start):
            if occurrence.starts_at >= end or len(found) >= limit:
                break
            found.append(occurrence)
        return found

    def after(self, moment: datetime, count: int) -> list[Occurrence]:
        """The next ``count`` occurrences starting at or after ``moment`` (fewer at the end)."""
        _require_aware(moment, "moment")
        if count < 0:
            raise RecurrenceError(f"count must not be negative (got {count}).")
        return list(islice(self._iter_from(moment), count))

    def nth(self, index: int) -> Occurrence | None:
        """Occurrence ``index`` (0 is the first start), or None past the end of the series."""
        if index < 0:
            raise RecurrenceError(f"Occurrence index must not be negative (got {index}).")
        if self._rule.count is not None and index >= self._rule.count:
            return None
        nominal = self._plan.nominal(index)
        occurrence = None if nominal is None else self._occurrence(index, nominal)
        if occurrence is None or self._past_until(occurrence):
            return None
        return occurrence

    def last(self) -> Occurrence | None:
        """The final occurrence of a finite series; None if the series never ends."""
        if self._rule.count is not None:
            return self.nth(self._rule.count - 1)
        until = self._rule.until
        if until is None:
            return None
        bound = _local_naive(until, self._zone, _MARGIN)
        index = self._plan.index_at_or_after(bound) if bound is not None else 0
        # Only the few occurrences within the margin of UNTIL are examined; index 0 is the
        # first start, which validation placed at or before UNTIL.
        for candidate in range(index, -1, -1):
            occurrence = self.nth(candidate)
            if occurrence is not None:
                return occurrence
        return None  # pragma: no cover - occurrence 0 always qualifies

    def _iter_from(self, moment: datetime) -> Iterator[Occurrence]:
        local = _local_naive(moment, self._zone, -_MARGIN)
        if local is None:
            if moment.year > 1:
                return  # near year 9999: nothing can follow
            local = datetime.min
        count = self._rule.count
        for index, nominal in self._plan.iter_from(local):
            if count is not None and index >= count:
                return
            occurrence = self._occurrence(index, nominal)
            if occurrence is None or self._past_until(occurrence):
                return
            if occurrence.starts_at >= moment:
                yield occurrence

    def _occurrence(self, index: int, nominal: datetime) -> Occurrence | None:
        try:
            if index == 0:
                starts_at = self.first_start.astimezone(UTC)
            else:
                # fold=0 gives RFC 5545's answers: the pre-transition offset pushes a gap
                # time forward by the gap, and an ambiguous time gets its first instance.
                starts_at = nominal.replace(tzinfo=self._zone).astimezone(UTC)
            local = starts_at.astimezone(self._zone)
        except OverflowError:
            return None
        return Occurrence(
            index, starts_at, local, local.replace(tzinfo=None) != nominal, nominal.replace(fold=0)
        )

    def _past_until(self, occurrence: Occurrence) -> bool:
        return self._rule.until is not None and occurrence.starts_at > self._rule.until


def parse_recurrence(spec: str, first_start: datetime, tz: str) -> Recurrence:
    """Validate a series recurrence and return it.

    ``spec`` is ``weekly``, ``biweekly``, ``triweekly`` (every 1/2/3 weeks on the first
    start's weekday), ``monthly``, or an RFC 5545 ``RRULE:`` line without DTSTART.

    ``monthly`` repeats on the first start's weekday-of-month (a 2nd Tuesday stays the 2nd
    Tuesday; a 5th weekday, which most months lack, becomes the last one), not on its day of
    the month: 1:1s are held on working days, and "the 14th of each month" falls on weekends.

    Raises :class:`RecurrenceError` with a message the user can act on.
    """
    zone = _load_zone(tz)
    if not isinstance(first_start, datetime):
        raise RecurrenceError(
            f"The first start must be a date and time, got {type(first_start).__name__}."
        )
    if first_start.utcoffset() is None:
        raise RecurrenceError(
            f"The first start {first_start.isoformat()} has no time zone; give it as an "
            f"instant (with a UTC offset) or in {tz}."
        )
    if first_start.microsecond:
        raise RecurrenceError(
            f"The first start {first_start.isoformat()} has fractions of a second; "
            "calendars keep whole seconds, so round it."
        )
    if not isinstance(spec, str):
        raise RecurrenceError("The recurrence must be text, e.g. 'weekly'.")
    if isinstance(first_start.tzinfo, ZoneInfo) and first_start.tzinfo.key == zone.key:
        # Given in the series zone: its wall-clock time is the series' time, even on a
        # spring-forward day when it does not exist (occurrence 0 is then shifted by the gap
        # and the others keep that time). Converting would re-anchor on the shifted time.
        local_first = first_start.replace(tzinfo=zone)
    else:
        local_first = first_start.astimezone(zone)
    first = local_first.replace(tzinfo=None, fold=0)
    text = spec.strip()
    preset = text.lower()

    if preset in _PRESET_WEEKS:
        rule = _Rule("WEEKLY", _PRESET_WEEKS[preset], byday=((0, first.weekday()),))
        text = preset
    elif preset == "monthly":
        ordinal = (first.day - 1) // 7 + 1
        rule = _Rule("MONTHLY", byday=((-1 if ordinal == 5 else ordinal, first.weekday()),))
        text = preset
    elif _DTSTART_RE.search(text):
        raise RecurrenceError("Remove DTSTART from the rule: the series' first start supplies it.")
    elif text[:6].upper() == "RRULE:":
        rule = _parse_rrule(text[6:], first, zone)
    else:
        raise RecurrenceError(
            f"Unknown recurrence {spec!r}: use weekly, biweekly, triweekly, monthly, or an "
            "RFC 5545 rule starting with 'RRULE:' (e.g. RRULE:FREQ=WEEKLY;BYDAY=TU,TH)."
        )

    first_utc = first_start.astimezone(UTC)
    if rule.until is not None and rule.until < first_utc:
        raise RecurrenceError(
            f"UNTIL {_show_utc(rule.until)} is before the first start "
            f"{_show(local_first)} ({tz}), so the series would have no occurrence; "
            "move UNTIL later or remove it."
        )
    _check_first_is_occurrence(rule, first, local_first, zone)
    horizon = None if rule.until is None else _local_naive(rule.until, zone, _MARGIN)
    return Recurrence(
        spec=text,
        tz=tz,
        first_start=local_first,
        _rule=rule,
        _zone=zone,
        _plan=_make_plan(rule, first, horizon),
    )


def _load_zone(tz: str) -> ZoneInfo:
    if not isinstance(tz, str) or not tz.strip():
        raise RecurrenceError("A time zone is required, e.g. 'Europe/London'.")
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        # ValueError/OSError cover keys that are not zone names at all, e.g. paths.
        raise RecurrenceError(
            f"Unknown time zone {tz!r}: use an IANA name such as 'Europe/London' or "
            "'America/New_York'."
        ) from None


def _parse_rrule(body: str, first: datetime, zone: ZoneInfo) -> _Rule:
    if "\n" in body or "\r" in body:
        raise RecurrenceError(
            "Give a single RRULE line; RDATE/EXDATE and other lines are not supported "
            "(remove single instances from the series instead)."
        )
    if not body.strip():
        raise RecurrenceError("The rule is empty: write e.g. RRULE:FREQ=WEEKLY;BYDAY=TU.")
    parts: dict[str, str] = {}
    for chunk in body.strip().split(";"):
        name, sep, value = chunk.partition("=")
        name, value = name.strip().upper(), value.strip()
        if not sep or not name or not value:
            raise RecurrenceError(
                f"Cannot read the rule part {chunk.strip()!r}: each part is NAME=VALUE, "
                "separated by ';' (e.g. RRULE:FREQ=WEEKLY;BYDAY=TU)."
            )
        if name not in _KNOWN_PARTS:
            raise RecurrenceError(
                f"Unknown rule part {name!r}; RFC 5545 rules use {', '.join(_KNOWN_PARTS)}."
            )
        if name in parts:
            raise RecurrenceError(f"{name} appears twice in the rule; give it once.")
        parts[name] = value.upper()

    freq = parts.get("FREQ")
    if freq is None:
        raise RecurrenceError("The rule needs a FREQ, e.g. RRULE:FREQ=WEEKLY.")
    if freq in _SUB_DAILY:
        raise RecurrenceError(
            f"FREQ={freq} is not allowed: a 1:1 series cannot recur within a day. "
            "Use DAILY, WEEKLY, MONTHLY or YEARLY."
        )
    if freq not in _FREQS:
        raise RecurrenceError(f"Unknown FREQ {freq!r}: use DAILY, WEEKLY, MONTHLY or YEARLY.")
    if "COUNT" in parts and "UNTIL" in parts:
        raise RecurrenceError(
            "Use either COUNT or UNTIL, not both (RFC 5545): COUNT ends after a number of "
            "meetings, UNTIL at a date."
        )

    count = None
    if "COUNT" in parts:
        count = _integer("COUNT", parts["COUNT"])
        if count < 1:
            raise RecurrenceError(
                f"COUNT must be at least 1 (got {count}): it is the number of meetings."
            )
    interval = 1
    if "INTERVAL" in parts:
        interval = _integer("INTERVAL", parts["INTERVAL"])
        if not 1 <= interval <= _MAX_INTERVAL:
            raise RecurrenceError(f"INTERVAL must be from 1 to {_MAX_INTERVAL} (got {interval}).")
    until = _parse_until(parts["UNTIL"], zone) if "UNTIL" in parts else None

    for name, actual in (("BYHOUR", first.hour), ("BYMINUTE", first.minute)):
        _check_time_part(name, parts.get(name), actual, first)
    _check_time_part("BYSECOND", parts.get("BYSECOND"), first.second, first)

    byday = _parse_byday(parts["BYDAY"]) if "BYDAY" in parts else ()
    rule = _Rule(
        freq=freq,
        interval=interval,
        count=count,
        until=until,
        bymonth=_int_list(parts, "BYMONTH", 1, 12, signed=False),
        byweekno=_int_list(parts, "BYWEEKNO", 1, 53),
        byyearday=_int_list(parts, "BYYEARDAY", 1, 366),
        bymonthday=_int_list(parts, "BYMONTHDAY", 1, 31),
        byday=byday,
        bysetpos=_int_list(parts, "BYSETPOS", 1, 366),
        wkst=_weekday_code("WKST", parts["WKST"]) if "WKST" in parts else None,
    )
    _check_combinations(rule)
    return rule


def _check_combinations(rule: _Rule) -> None:
    # RFC 5545 §3.3.10 forbids these; other calendars would reject the exported rule.
    if rule.byweekno and rule.freq != "YEARLY":
        raise RecurrenceError("BYWEEKNO can only be used with FREQ=YEARLY.")
    if rule.byyearday and rule.freq != "YEARLY":
        raise RecurrenceError("BYYEARDAY can only be used with FREQ=YEARLY.")
    if rule.bymonthday and rule.freq == "WEEKLY":
        raise RecurrenceError("BYMONTHDAY cannot be used with FREQ=WEEKLY.")
    has_ordinal = any(n for n, _ in rule.byday)
    if has_ordinal and (rule.freq not in ("MONTHLY", "YEARLY") or rule.byweekno):
        raise RecurrenceError(
            "A numbered BYDAY (e.g. 2TU, -1FR) needs FREQ=MONTHLY or FREQ=YEARLY (without "
            "BYWEEKNO); for other frequencies list plain days such as BYDAY=TU,TH."
        )
    if rule.bysetpos and not (
        rule.bymonth or rule.byweekno or rule.byyearday or rule.bymonthday or rule.byday
    ):
        raise RecurrenceError("BYSETPOS needs another BY... part (e.g. BYDAY) to select from.")


def _integer(name: str, value: str) -> int:
    if not re.fullmatch(r"[+-]?\d{1,9}", value):
        raise RecurrenceError(f"{name} must be a whole number (got {value!r}).")
    return int(value)


def _int_list(
    parts: dict[str, str], name: str, low: int, high: int, *, signed: bool = True
) -> tuple[int, ...]:
    if name not in parts:
        return ()
    values = []
    for item in parts[name].split(","):
        number = _integer(name, item.strip()) if item.strip() else 0
        if not low <= (abs(number) if signed else number) <= high:
            allowed = f"{low} to {high}" + (f" or -{high} to -{low}" if signed else "")
            raise RecurrenceError(f"{name} values must be {allowed} (got {item.strip()!r}).")
        values.append(number)
    return tuple(values)


def _weekday_code(name: str, value: str) -> int:
    if value not in _WEEKDAY_CODES:
        raise RecurrenceError(
            f"{name} must be a weekday code ({', '.join(_WEEKDAY_CODES)}), got {value!r}."
        )
    return _WEEKDAY_CODES.index(value)


def _parse_byday(value: str) -> tuple[tuple[int, int], ...]:
    days = []
    for item in value.split(","):
        match = _BYDAY_RE.fullmatch(item.strip())
        if match is None:
            raise RecurrenceError(
                f"BYDAY entry {item.strip()!r} is not a weekday: use MO, TU, WE, TH, FR, "
                "SA, SU, optionally numbered (2TU = second Tuesday, -1FR = last Friday)."
            )
        sign, digits, code = match.groups()
        ordinal = int(digits) * (-1 if sign == "-" else 1) if digits else 0
        if digits and not 1 <= abs(ordinal) <= 53:
            raise RecurrenceError(
                f"BYDAY entry {item.strip()!r}: the number must be 1 to 53 or -1 to -53."
            )
        days.append((ordinal, _WEEKDAY_CODES.index(code)))
    return tuple(days)


def _parse_until(value: str, zone: ZoneInfo) -> datetime:
    match = _UNTIL_RE.fullmatch(value)
    example = "e.g. 20251231T170000Z or 20251231"
    if match is None:
        raise RecurrenceError(f"UNTIL {value!r} is not an RFC 5545 date or date-time ({example}).")
    year, month, day, hour, minute, second, utc = match.groups()
    try:
        if hour is None:
            # A DATE means "through that local day": the last second before the next one.
            next_day = datetime.combine(date(int(year), int(month), int(day)), time())
            next_day += timedelta(days=1)
            return next_day.replace(tzinfo=zone).astimezone(UTC) - timedelta(seconds=1)
        moment = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second))
    except (ValueError, OverflowError):
        raise RecurrenceError(f"UNTIL {value!r} is not a valid date ({example}).") from None
    if utc:
        return moment.replace(tzinfo=UTC)
    # RFC 5545 wants UTC here; a floating time is most plausibly meant in the series zone.
    return moment.replace(tzinfo=zone).astimezone(UTC)


def _check_time_part(name: str, value: str | None, actual: int, first: datetime) -> None:
    if value is None:
        return
    if "," in value:
        raise RecurrenceError(
            f"{name} lists several values: a 1:1 series cannot recur within a day. The "
            "time of day comes from the first start; remove it."
        )
    number = _integer(name, value)
    if number != actual:
        raise RecurrenceError(
            f"{name}={number} does not match the first start ({first:%H:%M:%S}): the time of "
            f"day comes from the first start; remove {name} or change the first start."
        )


def _check_first_is_occurrence(
    rule: _Rule, first: datetime, local_first: datetime, zone: ZoneInfo
) -> None:
    found = _first_nominal_from(rule, first)
    if found == first:
        return
    if found is None:
        raise RecurrenceError(
            "The rule never produces an occurrence (a date such as 30 February, or "
            "BY... parts that exclude each other); check BYMONTH, BYMONTHDAY, BYDAY, "
            "BYYEARDAY and BYWEEKNO."
        )
    if rule.until is not None and found.replace(tzinfo=zone) > rule.until:
        raise RecurrenceError(
            f"The rule has no occurrence between the first start {_show(local_first)} and "
            f"UNTIL {_show_utc(rule.until)}; move UNTIL later or change the rule."
        )
    raise RecurrenceError(
        f"The first start {_show(local_first)} is not an occurrence of the rule; its first "
        f"occurrence would be {_show(found)}. Start the series on a day the rule produces, "
        "or change the rule."
    )


def _first_nominal_from(rule: _Rule, first: datetime) -> datetime | None:
    """The rule's first nominal occurrence at or after ``first``, or None if there is none.

    dateutil only gives up on a rule that never matches when it reaches year 9999, which for
    a DAILY rule is millions of steps. The pattern repeats every ``cycle`` years (400-year
    Gregorian cycle, aligned with INTERVAL), so the search runs on a copy moved whole cycles
    towards 9999: it then covers at least one full cycle but only about two.
    """
    interval = rule.interval
    cycle = 400 * interval // gcd(_CYCLE_UNITS[rule.freq], interval)
    shift = max(0, (MAXYEAR - 1 - cycle - first.year) // cycle) * cycle
    probe = first.replace(year=first.year + shift)
    found = next(rule.expand(probe), None)
    return None if found is None else found.replace(year=found.year - shift)


def _make_plan(rule: _Rule, first: datetime, horizon: datetime | None) -> _Plan:
    filters = rule.bymonth or rule.byweekno or rule.byyearday or rule.bymonthday
    try:
        if rule.freq in ("DAILY", "WEEKLY") and not filters:
            if rule.freq == "WEEKLY":
                days = 7 * rule.interval
            else:
                days = lcm(rule.interval, 7) if rule.byday else rule.interval
            period = timedelta(days=days)
            end = first + period
            offsets = []
            for nominal in rule.expand(first):
                if nominal >= end:
                    break
                offsets.append(nominal - first)
            return _DayCyclePlan(first, tuple(offsets), period)
        if rule.freq == "MONTHLY" and not (filters or rule.bysetpos) and len(rule.byday) == 1:
            ordinal, weekday = rule.byday[0]
            if 1 <= abs(ordinal) <= 4:
                return _MonthPlan(first, rule.interval, weekday=weekday, ordinal=ordinal)
        if rule.freq == "MONTHLY" and not (rule.bymonth or rule.bysetpos or rule.byday):
            monthday = rule.bymonthday[0] if len(rule.bymonthday) == 1 else first.day
            if len(rule.bymonthday) <= 1 and 1 <= abs(monthday) <= 28:
                return _MonthPlan(first, rule.interval, monthday=monthday)
    except OverflowError:
        pass  # a first start near year 9999: the generic plan copes
    return _GenericPlan(rule, first, horizon)


def _day_in_month(year: int, month: int, weekday: int | None, ordinal: int, monthday: int) -> int:
    length = _month_length(year, month)
    if weekday is None:
        return monthday if monthday > 0 else length + 1 + monthday
    if ordinal > 0:
        first_weekday = date(year, month, 1).weekday()
        return 1 + (weekday - first_weekday) % 7 + 7 * (ordinal - 1)
    last_weekday = date(year, month, length).weekday()
    return length - (last_weekday - weekday) % 7 - 7 * (-ordinal - 1)


def _month_length(year: int, month: int) -> int:
    if month == 12:
        return 31
    return (date(year, month + 1, 1) - date(year, month, 1)).days


def _local_naive(moment: datetime, zone: ZoneInfo, offset: timedelta) -> datetime | None:
    """``moment`` as local wall-clock time plus ``offset``; None if out of datetime's range."""
    try:
        return moment.astimezone(zone).replace(tzinfo=None) + offset
    except OverflowError:
        return None


def _require_aware(moment: datetime, name: str) -> None:
    if not isinstance(moment, datetime) or moment.utcoffset() is None:
        raise RecurrenceError(f"{name} must be an aware datetime (with a time zone).")


def _show(moment: datetime) -> str:
    return f"{_WEEKDAY_NAMES[moment.weekday()]} {moment:%Y-%m-%d %H:%M}"


def _show_utc(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC"
