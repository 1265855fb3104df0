"""Peak memory of the API process answering one huge request body (issue 7, item 2).

Starts a scratch ``tandem up``, then sends a 200 MB chunked body (no Content-Length, so only
counting while streaming can stop it) to a JSON endpoint with and without a token, and to the
document upload, and prints the API process's peak resident set (VmHWM) after each.

    python bench/big_body_rss.py [--mb 200]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
from harness import running_tandem

CHUNK = b"x" * (1 << 20)


def _api_pid(parent: int) -> int:
    """The ``tandem api`` child of ``tandem up``."""
    for status in Path("/proc").glob("[0-9]*/status"):
        with contextlib.suppress(OSError):
            fields = dict(
                line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line
            )
            cmdline = (status.parent / "cmdline").read_bytes().split(b"\0")
            if int(fields["PPid"]) == parent and b"api" in cmdline:
                return int(status.parent.name)
    raise SystemExit("no API process found")


def _peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise SystemExit("no VmHWM")


async def _body(mb: int, prefix: bytes) -> AsyncIterator[bytes]:
    yield prefix
    for _ in range(mb):
        yield CHUNK


JSON_START = b'{"name": "'
UPLOAD_START = (
    b'--b\r\nContent-Disposition: form-data; name="file"; filename="big.txt"\r\n'
    b"Content-Type: text/plain\r\n\r\n"
)


async def _send(http: httpx.AsyncClient, url: str, mb: int, start: bytes, **kwargs) -> str:
    try:
        response = await http.post(url, content=_body(mb, start), **kwargs)
    except httpx.HTTPError as error:  # the server may answer and close before we finish
        return f"connection ended: {type(error).__name__}"
    return f"{response.status_code} {response.text[:120]}"


async def main(mb: int) -> None:
    async with running_tandem() as tandem, httpx.AsyncClient(timeout=300) as http:
        _, sup = tandem.add_user("Body Sup", "supervisor")
        agent_id, _ = tandem.add_user("Body Agent", "agent")
        pid = _api_pid(tandem.process.pid)
        print(f"API pid {pid}: at rest {_peak_mb(pid):.0f} MB peak")
        auth = {"Authorization": f"Bearer {sup}", "Content-Type": "application/json"}
        meeting = await http.post(
            f"{tandem.url}/v1/meetings",
            headers=auth,
            json={
                "kind": "one_to_one",
                "name": "Body check",
                "participant_ids": [agent_id],
                "starts_at": "2031-01-07T10:00:00Z",
                "duration_minutes": 30,
            },
        )
        meeting.raise_for_status()
        documents = f"{tandem.url}/v1/meetings/{meeting.json()['id']}/attachments/documents"
        cases = [
            ("no token, JSON", f"{tandem.url}/v1/meetings", JSON_START, {}),
            ("token, JSON", f"{tandem.url}/v1/meetings", JSON_START, auth),
            (
                "token, upload",
                documents,
                UPLOAD_START,
                {**auth, "Content-Type": "multipart/form-data; boundary=b"},
            ),
        ]
        for label, url, start, headers in cases:
            headers = {"Content-Type": "application/json", **headers}
            answer = await _send(http, url, mb, start, headers=headers)
            print(f"{label:16} {answer}\n{'':16} peak so far {_peak_mb(pid):.0f} MB")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=200)
    asyncio.run(main(parser.parse_args().mb))
