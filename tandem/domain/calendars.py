"""Connected calendars (SPEC K1-K4): what Tandem keeps about a person's calendar."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel

from tandem.domain.times import UtcDatetime


class CalendarKind(StrEnum):
    CALDAV = "caldav"  # read and (later) written back
    ICS = "ics"  # a published feed: read only


class ConnectionStatus(StrEnum):
    OK = "ok"
    ERROR = "error"  # the last read failed: ``error`` says why


class CalendarConnection(BaseModel):
    id: str
    owner_id: str
    kind: CalendarKind
    name: str
    url: str
    username: str | None
    status: ConnectionStatus
    error: str | None
    last_synced_at: UtcDatetime | None
    created_at: UtcDatetime

    @property
    def read_only(self) -> bool:
        return self.kind is CalendarKind.ICS
