"""Time zones and instants: aware datetimes only, stored in UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from importlib.metadata import version
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import tzdata
from pydantic import AfterValidator, AwareDatetime, WithJsonSchema


def zone_data_version() -> dict[str, str]:
    """The tz database every zone is read from (see tandem/__init__.py): the IANA release, and
    the ``tzdata`` package that ships it, which is what pyproject.toml pins."""
    return {"iana": tzdata.IANA_VERSION, "package": version("tzdata")}


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def check_zone(name: str) -> str:
    try:
        zone(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        # OSError: "Europe" is a folder of the tz database, and very long names are refused.
        raise ValueError(f"unknown IANA time zone {name!r}") from exc
    return name


def as_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


# Documents the names check_zone accepts (it alone decides): IANA names such as Europe/London.
ZONE_NAME_SCHEMA = {
    "type": "string",
    "pattern": r"^[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+)*$",
    "maxLength": 64,
    "description": "An IANA time zone name",
    "examples": ["Europe/London"],
}
TimeZoneName = Annotated[str, AfterValidator(check_zone), WithJsonSchema(ZONE_NAME_SCHEMA)]
UtcDatetime = Annotated[AwareDatetime, AfterValidator(as_utc)]


def local(moment: datetime, tz: str) -> datetime:
    return moment.astimezone(zone(tz))


def human(moment: datetime, tz: str) -> str:
    """An instant as a person reads it in their zone: ``Tue 14 Jan 2025, 09:00 (Europe/London)``."""
    at = local(moment, tz)
    return f"{at:%a %d %b %Y, %H:%M} ({tz})"
