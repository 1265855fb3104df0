"""K4 and the SSRF guard (issue 10): a CalDAV server that goes away and comes back, and the
addresses Tandem refuses to fetch with the allow-list empty, directly or behind a redirect."""

from __future__ import annotations

import http.server
import threading
from datetime import timedelta
from pathlib import Path

import pytest

from tandem.calendars.fetch import Guard, UnsafeUrl, exchange, networks
from tests.calendars.ics import calendar, connect, event, next_monday
from tests.calendars.servers import file_server, radicale
from tests.support import Stack, eventually, free_port

PASSWORD = "outage-pass"


async def test_k4_a_caldav_server_down_is_told_once_and_sync_resumes_when_it_is_back(
    stack: Stack, tmp_path: Path
) -> None:
    sam = await stack.person("supervisor", name="Sam Outage")
    ana = await stack.person("agent")
    port, folder = free_port(), tmp_path / "radicale"
    monday = next_monday().replace(hour=11)
    people = (f"ORGANIZER:mailto:{sam.email}", f"ATTENDEE:mailto:{ana.email}")

    def weekly(name: str) -> str:
        return event("w", name, monday, "RRULE:FREQ=WEEKLY", *people)

    with radicale(folder, {"sam": PASSWORD}, port) as server:
        url = server.calendar("sam", PASSWORD, "work")
        server.put(url, "sam", PASSWORD, "w", calendar(weekly("1:1")))
        made = await connect(stack, sam, kind="caldav", url=url, username="sam", password=PASSWORD)
        cid = made["id"]
        items = (await stack.http.get(f"/v1/calendars/{cid}/candidates", headers=sam.auth)).json()
        imported = await stack.http.post(
            f"/v1/calendars/{cid}/import",
            json={"candidate_ids": [c["id"] for c in items["items"]]},
            headers=sam.auth,
        )
        series_id = imported.json()["items"][0]["series_id"]

    async def state(status: str) -> dict | None:
        await stack.http.post(f"/v1/calendars/{cid}/sync", headers=sam.auth)
        found = (await stack.http.get(f"/v1/calendars/{cid}", headers=sam.auth)).json()
        return found if found["status"] == status else None

    # Down: flagged with a readable reason, its owner told once, the series untouched.
    down = await eventually(lambda: state("error"))
    assert "could not be reached" in down["error"]
    for _ in range(3):
        await state("error")
    told = await stack.notifications(sam, "calendar_unreachable")
    assert len(told) == 1
    series = (await stack.http.get(f"/v1/series/{series_id}", headers=sam.auth)).json()
    assert series["status"] == "active" and series["name"] == "1:1"

    # Back on the same address: the next pass reads it and follows what changed meanwhile.
    with radicale(folder, {"sam": PASSWORD}, port) as server:
        server.put(url, "sam", PASSWORD, "w", calendar(weekly("1:1 renamed")))
        back = await eventually(lambda: state("ok"))
        assert back["error"] is None

        async def renamed() -> bool:
            got = (await stack.http.get(f"/v1/series/{series_id}", headers=sam.auth)).json()
            return got["name"] == "1:1 renamed"

        await eventually(renamed)
    assert len(await stack.notifications(sam, "calendar_unreachable")) == 1


async def _intranet(host: str, port: int) -> list[str]:
    """A DNS name that points inside a private network, as an intranet's zone would have it."""
    return {"calendar.intranet.example": ["10.0.0.1"]}[host]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/calendar.ics",
        "http://localhost/calendar.ics",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/calendar.ics",
        "http://10.0.0.1/calendar.ics",
    ],
)
async def test_k1_addresses_inside_private_networks_are_refused_with_the_allow_list_empty(
    url: str,
) -> None:
    with pytest.raises(UnsafeUrl, match="private network"):
        await Guard().check(url)


async def test_k1_a_name_resolving_into_a_private_network_is_refused() -> None:
    guard = Guard(resolver=_intranet)
    with pytest.raises(UnsafeUrl, match=r"10\.0\.0\.1"):
        await guard.check("https://calendar.intranet.example/dav/")


async def test_k1_a_redirect_to_loopback_is_refused_at_the_redirect(tmp_path: Path) -> None:
    """Only the redirecting server's own address is allowed: where it points is checked again."""
    (tmp_path / "cal.ics").write_text(calendar(event("e", "E", next_monday() + timedelta(hours=9))))
    with file_server(tmp_path) as base:
        guard = Guard(allowed=networks("127.0.0.1/32"))
        assert (await exchange(guard, "GET", f"{base}/cal.ics")).status == 200
        port = base.rsplit(":", 1)[1]
        for target in (f"http://127.0.0.2:{port}/cal.ics", f"http://[::1]:{port}/cal.ics"):
            with pytest.raises(UnsafeUrl, match="private network"):
                await exchange(guard, "GET", f"{base}/redirect?to={target}")


class _Echo(http.server.BaseHTTPRequestHandler):
    """Answers every GET with a small calendar and keeps the Host header each one carried."""

    hosts: list[str] = []

    def do_GET(self) -> None:
        _Echo.hosts.append(self.headers["Host"])
        body = calendar(event("e", "E", next_monday() + timedelta(hours=9))).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


async def test_k1_the_request_goes_to_the_address_the_guard_checked() -> None:
    """DNS rebinding: the name is looked up once, by the guard, and the connection goes to that
    address with the name kept as the Host header. Here the second answer would be a private
    address, and the system's resolver does not know the name at all: either lookup by the
    HTTP client would fail the request."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    answers = iter([["127.0.0.1"], ["10.0.0.1"]])

    async def rebinding(host: str, port: int) -> list[str]:
        assert host == "calendar.rebinding.example"
        return next(answers)

    port = server.server_address[1]
    try:
        guard = Guard(allowed=networks("127.0.0.1/32"), resolver=rebinding)
        answer = await exchange(guard, "GET", f"http://calendar.rebinding.example:{port}/cal.ics")
    finally:
        server.shutdown()
        server.server_close()
    assert answer.status == 200 and b"BEGIN:VCALENDAR" in answer.body
    assert _Echo.hosts == [f"calendar.rebinding.example:{port}"]
