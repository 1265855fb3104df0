"""Zone data is the pinned ``tzdata`` package's, whatever the host has (SPEC S1 instants)."""

from __future__ import annotations

import subprocess
import sys
import zoneinfo
from datetime import UTC, datetime, timedelta
from importlib.metadata import version
from importlib.resources import files
from pathlib import Path

import tzdata

from tandem.domain.times import zone
from tests.support import Stack

VANCOUVER = "America/Vancouver"


def packaged(name: str) -> zoneinfo.ZoneInfo:
    with files("tzdata.zoneinfo").joinpath(name).open("rb") as source:
        return zoneinfo.ZoneInfo.from_file(source, key=name)


def test_s1_zones_come_from_the_tzdata_package() -> None:
    """S1: every day of 2026-2030 in Vancouver has the offset the package's file gives (hosts'
    files disagree there), and the host's folders are not searched at all."""
    assert zoneinfo.TZPATH == ()
    ours, theirs = zone(VANCOUVER), packaged(VANCOUVER)
    day = datetime(2026, 1, 1, 12, tzinfo=UTC)
    while day.year < 2031:
        assert day.astimezone(ours).utcoffset() == day.astimezone(theirs).utcoffset(), day
        day += timedelta(days=1)


def test_s1_a_process_ignores_the_host_zone_files(tmp_path: Path) -> None:
    """S1: a process that imports tandem reads no zone file from the host, even one its
    PYTHONTZPATH points at: here a Vancouver file that is really UTC."""
    fake = tmp_path / "zoneinfo"
    (fake / "America").mkdir(parents=True)
    with files("tzdata.zoneinfo").joinpath("UTC").open("rb") as utc:
        (fake / "America" / "Vancouver").write_bytes(utc.read())
    script = (
        "import tandem, zoneinfo; from datetime import datetime;"
        "print(zoneinfo.TZPATH);"
        f"print(datetime(2026, 12, 15, 12, tzinfo=zoneinfo.ZoneInfo({VANCOUVER!r})).utcoffset())"
    )
    shown = subprocess.run(
        [sys.executable, "-c", script],
        env={"PYTHONTZPATH": str(fake)},
        cwd=Path(__file__).parents[2],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    expected = datetime(2026, 12, 15, 12, tzinfo=packaged(VANCOUVER)).utcoffset()
    assert shown == ["()", str(expected)]


async def test_s1_ready_reports_the_zone_data_release(stack: Stack) -> None:
    """S1/O2: /ready names the tz release and the package it came from."""
    response = await stack.http.get("/ready")
    assert response.status_code == 200
    assert response.json()["tzdata"] == {
        "iana": tzdata.IANA_VERSION,
        "package": version("tzdata"),
    }
