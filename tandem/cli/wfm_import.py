"""``tandem wfm import FILE``: load a WFM schedule or staffing file, as the API does (SPEC W1).

The file is read by its extension:

* ``.json``: a schedule (it has ``agents``) or staffing (it has ``intervals``), in the shapes of
  ``PUT /v1/wfm/schedules`` and ``PUT /v1/wfm/staffing``::

      {"business_unit": "north", "timezone": "Europe/London", "week_start": "2031-03-03",
       "agents": [{"agent_id": "…", "shifts": [{"starts_at": "2031-03-03T08:00:00+00:00",
                   "ends_at": "2031-03-03T16:30:00+00:00",
                   "activities": [{"starts_at": "…", "ends_at": "…", "category": "break",
                                   "paid": true, "interruptible": false}]}]}]}
      {"business_unit": "north", "intervals": [{"starts_at": "2031-03-03T08:00:00+00:00",
                                                "forecast": 12.5, "scheduled": 11}]}

* ``.csv``: a schedule (``POST /v1/wfm/schedules/import``). A header line names the columns, in
  any order; each further line is one activity of one shift:

  ==================  ========  =============================================================
  column              required  value
  ==================  ========  =============================================================
  business_unit       yes       the same on every line
  timezone            yes       IANA zone of the business unit, the same on every line
  agent_id            yes       a Tandem user id
  shift_start         yes       ISO-8601 with offset, e.g. ``2031-03-03T08:00:00+00:00``
  shift_end           yes       idem; lines with the same agent, start and end are one shift
  activity_start      no        idem; empty (with activity_end and category) for a shift
                                without activities
  activity_end        no        idem
  category            no        on_queue, off_queue, break, meal, meeting, training, time_off,
                                unavailable
  paid                no        true/false (yes/no, 1/0); default true
  interruptible       no        true/false; default true for on_queue, else false
  week_start          no        a Monday (``YYYY-MM-DD``) in the business unit's zone; default:
                                the week of the earliest shift
  weeks               no        how many weeks from week_start the import replaces (default 1,
                                or up to the week of the latest shift)
  ==================  ========  =============================================================

Zone-less times are refused; offsets must be UTC or the business unit's own at that instant. The
import replaces the business unit's whole week(s): agents of the unit missing from the file lose
their shifts there. Any error refuses the whole file (nothing changes) and raises
:class:`~tandem.domain.errors.Invalid` (or ``Conflict``) naming the field path (JSON) or the line
and column (CSV), in ``details``. Rules: :mod:`tandem.domain.wfm`.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from tandem.domain.errors import DomainError, Invalid
from tandem.domain.wfm import (
    MAX_CSV_BYTES,
    ScheduleImport,
    StaffingImport,
    parse_model,
    parse_schedule_csv,
)
from tandem.settings import Settings
from tandem.store import wfm
from tandem.store.db import Database
from tandem.usecases.context import Services
from tandem.usecases.schedule_changes import revalidate
from tandem.usecases.temporal import connect


def read_file(path: Path) -> tuple[str, Any]:
    """``("schedule" | "staffing", what to import)``: a parsed model, or for CSV a CsvSchedule."""
    suffix = path.suffix.lower()
    if suffix not in (".json", ".csv"):
        raise Invalid(f"{path.name}: give a .json or .csv file", field="file")
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise Invalid(f"{path}: {error.strerror or error}", field="file") from None
    if len(raw) > MAX_CSV_BYTES:
        raise Invalid(f"{path.name} is larger than {MAX_CSV_BYTES // 2**20} MB", field="file")
    if suffix == ".csv":
        return "schedule", parse_schedule_csv(raw)
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise Invalid(f"{path.name} is not UTF-8 text", field="file") from None
    except json.JSONDecodeError as error:
        raise Invalid(
            f"line {error.lineno}, column {error.colno}: malformed JSON: {error.msg}",
            field="body",
            line=error.lineno,
            column=error.colno,
        ) from None
    if isinstance(data, dict) and "agents" in data:
        return "schedule", parse_model(ScheduleImport, data)
    if isinstance(data, dict) and "intervals" in data:
        return "staffing", parse_model(StaffingImport, data)
    raise Invalid(
        "the JSON is neither a schedule (with 'agents') nor staffing (with 'intervals')",
        field="body",
    )


def import_into(session: Session, kind: str, what: Any, now: datetime) -> dict[str, Any]:
    """Import what :func:`read_file` read, in the caller's transaction; the summary."""
    if kind == "staffing":
        return wfm.replace_staffing(session, what, now).summary()
    if isinstance(what, ScheduleImport):
        return wfm.replace_schedule(session, what, now).summary()
    try:
        return wfm.replace_schedule(session, what.body, now).summary()
    except DomainError as error:
        raise what.locate(error) from None


def import_file(settings: Settings, path: Path) -> dict[str, Any]:
    """Import one file into the database of ``settings`` (one transaction); the summary:
    ``{kind: "schedule", business_unit, timezone, weeks, starts_at, ends_at, agents, shifts,
    activities, changed_agent_ids, joined_agent_ids}`` or ``{kind: "staffing", business_unit,
    starts_at, ends_at, intervals}``."""
    kind, what = read_file(Path(path))
    db = Database(settings.database, schema=settings.database_schema)
    try:
        with db.writing() as session:
            summary = import_into(session, kind, what, datetime.now(UTC))
    finally:
        db.dispose()
    return {"file": str(path), **summary}


async def recheck_coaching(settings: Settings, summary: dict) -> int | str:
    """W7 for terminal imports: re-check booked coaching, through a running Tandem's Temporal."""
    try:
        client = await asyncio.wait_for(connect(settings), 10)
    except (TimeoutError, RuntimeError):
        return f"not re-checked: Temporal is not reachable at {settings.temporal_address}"
    db = Database(settings.database, schema=settings.database_schema)
    svc = Services.connected(settings, db, client)
    try:
        return await revalidate(
            svc,
            list(summary["changed_agent_ids"]),
            datetime.fromisoformat(summary["starts_at"]),
            datetime.fromisoformat(summary["ends_at"]),
        )
    finally:
        db.dispose()
