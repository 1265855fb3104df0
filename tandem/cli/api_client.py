"""Terminal commands that are clients of the running API (``tandem slots``, ``reassign``,
``history``, ``ops find``): the caller's token decides what they may see and do, exactly as over
HTTP, and every change goes through the same use cases, workflows and guard."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

import httpx


class CliError(Exception):
    """Something to print on stderr before exiting with status 2."""


def checked(response: httpx.Response) -> Any:
    """The JSON of a successful answer; the API's error message otherwise."""
    if response.is_success:
        return response.json()
    try:
        error = response.json()["error"]
    except (ValueError, KeyError, TypeError):
        raise CliError(f"HTTP {response.status_code}: {response.text}") from None
    field = error.get("details", {}).get("field")
    where = f" ({field})" if field else ""
    raise CliError(f"{error['message']}{where} [HTTP {response.status_code}]")


def run_client(args: argparse.Namespace, work: Callable[[httpx.Client], str]) -> int:
    """Run ``work`` with a client of the API and print what it returns; 2 for a refusal or bad
    input, 1 when the API cannot be reached."""
    if not args.token:
        print("error: pass --token or set TANDEM_TOKEN", file=sys.stderr)
        return 2
    headers = {"Authorization": f"Bearer {args.token}"}
    try:
        with httpx.Client(base_url=args.api, headers=headers, timeout=30) as http:
            print(work(http))
    except CliError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except httpx.TransportError as error:
        print(f"error: cannot reach the Tandem API at {args.api} ({error})", file=sys.stderr)
        return 1
    return 0
