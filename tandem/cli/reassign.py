"""``tandem reassign FROM TO --reason R``: a bulk reassignment (SPEC M10) with a progress bar."""

from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from typing import Any, TextIO

import httpx

from tandem.cli.api_client import checked

POLL_SECONDS = 0.5
BAR_WIDTH = 30


def bar(job: dict[str, Any]) -> str:
    total, done = job["total"], job["done"]
    if total is None:
        return "listing what moves…"
    filled = BAR_WIDTH * done // total if total else BAR_WIDTH
    return f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {done}/{total}"


def summary(job: dict[str, Any]) -> str:
    lines = [f"reassignment {job['id']}: {len(job['moved'])} moved, {len(job['not_moved'])} not"]
    for target in job["moved"]:
        note = f"  ({target['reason']})" if target["reason"] else ""
        lines.append(f"  moved    {target['kind']:<8} {target['name']} [{target['id']}]{note}")
    for target in job["not_moved"]:
        lines.append(
            f"  NOT      {target['kind']:<8} {target['name']} [{target['id']}]: {target['reason']}"
        )
    return "\n".join(lines)


def follow(http: httpx.Client, args: argparse.Namespace, progress: TextIO = sys.stderr) -> str:
    """Start the job (keyed, so a retried start is the same job) and wait for it to finish."""
    body = {
        "from_user_id": args.from_user_id,
        "to_user_id": args.to_user_id,
        "reason": args.reason,
        "scope": args.scope,
    }
    job = checked(
        http.post("/v1/reassignments", json=body, headers={"Idempotency-Key": str(uuid.uuid4())})
    )
    while job["state"] != "done":
        progress.write(f"\r{bar(job)}")
        progress.flush()
        time.sleep(POLL_SECONDS)
        job = checked(http.get(f"/v1/reassignments/{job['id']}"))
    progress.write(f"\r{bar(job)}\n")
    return json.dumps(job, indent=2) if args.json else summary(job)
