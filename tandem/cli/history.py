"""``tandem history MEETING_ID``: a meeting's timeline (SPEC O1), as the API gives it."""

from __future__ import annotations

import argparse
import json
from datetime import datetime
from typing import Any

import httpx

from tandem.cli.api_client import checked


def line(entry: dict[str, Any]) -> str:
    at = datetime.fromisoformat(entry["at"])  # already in the viewer's zone
    text = f"{at:%Y-%m-%d %H:%M:%S %z}  {entry['action']:<24} by {entry['actor_name'] or '?'}"
    details = dict(entry["details"])
    if entry["reason"]:
        text += f"  reason: {entry['reason']}"
    if details:
        text += f"  {json.dumps(details, sort_keys=True)}"
    if entry["error"]:
        text += f"  error: {entry['error']}"
    return text


def timeline(http: httpx.Client, args: argparse.Namespace) -> str:
    history = checked(http.get(f"/v1/meetings/{args.meeting_id}/history"))
    if args.json:
        return json.dumps(history, indent=2)
    lines = [
        f"meeting {history['meeting_id']}  (times in {history['timezone']})",
        f"workflow {history['workflow_id']}: {history['workflow_url']}",
    ]
    if not history["complete"]:
        lines.append("Temporal did not answer: Tandem's own records only")
    lines += [line(entry) for entry in history["items"]]
    return "\n".join(lines)
