"""``tandem cadence DIVISION``: who is due for coaching in a division, and setting its policy
(issue 12 item 3, W8 in tandem.domain.cadence).

A client of the running API like ``tandem slots``: the caller's token decides whether they may
read the division's cadence (``coaching.appointment.view`` in that division) or set its policy
(``coaching.appointment.edit``), exactly as over HTTP.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import httpx

from tandem.cli.api_client import CliError, checked


@dataclass(frozen=True)
class CadenceRequest:
    division: str
    every_weeks: int | None = None
    duration: int | None = None
    due_soon_days: int | None = None


def _when(text: str | None, zone: ZoneInfo) -> str:
    if text is None:
        return "-"
    return f"{datetime.fromisoformat(text).astimezone(zone):%a %Y-%m-%d %H:%M}"


def _table(found: dict[str, Any], zone: ZoneInfo) -> str:
    policy = found["policy"]
    lines = [
        f"{found['division']}: every {policy['every_weeks']} week(s), "
        f"{policy['duration_minutes']}-minute sessions, due {policy['due_soon_days']} day(s) "
        f"ahead; times in {zone.key}"
    ]
    if not found["items"]:
        return "\n".join([*lines, "no agents in this division"])
    width = max(len("agent"), *(len(i["agent_name"]) for i in found["items"]))
    stamp = len("Mon 2030-01-01 00:00")
    lines.append(
        f"{'status':<8}  {'agent':<{width}}  {'last session':<{stamp}}  {'due by':<{stamp}}  "
        "next booked"
    )
    for item in found["items"]:
        due_by = _when(item["due_by"], zone) if item["last_session_at"] else "now (never)"
        lines.append(
            f"{item['status']:<8}  {item['agent_name']:<{width}}  "
            f"{_when(item['last_session_at'], zone):<{stamp}}  {due_by:<{stamp}}  "
            f"{_when(item['next_session_at'], zone)}"
        )
    return "\n".join(lines)


def show(http: httpx.Client, request: CadenceRequest, *, as_json: bool) -> str:
    """The division's cadence as a table in the caller's zone (or the API's JSON); with
    ``every_weeks`` and ``duration``, the policy is set first."""
    division = quote(request.division, safe="")
    if request.every_weeks is not None or request.duration is not None:
        if request.every_weeks is None or request.duration is None:
            raise CliError("--every-weeks and --duration go together")
        body: dict[str, Any] = {
            "every_weeks": request.every_weeks,
            "duration_minutes": request.duration,
        }
        if request.due_soon_days is not None:
            body["due_soon_days"] = request.due_soon_days
        checked(http.put(f"/v1/coaching/cadence-policies/{division}", json=body))
    elif request.due_soon_days is not None:
        raise CliError("--due-soon-days is set together with --every-weeks and --duration")
    found = checked(http.get("/v1/coaching/cadence", params={"division": request.division}))
    if as_json:
        return json.dumps(found, indent=2)
    me = checked(http.get("/v1/users/me"))
    return _table(found, ZoneInfo(me["timezone"]))
