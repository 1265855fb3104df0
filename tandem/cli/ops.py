"""``tandem ops find``: meeting workflows through Temporal's visibility (SPEC O1), as the API
finds them for someone with ``ops.history.view``."""

from __future__ import annotations

import argparse
import json
from datetime import datetime
from typing import Any

import httpx

from tandem.cli.api_client import checked


def row(found: dict[str, Any]) -> str:
    at = datetime.fromisoformat(found["starts_at"])
    people = ", ".join(p["name"] or p["id"] for p in found["participants"])
    facilitator = found["facilitator"]["name"] or found["facilitator"]["id"]
    return (
        f"{at:%Y-%m-%d %H:%M %z}  {found['status']:<16} {found['name'] or '?'}  "
        f"({facilitator} with {people})  {found['workflow_id']}"
    )


def find(http: httpx.Client, args: argparse.Namespace) -> str:
    params = {
        "facilitator": args.facilitator,
        "participant": args.participant,
        "status": args.status,
        "from": args.day_from,
        "to": args.day_to,
        "limit": args.limit,
    }
    page = checked(
        http.get("/v1/ops/meetings", params={k: v for k, v in params.items() if v is not None})
    )
    if args.json:
        return json.dumps(page, indent=2)
    lines = [f"query: {page['query']}", *(row(f) for f in page["items"])]
    if not page["items"]:
        lines.append("no meeting workflow matches")
    elif page["next_cursor"]:
        lines.append(f"… more than {len(page['items'])}: narrow the search or raise --limit")
    return "\n".join(lines)
