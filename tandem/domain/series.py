"""A recurring 1:1 (SPEC S1-S4): its plan of occurrences, and the messages that change it.

A series' plan is a list of segments. Editing the time, length, zone or recurrence starts a new
segment at the next occurrence that has not happened yet; earlier occurrences keep the plan they
were made with. Occurrence indexes run on across segments, so occurrence 12 is always the 13th
meeting of the series, and its meeting id is derived from the index: the same occurrence has the
same id whenever and however often it is materialised, and months ahead too.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field, NaiveDatetime, model_validator

from tandem.domain.errors import Invalid
from tandem.domain.meetings import LongText, Name, Reason, Text
from tandem.domain.recurrence import Occurrence as Found
from tandem.domain.recurrence import Recurrence, RecurrenceError, parse_recurrence
from tandem.domain.times import TimeZoneName, UtcDatetime, as_utc, local
from tandem.domain.times import zone as tz

# Every occurrence in the next four weeks is a meeting already, and at least the next one (S3).
MATERIALISE_AHEAD = timedelta(weeks=4)

_OCCURRENCES = uuid.UUID("5b1f8f3e-8d0c-4a55-9a55-0c1b2d3e4f60")


def occurrence_id(series_id: str, index: int) -> str:
    return str(uuid.uuid5(_OCCURRENCES, f"{series_id}/{index}"))


class SeriesStatus(StrEnum):
    ACTIVE = "active"
    ENDED = "ended"


@lru_cache(maxsize=4096)
def _rule(
    recurrence: str, starts_at: datetime, timezone: str, wall_start: datetime | None
) -> Recurrence:
    # ``wall_start`` is its own key: an aware datetime hashes and compares as its instant, and
    # a gap-day 02:30 is the same instant as 03:30, which would be a different series.
    if wall_start is not None:
        starts_at = wall_start.replace(tzinfo=tz(timezone))
    return parse_recurrence(recurrence, starts_at, timezone)


def rule_for(
    recurrence: str, starts_at: datetime, timezone: str, wall_start: datetime | None = None
) -> Recurrence:
    """The parsed rule, or Invalid naming the field a person has to change.

    ``wall_start`` is the local wall-clock time of the first start when that did not exist
    (a spring-forward gap), ``starts_at`` then being the shifted instant.
    """
    try:
        return _rule(recurrence, starts_at, timezone, wall_start)
    except RecurrenceError as error:
        raise Invalid(f"recurrence: {error}", field="recurrence") from None


class Segment(BaseModel):
    model_config = ConfigDict(frozen=True)

    first_index: int
    starts_at: UtcDatetime
    duration_minutes: int
    timezone: TimeZoneName
    recurrence: str
    # Set only when the segment starts on a spring-forward day at a wall-clock time that does
    # not exist then (02:30 in a 02:00-03:00 gap): ``starts_at`` is the shifted instant (03:30)
    # and this is the series' own time (02:30, naive, in ``timezone``), which the rule repeats
    # (S1). An instant alone cannot say 02:30 that day.
    wall_start: NaiveDatetime | None = None

    @model_validator(mode="after")
    def _wall_start_matches(self) -> Segment:
        if self.wall_start is not None:
            at = self.wall_start.replace(tzinfo=tz(self.timezone))
            if as_utc(at) != self.starts_at or _exists(at):
                raise ValueError(
                    "wall_start must be a local time that does not exist on the day of "
                    "starts_at, and starts_at that time shifted forward by the gap"
                )
        return self

    def rule(self) -> Recurrence:
        return rule_for(self.recurrence, self.starts_at, self.timezone, self.wall_start)


def _exists(at: datetime) -> bool:
    """Whether a local time in a zone happens: one in a spring-forward gap does not."""
    return at.astimezone(UTC).astimezone(at.tzinfo).replace(tzinfo=None) == at.replace(tzinfo=None)


class Occurrence(BaseModel):
    index: int
    meeting_id: str
    starts_at: UtcDatetime
    duration_minutes: int
    timezone: str

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.duration_minutes)

    @property
    def local_start(self) -> datetime:
        return local(self.starts_at, self.timezone)


class Series(BaseModel):
    id: str
    facilitator_id: str
    participant_id: str
    name: Name
    description: LongText = ""
    location: Text = ""
    status: SeriesStatus = SeriesStatus.ACTIVE
    segments: list[Segment]
    # "Delete this instance" (S3): occurrences never to be materialised again.
    skipped: list[int] = Field(default_factory=list)
    created_by: str
    created_at: UtcDatetime
    ended_at: UtcDatetime | None = None
    version: int = 0

    @property
    def current(self) -> Segment:
        return self.segments[-1]

    def _segment_occurrences(self, start: datetime, end: datetime) -> Iterator[Occurrence]:
        for position, segment in enumerate(self.segments):
            following = self.segments[position + 1] if position + 1 < len(self.segments) else None
            bound = end if self.ended_at is None else min(end, self.ended_at)
            if bound <= start:
                return
            for found in segment.rule().between(max(start, segment.starts_at), bound):
                index = segment.first_index + found.index
                if following is not None and index >= following.first_index:
                    break
                yield Occurrence(
                    index=index,
                    meeting_id=occurrence_id(self.id, index),
                    starts_at=found.starts_at,
                    duration_minutes=segment.duration_minutes,
                    timezone=segment.timezone,
                )

    def planned(self, start: datetime, end: datetime, *, limit: int = 500) -> list[Occurrence]:
        """Occurrences starting in [start, end), deleted instances included, at most ``limit``."""
        found = []
        for occurrence in self._segment_occurrences(start, end):
            found.append(occurrence)
            if len(found) >= limit:
                break
        return found

    def next_after(self, moment: datetime, *, include_skipped: bool = False) -> Occurrence | None:
        """The first occurrence starting at or after ``moment`` (searching up to two years)."""
        for occurrence in self._segment_occurrences(moment, moment + timedelta(days=731)):
            if include_skipped or occurrence.index not in self.skipped:
                return occurrence
        return None

    def due(self, now: datetime) -> list[Occurrence]:
        """What should be a meeting by now: the next four weeks, and at least the next one."""
        ahead = [
            o for o in self.planned(now, now + MATERIALISE_AHEAD) if o.index not in self.skipped
        ]
        if not ahead and (upcoming := self.next_after(now)) is not None:
            ahead = [upcoming]
        return ahead

    def _find(self, index: int) -> tuple[Segment, Found] | None:
        for position, segment in enumerate(self.segments):
            following = self.segments[position + 1] if position + 1 < len(self.segments) else None
            if index < segment.first_index or (following and index >= following.first_index):
                continue
            found = segment.rule().nth(index - segment.first_index)
            if found is None or (self.ended_at is not None and found.starts_at >= self.ended_at):
                return None
            return segment, found
        return None

    def occurrence(self, index: int) -> Occurrence | None:
        """Occurrence ``index`` under the current plan (None if the plan has no such one)."""
        if (located := self._find(index)) is None:
            return None
        segment, found = located
        return Occurrence(
            index=index,
            meeting_id=occurrence_id(self.id, index),
            starts_at=found.starts_at,
            duration_minutes=segment.duration_minutes,
            timezone=segment.timezone,
        )

    def wall_time(self, index: int) -> datetime | None:
        """The series' local wall-clock time for occurrence ``index`` (naive, in its zone):
        where it starts, or, on a spring-forward day that pushed it on, where it would have."""
        if (located := self._find(index)) is None:
            return None
        found = located[1]
        if found.gap_shifted and found.nominal is not None:
            return found.nominal
        # Not ``nominal``: the start's own fold keeps a first start at the second 01:30.
        return found.local_start.replace(tzinfo=None)

    def index_of(self, meeting_id: str, horizon: datetime) -> int | None:
        """The occurrence a meeting id stands for, looking up to ``horizon``."""
        start = self.segments[0].starts_at
        for occurrence in self._segment_occurrences(start, horizon):
            if occurrence.meeting_id == meeting_id:
                return occurrence.index
        return None


class SeriesChanges(BaseModel):
    """S3: what editing a series changes for its future occurrences."""

    name: Name | None = None
    description: LongText | None = None
    location: Text | None = None
    starts_at: UtcDatetime | None = None
    duration_minutes: int | None = None
    timezone: TimeZoneName | None = None
    recurrence: str | None = None

    @property
    def replans(self) -> bool:
        return any(
            v is not None
            for v in (self.starts_at, self.duration_minutes, self.timezone, self.recurrence)
        )


def edited(
    series: Series, changes: SeriesChanges, now: datetime, *, own_wall_time: bool = True
) -> Series:
    """The series with ``changes`` applied from its next occurrence on (S3)."""
    details = changes.model_dump(include={"name", "description", "location"}, exclude_none=True)
    if not changes.replans:
        return series.model_copy(update=details)
    upcoming = series.next_after(now, include_skipped=True)
    if upcoming is None:
        raise Invalid("the series has no occurrence left to change", field="recurrence")
    current = series.current
    zone = changes.timezone or current.timezone
    wall_start = None
    if changes.starts_at is not None:
        anchor = changes.starts_at
    elif not own_wall_time:
        # How edits anchored before ``own_wall_time``: replayed histories must do the same.
        anchor = local(upcoming.starts_at, current.timezone).replace(tzinfo=tz(zone))
    else:
        # Keep the series' wall-clock time of the next occurrence, read in the (possibly new)
        # zone: its own time, not the one a spring-forward gap pushed it to that day, or the
        # series would move to the shifted time for good (S1).
        wall = series.wall_time(upcoming.index)
        assert wall is not None  # ``upcoming`` is an occurrence of this plan
        anchor = wall.replace(tzinfo=tz(zone))
        if not _exists(anchor):
            wall_start = wall.replace(fold=0)
    if anchor <= now:
        raise Invalid("the new first occurrence must be in the future", field="starts_at")
    segment = Segment(
        first_index=upcoming.index,
        starts_at=anchor,
        duration_minutes=changes.duration_minutes or current.duration_minutes,
        timezone=zone,
        recurrence=changes.recurrence or current.recurrence,
        wall_start=wall_start,
    )
    segment.rule()  # refuse a rule that does not fit the new anchor now, not later
    kept = [s for s in series.segments if s.first_index < upcoming.index]
    return series.model_copy(update={**details, "segments": [*kept, segment]})


class SeriesInput(BaseModel):
    """Start argument of the series workflow; ``resumed`` after continue-as-new."""

    series: Series
    materialised: list[int] = Field(default_factory=list)
    clashes: dict[int, str] = Field(default_factory=dict)
    resumed: bool = False


class CreateSeries(BaseModel):
    actor_id: str


class EditSeries(BaseModel):
    actor_id: str
    changes: SeriesChanges


class EndSeries(BaseModel):
    actor_id: str
    reason: Reason | None = None


class ReassignSeries(BaseModel):
    """M10: the series (and its occurrences still ahead) to another facilitator."""

    actor_id: str
    facilitator_id: str
    reason: Reason | None = None


class OccurrenceNotMoved(BaseModel):
    meeting_id: str
    starts_at: UtcDatetime
    reason: str


class SeriesReassigned(BaseModel):
    series: Series
    # Occurrences ahead that kept their facilitator (the guard refused, M10).
    not_moved: list[OccurrenceNotMoved] = Field(default_factory=list)


class DeleteOccurrence(BaseModel):
    actor_id: str
    index: int
    reason: Reason | None = None
    may_delete_started: bool = False
